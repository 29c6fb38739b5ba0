"""Import an independent writer's training data: ``.venv/bin/python tests/matching/import_writer.py
/work/train/faq_A.yaml writer_a``.

The writer saw only SPEC.md and each FAQ entry's question and answer. This script:

1. drops every message identical (case, spaces and punctuation aside) to one of an evaluation set
   the matcher is judged by (tests/matching/heldout/*, tests/redflags/eval_*, the blind batches waiting
   in tests/blind/), or to an FAQ example
   or a development message already kept, and prints **counts only**, never those messages: the
   held-out sets are read here only to be compared with, by their normalised form;
2. splits the rest with a fixed seed: a third of each FAQ entry's questions, of the off-topic and
   out-of-scope messages and of the check-ins go to ``tests/matching/dev_<name>.yaml``, a second
   development set written by another hand than the examples (an honest estimate, like the blind
   batches, and used for calibration); the other two thirds of the FAQ questions are appended to
   their entries' ``examples`` in content/faq.yaml, and the other two thirds of the rest to
   dev.yaml's ``off_topic``, ``out_of_scope`` and ``checkins`` (tuned on).

Run once per writer's file; ``--dry-run`` prints the counts without writing.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.domain.text import words  # noqa: E402

HERE = ROOT / "tests" / "matching"
FAQ_FILE = ROOT / "content" / "faq.yaml"
DEV_FILE = HERE / "dev.yaml"
SEED = 13
EVALUATION_SHARE = 3  # one in three to the writer's development set


def key(text: str) -> str:
    return " ".join(words(str(text)))


def strings(data: object) -> list[str]:
    """Every string in a YAML document, keys included (check-in sets map a message to its score)."""
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in strings(k) + strings(v)]
    if isinstance(data, list):
        return [s for item in data for s in strings(item)]
    return [data] if isinstance(data, str) else []


def evaluation_keys() -> set[str]:
    paths = [*sorted((HERE / "heldout").glob("*.yaml")), *sorted((ROOT / "tests" / "redflags").glob("eval_*.yaml")),
             *sorted((ROOT / "tests" / "blind").glob("*.yaml"))]  # blind batches not yet run, too
    return {key(s) for path in paths for s in strings(yaml.safe_load(path.read_text(encoding="utf-8")))}


def split(items: list, rng: random.Random) -> tuple[list, list]:
    """(to learn from, to evaluate on): a third to evaluate, chosen by the seeded generator."""
    shuffled = list(items)
    rng.shuffle(shuffled)
    cut = len(shuffled) // EVALUATION_SHARE
    chosen = set(map(str, shuffled[:cut]))
    return [i for i in items if str(i) not in chosen], [i for i in items if str(i) in chosen]


def scalar(text: str) -> str:
    dumped = yaml.safe_dump(text, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return dumped.removesuffix("...").strip()


def append_examples(text: str, entry_id: str, new: list[str], header: str) -> str:
    """Append example lines at the end of one entry's ``examples:`` list, comments kept."""
    lines = text.split("\n")
    start = lines.index(f"  - id: {entry_id}")
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == "examples:")
    end = at + 1
    while end < len(lines) and lines[end].startswith("      - "):
        end += 1
    lines[end:end] = [f"      # {header}"] + [f"      - {scalar(m)}" for m in new]
    return "\n".join(lines)


def append_dev(text: str, section: str, new: list | dict, header: str) -> str:
    """Append to one top-level list or mapping of dev.yaml, just before the next section."""
    lines = text.split("\n")
    start = lines.index(f"{section}:")
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^[a-z_]+:", lines[i])), len(lines))
    while lines[end - 1].strip() == "":
        end -= 1
    if isinstance(new, dict):
        added = [f"  {scalar(m)}: {score}" for m, score in new.items()]
    else:
        added = [f"- {scalar(m)}" for m in new]
    lines[end:end] = [f"# {header}"] + added
    return "\n".join(lines)


def main() -> None:
    source, name = Path(sys.argv[1]), sys.argv[2]
    dry = "--dry-run" in sys.argv
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    evaluation = evaluation_keys()
    faq = yaml.safe_load(FAQ_FILE.read_text(encoding="utf-8"))["faq"]
    dev = yaml.safe_load(DEV_FILE.read_text(encoding="utf-8"))
    kept = {key(s) for entry in faq for s in [entry["question"], *entry["examples"]]} | {key(s) for s in strings(dev)}
    rng = random.Random(SEED)
    dropped_evaluation = dropped_kept = 0
    seen: set[str] = set()

    def fresh(message: object) -> bool:
        nonlocal dropped_evaluation, dropped_kept
        k = key(str(message))
        if k in evaluation:
            dropped_evaluation += 1
            return False
        if k in kept or k in seen:
            dropped_kept += 1
            return False
        seen.add(k)
        return True

    learn_faq, evaluate_faq = {}, {}
    for entry_id, messages in data["faq"].items():
        learn_faq[entry_id], evaluate_faq[entry_id] = split([str(m) for m in messages if fresh(m)], rng)
    rest_learn, rest_evaluate = {}, {}
    for section in ("off_topic", "out_of_scope"):
        rest_learn[section], rest_evaluate[section] = split([str(m) for m in data.get(section, []) if fresh(m)], rng)
    checkins = {str(m): s for m, s in data.get("checkins", {}).items() if fresh(m)}
    learn_checkins, evaluate_checkins = split(list(checkins), rng)
    print(f"dropped: {dropped_evaluation} identical to an evaluation message, "
          f"{dropped_kept} identical to an FAQ example, a dev message or an earlier message of the file")
    print(f"to the examples: {sum(map(len, learn_faq.values()))} FAQ questions; to dev.yaml: "
          f"{len(rest_learn['off_topic'])} off-topic, {len(rest_learn['out_of_scope'])} out-of-scope, "
          f"{len(learn_checkins)} check-ins")
    print(f"to dev_{name}.yaml: {sum(map(len, evaluate_faq.values()))} FAQ questions, "
          f"{len(rest_evaluate['off_topic'])} off-topic, {len(rest_evaluate['out_of_scope'])} out-of-scope, "
          f"{len(evaluate_checkins)} check-ins")
    if dry:
        return
    header = f"{name}: an independent writer's questions (tests/matching/import_writer.py)"
    text = FAQ_FILE.read_text(encoding="utf-8")
    for entry_id, messages in learn_faq.items():
        if messages:
            text = append_examples(text, entry_id, messages, header)
    FAQ_FILE.write_text(text, encoding="utf-8")
    text = DEV_FILE.read_text(encoding="utf-8")
    for section in ("off_topic", "out_of_scope"):
        text = append_dev(text, section, rest_learn[section], header)
    text = append_dev(text, "checkins", {m: checkins[m] for m in learn_checkins}, header)
    DEV_FILE.write_text(text, encoding="utf-8")
    out = {
        "faq": evaluate_faq,
        "off_topic": rest_evaluate["off_topic"],
        "out_of_scope": rest_evaluate["out_of_scope"],
        "checkins": {m: checkins[m] for m in evaluate_checkins},
    }
    target = HERE / f"dev_{name}.yaml"
    target.write_text(
        f"# DEVELOPMENT set written by an independent writer ({name}: saw only SPEC.md and each FAQ entry's\n"
        "# question and answer), a third of their messages chosen by tests/matching/import_writer.py (seed"
        f" {SEED});\n# the other two thirds are FAQ examples and dev.yaml messages. Another hand than the examples':"
        " an honest\n# estimate, and used for calibration. Held-out messages were removed by the script.\n"
        + yaml.safe_dump(out, allow_unicode=True, sort_keys=False, width=120),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
