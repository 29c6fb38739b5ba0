"""The red-flag detector (phrases, then the classifier) against the evaluation sets, with the
real content.

Each YAML batch holds sign phrasings (with the level of reply they need) and ordinary back-pain
messages (negated and hypothetical forms included). A sign counts as found only when the detector
answers it at its level; an ordinary message that gets any alarm is a false alarm. Run with ``-s``
to see the report; it is also in the failure message.

``eval_first.yaml`` was written before the detector was tuned; ``eval_heldout.yaml`` after that
tuning; ``eval_third.yaml`` after a second, structural round (word groups) made once the held-out
misses were known; ``eval_fourth.yaml`` before the third round (concepts) changed anything;
``eval_fifth.yaml`` after it; ``eval_sixth.yaml`` after round 4. ``eval_dev.yaml`` is the third
round's own tuning set. ``train_*.yaml`` are the training sets for the classifier (round 5's
own, and round 6's two independent writers; tuning data, not evaluated here). Nothing a later
batch misses is ever copied into the phrases, the word groups or the training sets (docs/SAFETY.md).

A new batch is picked up by its name alone: drop ``eval_<name>.yaml`` (the format of
eval_sixth.yaml) here and it runs as "blind"; after its first run, record that score in
FIRST_SCORES, and move the name to SEEN once a change is made knowing its misses.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bot.domain.redflags import RedFlagDetector
from tests.yaml_files import read_yaml

HERE = Path(__file__).parent
MAX_FALSE_ALARMS = 0.05
BATCHES = sorted(path.stem.removeprefix("eval_") for path in HERE.glob("eval_*.yaml"))
# name -> (at least this many signs, at least this many ordinary messages); 50 and 50 for a new one
SIZES = {"first": (150, 150), "dev": (100, 100), "heldout": (60, 60), "third": (60, 60), "fourth": (80, 80),
         "fifth": (80, 80), "sixth": (80, 80)}
DEFAULT_SIZE = (50, 50)
# Tuned on (the phrases, word groups and classifier were fitted to them): they must stay at 98%.
TUNED = {"first", "dev"}
MIN_TUNED_RECALL = 0.98
# Batches whose misses were known when a later round was made: their figures are no longer a
# blind measure. Every other batch (not tuned, not seen) is blind.
SEEN = {"heldout", "third", "fourth", "fifth", "sixth"}
# Each held-out batch's first score (signs found on its first run, before anything was changed
# knowing its misses; docs/SAFETY.md) is its floor: a change may not make it worse than it was found.
FIRST_SCORES = {
    "heldout": (45, 61), "third": (50, 60), "fourth": (86, 97), "fifth": (65, 87), "sixth": (76, 83), "seventh": (137, 160),
    "eighth": (152, 169), "ninth": (162, 168), "tenth": (178, 190), "eleventh": (180, 190),
    "twelfth": (192, 197), "thirteenth": (185, 199), "fourteenth": (190, 200),
}
# Signs of a batch that a later round found no more, accepted knowingly and recorded in docs/SAFETY.md
# (round 8 lost one of batch 9's; round 9 found it again, so none now).
ACCEPTED_LOSSES: dict[str, int] = {}
# A blind batch whose first run raised more than MAX_FALSE_ALARMS: its first count of false alarms
# (alarms, ordinary messages) is its ceiling, and the 5% target is reported as missed (xfail).
FIRST_FALSE_ALARMS = {"eighth": (14, 213), "tenth": (14, 223), "eleventh": (16, 213), "thirteenth": (16, 217),
                      "fourteenth": (17, 228)}


def status(name: str) -> str:
    return "tuned" if name in TUNED else "seen" if name in SEEN else "blind"


def min_recall(name: str) -> float:
    if name in TUNED:
        return MIN_TUNED_RECALL
    if name not in FIRST_SCORES:
        return 0.0  # a new blind batch: its first run is its first score
    found, signs = FIRST_SCORES[name]
    return (found - ACCEPTED_LOSSES.get(name, 0)) / signs


def _batch(name: str) -> dict:
    return read_yaml(HERE / f"eval_{name}.yaml")


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
    assert content.sign_model is not None, "content/redflag_classifier.json is missing"
    return RedFlagDetector(content.safety.red_flags, content.safety.red_flag_words, content.sign_model)


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_batch_is_big_and_varied_enough(name):
    data = _batch(name)
    min_signs, min_ordinary = SIZES.get(name, DEFAULT_SIZE)
    assert len(data["signs"]) >= min_signs and len(data["ordinary"]) >= min_ordinary
    assert {sign["level"] for sign in data["signs"]} == {"emergency", "prompt"}
    texts = [s["text"].lower() for s in data["signs"]] + [t.lower() for t in data["ordinary"]]
    assert len(set(texts)) == len(texts), "duplicate messages"


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_recall_and_false_alarms(detector, name):
    recall, false_rate, report = score(detector, _batch(name), min_recall(name))
    print(f"\n[{name}] {report}")
    assert recall >= min_recall(name), report
    if name in FIRST_FALSE_ALARMS:
        alarms, ordinary = FIRST_FALSE_ALARMS[name]
        assert false_rate <= alarms / ordinary, report
        if false_rate > MAX_FALSE_ALARMS:
            pytest.xfail(f"{name}: false alarms {false_rate:.1%} on its first run, over the {MAX_FALSE_ALARMS:.0%} target")
    assert false_rate <= MAX_FALSE_ALARMS, report


# An ordinary question batch 3 repeated from batch 1 before this check covered every batch.
# Batch 8's writer, blind like batch 7's, wrote an ordinary question batch 7 has too (both evaluation
# sets, so no leak into training).
KNOWN_REPEATS = {"what are deep stabilizing muscles?", "whats the difference between d2 and d3"}


def _texts(data: dict) -> list[str]:
    ordinary = [o if isinstance(o, str) else o["text"] for o in data.get("ordinary", [])]
    return [s["text"] for s in data.get("signs", [])] + ordinary


def test_no_two_batches_share_a_message():
    """Nor a training set with a batch: a held-out message copied into training would be a leak."""
    seen: dict[str, str] = {}
    again = []
    files = sorted(HERE.glob("eval_*.yaml")) + sorted(HERE.glob("train_*.yaml"))
    for path in files:
        name = path.stem
        for text in _texts(read_yaml(path)):
            if text.lower() in seen and text.lower() not in KNOWN_REPEATS:
                again.append(f"{name} repeats {seen[text.lower()]}: {text!r}")
            seen.setdefault(text.lower(), name)
    assert again == []


def test_summary_of_every_batch(detector, capsys):
    """One table of every batch's figures, for the log (the thresholds are held above)."""
    lines = [f"{'batch':<8} {'status':<8} {'recall':>16} {'false alarms':>16} {'floor':>7}"]
    new = [name for name in BATCHES if name not in TUNED | SEEN and name not in FIRST_SCORES]
    for name in BATCHES:
        data = _batch(name)
        recall, false_rate, _ = score(detector, data, min_recall(name))
        signs, ordinary = len(data["signs"]), len(data["ordinary"])
        lines.append(
            f"{name:<8} {status(name):<8}"
            f" {recall:>7.1%} ({round(recall * signs):>3}/{signs:>3})"
            f" {false_rate:>6.1%} ({round(false_rate * ordinary):>2}/{ordinary:>3})"
            f" {min_recall(name):>7.1%}"
        )
    lines += [f"{name}: a new blind batch; record its first score in FIRST_SCORES ({__name__})" for name in new]
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def test_training_sets_name_real_flags_at_their_level(content):
    levels = {flag.id: flag.level for flag in content.safety.red_flags}
    for path in HERE.glob("train_*.yaml"):
        for sign in read_yaml(path).get("signs", []):
            assert levels.get(sign["flag"]) == sign["level"], (path.name, sign)


def test_the_classifier_was_built_from_the_current_training_sets(content):
    """content/redflag_classifier.json records a digest of what it was trained on (training sets,
    feature code, word groups)."""
    script = HERE.parent.parent / "scripts" / "train_redflags.py"
    spec = importlib.util.spec_from_file_location("train_redflags", script)
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = train  # its dataclasses look their module up
    spec.loader.exec_module(train)
    assert content.sign_model is not None
    wanted = train.digest(content.safety.red_flag_words)
    assert content.sign_model.trained_on == wanted, "run: .venv/bin/python scripts/train_redflags.py"


# Alarms the phrases raised on the FAQ matcher's messages before round 5 (recorded, not patched:
# they are evaluation messages). The first is a fall word used of a thing; the second is arguably
# right (someone on chemotherapy with back pain should see a doctor promptly). Merged with the FAQ's
# round 2 and its blind batch 9, three more: two arguably right again (chemotherapy; methotrexate,
# which weakens the immune system), and one false alarm of batch 9 ("wiped out" read as a fall).
KNOWN_FAQ_ALARMS = {
    "my bike chain keeps slipping",
    "is vitamin d ok with my chemotherapy",
    "can i take vitamin d after my chemo",
    "is d3 safe alongside methotrexate",
    "i'm wiped out by mid-afternoon most days and the back stiffens up. anything to do with vitamin d?",
    # round 7's classifier (threshold 0.627) on held-out FAQ questions: recorded, not tuned on
    "i accidentally took double my vitamin d for a month. is that bad?",
    "is my back pain caused by cancer",
    "me i have unexplained back pain since long time. must i do the vitamin d check?",
    # FAQ batch 12's first run (held out; the same with rounds 7 and 8): recorded, not tuned on
    "my gp says i'm a bit low in d and i'm always sleepy. could that be making my back worse?",
    "i accidentally took double my tablets for a week, is that bad?",
    # FAQ batch 13's first run (held out; round 8): recorded, not tuned on
    "can not enough vitamin d make your pelvis feel unstable and throw your posture off",
    "why do some people with wrecked discs feel nothing while i've got mild stuff and i'm in bits",
    # FAQ batch 14's first run (held out; round 9): recorded, not tuned on
    "my wife wants to know when she will start feeling less pain in her back, she started 10 days ago",
    # round 10's classifier (threshold 0.601) on FAQ batch 10 (held out): recorded, not tuned on
    "it is nine today, very bad, i stay in bed",
    # round 12's classifier (threshold 0.552) on FAQ batches 11 and 14 (held out): recorded, not tuned on
    "bad night, pain is at 9",
    "can weak spine bones from low d cause pain even without a break",
}


def test_no_alarm_on_the_faq_matchers_evaluation_messages(detector):
    """Questions about vitamin D and back pain (tests/matching), none of them a sign: no alarm but
    the two known ones, and none at all from the classifier."""
    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for name, value in node.items():
                if isinstance(value, int):  # a check-in in words: the message is the key
                    yield name
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    matching = HERE.parent / "matching"
    sets = [matching / "dev.yaml", *sorted(matching.glob("dev_writer_*.yaml")), *sorted((matching / "heldout").glob("*.yaml"))]
    messages = [m for path in sets
                for m in strings(read_yaml(path))]
    alarms = [f"{flag.id}: {m!r}" for m in messages
              if m.lower() not in KNOWN_FAQ_ALARMS and (flag := detector.detect(m)) is not None]
    print(f"\nFAQ matcher's messages: {len(alarms)} alarms in {len(messages)} (and {len(KNOWN_FAQ_ALARMS)} known)")
    assert len(messages) > 1500 and alarms == []
