"""What goes on the one-page report for a clinician, as plain data: the name the subscriber chose,
weekly pain rows anchored at the program's start, and how long lists are cut to fit one page.

Pure logic; the PDF layout lives in ``bot/services/report_pdf.py``."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from bot.domain.parsing import ParseError
from bot.domain.progress import PainPoint, round1

MAX_NAME = 64
T = TypeVar("T")

NAME_HELP = "Put the name you want on the report after the command, e.g. /report Jane Doe."


def parse_report_name(text: str) -> str | None | ParseError:
    """The name typed after /report: None when nothing was typed (use the default), else the
    name with its spacing tidied. Refuses control characters, names without a letter and names
    longer than a line on the page."""
    name = " ".join(text.split())
    if not name:
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return ParseError(f"That name has characters I can't print. {NAME_HELP}")
    if len(name) > MAX_NAME:
        return ParseError(f"That name is too long for the report (at most {MAX_NAME} characters). {NAME_HELP}")
    if not any(ch.isalpha() for ch in name):
        return ParseError(f"A name needs at least one letter. {NAME_HELP}")
    return name


@dataclass(frozen=True)
class WeekRow:
    number: int  # week 1 starts on the program's first day
    start: date
    end: date
    average: float | None  # one decimal; None without check-ins that week
    checkins: int


def weekly_rows(points: Sequence[PainPoint], start: date, until: date) -> list[WeekRow]:
    """Week by week from ``start`` (or the first check-in, if earlier) to ``until`` (or the last
    check-in, if later): every week is listed, those without check-ins too, so gaps show."""
    if not points:
        return []
    first = min(start, min(p.day for p in points))
    last = max(until, max(p.day for p in points))
    rows = []
    week_start, number = first, 1
    while week_start <= last:
        week_end = week_start + timedelta(days=6)
        scores = [p.score for p in points if week_start <= p.day <= week_end]
        average = round1(sum(scores) / len(scores)) if scores else None
        rows.append(WeekRow(number, week_start, week_end, average, len(scores)))
        week_start, number = week_end + timedelta(days=1), number + 1
    return rows


def keep_first_and_last(rows: Sequence[T], limit: int) -> tuple[list[T], list[T], int]:
    """For a long table: the first row (the baseline), the latest ``limit - 1`` rows, and how many
    were left out between them."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if len(rows) <= limit:
        return list(rows), [], 0
    return [rows[0]], list(rows[len(rows) - limit + 1 :]), len(rows) - limit


def newest(rows: Sequence[T], limit: int) -> tuple[list[T], int]:
    """The newest ``limit`` of rows given oldest first, newest first; and how many were left out."""
    kept = list(reversed(rows))[: max(limit, 0)]
    return kept, len(rows) - len(kept)


def more_text(count: int, what: str) -> str:
    return f"… and {count} more {what}" if count else ""
