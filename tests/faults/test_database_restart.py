"""PostgreSQL goes away under load: every connection of the bot's database is cut
(`pg_terminate_backend`, what a server restart does to its clients, without restarting the server
that other test sessions share) twice, while two bot processes are in the middle of a drip and a
broadcast and subscribers send check-ins. The processes reconnect by themselves; every check-in
the bot acknowledged is stored; nothing is lost or sent twice beyond requests in flight; and
afterwards exactly one process polls Telegram, because the poller re-checks its advisory lock
(which died with its connection) and stops polling once it is lost."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from sqlalchemy import select

from bot.clock import SystemClock
from bot.storage.models import CheckIn, Subscriber
from tests.fakebot import FakeUser
from tests.faults.harness import (
    Ledgerwatch,
    PollWatch,
    Tally,
    bot_environment,
    kill,
    seed,
    sessions_for,
    start_bot,
    terminate,
    wait_for,
)

# serial: bot processes and a deadline-bound wait on real time; alone, the timing means what it says.
pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.serial]
SUBSCRIBERS = list(range(80_001, 80_201))
CHECKING_IN = SUBSCRIBERS[:8]
RATE = 60
LONG_POLL = 10  # seconds: PTB's default getUpdates timeout


async def cut_every_connection(url: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        return len(await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))
    finally:
        await connection.close()


def acknowledged(user: FakeUser) -> list[int]:
    """The scores the bot said it saved."""
    scores = []
    for message in user.server.messages(user.id):
        text = message.text or ""
        if "back pain is saved:" in text or "back pain is now" in text:
            scores.append(int(text.split("/10")[0].rsplit(" ", 1)[-1]))
    return scores


async def test_connections_cut_under_load_reconnect_lose_nothing_and_one_process_polls(postgres_url, tmp_path):
    from tests.conftest import TABLES, _admin

    await _admin(postgres_url, f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    async with PollWatch() as server:
        await seed(postgres_url, server, SUBSCRIBERS)
        engine, sessions = sessions_for(postgres_url)
        env = bot_environment(server, postgres_url, SEND_RATE_LIMIT=str(RATE))
        log = tmp_path / "bot.log"
        watch = Ledgerwatch(sessions, server, SUBSCRIBERS)
        users = [FakeUser(server, i, "Sub", clock=SystemClock()) for i in CHECKING_IN]
        processes = [await start_bot(env, tmp_path), await start_bot(env, tmp_path)]
        cut = []
        try:
            for round_ in range(2):
                threshold = Tally.of(server, SUBSCRIBERS).delivered + 60

                async def reached(threshold=threshold):
                    return Tally.of(server, SUBSCRIBERS).delivered >= threshold

                await wait_for(reached, 60, f"{threshold} messages before cut {round_ + 1}", log)
                for user in users[round_ * 4:round_ * 4 + 2]:
                    await user.command(f"/pain {3 + round_}")
                await watch.snapshot()
                cut.append(await cut_every_connection(postgres_url))
                for user in users[round_ * 4 + 2:round_ * 4 + 4]:
                    await user.command(f"/pain {5 + round_}")
                assert Tally.of(server, SUBSCRIBERS).delivered < 2 * len(SUBSCRIBERS), "cut too late"

            async def complete():
                return Tally.of(server, SUBSCRIBERS).complete(SUBSCRIBERS)

            await wait_for(complete, 90, "every Day 4 and every article", log)
            recovered = time.monotonic()
            # The poller notices the lost lock within a check (5 s); a long poll under way ends
            # within its timeout. Then watch for a full long poll and more.
            await asyncio.sleep(max(0.0, recovered + 5 + LONG_POLL + 1 - time.monotonic()))
            server.reset_watch()
            watch_from = time.monotonic()
            late = FakeUser(server, CHECKING_IN[-1], "Sub", clock=SystemClock())
            await late.command("/pain 2")

            async def answered():
                return 2 in acknowledged(late)

            await wait_for(answered, 15, "an answer after the cuts", log)
            await asyncio.sleep(max(0.0, watch_from + LONG_POLL + 1 - time.monotonic()))
            polls, most_at_once = server.polls, server.max_open_polls
            exits = [await terminate(p) for p in processes]
        finally:
            for process in processes:
                if process.returncode is None:
                    await kill(process)
        async with sessions() as session:
            stored = dict((await session.execute(
                select(Subscriber.chat_id, CheckIn.score).join(CheckIn, CheckIn.subscriber_id == Subscriber.id)
            )).all())
        await engine.dispose()

    figures = watch.check(Tally.of(server, SUBSCRIBERS))
    acked = {user.id: acknowledged(user) for user in users}
    for chat, scores in acked.items():
        if scores:
            assert stored.get(chat) == scores[-1], f"check-in of {chat} acknowledged {scores}, stored {stored.get(chat)}"
    assert polls >= 1 and most_at_once == 1
    assert max(exits) < 10
    print(f"\nFAULTS database PostgreSQL: connections cut twice ({cut} backends) under load; "
          f"{sum(bool(s) for s in acked.values())}/{len(users)} check-ins acknowledged, all stored; lost "
          f"{figures['lost']}, duplicates {figures['duplicate_days'] + figures['duplicate_articles']} "
          f"(unconfirmed at the cuts {figures['in_flight_at_kills']}); afterwards {most_at_once} poller")
