"""The drip when things go wrong: a crash between claim and send or between send and confirm, a
database failure at confirm time, an outage of days, a subscriber who blocks the bot, flood
control and network errors. Crashes are real: the running application is abandoned mid-send (its
sweep cancelled, the instance shut down) and a new instance takes over the same database."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.services.delivery import LEASE
from tests.e2e import eventually, running_bot
from tests.fakebot import FakeUser
from tests.test_drip_support import (
    ONE_DAY,
    confirmed_day,
    enrol_at,
    ledger,
    program_days,
    stored,
)
from tests.test_enrolment_day_one import enrolled_until_time

START = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)  # 08:00 delivery: 07:00 UTC in Berlin
DAY2 = datetime(2027, 1, 5, 7, 0, tzinfo=UTC)


def days_received(user) -> list[int]:
    return [day for day, _ in program_days(user)]


async def crash_mid_send(settings, content, clock, server, user, *, record: bool) -> None:
    """Run an instance that enrols `user`, then dies while Day 2's sendMessage hangs."""
    async with running_bot(settings, content, clock, server) as first:
        await enrol_at(first, user, START, zone="Europe/Berlin", time_text="08:00")
        clock.set(DAY2)
        server.hang_next("sendMessage", chat_id=user.id, record=record)
        sweep = asyncio.create_task(first.sweep())
        await server.wait_until_hung()
        sweep.cancel()  # the process dies here: no confirm, no error handling
        with pytest.raises(asyncio.CancelledError):
            await sweep


@pytest.mark.parametrize("reached_telegram", [False, True], ids=["before-send", "before-confirm"])
async def test_a_crash_mid_send_loses_nothing_and_repeats_at_most_once(
    server, database_url, clock, content, settings_for, reached_telegram
):
    settings = settings_for(server, database_url)
    user_id = 3001 if reached_telegram else 3002
    user = FakeUser(server, user_id, "Ida", clock=clock)
    await crash_mid_send(settings, content, clock, server, user, record=reached_telegram)
    assert days_received(user) == ([1, 2] if reached_telegram else [1])

    async with running_bot(settings, content, clock, server) as second:
        # The claim of the process that is gone was released as this one started: Day 2 goes out
        # at once, not when the lease ends.
        assert (await ledger(second, user_id))["day:2"].status == "pending"
        assert await second.sweep() == 1
        assert await second.sweep() == 0
        clock.set(DAY2 + ONE_DAY)  # and the program goes on the next morning, on time
        assert await second.sweep() == 1
        await confirmed_day(second, user_id, 3)
    # Before the send: Day 2 arrives exactly once. After it: the one duplicate a crash can cause.
    assert days_received(user) == ([1, 2, 2, 3] if reached_telegram else [1, 2, 3])


async def test_a_database_failure_at_confirm_time(bot):
    """The database fails a few times in a row as a confirm is written (a restart of a few
    seconds): the confirm keeps trying, so the day is recorded once and never sent again."""
    ida, jo = bot.user(3101, "Ida"), bot.user(3102, "Jo")
    await enrol_at(bot, ida, START, zone="Europe/Berlin", time_text="08:00")
    await enrol_at(bot, jo, START, zone="Europe/Berlin", time_text="09:00")
    failures = {"left": 0}

    def database_fails(conn, cursor, statement, parameters, context, executemany):
        if failures["left"] and statement.startswith("UPDATE deliveries") and "sent_at" in statement:
            failures["left"] -= 1
            raise ConnectionResetError("the database went away")

    engine = bot.application.bot_data.engine.sync_engine
    event.listen(engine, "before_cursor_execute", database_fails)
    try:
        failures["left"] = 1  # one blip
        clock = bot.clock
        clock.set(DAY2)
        assert await bot.sweep() == 1
        assert failures["left"] == 0 and (await stored(bot, ida.id)).program_day == 2
        failures["left"] = 6  # down for a while (the retries back off to about 3 s in total)
        assert await bot.advance(timedelta(hours=1)) == 1
        assert failures["left"] == 0 and (await ledger(bot, jo.id))["day:2"].status == "sent"
        clock.advance(LEASE)
        assert await bot.sweep() == 0  # nothing was left claimed: nothing to send again
    finally:
        event.remove(engine, "before_cursor_execute", database_fails)
    assert days_received(ida) == [1, 2] and days_received(jo) == [1, 2]
    await bot.advance(ONE_DAY)
    assert days_received(ida) == [1, 2, 3] and days_received(jo) == [1, 2, 3]


async def test_after_three_days_down_only_the_next_day_arrives(bot):
    kai = bot.user(3201, "Kai")
    await enrol_at(bot, kai, START, zone="America/New_York", time_text="07:00")
    bot.clock.set(datetime(2027, 1, 8, 15, 0, tzinfo=UTC))  # three days later, no sweep
    assert await bot.sweep() == 1
    assert await bot.sweep() == 0
    assert days_received(kai) == [1, 2]
    await bot.advance(timedelta(hours=20))  # 06:00 in New York the next day: not yet
    assert days_received(kai) == [1, 2]
    await bot.advance(timedelta(hours=1))  # 07:00 local: Day 3
    assert program_days(kai)[-1] == (3, datetime(2027, 1, 9, 12, 0, tzinfo=UTC))


async def test_a_subscriber_who_blocks_the_bot_gets_nothing_until_they_return(bot):
    lea, max_ = bot.user(3301, "Lea"), bot.user(3302, "Max")
    await enrol_at(bot, lea, START, zone="UTC", time_text="07:00")
    await enrol_at(bot, max_, START, zone="UTC", time_text="07:00")
    server = bot.server
    # Lea's block shows up as a 403 on the next send; Max's as Telegram's my_chat_member update.
    server.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=lea.id)
    max_.block_bot()
    assert await eventually(lambda: _blocked(bot, max_.id))
    assert await bot.advance(ONE_DAY + timedelta(hours=1)) == 0
    assert (await stored(bot, lea.id)).blocked and (await ledger(bot, lea.id))["day:2"].status == "blocked"
    sends_before = len(server.sends_log)
    await bot.advance(2 * ONE_DAY)
    assert len(server.sends_log) == sends_before  # not even tried
    assert days_received(lea) == [1] and days_received(max_) == [1]

    lea.unblock_bot()  # they come back: Telegram says so with my_chat_member
    max_.unblock_bot()
    assert await eventually(lambda: _active(bot, lea.id)) and await eventually(lambda: _active(bot, max_.id))
    assert await bot.sweep() == 2  # nothing arrived today yet: the next day comes at once
    assert days_received(lea) == [1, 2] and days_received(max_) == [1, 2]
    await bot.advance(ONE_DAY)
    assert days_received(lea) == [1, 2, 3]


async def _blocked(bot, user_id) -> bool:
    return (await stored(bot, user_id)).blocked


async def _active(bot, user_id) -> bool:
    return not (await stored(bot, user_id)).blocked


async def test_flood_control_network_errors_and_a_refusal_delay_only_their_own_send(bot):
    ned, ola, pia = bot.user(3401, "Ned"), bot.user(3402, "Ola"), bot.user(3403, "Pia")
    for user in (ned, ola, pia):
        await enrol_at(bot, user, START, zone="UTC", time_text="07:00")
    server = bot.server
    server.fail_next("sendMessage", 429, retry_after=1, chat_id=ned.id)
    server.fail_next("sendMessage", 502, "Bad Gateway", chat_id=ola.id)  # a network error
    server.fail_next("sendMessage", 400, "Bad Request: something odd", chat_id=pia.id, count=2)
    bot.clock.set(datetime(2027, 1, 5, 7, 0, tzinfo=UTC))
    assert await bot.sweep() == 2

    ned_tries = [r.at for r in server.sends_log if r.chat_id == ned.id][-2:]
    assert ned_tries[1] - ned_tries[0] >= 1.0  # waited as Telegram told it to
    assert days_received(ned) == [1, 2] and days_received(ola) == [1, 2]  # each once
    # Pia's refusal is not retried on the spot, and not dropped: tried again a little later.
    assert days_received(pia) == [1] and (await ledger(bot, pia.id))["day:2"].status == "failed"
    assert await bot.advance(timedelta(minutes=2)) == 0  # refused again, backs off further
    assert await bot.advance(timedelta(minutes=4)) == 1
    assert days_received(pia) == [1, 2]
    await bot.advance(ONE_DAY - timedelta(minutes=6))
    assert [days_received(u)[-1] for u in (ned, ola, pia)] == [3, 3, 3]


@contextmanager
def commit_answer_lost_after_a_claim(bot):
    """The first COMMIT after a ledger row is inserted goes through, but its answer is lost (the
    server went down before it answered, as in `pg_ctl restart -m immediate`): the caller sees an
    error. Yields a dict whose "lost" counts how often that happened."""
    armed = {"claim": False, "lost": 0}

    def notice_claim(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO deliveries"):
            armed["claim"] = True

    def lose_the_answer(session):
        if armed["claim"] and not armed["lost"]:
            armed["lost"] += 1
            raise ConnectionResetError("the server went away before it answered COMMIT")

    engine = bot.application.bot_data.engine.sync_engine
    event.listen(engine, "before_cursor_execute", notice_claim)
    event.listen(Session, "after_commit", lose_the_answer)
    try:
        yield armed
    finally:
        event.remove(Session, "after_commit", lose_the_answer)
        event.remove(engine, "before_cursor_execute", notice_claim)


async def test_a_claim_whose_commit_answer_is_lost_is_sent_at_the_next_sweep(bot):
    """The server goes down just as it commits a claim: the rows are claimed on disk, but the
    process saw an error. It is alive, so no other process takes its claims over: unless it
    releases them itself, the day waits for the lease (minutes)."""
    ida = bot.user(3111, "Ida")
    await enrol_at(bot, ida, START, zone="Europe/Berlin", time_text="08:00")
    with commit_answer_lost_after_a_claim(bot) as armed:
        bot.clock.set(DAY2)
        assert await bot.sweep() == 0  # the claim "failed": this sweep stops
        assert armed["lost"] == 1 and (await ledger(bot, ida.id))["day:2"].status == "claimed"
        assert await bot.sweep() == 1  # released and claimed again at once, not after the lease
    bot.clock.advance(LEASE)
    assert await bot.sweep() == 0
    assert days_received(ida) == [1, 2]


async def test_day_one_claimed_in_a_step_whose_commit_answer_is_lost_is_sent_at_the_next_sweep(bot):
    """Day 1 is claimed in the transaction of the enrolment's last step. The server goes down as
    it commits: the step and the claim are on disk, but the handler saw an error (and said so).
    The subscriber is active, so pressing the button again does nothing: unless this live process
    releases the claim itself, Day 1 waits for the lease (minutes)."""
    kim = bot.user(3112, "Kim")
    bot.clock.set(START)
    await enrolled_until_time(bot, kim)
    with commit_answer_lost_after_a_claim(bot) as armed:
        await kim.press("08:00")
        assert "wrong" in (await kim.next_reply()).text.lower()  # the step "failed"
        assert armed["lost"] == 1 and (await ledger(bot, kim.id))["day:1"].status == "claimed"
    assert await bot.sweep() == 1  # released and sent at once, not after the lease
    await confirmed_day(bot, kim.id, 1)
    bot.clock.advance(LEASE)
    assert await bot.sweep() == 0
    assert days_received(kim) == [1]


async def test_a_failed_send_is_tried_again_when_its_round_is_due_not_at_the_next_periodic_sweep(
    server, database_url, clock, content, settings_for
):
    # A 5 s lease: a refused send's next round is due 2 s later (40% of the lease). The periodic
    # sweep comes every 300 s here, so only the sweep woken for that round can deliver it in time.
    settings = settings_for(server, database_url, delivery_lease_seconds=5)
    async with running_bot(settings, content, clock, server, sweep_interval=300) as bot:
        ria = bot.user(3501, "Ria")
        await enrol_at(bot, ria, START, zone="UTC", time_text="07:00")
        server.fail_next("sendMessage", 400, "Bad Request: something odd", chat_id=ria.id)
        bot.clock.set(datetime(2027, 1, 5, 7, 0, tzinfo=UTC))
        assert await bot.sweep() == 0
        assert (await ledger(bot, ria.id))["day:2"].status == "failed"
        bot.clock.advance(timedelta(seconds=2))  # the round is due (the bot's clock is this one)

        async def day_two():
            return days_received(ria) == [1, 2]

        assert await eventually(day_two, timeout=8)
        await confirmed_day(bot, ria.id, 2)
