"""The report's pure rules: the name a subscriber types, weekly rows, and cutting long lists."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.parsing import ParseError
from bot.domain.progress import PainPoint
from bot.domain.report import MAX_NAME, keep_first_and_last, more_text, newest, parse_report_name, weekly_rows
from bot.services.report import plain_text


@pytest.mark.parametrize("typed, name", [
    ("", None),
    ("   ", None),
    ("Jane D.", "Jane D."),
    ("  Jane    Doe ", "Jane Doe"),
    ("Zoë Łukasiewicz", "Zoë Łukasiewicz"),
    ("Анна Петрова", "Анна Петрова"),
    ("李小龙", "李小龙"),
    ("J" * MAX_NAME, "J" * MAX_NAME),
])
def test_names_accepted(typed, name):
    assert parse_report_name(typed) == name


@pytest.mark.parametrize("typed, says", [
    ("J" * (MAX_NAME + 1), "too long"),
    ("12345", "at least one letter"),
    ("-- !!", "at least one letter"),
    ("Jane\u200bDoe", "can't print"),  # a format character: invisible on paper
    ("Jane\x07", "can't print"),
])
def test_names_refused(typed, says):
    refused = parse_report_name(typed)
    assert isinstance(refused, ParseError) and says in refused.message
    assert "/report Jane Doe" in refused.message


def points(start: date, scores: dict[int, int]) -> list[PainPoint]:
    return [PainPoint(start + timedelta(days=offset), score) for offset, score in scores.items()]


def test_weeks_start_at_the_program_and_show_gaps():
    start = date(2027, 1, 4)
    rows = weekly_rows(points(start, {0: 6, 1: 5, 6: 4, 15: 2, 16: 3}), start, start)
    assert [(r.number, r.start, r.end, r.average, r.checkins) for r in rows] == [
        (1, start, start + timedelta(days=6), 5.0, 3),
        (2, start + timedelta(days=7), start + timedelta(days=13), None, 0),
        (3, start + timedelta(days=14), start + timedelta(days=20), 2.5, 2),
    ]


def test_a_checkin_before_the_program_opens_the_first_week():
    start = date(2027, 1, 4)
    rows = weekly_rows(points(start, {-2: 7, 3: 5}), start, start)
    assert rows[0].start == start - timedelta(days=2) and rows[0].checkins == 2 and rows[0].average == 6.0


def test_weekly_average_rounds_half_up():
    start = date(2027, 1, 4)
    # 4.25 and 4.35 would round down with Python's round()/float formatting
    [row] = weekly_rows(points(start, {0: 4, 1: 4, 2: 4, 3: 5}), start, start)
    assert row.average == 4.3


def test_no_checkins_no_weeks():
    assert weekly_rows([], date(2027, 1, 4), date(2027, 1, 4)) == []


def test_long_tables_keep_the_baseline_and_the_latest():
    rows = list(range(1, 21))
    assert keep_first_and_last(rows, 5) == ([1], [17, 18, 19, 20], 15)
    assert keep_first_and_last(rows[:5], 5) == ([1, 2, 3, 4, 5], [], 0)
    with pytest.raises(ValueError):
        keep_first_and_last(rows, 1)


def test_newest_first_and_what_was_left_out():
    assert newest([1, 2, 3, 4], 2) == ([4, 3], 2)
    assert newest([1, 2], 5) == ([2, 1], 0)
    assert newest([1, 2], -1) == ([], 2)
    assert more_text(3, "notes") == "… and 3 more notes" and more_text(0, "notes") == ""


def test_plain_text_drops_markdown_emphasis_only():
    assert plain_text("**Disclaimer:** This is _for_ learning,\n  snake_case stays.") == (
        "Disclaimer: This is for learning, snake_case stays."
    )
