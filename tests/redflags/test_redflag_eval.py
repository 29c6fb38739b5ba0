"""The red-flag detector against the evaluation sets, with the real content.

Each YAML batch holds sign phrasings (with the level of reply they need) and ordinary back-pain
messages (negated and hypothetical forms included). A sign counts as found only when the detector
answers it at its level; an ordinary message that gets any alarm is a false alarm. Run with ``-s``
to see the report; it is also in the failure message.

``eval_first.yaml`` was written before the detector was tuned; ``eval_heldout.yaml`` after that
tuning; ``eval_third.yaml`` after a second, structural round (word groups) made once the held-out
misses were known; ``eval_fourth.yaml`` before the third round (concepts) changed anything;
``eval_fifth.yaml`` after it; ``eval_sixth.yaml`` after round 4.
``eval_dev.yaml`` is the third round's own tuning set. Nothing a later batch misses is ever copied
into the phrases or word groups (docs/SAFETY.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.domain.redflags import RedFlagDetector

MAX_FALSE_ALARMS = 0.05
# name -> (at least this many signs, at least this many ordinary messages)
BATCHES = {
    "first": (150, 150), "dev": (100, 100), "heldout": (60, 60), "third": (60, 60), "fourth": (80, 80), "fifth": (80, 80),
    "sixth": (80, 80),
}
# Tuned on (the phrases and word groups were fitted to them): they must stay at 98% or more.
TUNED = {"first", "dev"}
MIN_TUNED_RECALL = 0.98
# The blind batches measure how well the detector carries over to wordings nobody tuned on. Each
# one's first score (signs found on its first run, before anything was changed knowing its misses;
# docs/SAFETY.md) is its floor: a change may not make a batch worse than it was found.
# Batches whose misses nobody has seen while changing the detector: their figures are a blind
# measure. The others' misses were known when a later round was made ("seen").
BLIND = {"sixth"}
FIRST_SCORES = {"heldout": (45, 61), "third": (50, 60), "fourth": (86, 97), "fifth": (65, 87), "sixth": (76, 83)}


def min_recall(name: str) -> float:
    if name in TUNED:
        return MIN_TUNED_RECALL
    found, signs = FIRST_SCORES[name]
    return found / signs


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
        f" minimum {min_recall:.1%}",
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
    recall, false_rate, report = score(detector, _batch(name), min_recall(name))
    print(f"\n[{name}] {report}")
    assert recall >= min_recall(name), report
    assert false_rate <= MAX_FALSE_ALARMS, report


# An ordinary question batch 3 repeated from batch 1 before this check covered every batch.
KNOWN_REPEATS = {"what are deep stabilizing muscles?"}


def test_no_two_batches_share_a_message():
    seen: dict[str, str] = {}
    again = []
    for name in BATCHES:
        data = _batch(name)
        for text in [s["text"] for s in data["signs"]] + data["ordinary"]:
            if text.lower() in seen and text.lower() not in KNOWN_REPEATS:
                again.append(f"{name} repeats {seen[text.lower()]}: {text!r}")
            seen.setdefault(text.lower(), name)
    assert again == []


def test_summary_of_every_batch(detector, capsys):
    """One table of every batch's figures, for the log (the thresholds are held above)."""
    lines = [f"{'batch':<8} {'status':<8} {'recall':>16} {'false alarms':>16} {'floor':>7}"]
    for name in BATCHES:
        data = _batch(name)
        recall, false_rate, _ = score(detector, data, min_recall(name))
        signs, ordinary = len(data["signs"]), len(data["ordinary"])
        lines.append(
            f"{name:<8} {'tuned' if name in TUNED else 'blind' if name in BLIND else 'seen':<8}"
            f" {recall:>7.1%} ({round(recall * signs):>3}/{signs:>3})"
            f" {false_rate:>6.1%} ({round(false_rate * ordinary):>2}/{ordinary:>3})"
            f" {min_recall(name):>7.1%}"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
