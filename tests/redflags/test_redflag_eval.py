"""The red-flag detector against the evaluation sets, with the real content.

Each YAML batch holds sign phrasings (with the level of reply they need) and ordinary back-pain
messages (negated and hypothetical forms included). A sign counts as found only when the detector
answers it at its level; an ordinary message that gets any alarm is a false alarm. Run with ``-s``
to see the report; it is also in the failure message.

``eval_first.yaml`` was written before the detector was tuned; ``eval_heldout.yaml`` after that
tuning; ``eval_third.yaml`` after a second, structural round (word groups) made once the held-out
misses were known. Nothing a later batch misses is ever copied into the phrases (docs/SAFETY.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.domain.redflags import RedFlagDetector

MAX_FALSE_ALARMS = 0.05
BATCHES = {"first": (150, 150), "dev": (60, 60), "heldout": (60, 60), "third": (60, 60)}
# The first batch is what the phrases were tuned on: it must stay at 98% or more. The later
# batches measure how well that carries over to phrasings nobody tuned on; their first scores
# were 73.8% (held out) and 83.3% (third, after round 2), see docs/SAFETY.md. Their misses must
# not be copied into the phrases, so their floors only guard against getting worse.
MIN_RECALL = {"first": 0.98, "dev": 0.98, "heldout": 0.73, "third": 0.83}


def _batch(name: str) -> dict:
    path = Path(__file__).with_name(f"eval_{name}.yaml")
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def score(detector: RedFlagDetector, data: dict, min_recall: float) -> tuple[float, float, str]:
    missed, alarms = [], []
    for sign in data["signs"]:
        flag = detector.detect(sign["text"])
        if flag is None or flag.level != sign["level"]:
            got = "nothing" if flag is None else f"{flag.id} ({flag.level})"
            missed.append(f"  MISS  {sign['level']:<9} got {got:<32} {sign['text']!r}")
    for text in data["ordinary"]:
        flag = detector.detect(text)
        if flag is not None:
            alarms.append(f"  ALARM {flag.id:<24} {text!r}")
    recall = 1 - len(missed) / len(data["signs"])
    false_rate = len(alarms) / len(data["ordinary"])
    report = "\n".join([
        f"signs found at their level: {recall:.1%} ({len(data['signs']) - len(missed)}/{len(data['signs'])}),"
        f" minimum {min_recall:.0%}",
        f"false alarms on ordinary messages: {false_rate:.1%} ({len(alarms)}/{len(data['ordinary'])}),"
        f" maximum {MAX_FALSE_ALARMS:.0%}",
        *missed,
        *alarms,
    ])
    return recall, false_rate, report


@pytest.fixture(scope="module")
def detector(content):
    return RedFlagDetector(content.safety.red_flags, content.safety.red_flag_words)


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_batch_is_big_and_varied_enough(name):
    data = _batch(name)
    min_signs, min_ordinary = BATCHES[name]
    assert len(data["signs"]) >= min_signs and len(data["ordinary"]) >= min_ordinary
    assert {sign["level"] for sign in data["signs"]} == {"emergency", "prompt"}
    texts = [s["text"].lower() for s in data["signs"]] + [t.lower() for t in data["ordinary"]]
    assert len(set(texts)) == len(texts), "duplicate messages"


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_recall_and_false_alarms(detector, name):
    recall, false_rate, report = score(detector, _batch(name), MIN_RECALL[name])
    print(f"\n[{name}] {report}")
    assert recall >= MIN_RECALL[name], report
    assert false_rate <= MAX_FALSE_ALARMS, report


def test_the_held_out_batch_shares_no_message_with_the_first():
    first, heldout = _batch("first"), _batch("heldout")
    seen = {s["text"].lower() for s in first["signs"]} | {t.lower() for t in first["ordinary"]}
    again = [s["text"] for s in heldout["signs"] if s["text"].lower() in seen]
    again += [t for t in heldout["ordinary"] if t.lower() in seen]
    assert again == []
