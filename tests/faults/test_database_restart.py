"""PostgreSQL goes away under load, three ways, on the fault suite's own server (never the shared
one): every connection of the bot's database cut (`pg_terminate_backend`), then the server
restarted (`pg_ctlcluster ... restart -m fast`, the default: clients are disconnected, open
transactions rolled back) and restarted again as after a crash (`-m immediate`: no clean
shutdown, recovery from the WAL). Each time two bot processes are in the middle of a drip and a
broadcast, and subscribers send check-ins just before and while it happens.

The processes reconnect by themselves; every check-in the bot acknowledged is stored; no Day 4 or
article is lost, and one arrives twice only if its request was in flight at a disruption; and
afterwards exactly one process polls Telegram, because the poller re-checks its advisory lock
(which died with its connection) and stops polling once it is lost."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from sqlalchemy import select

from bot.clock import SystemClock
from bot.storage.leadership import CHECK_TIMEOUT
from bot.storage.models import CheckIn, Subscriber, Worker
from bot.telegram.runner import LEADERSHIP_CHECK
from tests.fakebot import FakeUser
from tests.faults.harness import (
    Ledgerwatch,
    Tally,
    WatchedBotApi,
    bot_environment,
    kill,
    seed,
    sessions_for,
    start_bot,
    terminate,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.serial]
SUBSCRIBERS = list(range(80_001, 80_201))
DISRUPTIONS = ("terminate", "fast", "immediate")
CHECKING_IN = SUBSCRIBERS[:4 * len(DISRUPTIONS) + 1]
RATE = 50
POLL_CAP = 1.0  # seconds: long polls this short let a process that still polls show at once


async def cut_every_connection(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()


async def registered(sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(select(Worker.id))).scalars())


def acknowledged(user: FakeUser) -> list[int]:
    """The scores the bot said it saved."""
    scores = []
    for message in user.server.messages(user.id):
        text = message.text or ""
        if "back pain is saved:" in text or "back pain is now" in text:
            scores.append(int(text.split("/10")[0].rsplit(" ", 1)[-1]))
    return scores


async def test_postgres_restarts_under_load_lose_nothing_and_one_process_polls(restartable_postgres, tmp_path):
    cluster, url = restartable_postgres
    started = time.monotonic()
    async with WatchedBotApi(poll_cap=POLL_CAP) as server:
        await seed(url, server, SUBSCRIBERS)
        engine, sessions = sessions_for(url)
        env = bot_environment(server, url, SEND_RATE_LIMIT=str(RATE))
        log = tmp_path / "bot.log"
        watch = Ledgerwatch(sessions, server, SUBSCRIBERS)
        users = [FakeUser(server, i, "Sub", clock=SystemClock()) for i in CHECKING_IN]
        processes = [await start_bot(env, tmp_path), await start_bot(env, tmp_path)]
        server.bot_pids = [p.pid for p in processes]
        took = []
        try:
            async def both_beating():  # two interpreters starting on a busy machine can take a minute
                return len(await registered(sessions)) == 2

            await wait_for(both_beating, 180, "both processes' first heartbeat", log)
            for round_, how in enumerate(DISRUPTIONS):
                threshold = Tally.of(server, SUBSCRIBERS).delivered + 40

                async def reached(threshold=threshold):
                    return Tally.of(server, SUBSCRIBERS).delivered >= threshold

                await wait_for(reached, 60, f"{threshold} messages before {how}", log, sessions=sessions)
                before, during = users[round_ * 4:round_ * 4 + 2], users[round_ * 4 + 2:round_ * 4 + 4]
                for user in before:
                    await user.command(f"/pain {3 + round_}")
                await watch.snapshot()
                assert Tally.of(server, SUBSCRIBERS).delivered < 2 * len(SUBSCRIBERS), f"{how} came too late"
                began = time.monotonic()
                disruption = asyncio.ensure_future(
                    cut_every_connection(url) if how == "terminate" else cluster.restart(how)
                )
                for user in during:  # sent while the server goes down (or just after)
                    await user.command(f"/pain {6 + round_}")
                await disruption
                took.append(time.monotonic() - began)

            async def complete():
                return Tally.of(server, SUBSCRIBERS).complete(SUBSCRIBERS)

            await wait_for(complete, 90, "every Day 4 and every article", log, sessions=sessions)
            # Within a lock check (and its timeout) of the last restart, a poller that lost its
            # lock has stopped; from then on, every poll must come from one process.
            settled = began + took[-1] + LEADERSHIP_CHECK + CHECK_TIMEOUT + POLL_CAP

            async def one_poller():
                return time.monotonic() >= settled and len(server.pollers_since(time.monotonic() - 2 * POLL_CAP)) == 1

            await wait_for(one_poller, 30, "a single poller after the restarts", log)
            watch_from = time.monotonic()
            late = FakeUser(server, CHECKING_IN[-1], "Sub", clock=SystemClock())
            await late.command("/pain 2")

            async def answered_and_polled_again():
                return 2 in acknowledged(late) and time.monotonic() > watch_from + 2 * POLL_CAP

            await wait_for(answered_and_polled_again, 15, "an answer after the restarts", log)
            pollers = server.pollers_since(watch_from)
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
    assert len(pollers) == 1 and None not in pollers, pollers
    assert max(exits) < 10
    print(f"\nFAULTS database PostgreSQL ({cluster.how}): {', '.join(DISRUPTIONS)} under load, two processes, "
          f"each took {', '.join(f'{t:.1f} s' for t in took)}; {sum(bool(s) for s in acked.values())}/{len(users)} "
          f"check-ins acknowledged, all stored; lost {figures['lost']}, duplicates/in flight per disruption "
          f"{figures['per_kill']}; afterwards {len(pollers)} process polls; {time.monotonic() - started:.1f} s")
