"""Realistic sample data for the progress tests and for docs/progress-chart.png.

Regenerate the docs chart with:
    .venv/bin/python -m tests.progress.samples docs/progress-chart.png
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta

from bot.domain.progress import LevelPoint, PainPoint

NMOL_PER_NG = 2.496
START = date(2026, 11, 1)


def pain(start: date, *scores: int | None) -> list[PainPoint]:
    """Consecutive days from ``start``; ``None`` is a day without a check-in."""
    return [
        PainPoint(start + timedelta(days=i), s) for i, s in enumerate(scores) if s is not None
    ]


def ng(taken_on: date, value: float) -> LevelPoint:
    return LevelPoint(taken_on, value, value, "ng/mL")


def nmol(taken_on: date, value: float) -> LevelPoint:
    return LevelPoint(taken_on, value / NMOL_PER_NG, value, "nmol/L")


def realistic_history(seed: int = 7) -> tuple[list[PainPoint], list[LevelPoint]]:
    """24 days of pain drifting from 7 to 4 with noise, two missed days, two results."""
    rng = random.Random(seed)
    missing = {9, 16}
    points = []
    for day in range(1, 25):
        if day in missing:
            continue
        trend = 7 - 3 * (day - 1) / 23
        score = max(0, min(10, round(trend + rng.uniform(-1.2, 1.2))))
        points.append(PainPoint(START + timedelta(days=day - 1), score))
    levels = [ng(START + timedelta(days=1), 18), ng(START + timedelta(days=23), 31)]
    return points, levels


if __name__ == "__main__":
    from bot.services.chart import render_progress_chart

    target = sys.argv[1] if len(sys.argv) > 1 else "docs/progress-chart.png"
    with open(target, "wb") as out:
        out.write(render_progress_chart(*realistic_history()))
    print(f"wrote {target}")
