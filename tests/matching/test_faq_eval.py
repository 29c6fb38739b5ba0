"""The matcher against the evaluation sets: the development set it was tuned on, and every held-out
batch (written before tuning, never tuned on). Prints each set's figures; run with ``-s`` to see
them (``.venv/bin/python tests/matching/run_eval.py -v`` also lists every miss).

Targets (issue 13) on the held-out batches: top-1 >= 90%, confident wrong <= 2%, top-3 when unsure
>= 97%, off-topic answered <= 3%, check-ins in words >= 95%. Out-of-scope medical questions must
be referred (>= 90% here). Four are not met over batches 1-8 (see SCORES.md; batch 8, written blind,
scored 68.7% top-1 on its first run with matcher v7): top-1 (80.3%), top-3 when unsure (95.1%),
check-ins in words (91.6%) and out-of-scope referred (87.4%). Their tests are expected failures
until they pass, with floors on the batches already recorded below which the suite fails.

A new blind batch: save it as heldout/batch<N>.yaml. It is picked up, printed apart as its first
run, and held to the met targets with the others; record its figures in SCORES.md, then add it to
``evaluation.RECORDED`` (and move the floors here if the pooled figures moved).
"""

from __future__ import annotations

import pytest

from tests.matching.evaluation import DEV_SET, HELDOUT_SETS, RECORDED, evaluate, load, pooled

TOP1_TARGET = 0.90
TOP1_FLOOR = 0.80  # the latest figures on the recorded batches, rounded the safe way: a regression fails
MAX_CONFIDENT_WRONG = 0.02
MIN_TOP3_WHEN_UNSURE = 0.97
TOP3_WHEN_UNSURE_FLOOR = 0.95
CHECKINS_FLOOR = 0.91
OUT_OF_SCOPE_FLOOR = 0.87
MAX_OFF_TOPIC_ANSWERED = 0.03
MIN_CHECKINS = 0.95
MIN_OUT_OF_SCOPE = 0.90


@pytest.fixture(scope="module")
def figures(matcher):
    found = {path.stem: evaluate(matcher, load(path), path.stem) for path in [DEV_SET, *HELDOUT_SETS]}
    recorded = [path.stem for path in HELDOUT_SETS if path.stem in RECORDED]
    new = [path.stem for path in HELDOUT_SETS if path.stem not in RECORDED]
    found["recorded"] = pooled([found[name] for name in recorded], f"held-out batches seen before ({len(recorded)})")
    found["heldout"] = pooled([found[path.stem] for path in HELDOUT_SETS])
    for name in new:  # a blind batch's first run: copy these figures into SCORES.md
        found[name].name = f"{name}: FIRST RUN, not in SCORES.md yet (then add it to evaluation.RECORDED)"
    print("\n" + "\n".join(f.report(with_misses=False) for f in found.values()))
    return found


def test_sets_are_big_varied_and_apart(faq):
    heldout = [load(path) for path in HELDOUT_SETS]
    assert heldout, "at least one held-out batch"
    first = heldout[0]
    assert sum(len(m) for m in first["faq"].values()) >= 250
    assert (len(first["off_topic"]), len(first["out_of_scope"]), len(first["checkins"])) >= (100, 50, 50)
    assert set(first["faq"]) == {e.id for e in faq}, "every FAQ entry in the held-out set"
    asked = {" ".join(str(m).lower().split()) for data in heldout for group in data["faq"].values() for m in group}
    dev = load(DEV_SET)
    assert not asked & {" ".join(m.lower().split()) for group in dev["faq"].values() for m in group}
    # Held-out messages are not copied into the FAQ (its own questions aside).
    examples = {" ".join(e.lower().split()) for entry in faq for e in entry.examples}
    questions = {entry.question.lower().rstrip("?") for entry in faq}
    assert {m for m in asked & examples if m.rstrip("?") not in questions} == set()


def test_heldout_targets(figures):
    """The targets that are met, on every held-out batch together (each batch's figures are printed)."""
    result = figures["heldout"]
    report = result.report()
    assert result.confident_wrong_rate <= MAX_CONFIDENT_WRONG, report
    assert result.off_topic_rate <= MAX_OFF_TOPIC_ANSWERED, report
    assert result.false_checkins == 0, report


def test_no_regression_on_the_batches_seen_before(figures):
    """Floors for the targets not met yet, on the batches recorded in SCORES.md only: a new blind
    batch's first run is a measurement, not a regression."""
    result = figures["recorded"]
    report = result.report()
    assert result.unsure_top3_rate >= TOP3_WHEN_UNSURE_FLOOR, report
    assert result.top1_rate >= TOP1_FLOOR, report
    assert result.checkin_rate >= CHECKINS_FLOOR, report
    assert result.out_of_scope_rate >= OUT_OF_SCOPE_FLOOR, report


@pytest.mark.xfail(reason="top-1 on held-out messages is below the 90% target (SCORES.md)", strict=False)
def test_heldout_top1_target(figures):
    assert figures["heldout"].top1_rate >= TOP1_TARGET, figures["heldout"].report()


@pytest.mark.xfail(reason="the right entry is among the three buttons 95% of the times it is unsure (SCORES.md)", strict=False)
def test_heldout_top3_when_unsure_target(figures):
    assert figures["heldout"].unsure_top3_rate >= MIN_TOP3_WHEN_UNSURE, figures["heldout"].report()


@pytest.mark.xfail(reason="check-ins in words: 91.6% understood over batches 1-8 (batch 8: 76%)", strict=False)
def test_heldout_checkins_target(figures):
    assert figures["heldout"].checkin_rate >= MIN_CHECKINS, figures["heldout"].report()


@pytest.mark.xfail(reason="out-of-scope questions referred: 87.4% over batches 1-8 (batch 8: 64%)", strict=False)
def test_heldout_out_of_scope_target(figures):
    assert figures["heldout"].out_of_scope_rate >= MIN_OUT_OF_SCOPE, figures["heldout"].report()


def test_smalltalk_messages_get_their_reply(matcher):
    misses = []
    for expected, messages in load(DEV_SET)["smalltalk"].items():
        for message in messages:
            result = matcher.match(message)
            if result.kind != "smalltalk" or result.smalltalk.id != expected:
                misses.append((message, result.kind, result.smalltalk and result.smalltalk.id))
    assert not misses
