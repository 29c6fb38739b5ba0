"""What a subscriber's recent check-ins say, for the line before a day's check-in prompt.

Pure: given the check-ins (local date and score, oldest first) and today's local date, say which
of the content's ``checkin_notes`` fits: the first check-in ever, none yesterday, a rising or a
falling trend, or nothing in particular (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

TREND_CHECKINS = 3  # the last three check-ins ...
TREND_WITHIN_DAYS = 7  # ... within a week ...
TREND_MIN_CHANGE = 2  # ... that moved one way by two points or more make a trend


@dataclass(frozen=True)
class Situation:
    kind: Literal["first", "missed_yesterday", "rising", "falling"]
    first: int | None = None  # the trend's first and last scores
    last: int | None = None


def checkin_situation(checkins: Sequence[tuple[date, int]], today: date) -> Situation | None:
    if not checkins:
        return Situation("first")
    dates = [day for day, _ in checkins]
    if today in dates:
        return None  # already checked in today: nothing to prompt about
    earlier = [(day, score) for day, score in checkins if day < today]
    if not earlier:
        return None
    recent = [(d, s) for d, s in earlier[-TREND_CHECKINS:] if d >= today - timedelta(days=TREND_WITHIN_DAYS)]
    if len(recent) == TREND_CHECKINS:
        scores = [s for _, s in recent]
        steps = [b - a for a, b in zip(scores, scores[1:])]
        if all(step >= 0 for step in steps) and scores[-1] - scores[0] >= TREND_MIN_CHANGE:
            return Situation("rising", scores[0], scores[-1])
        if all(step <= 0 for step in steps) and scores[0] - scores[-1] >= TREND_MIN_CHANGE:
            return Situation("falling", scores[0], scores[-1])
    if earlier[-1][0] < today - timedelta(days=1):
        return Situation("missed_yesterday")
    return None
