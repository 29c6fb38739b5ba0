"""What a subscriber does with the drip: the day's message and its pain keyboard, /today, /pause,
/resume, and changing /time or /timezone, which take effect from the next delivery and never
bring today's day twice (nor lose it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.storage.models import CheckIn
from tests.test_drip_support import ONE_DAY, confirmed_day, enrol_at, program_days, settled, stored

START = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=UTC)


def days_received(user) -> list[int]:
    return [day for day, _ in program_days(user)]


async def checkins(bot, user_id: int) -> list[tuple[str, int]]:
    subscriber = await stored(bot, user_id)
    async with bot.runtime.deps.sessions() as session:
        rows = (await session.execute(select(CheckIn).where(CheckIn.subscriber_id == subscriber.id))).scalars()
        return [(str(row.local_date), row.score) for row in rows]


async def test_the_days_message_its_pain_keyboard_and_today(bot, content):
    ann = bot.user(4001, "Ann")
    day1 = await enrol_at(bot, ann, START, zone="UTC", time_text="08:00")
    task = content.day(1).task.strip().splitlines()[0]
    assert day1.text.startswith("Day 1 of 30") and task[:40] in day1.text
    assert "Today's task" in day1.text and "Today's reading" in day1.text
    assert ann.buttons(day1) == [str(n) for n in range(11)]

    await ann.press("6")  # a check-in, the same record /pain keeps
    assert "6/10" in (await ann.next_reply()).text
    assert await checkins(bot, 4001) == [("2027-01-04", 6)]
    await ann.command("/pain 4")
    await ann.next_reply()
    assert await checkins(bot, 4001) == [("2027-01-04", 4)]  # replaced: one check-in a day

    [again] = await ann.replies_after(ann.command("/today"))
    # The same material; only the personal line before the check-in prompt may differ.
    assert again.text.split("Check-in")[0] == day1.text.split("Check-in")[0] and ann.buttons(again) == ann.buttons(day1)
    bot.clock.set(utc(5, 8))
    assert await bot.sweep() == 1  # /today repeated the material; it did not move the program
    assert days_received(ann) == [1, 1, 2]
    [today] = await ann.replies_after(ann.command("/today"))
    assert today.text.startswith("Day 2 of 30")


async def test_pause_and_resume_continue_where_the_program_stopped(bot):
    bea = bot.user(4101, "Bea")
    await enrol_at(bot, bea, START, zone="UTC", time_text="08:00")
    await bot.advance(utc(5, 8) - START)
    [paused] = await bea.replies_after(bea.command("/pause"))
    assert "Paused after Day 2" in paused.text
    for day in (6, 7, 8):
        bot.clock.set(utc(day, 8))
        assert await bot.sweep() == 0
    bot.clock.set(utc(8, 10))
    welcome, day3 = await bea.replies_after(bea.command("/resume"), 2)
    assert "Day 3" in welcome.text and day3.text.startswith("Day 3 of 30")  # nothing yet today: now
    await confirmed_day(bot, 4101, 3)
    [again] = await bea.replies_after(bea.command("/resume"))
    assert "already on" in again.text
    bot.clock.set(utc(9, 8))
    assert await bot.sweep() == 1
    # Paused and resumed on a day that already had its delivery: the next day waits for tomorrow.
    await bea.replies_after(bea.command("/pause"))
    await bea.replies_after(bea.command("/resume"))
    await settled(bot)
    assert bea.unread == []
    assert await bot.advance(timedelta(hours=12)) == 0
    bot.clock.set(utc(10, 8))
    assert await bot.sweep() == 1
    assert days_received(bea) == [1, 2, 3, 4, 5]
    assert [sent.hour for _, sent in program_days(bea)[3:]] == [8, 8]


async def test_changing_the_time_takes_effect_from_the_next_delivery(bot):
    cal = bot.user(4201, "Cal")
    await enrol_at(bot, cal, START, zone="UTC", time_text="08:00")  # Day 1 at 06:00 on the 4th
    bot.clock.set(utc(5, 6))
    await cal.replies_after(cal.command("/time 07:00"))  # earlier, still ahead today
    await settled(bot)
    assert await bot.advance(timedelta(hours=1)) == 1  # Day 2 at 07:00, not 08:00
    assert await bot.advance(timedelta(hours=1)) == 0
    bot.clock.set(utc(5, 9))
    await cal.replies_after(cal.command("/time 10:00"))  # today is served: Day 3 is tomorrow's
    await settled(bot)
    bot.clock.set(utc(5, 10))
    assert await bot.sweep() == 0
    bot.clock.set(utc(6, 10))
    assert await bot.sweep() == 1
    bot.clock.set(utc(7, 9))
    done, day4 = await cal.replies_after(cal.command("/time 08:30"), 2)  # passed already today:
    assert day4.text.startswith("Day 4 of 30")  # today's day comes now rather than never
    await confirmed_day(bot, 4201, 4)
    bot.clock.set(utc(7, 10))
    assert await bot.sweep() == 0
    bot.clock.set(utc(8, 8, 30))
    assert await bot.sweep() == 1
    assert [(d, sent) for d, sent in program_days(cal)] == [
        (1, START), (2, utc(5, 7)), (3, utc(6, 10)), (4, utc(7, 9)), (5, utc(8, 8, 30)),
    ]


async def test_moving_east_across_the_date_line_never_brings_two_days_on_one_local_date(bot):
    dee = bot.user(4301, "Dee")
    await enrol_at(bot, dee, START, zone="America/New_York", time_text="08:00")
    bot.clock.set(utc(5, 13))  # 08:00 in New York on the 5th = 03:00 on the 6th in UTC+14
    assert await bot.sweep() == 1
    bot.clock.set(utc(5, 13, 30))
    await dee.replies_after(dee.command("/timezone UTC+14"), 2)
    await settled(bot)
    bot.clock.set(utc(5, 18))  # 08:00 on the 6th in UTC+14: that date already had Day 2
    assert await bot.sweep() == 0
    bot.clock.set(utc(5, 18) + ONE_DAY)
    assert await bot.sweep() == 1
    assert days_received(dee) == [1, 2, 3]
