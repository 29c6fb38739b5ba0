"""The matcher against the evaluation set: real content, messages the way people type them.

Run with ``-s`` to see the report (accuracy, false-answer rate, every miss); it is also printed
when the test fails.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.domain.matching import FaqMatcher

EVAL_FILE = Path(__file__).with_name("eval_messages.yaml")
MIN_ACCURACY = 0.90
MAX_FALSE_ANSWERS = 0.05


def load_eval() -> dict:
    return yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))


def test_eval_set_is_big_and_varied_enough(faq):
    data = load_eval()
    faq_messages = [m for messages in data["faq"].values() for m in messages]
    assert len(faq_messages) >= 80
    assert len(data["off_topic"]) >= 20
    assert set(data["faq"]) == {entry.id for entry in faq}, "every FAQ entry needs paraphrases"
    assert all(len(messages) >= 3 for messages in data["faq"].values())
    assert len(set(faq_messages)) == len(faq_messages), "duplicate eval messages"
    questions = {entry.question.lower().rstrip("?") for entry in faq}
    assert not [m for m in faq_messages if m.lower().rstrip("?") in questions], "copied FAQ wording"


def test_top1_accuracy_and_false_answer_rate(matcher: FaqMatcher):
    data = load_eval()
    lines, hits, total = [], 0, 0
    for expected, messages in data["faq"].items():
        for message in messages:
            total += 1
            result = matcher.match(message)
            got = result.entry.id if result.entry else result.kind
            if got == expected:
                hits += 1
            else:
                lines.append(f"  miss  {expected:<18} got {got:<18} {result.score:.2f} {message!r}")
    false_answers = []
    for message in data["off_topic"]:
        result = matcher.match(message)
        if result.kind == "answer":
            false_answers.append(f"  FALSE {result.entry.id:<18} {result.score:.2f}  {message!r}")
    accuracy = hits / total
    false_rate = len(false_answers) / len(data["off_topic"])
    report = "\n".join(
        [
            f"FAQ top-1 accuracy: {accuracy:.1%} ({hits}/{total}), minimum {MIN_ACCURACY:.0%}",
            f"off-topic answered: {false_rate:.1%} ({len(false_answers)}/{len(data['off_topic'])}),"
            f" maximum {MAX_FALSE_ANSWERS:.0%}",
            *lines,
            *false_answers,
        ]
    )
    print("\n" + report)
    assert accuracy >= MIN_ACCURACY, report
    assert false_rate <= MAX_FALSE_ANSWERS, report


def test_smalltalk_messages_get_their_reply(matcher: FaqMatcher):
    misses = []
    for expected, messages in load_eval()["smalltalk"].items():
        for message in messages:
            result = matcher.match(message)
            if result.kind != "smalltalk" or result.smalltalk.id != expected:
                misses.append((message, result.kind, result.smalltalk and result.smalltalk.id))
    assert not misses
