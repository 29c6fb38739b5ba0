"""The figures the matcher is judged by, for one evaluation set (development or held-out).

A set is a YAML file with ``faq`` (entry id -> messages), ``off_topic``, ``out_of_scope`` (medical
questions the article does not answer) and ``checkins`` (message -> pain score); see
heldout/batch1.yaml. Used by test_faq_eval.py and calibrate.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.checkins import parse_checkin_words
from bot.domain.matching import FaqMatcher
from tests.yaml_files import read_yaml

HERE = Path(__file__).parent
DEV_SET = HERE / "dev.yaml"
# Development sets written by independent writers (tests/matching/import_writer.py): an honest
# estimate of messages in another hand than the FAQ's examples, and calibration data.
WRITER_SETS = sorted(HERE.glob("dev_writer_*.yaml"))
# Every heldout/batch<N>.yaml, in number order (batch10 after batch9): a new batch is picked up by
# dropping its file there.
HELDOUT_SETS = sorted((HERE / "heldout").glob("batch*.yaml"), key=lambda p: int("0" + p.stem[5:]))
# The batches whose first run is recorded in SCORES.md. A batch not listed here is new: the eval
# prints it apart as its first run, and holds the floors (regressions of what was seen) to these only.
RECORDED = frozenset(f"batch{n}" for n in range(1, 15))


def load(path: Path) -> dict:
    return read_yaml(path)


@dataclass
class Figures:
    name: str
    in_scope: int = 0
    top1: int = 0
    confident_wrong: int = 0
    unsure: int = 0
    unsure_top3: int = 0
    off_topic: int = 0
    off_topic_answered: int = 0
    out_of_scope: int = 0
    out_of_scope_caught: int = 0
    checkins: int = 0
    checkins_understood: int = 0
    false_checkins: int = 0
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def share(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    @property
    def top1_rate(self) -> float:
        return self.share(self.top1, self.in_scope)

    @property
    def confident_wrong_rate(self) -> float:
        return self.share(self.confident_wrong, self.in_scope) if self.in_scope else 0.0

    @property
    def unsure_top3_rate(self) -> float:
        return self.share(self.unsure_top3, self.unsure)

    @property
    def off_topic_rate(self) -> float:
        return self.share(self.off_topic_answered, self.off_topic) if self.off_topic else 0.0

    @property
    def out_of_scope_rate(self) -> float:
        return self.share(self.out_of_scope_caught, self.out_of_scope)

    @property
    def checkin_rate(self) -> float:
        return self.share(self.checkins_understood, self.checkins)

    def report(self, with_misses: bool = True) -> str:
        lines = [
            f"== {self.name}",
            f"  top-1 accuracy           {self.top1_rate:6.1%}  ({self.top1}/{self.in_scope})",
            f"  confident wrong answers  {self.confident_wrong_rate:6.1%}  ({self.confident_wrong}/{self.in_scope})",
            f"  top-3 recall when unsure {self.unsure_top3_rate:6.1%}  ({self.unsure_top3}/{self.unsure})",
            f"  off-topic answered       {self.off_topic_rate:6.1%}  ({self.off_topic_answered}/{self.off_topic})",
            f"  out-of-scope caught      {self.out_of_scope_rate:6.1%}  ({self.out_of_scope_caught}/{self.out_of_scope})",
            f"  check-ins understood     {self.checkin_rate:6.1%}  ({self.checkins_understood}/{self.checkins}),"
            f" false check-ins {self.false_checkins}",
        ]
        if with_misses:
            lines += self.misses
        return "\n".join(lines)


def evaluate(matcher: FaqMatcher, data: dict, name: str) -> Figures:
    figures = Figures(name)
    not_checkins: list[str] = [str(m) for m in data.get("not_checkins", [])]
    for expected, messages in data.get("faq", {}).items():
        for message in map(str, messages):
            not_checkins.append(message)
            figures.in_scope += 1
            result = matcher.match(message)
            got = result.entry.id if result.entry else result.kind
            if got == expected:
                figures.top1 += 1
                continue
            if result.kind == "answer":
                figures.confident_wrong += 1
                figures.misses.append(f"  WRONG   {expected:<18} got {got:<18} {result.score:.2f} {message!r}")
            elif result.kind == "unsure":
                figures.unsure += 1
                found = expected in [entry.id for entry in result.suggestions[:3]]
                figures.unsure_top3 += found
                mark = "unsure+" if found else "UNSURE-"
                figures.misses.append(f"  {mark} {expected:<18} {result.score:.2f} {message!r}")
            else:
                figures.misses.append(f"  {result.kind:<7} {expected:<18} {message!r}")
    for message in map(str, data.get("off_topic", [])):
        not_checkins.append(message)
        figures.off_topic += 1
        result = matcher.match(message)
        if result.kind == "answer":
            figures.off_topic_answered += 1
            figures.misses.append(f"  OFFTOPIC answered {result.entry.id:<18} {result.score:.2f} {message!r}")
    for message in map(str, data.get("out_of_scope", [])):
        not_checkins.append(message)
        figures.out_of_scope += 1
        result = matcher.match(message)
        if result.kind == "referral":
            figures.out_of_scope_caught += 1
        else:
            got = result.entry.id if result.entry else result.kind
            figures.misses.append(f"  MEDICAL not referred, got {got:<18} {message!r}")
    for message, score in data.get("checkins", {}).items():
        figures.checkins += 1
        parsed = parse_checkin_words(str(message))
        if parsed is not None and parsed.score == score:
            figures.checkins_understood += 1
        else:
            figures.misses.append(f"  CHECKIN {score} not understood: {message!r} -> {parsed}")
    for message in not_checkins:
        if parse_checkin_words(message) is not None:
            figures.false_checkins += 1
            figures.misses.append(f"  FALSE CHECKIN {message!r}")
    return figures


def pooled(parts: list[Figures], name: str = "all held-out") -> Figures:
    """Several sets' counts added up: the held-out set is every held-out batch together."""
    total = Figures(name)
    for part in parts:
        for key, value in vars(part).items():
            if isinstance(value, int):
                setattr(total, key, getattr(total, key) + value)
        total.misses += part.misses
    return total
