"""A subscriber's progress in numbers and words: pain averages, vitamin D results, retest window.

Pure logic over plain data (no I/O, no plotting). ``/progress``, the Day 7/14/21/28 weekly
summaries and the completion summary all go through ``summarize`` and the same line builders,
so the numbers a subscriber sees never disagree. The texts say what the numbers are, never what
they mean medically: they do not suggest that vitamin D caused any change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

WEEK_DAYS = 7
RETEST_FROM_WEEKS = 8
RETEST_UNTIL_WEEKS = 12
UNITS = ("ng/mL", "nmol/L")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

EMPTY_TEXT = (
    "Nothing to show yet. Log today's back pain with `/pain 6` (0-10) or the buttons under each "
    "day's message, and add a vitamin D blood result with `/level 24 ng/mL` or `/level 60 nmol/L`. Your chart starts there."
)
NO_PAIN_TEXT = (
    "No pain check-ins yet: send `/pain 6` (0-10) or tap a number under each day's message."
)
NO_LEVEL_TEXT = "No vitamin D result yet: add one with `/level 24 ng/mL` or `/level 60 nmol/L`."
NO_LEVEL_AT_END_TEXT = (
    "No vitamin D result recorded. The article strongly recommends testing vitamin D when back "
    "pain is chronic or unexplained, with a blood test for 25-hydroxyvitamin D. "
    "Add your result with `/level 24 ng/mL` or `/level 60 nmol/L` whenever you have one."
)


@dataclass(frozen=True)
class PainPoint:
    """One pain check-in: the subscriber's local date and a score from 0 to 10."""

    day: date
    score: int

    def __post_init__(self) -> None:
        if isinstance(self.score, bool) or not isinstance(self.score, int):
            raise ValueError(f"pain score must be an integer, got {self.score!r}")
        if not 0 <= self.score <= 10:
            raise ValueError(f"pain score must be 0-10, got {self.score}")


@dataclass(frozen=True)
class LevelPoint:
    """One 25-hydroxyvitamin D result, in ng/mL and as the subscriber gave it."""

    taken_on: date
    value_ng_ml: float
    original_value: float
    original_unit: str  # "ng/mL" or "nmol/L"

    def __post_init__(self) -> None:
        if self.original_unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {self.original_unit!r}")
        if not (self.value_ng_ml > 0 and self.original_value > 0):
            raise ValueError("a vitamin D result must be positive")


@dataclass(frozen=True)
class WeekAverage:
    """Average pain over the calendar days ``start``..``end`` (both included)."""

    start: date
    end: date
    average: float | None  # one decimal; None when no check-in falls in the window
    checkins: int


@dataclass(frozen=True)
class ProgressSummary:
    as_of: date | None  # the last day the summary covers; None when there is no data at all
    checkin_count: int
    first_checkin: PainPoint | None
    latest_checkin: PainPoint | None
    first_week: WeekAverage | None  # 7 days starting at the first check-in
    latest_week: WeekAverage | None  # 7 days ending at ``as_of`` (default: the latest check-in)
    weeks_overlap: bool  # the two windows share at least one day
    change: float | None  # latest - first week average; None until the windows differ
    first_level: LevelPoint | None
    latest_level: LevelPoint | None
    level_count: int
    retest_from: date | None  # 8 weeks after the first result
    retest_until: date | None  # 12 weeks after the first result

    @property
    def is_empty(self) -> bool:
        return self.checkin_count == 0 and self.level_count == 0

    @property
    def weeks_identical(self) -> bool:
        """Fewer than 8 days of history: both windows hold the same check-ins, so no trend."""
        return (
            self.first_week is not None
            and self.latest_week is not None
            and self.latest_week.start <= self.first_week.start
        )


def round1(value: float) -> float:
    """Round half up to one decimal, as people do on paper (Python's round() does not)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def daily_series(points: Iterable[PainPoint]) -> list[PainPoint]:
    """Check-ins sorted by date. Refuses two check-ins on one date: the caller keeps one a day."""
    ordered = sorted(points, key=lambda p: p.day)
    for before, after in zip(ordered, ordered[1:]):
        if before.day == after.day:
            raise ValueError(f"two pain check-ins on {before.day.isoformat()}")
    return ordered


def rolling_average(
    points: Iterable[PainPoint], window_days: int = WEEK_DAYS
) -> list[tuple[date, float]]:
    """For each check-in date, the mean of the check-ins in the ``window_days`` ending on it.

    Missing days are left out of the mean, not counted as zeros. Values are not rounded: this
    feeds the chart; texts round when they show a number.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    series = daily_series(points)
    result = []
    for index, point in enumerate(series):
        window_start = point.day - timedelta(days=window_days - 1)
        scores = [p.score for p in series[: index + 1] if p.day >= window_start]
        result.append((point.day, sum(scores) / len(scores)))
    return result


def _week(series: Sequence[PainPoint], start: date) -> WeekAverage:
    end = start + timedelta(days=WEEK_DAYS - 1)
    scores = [p.score for p in series if start <= p.day <= end]
    average = round1(sum(scores) / len(scores)) if scores else None
    return WeekAverage(start=start, end=end, average=average, checkins=len(scores))


def summarize(
    pain_points: Iterable[PainPoint],
    level_points: Iterable[LevelPoint],
    *,
    as_of: date | None = None,
) -> ProgressSummary:
    """The numbers behind every progress text.

    ``as_of`` ends the latest week on that date (the weekly messages pass today) and ignores
    anything dated after it; by default the latest week ends at the latest check-in.
    """
    series = daily_series(pain_points)
    levels = sorted(level_points, key=lambda level: level.taken_on)
    week_end = as_of
    if as_of is not None:
        series = [p for p in series if p.day <= as_of]
        levels = [level for level in levels if level.taken_on <= as_of]
    else:
        dates = [p.day for p in series] + [level.taken_on for level in levels]
        as_of = max(dates, default=None)

    first_week = latest_week = change = None
    overlap = False
    if series:
        week_end = week_end or series[-1].day
        first_week = _week(series, series[0].day)
        latest_week = _week(series, week_end - timedelta(days=WEEK_DAYS - 1))
        overlap = latest_week.start <= first_week.end
        if latest_week.start > first_week.start and latest_week.average is not None:
            assert first_week.average is not None  # it always holds the first check-in
            change = round1(latest_week.average - first_week.average)

    first_level = levels[0] if levels else None
    return ProgressSummary(
        as_of=as_of,
        checkin_count=len(series),
        first_checkin=series[0] if series else None,
        latest_checkin=series[-1] if series else None,
        first_week=first_week,
        latest_week=latest_week,
        weeks_overlap=overlap,
        change=change,
        first_level=first_level,
        latest_level=levels[-1] if levels else None,
        level_count=len(levels),
        retest_from=_weeks_after(first_level, RETEST_FROM_WEEKS),
        retest_until=_weeks_after(first_level, RETEST_UNTIL_WEEKS),
    )


def _weeks_after(level: LevelPoint | None, weeks: int) -> date | None:
    return level.taken_on + timedelta(weeks=weeks) if level else None


# ---- words -------------------------------------------------------------------------------


def format_day(day: date, *, reference_year: int | None = None) -> str:
    """'2 Nov'; with the year ('2 Nov 2025') when it differs from ``reference_year``."""
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    if reference_year is not None and day.year != reference_year:
        text += f" {day.year}"
    return text


def _average(value: float) -> str:
    return f"{round1(value):.1f}"


def _value(value: float) -> str:
    text = f"{round1(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def _change(change: float) -> str:
    if change < 0:
        return f"down {_average(-change)}"
    if change > 0:
        return f"up {_average(change)}"
    return "no change"


def _level(level: LevelPoint) -> str:
    text = f"{_value(level.original_value)} {level.original_unit}"
    if level.original_unit != "ng/mL":
        text += f" ({_value(level.value_ng_ml)} ng/mL)"
    return text


def _checkins(count: int) -> str:
    return "1 check-in" if count == 1 else f"{count} check-ins"


def _pain_lines(summary: ProgressSummary, latest_label: str) -> list[str]:
    first, latest = summary.first_week, summary.latest_week
    if summary.checkin_count == 0 or first is None or latest is None:
        return [NO_PAIN_TEXT]
    day = _day_formatter(summary)
    if summary.checkin_count == 1:
        point = summary.first_checkin
        assert point is not None
        return [
            f"One check-in so far: pain {point.score} on {day(point.day)}. "
            "Check in again tomorrow to start a trend."
        ]
    assert first.average is not None
    if summary.change is None:
        return [
            f"Average pain: {_average(first.average)} over {_checkins(summary.checkin_count)} "
            f"since {day(first.start)}.",
            "Comparing your first week with a later one needs more than 7 days of check-ins.",
        ]
    assert latest.average is not None
    lines = [
        f"Average pain: {_average(first.average)} in your first week → "
        f"{_average(latest.average)} in {latest_label} ({_change(summary.change)}).",
        f"Check-ins: {summary.checkin_count} since {day(first.start)}.",
    ]
    if summary.weeks_overlap:
        lines.append("These two weeks share some days, so the difference is only a first look.")
    return lines


def _level_lines(summary: ProgressSummary, *, at_end: bool = False) -> list[str]:
    first, latest = summary.first_level, summary.latest_level
    if first is None or latest is None:
        return [NO_LEVEL_AT_END_TEXT if at_end else NO_LEVEL_TEXT]
    day = _day_formatter(summary)
    if summary.level_count == 1:
        lines = [f"Vitamin D: {_level(first)} on {day(first.taken_on)}."]
    else:
        count = f" ({summary.level_count} results)" if summary.level_count > 2 else ""
        lines = [
            f"Vitamin D: {_level(first)} on {day(first.taken_on)} → "
            f"{_level(latest)} on {day(latest.taken_on)}{count}."
        ]
    return lines + _retest_lines(summary)


def _retest_lines(summary: ProgressSummary) -> list[str]:
    # The article gives no retest timeline (SPEC.md, Health safety): the clinician decides when.
    if summary.retest_from is None or summary.retest_until is None:
        return []
    return ['Retesting: ask your clinician when to retest. The article says "Monitoring ensures safety and effectiveness."']


def _day_formatter(summary: ProgressSummary):
    year = summary.as_of.year if summary.as_of else None
    return lambda day: format_day(day, reference_year=year)


def summary_markdown(summary: ProgressSummary, *, title: str | None = None) -> str:
    """The short text under the ``/progress`` chart (Markdown), or the empty state."""
    lines = [f"**{title}**"] if title else []
    if summary.is_empty:
        return "\n".join(lines + [EMPTY_TEXT])
    lines += _pain_lines(summary, "the latest week")
    lines += _level_lines(summary)
    return "\n".join(lines)


def weekly_summary_markdown(
    pain_points: Sequence[PainPoint],
    level_points: Sequence[LevelPoint],
    *,
    week: int,
    today: date,
) -> str:
    """The summary in the Day 7/14/21/28 messages: the 7 days ending today vs the first week."""
    if week < 1:
        raise ValueError("week must be at least 1")
    summary = summarize(pain_points, level_points, as_of=today)
    lines = [f"**Week {week} in numbers**"]
    latest, first = summary.latest_week, summary.first_week
    if latest is None or first is None or latest.average is None:
        lines.append(
            "No check-ins in the last 7 days, and that is okay. Tap a number under today's "
            "message or send `/pain 6`: a few check-ins a week are enough to follow your trend."
        )
    elif summary.change is None:
        lines.append(
            f"This week: average pain {_average(latest.average)} from {_checkins(latest.checkins)}."
        )
    else:
        assert first.average is not None
        lines.append(
            f"This week: average pain {_average(latest.average)} from "
            f"{_checkins(latest.checkins)}; first week: {_average(first.average)} from "
            f"{_checkins(first.checkins)} ({_change(summary.change)})."
        )
        if summary.weeks_overlap:
            lines.append("These two weeks share some days, so the difference is only a first look.")
    if summary.level_count:
        lines += _level_lines(summary)
    return "\n".join(lines)


def completion_summary_markdown(
    pain_points: Sequence[PainPoint], level_points: Sequence[LevelPoint], program_length: int
) -> str:
    """The personal summary after the last day: pain first vs last week, results, retest window."""
    summary = summarize(pain_points, level_points)
    lines = [f"**Your {program_length} days in numbers**"]
    lines += _pain_lines(summary, "your last week")
    lines += _level_lines(summary, at_end=True)
    return "\n".join(lines)
