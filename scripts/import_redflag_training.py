"""Copy a writer's red-flag training file into tests/redflags/, without any evaluation message.

    .venv/bin/python scripts/import_redflag_training.py SOURCE.yaml tests/redflags/train_writer_x.yaml HEADER.txt

SOURCE has ``signs:`` items ``{flag, level, voice, text}`` and ``ordinary:`` items ``{voice, text}``.
Removed, by script and unread (only counts are printed, never a text):
- every message identical, case, spaces and punctuation aside, to a message of an evaluation set
  (tests/redflags/eval_*.yaml, tests/matching/dev.yaml, tests/matching/heldout/*.yaml and the blind
  batches waiting in tests/blind/), so no evaluation message is trained on;
- every message identical in the same sense to one already in another training file, or earlier
  in the same file (test_no_two_batches_share_a_message).
A sign whose flag id is not one of content/safety.yaml's, or whose level is not its flag's, is
counted and reported by position (item number), so that it can be fixed by hand.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.text import fold  # noqa: E402

REDFLAGS = ROOT / "tests" / "redflags"
MATCHING = ROOT / "tests" / "matching"


def key(text: str) -> str:
    """A message with case, accents, apostrophes, spaces and punctuation set aside."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def strings(node: object):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def texts_of(path: Path) -> list[str]:
    return list(strings(yaml.safe_load(path.read_text(encoding="utf-8"))))


def main() -> None:
    source, target, header = (Path(a) for a in sys.argv[1:4])
    evaluation = [*sorted(REDFLAGS.glob("eval_*.yaml")), MATCHING / "dev.yaml", *sorted((MATCHING / "heldout").glob("*.yaml")),
                  *sorted((ROOT / "tests" / "blind").glob("*.yaml"))]  # blind batches not yet run, too
    held = {key(t) for path in evaluation for t in texts_of(path)}
    trained = {key(t) for path in sorted(REDFLAGS.glob("train_*.yaml")) if path.resolve() != target.resolve()
               for t in texts_of(path)}
    levels = {flag["id"]: flag["level"] for flag in
              yaml.safe_load((ROOT / "content" / "safety.yaml").read_text(encoding="utf-8"))["red_flags"]}
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    removed: Counter[str] = Counter()
    kept: dict[str, list[dict]] = {"signs": [], "ordinary": []}
    seen: set[str] = set()
    for part in ("signs", "ordinary"):
        for number, item in enumerate(data.get(part) or [], 1):
            item = {"text": item} if isinstance(item, str) else dict(item)
            k = key(item["text"])
            if k in held:
                removed[f"{part}: same as an evaluation message"] += 1
                continue
            if k in trained or k in seen:
                removed[f"{part}: same as another training message"] += 1
                continue
            seen.add(k)
            if part == "signs" and levels.get(item.get("flag")) != item.get("level"):
                print(f"  sign item {number}: flag {item.get('flag')!r} at level {item.get('level')!r} does not exist")
            kept[part].append(item)
    lines = [header.read_text(encoding="utf-8").rstrip("\n"), "signs:"]
    for item in kept["signs"]:
        lines.append(f"  - {{flag: {item['flag']}, level: {item['level']}, voice: {item.get('voice', 'plain')},"
                     f" text: {json.dumps(item['text'], ensure_ascii=False)}}}")
    lines.append("ordinary:")
    for item in kept["ordinary"]:
        lines.append(f"  - {{voice: {item.get('voice', 'plain')}, text: {json.dumps(item['text'], ensure_ascii=False)}}}")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["signs"] == kept["signs"]
    print(f"{source.name}: kept {len(kept['signs'])} signs and {len(kept['ordinary'])} ordinary messages")
    for reason, count in sorted(removed.items()):
        print(f"  removed {count}: {reason}")


if __name__ == "__main__":
    main()
