"""The check-in prompt under each day varies with what the subscriber reported: the first
check-in, no check-in yesterday, a rising or a falling trend (unit tests of the pure rule, then
the drip end to end through the fake Bot API)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.checkin_trend import Situation, checkin_situation
from tests.test_drip_support import confirmed_day, enrol_at

D = date(2027, 1, 10)


def days_ago(*pairs: tuple[int, int]) -> list[tuple[date, int]]:
    return sorted((D - timedelta(days=ago), score) for ago, score in pairs)


@pytest.mark.parametrize(
    ("checkins", "expected"),
    [
        ([], Situation("first")),
        (days_ago((1, 4)), None),
        (days_ago((2, 4)), Situation("missed_yesterday")),
        (days_ago((0, 4)), None),  # already checked in today
        (days_ago((3, 3), (2, 5), (1, 7)), Situation("rising", 3, 7)),
        (days_ago((3, 7), (2, 6), (1, 4)), Situation("falling", 7, 4)),
        (days_ago((3, 3), (2, 5), (1, 4)), None),  # up then down: no trend
        (days_ago((3, 4), (2, 4), (1, 5)), None),  # one point: no trend
        (days_ago((12, 3), (2, 5), (1, 7)), None),  # not within a week
        (days_ago((5, 3), (4, 5), (3, 7)), Situation("rising", 3, 7)),  # a trend outranks a gap
        (days_ago((3, 4), (2, 4)), Situation("missed_yesterday")),
    ],
)
def test_which_note_fits(checkins, expected):
    assert checkin_situation(checkins, D) == expected


def test_every_note_is_in_content_and_fills_in_the_scores(content):
    notes = content.checkin_notes
    assert notes is not None
    assert "3" in notes.rising.format(first=3, last=7) and "7" in notes.falling.format(first=7, last=3)
    assert "warning signs" in notes.rising  # rising pain points to the signs


START = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


def check_in_part(message) -> str:
    return message.text.split("Check-in", 1)[1]


async def test_the_days_prompt_follows_what_was_reported(bot, content):
    notes = content.checkin_notes
    eve = bot.user(4501, "Eve")
    day1 = await enrol_at(bot, eve, START, zone="UTC", time_text="20:00")  # an evening subscriber
    assert notes.first.strip() in " ".join(check_in_part(day1).split())

    async def next_day(day: int, score: int | None):
        if score is not None:
            await eve.replies_after(eve.command(f"/pain {score}"))
        bot.clock.set(datetime(2027, 1, 3 + day, 20, 0, tzinfo=UTC))  # day N at 20:00
        await bot.sweep()
        await confirmed_day(bot, eve.id, day)
        [message] = [m for m in eve.messages if m.text and m.text.startswith(f"Day {day} of 30")]
        return " ".join(check_in_part(message).split())

    assert notes.first.strip() in await next_day(2, None)  # still no check-in at all
    day3 = await next_day(3, 3)  # checked in on day 2: nothing special
    assert all(n.split(",")[0].strip() not in day3 for n in (notes.missed_yesterday, notes.first))
    day4 = await next_day(4, None)
    assert day4.startswith(" ".join(notes.missed_yesterday.split()))
    await next_day(5, 3)
    await next_day(6, 5)
    day7 = await next_day(7, 7)
    assert day7.startswith(" ".join(notes.rising.format(first=3, last=7).split()))
