"""Four weeks of sample check-ins, made the way a subscriber makes them: each day arrives through
the drip, the person taps a pain score under it (or types `/pain` with a note), and twice sends a
vitamin D result. The numbers are invented and only there to make the summaries and the chart
show something; they say nothing about what the program does.
"""

from __future__ import annotations

import random

SAMPLE_LAST_DAY = 28
NOTES = {1: "stiff after sitting", 10: "sore after a long drive", 19: "went for a short walk"}
LEVELS = {3: "/level 17 ng/mL", 25: "/level 31 ng/mL"}


def pain_score(day: int, rng: random.Random) -> int:
    """A slowly easing back with a bad patch around Day 10, and day-to-day noise (0-8)."""
    trend = 7.0 - 3.5 * (day - 1) / (SAMPLE_LAST_DAY - 1)
    flare = 2.0 if 9 <= day <= 11 else 0.0
    return max(0, min(8, round(trend + flare + rng.uniform(-1.0, 1.0))))


def check_in_action(day: int, rng: random.Random) -> tuple[str, str]:
    """What the subscriber does on ``day``: ("press", "pain:N") or ("send", "/pain N note")."""
    score = pain_score(day, rng)
    if day in NOTES:
        return "send", f"/pain {score} {NOTES[day]}"
    return "press", f"pain:{score}"
