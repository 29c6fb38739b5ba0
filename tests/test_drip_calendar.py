"""The drip over whole programs: several subscribers in different zones, 30 days each, with the
clock walked through both daylight-saving changes. Every delivery's local time and count is
checked against what SPEC.md promises, computed here with zoneinfo, not with the bot's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.test_drip_support import (
    ONE_DAY,
    day_of,
    enrol_at,
    program_days,
    texts_starting,
    walk_until,
)


@dataclass
class Reader:
    user_id: int
    typed_zone: str  # as the subscriber types it
    zone: str  # an IANA zone the test computes with
    at: time  # delivery time
    exceptions: dict  # local date -> expected local wall time where DST moves it

    def expected(self, day: date) -> datetime:
        wall = self.exceptions.get(day, self.at)
        return datetime.combine(day, wall).replace(tzinfo=ZoneInfo(self.zone)).astimezone(UTC)


def assert_thirty_days(user, reader: Reader, enrolled: datetime) -> date:
    """Day 1 at enrolment, then Day 2..30 on consecutive local dates at the delivery time: one a
    day, none twice, none skipped. Returns the local date of Day 30."""
    days = program_days(user)
    assert [d for d, _ in days] == list(range(1, 31)), f"{reader.zone}: {[d for d, _ in days]}"
    assert days[0][1] == enrolled
    first_local = enrolled.astimezone(ZoneInfo(reader.zone)).date()
    for n, sent in days[1:]:
        on = first_local + timedelta(days=n - 1)
        assert sent == reader.expected(on), (
            f"{reader.zone} Day {n}: sent {sent.astimezone(ZoneInfo(reader.zone))}, "
            f"expected {reader.expected(on).astimezone(ZoneInfo(reader.zone))}"
        )
    return first_local + timedelta(days=29)


async def enrol_all(bot, readers: list[Reader], start: datetime) -> dict:
    users = {}
    for reader in readers:
        user = bot.user(reader.user_id)
        day1 = await enrol_at(bot, user, start, zone=reader.typed_zone, time_text=f"{reader.at:%H:%M}")
        assert day1.text.startswith("Day 1 of 30")
        users[reader.user_id] = user
    return users


async def test_thirty_days_through_spring_forward(bot):
    start = datetime(2027, 3, 10, 6, 0, tzinfo=UTC)
    readers = [
        Reader(2001, "Europe/Berlin", "Europe/Berlin", time(8, 0), {}),  # DST on 28 March
        # New York's DST starts on 14 March, and 02:30 does not exist that day: delivered when
        # the clock jumps to 03:00.
        Reader(2002, "America/New_York", "America/New_York", time(2, 30), {date(2027, 3, 14): time(3, 0)}),
        Reader(2003, "Asia/Kolkata", "Asia/Kolkata", time(12, 30), {}),  # half-hour offset
        Reader(2004, "UTC+14", "Etc/GMT-14", time(21, 0), {}),  # typed as an offset
    ]
    users = await enrol_all(bot, readers, start)
    berlin = users[2001]

    async def check_in():
        # Berlin answers with the keyboard under the day: 7 at the start, 3 at the end.
        new_days = [day_of(m) for m in berlin.unread if day_of(m)]
        berlin.mark_read()
        if new_days and (new_days[-1] <= 2 or new_days[-1] >= 29):
            score = "7" if new_days[-1] <= 7 else "3"
            await berlin.press(score)
            assert f"{score}/10" in (await berlin.next_reply()).text

    berlin.mark_read()
    await berlin.press("7")  # Day 1
    await berlin.replies(1)
    await walk_until(bot, start + timedelta(days=40), on_sweep=check_in)

    for reader in readers:
        user = users[reader.user_id]
        last = assert_thirty_days(user, reader, start)
        completion = texts_starting(user, "You have completed all 30 days")
        assert len(completion) == 1
        # The completion message comes the next morning, so Day 30's check-in is in the summary.
        assert datetime.fromtimestamp(completion[0].date, UTC) == reader.expected(last + ONE_DAY)
    assert "Average pain: 7" in texts_starting(berlin, "You have completed")[0].text
    assert "→ 3" in texts_starting(berlin, "You have completed")[0].text


async def test_thirty_days_through_fall_back_then_the_retest_reminder(bot):
    start = datetime(2027, 10, 20, 6, 0, tzinfo=UTC)
    readers = [
        Reader(2101, "Europe/Berlin", "Europe/Berlin", time(8, 0), {}),  # DST ends 31 October
        # 01:30 happens twice in New York on 7 November: delivered once, at the first.
        Reader(2102, "America/New_York", "America/New_York", time(1, 30), {}),
    ]
    users = await enrol_all(bot, readers, start)
    new_york = users[2102]
    await new_york.command("/level 18 ng/mL")  # the first result: the retest is due 8 weeks later
    assert "18" in (await new_york.next_reply()).text
    await walk_until(bot, start + timedelta(weeks=10))

    first_result_on = start.astimezone(ZoneInfo("America/New_York")).date()
    for reader in readers:
        user = users[reader.user_id]
        last = assert_thirty_days(user, reader, start)
        [completion] = texts_starting(user, "You have completed all 30 days")
        assert datetime.fromtimestamp(completion.date, UTC) == reader.expected(last + ONE_DAY)
    [reminder] = texts_starting(new_york, "A word about retesting")
    assert datetime.fromtimestamp(reminder.date, UTC) == readers[1].expected(first_result_on + timedelta(weeks=8))
    assert texts_starting(users[2101], "A word about retesting") == []  # no result, nothing to retest
