"""The matcher against the evaluation sets: the development set it was tuned on, and every held-out
batch (written before tuning, never tuned on). Prints each set's figures; run with ``-s`` to see
them (``.venv/bin/python tests/matching/run_eval.py -v`` also lists every miss).

Targets (issue 13) on the held-out batches: top-1 >= 90%, confident wrong <= 2%, top-3 when unsure
>= 97%, off-topic answered <= 3%, check-ins in words >= 95% with no false check-in. Out-of-scope
medical questions must be referred (>= 90% here). Not met over batches 1-9 with v8 (see SCORES.md;
batch 9, written blind, scored 71.5% top-1 and 3.1% confident wrong on its first run): top-1
(78.5%), top-3 when unsure (95.5%), and one false check-in (batch 8). Their tests are expected failures until they pass, with
floors on the batches already recorded below which the suite fails.

A new blind batch: save it as heldout/batch<N>.yaml. It is picked up, printed apart as its first
run, and held to the met targets with the others; record its figures in SCORES.md, then add it to
``evaluation.RECORDED`` (and move the floors here if the pooled figures moved).
"""

from __future__ import annotations

import pytest

from tests.matching.evaluation import DEV_SET, HELDOUT_SETS, RECORDED, WRITER_SETS, evaluate, load, pooled

TOP1_TARGET = 0.90
TOP1_FLOOR = 0.90  # the latest figures on the recorded batches, rounded the safe way: a regression fails
MAX_CONFIDENT_WRONG = 0.02
MIN_TOP3_WHEN_UNSURE = 0.97
TOP3_WHEN_UNSURE_FLOOR = 0.95
MAX_FALSE_CHECKINS_FLOOR = 1  # batch 8, v8: one message that is no check-in still reads as one
MAX_OFF_TOPIC_ANSWERED = 0.03
MIN_CHECKINS = 0.95
MIN_OUT_OF_SCOPE = 0.90
# Independent writers' development sets: floors from v13's figures (top-1 / confident wrong:
# dev_writer_a 90.7% / 0.4%, dev_writer_b 89.7% / 0.6%, dev_writer_c 80.8% / 1.1%, dev_writer_d 82.9% /
# 1.7%, dev_writer_e 80.8% / 2.1%; writers C-E wrote in heavier slang, typos and indirect questions,
# and most of their misses are "unsure" with the right entry among the three offered). Regression
# guards, like the top-1 floors: the 2% target itself is held on the held-out batches.
WRITER_TOP1_FLOORS = {
    "dev_writer_a": 0.90, "dev_writer_b": 0.89, "dev_writer_c": 0.80, "dev_writer_d": 0.82, "dev_writer_e": 0.80,
}
WRITER_MAX_WRONG = {
    "dev_writer_a": 0.01, "dev_writer_b": 0.01, "dev_writer_c": 0.015, "dev_writer_d": 0.02, "dev_writer_e": 0.025,
}


@pytest.fixture(scope="module")
def figures(matcher):
    found = {path.stem: evaluate(matcher, load(path), path.stem) for path in [DEV_SET, *WRITER_SETS, *HELDOUT_SETS]}
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
    assert result.checkin_rate >= MIN_CHECKINS, report
    assert result.out_of_scope_rate >= MIN_OUT_OF_SCOPE, report


def test_development_set_referrals_and_check_ins(figures, matcher):
    """What the detectors were written for holds on dev: every out-of-scope question referred, no
    FAQ question referred (many sit near a referral class), every check-in read, none invented."""
    dev = figures["dev"]
    assert dev.out_of_scope_rate == 1.0 and dev.checkin_rate == 1.0 and dev.false_checkins == 0, dev.report()
    faq_questions = [str(m) for group in load(DEV_SET)["faq"].values() for m in group]
    assert [m for m in faq_questions if matcher.match(m).kind == "referral"] == []


@pytest.mark.parametrize("name", [path.stem for path in WRITER_SETS])
def test_writer_development_sets_do_not_regress(figures, name):
    """Another hand than the examples': calibrated on, so a floor, not a target."""
    result = figures[name]
    assert result.top1_rate >= WRITER_TOP1_FLOORS[name], result.report()
    assert result.confident_wrong_rate <= WRITER_MAX_WRONG[name], result.report()


def test_no_regression_on_the_batches_seen_before(figures):
    """Floors for the targets not met yet, on the batches recorded in SCORES.md only: a new blind
    batch's first run is a measurement, not a regression."""
    result = figures["recorded"]
    report = result.report()
    assert result.unsure_top3_rate >= TOP3_WHEN_UNSURE_FLOOR, report
    assert result.top1_rate >= TOP1_FLOOR, report
    assert result.false_checkins <= MAX_FALSE_CHECKINS_FLOOR, result.report(with_misses=False)


def test_heldout_top1_target(figures):
    assert figures["heldout"].top1_rate >= TOP1_TARGET, figures["heldout"].report()


def test_heldout_top3_when_unsure_target(figures):
    assert figures["heldout"].unsure_top3_rate >= MIN_TOP3_WHEN_UNSURE, figures["heldout"].report()


@pytest.mark.xfail(reason="one message of batch 8 that is no check-in reads as one (v8; a tap on No undoes it)",
                   strict=False)
def test_heldout_no_false_check_ins(figures):
    assert figures["heldout"].false_checkins == 0, figures["heldout"].report(with_misses=False)


def test_smalltalk_messages_get_their_reply(matcher):
    misses = []
    for expected, messages in load(DEV_SET)["smalltalk"].items():
        for message in messages:
            result = matcher.match(message)
            if result.kind != "smalltalk" or result.smalltalk.id != expected:
                misses.append((message, result.kind, result.smalltalk and result.smalltalk.id))
    assert not misses
