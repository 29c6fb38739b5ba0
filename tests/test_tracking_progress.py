"""Progress end to end: the severe-pain suggestion, /history paging, the /progress chart and
summary, and the weekly and completion summaries that share its numbers."""

from __future__ import annotations

import struct
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from matplotlib import dates as mdates

from bot.services.chart import build_figure, chart_series
from bot.services.progress_data import load_points
from bot.storage.repositories import Subscribers
from tests.e2e import eventually

START = date(2027, 1, 4)  # the fake clock's first day; subscribers here are on UTC


def one_decimal(value: float) -> str:
    """As people round on paper: 5.25 -> 5.3."""
    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def checkin(user, text: str):
    [answer] = await user.replies_after(user.command(f"/pain {text}"))
    return answer


async def test_three_severe_checkins_in_a_row_suggest_a_clinician(bot, content):
    user = bot.user(4001, "Ivy")
    await bot.enrol(user)
    user.mark_read()
    note = " ".join(content.safety.severe_pain_reply.replace("**", "").split())
    # (score typed, days to move on first): one check-in per local day counts.
    steps = [
        ("9", 0), ("9", 1), ("3 a bit better tonight", 0),  # today's 9 becomes a 3: no streak
        ("10", 1), ("9", 1),  # two in a row: not yet
        ("10 can't sleep", 1),  # the third in a row
        ("10", 0),  # correcting today's 10 to a 10 does not say it again
        ("8", 1),
    ]
    start = len(user.messages)
    for text, days in steps:
        bot.clock.advance(timedelta(days=days))
        sent = len(user.messages)
        await user.command(f"/pain {text}")

        async def answered(sent=sent):
            return any(m.text.startswith(("Thanks!", "Updated:")) for m in user.messages[sent:])

        assert await eventually(answered)
    user.mark_read()
    await user.no_reply(0.2)
    # Updates of one chat are handled in order, so the note sits right after the reply it follows.
    texts = [m.text for m in user.messages[start:]]
    assert len(texts) == len(steps) + 1
    assert texts.count(note) == 1
    assert "10/10" in texts[texts.index(note) - 1] and texts.index(note) == 6
    assert "replaces your earlier check-in today (9/10)" in texts[2]
    severe = user.messages[start + 6]
    assert "clinician" in note and [e["type"] for e in severe.entities] == ["bold"]  # **...** renders


async def test_history_is_paged_newest_first_after_a_helpful_empty_state(bot):
    user = bot.user(4002, "Jon")
    [answer] = await user.replies_after(user.command("/progress"))
    assert "/start" in answer.text  # not enrolled
    await bot.enrol(user)
    for command in ("/progress", "/history"):
        [answer] = await user.replies_after(user.command(command))
        assert answer.kind == "text" and "Nothing to show yet" in answer.text
        assert "/pain 6" in answer.text and "/level 24" in answer.text
    for n in range(12):
        await checkin(user, f"{n % 11} note {n}" if n == 11 else str(n % 11))
        bot.clock.advance(timedelta(days=1))
    [_] = await user.replies_after(user.command("/level 30 nmol/L 2026-12-20"))
    [page1] = await user.replies_after(user.command("/history"))
    lines = page1.text.splitlines()
    assert lines[0] == "Your check-ins (newest first, page 1 of 2)"
    assert lines[1] == "• 15 Jan 2027: 0/10 — note 11"  # 12th check-in, 11 % 11 == 0
    assert lines[10] == "• 6 Jan 2027: 2/10"
    assert "• 20 Dec 2026: 30 nmol/L (12.0 ng/mL)" in lines
    assert user.buttons(page1) == ["Older ›"]
    [page2] = await user.replies_after(user.press("Older ›"))
    assert page2.text.splitlines() == [
        "Your check-ins (newest first, page 2 of 2)", "• 5 Jan 2027: 1/10", "• 4 Jan 2027: 0/10",
    ]
    assert user.buttons(page2) == ["‹ Newer"]


async def test_progress_chart_plots_exactly_what_was_stored(bot):
    user = bot.user(4004, "Lea")
    await bot.enrol(user)
    scores = [7, 6, 8, 5, 6, 4, 5, 3, 4, 3]
    entered: dict[date, int] = {}
    for offset, score in enumerate(scores):
        if offset == 4:
            await checkin(user, "9")  # replaced below: only the day's last check-in counts
        await checkin(user, str(score))
        entered[START + timedelta(days=offset)] = score
        if offset == 2:
            await user.replies_after(user.command("/level 50 nmol/L"))
        bot.clock.advance(timedelta(days=1))
    await user.replies_after(user.command("/level 32 ng/mL"))
    await user.replies_after(user.command("/level 14 ng/mL 2026-12-28"))  # before the first check-in
    levels = {date(2026, 12, 28): 14.0, START + timedelta(days=2): round(50 / 2.496, 3), START + timedelta(days=10): 32.0}

    [photo] = await user.replies_after(user.command("/progress"))
    assert photo.kind == "photo"
    assert png_size(photo.photo_bytes) == (1200, 800)
    with open("/tmp/progress-chart.png", "wb") as file:  # to look at by eye when it changes
        file.write(photo.photo_bytes)

    # The summary is the caption, under the chart; numbers from what was entered.
    first_week = [entered[START + timedelta(days=d)] for d in range(7)]
    latest_week = [entered[d] for d in entered if d > max(entered) - timedelta(days=7)]
    first_avg, latest_avg = sum(first_week) / 7, sum(latest_week) / len(latest_week)
    caption = photo.caption.splitlines()
    assert caption[0] == "Your progress"
    change = Decimal(one_decimal(latest_avg)) - Decimal(one_decimal(first_avg))
    assert caption[1] == (
        f"Average pain: {one_decimal(first_avg)} in your first week → {one_decimal(latest_avg)} in "
        f"the latest week (down {abs(change)})."
    )
    assert "Vitamin D: 14 ng/mL on 28 Dec 2026 → 32 ng/mL on 14 Jan (3 results)." in caption

    # The plotted series is the stored data: dates, scores, the 7-day average and results in ng/mL.
    async with bot.runtime.deps.sessions() as session:
        subscriber = await Subscribers(session).by_user(user.id)
        points = await load_points(session, subscriber.id)
    series = chart_series(*points)
    assert series.pain_dates == sorted(entered) and series.pain_scores == [entered[d] for d in sorted(entered)]
    expected_average = [
        sum(s for d, s in entered.items() if day - timedelta(days=6) <= d <= day)
        / len([d for d in entered if day - timedelta(days=6) <= d <= day])
        for day in sorted(entered)
    ]
    assert series.average_values == expected_average
    assert series.level_dates == sorted(levels)
    assert series.level_values == [levels[d] for d in sorted(levels)]
    figure = build_figure(series)
    pain_axis, level_axis = figure.axes
    dots, average = pain_axis.lines
    assert list(dots.get_xdata()) == list(mdates.date2num(sorted(entered)))
    assert list(dots.get_ydata()) == scores
    assert list(average.get_ydata()) == expected_average
    assert list(level_axis.lines[0].get_ydata()) == [levels[d] for d in sorted(levels)]


async def test_weekly_and_completion_summaries_use_the_progress_numbers(bot):
    user = bot.user(4005, "Max")
    await bot.enrol(user)
    await bot.advance(timedelta(hours=3))  # 09:00: today's message is out, tomorrow's at 08:00
    scores: dict[date, int] = {}
    days = {}
    for day_number in range(1, 31):
        today = START + timedelta(days=day_number - 1)
        if day_number > 1:
            await bot.advance(timedelta(days=1))
            message = await user.next_reply()
            assert message.text.startswith(f"Day {day_number} of 30")
            days[day_number] = message
        scores[today] = 8 - day_number // 5  # 8 falling to 2
        await checkin(user, str(scores[today]))
        user.mark_read()

    def average(first: date, last: date) -> tuple[float, int]:
        window = [s for d, s in scores.items() if first <= d <= last]
        return sum(window) / len(window), len(window)

    # Day 7: this week so far (its own check-in comes after the message).
    week1, n1 = average(START, START + timedelta(days=5))
    assert "Week 1 in numbers" in days[7].text
    assert f"This week: average pain {one_decimal(week1)} from {n1} check-ins." in days[7].text
    # Day 14: the 7 days ending today against the first week.
    first, first_n = average(START, START + timedelta(days=6))
    latest, latest_n = average(START + timedelta(days=7), START + timedelta(days=12))
    change = Decimal(one_decimal(latest)) - Decimal(one_decimal(first))
    assert (
        f"This week: average pain {one_decimal(latest)} from {latest_n} check-ins; first week: "
        f"{one_decimal(first)} from {first_n} check-ins (down {abs(change)})."
    ) in days[14].text
    for day_number, week in ((21, 3), (28, 4)):
        assert f"Week {week} in numbers" in days[day_number].text

    # After Day 30: the completion summary, first week against the last week of check-ins.
    await bot.advance(timedelta(days=1))
    [completion] = await user.replies(1)
    last, _last_n = average(START + timedelta(days=23), START + timedelta(days=29))
    change = Decimal(one_decimal(last)) - Decimal(one_decimal(first))
    assert "Your 30 days in numbers" in completion.text
    assert "/report makes a one-page PDF" in completion.text
    assert (
        f"Average pain: {one_decimal(first)} in your first week → {one_decimal(last)} in your last "
        f"week (down {abs(change)})."
    ) in completion.text
    # /progress says the same about the same data.
    [photo] = await user.replies_after(user.command("/progress"))
    assert f"{one_decimal(first)} in your first week → {one_decimal(last)} in the latest week" in photo.caption

    async def completed():
        async with bot.runtime.deps.sessions() as session:
            return (await Subscribers(session).by_user(user.id)).status == "completed"

    assert await eventually(completed)
