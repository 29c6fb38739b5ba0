"""SIGKILL ten times in the middle of a drip and a broadcast, on SQLite and on PostgreSQL.

Real bot processes deliver Day 4 to every seeded subscriber and an article to the same people; a
process is killed each time another batch of messages has arrived (kills are spaced by events, not
sleeps), and a new one started. Counted per chat at the end: nothing lost; a message arrives twice
only if its request was in flight at a kill (it reached Telegram, its confirmation did not reach
the ledger), at most once more per kill. On SQLite the next process releases the dead one's claims
as it starts; on PostgreSQL a second process runs throughout and releases them once the dead
one's heartbeat stops.
"""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from bot.services.ledger import STALLED_EXTRA
from bot.telegram.ratelimit import MAX_IN_FLIGHT as DRIP_IN_FLIGHT_CEILING
from tests.faults.harness import (
    Ledgerwatch,
    Tally,
    WatchedBotApi,
    bot_environment,
    kill,
    kill_noting_ports,
    seed,
    sessions_for,
    start_bot,
    terminate,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.serial]  # kills spaced by what arrived: timing matters
SUBSCRIBERS = list(range(60_001, 60_201))
KILLS = 10
RATE = 120  # messages a second: 400 messages last through ten kills and restarts ...
PG_RATE = 50  # ... and with a second process sending while the first restarts


async def test_ten_kills_mid_drip_and_mid_broadcast_lose_nothing(database_url, tmp_path):
    postgres = database_url.startswith("postgresql")
    started = time.monotonic()
    async with WatchedBotApi() as server:
        await seed(database_url, server, SUBSCRIBERS)
        engine, sessions = sessions_for(database_url)
        env = bot_environment(server, database_url, SEND_RATE_LIMIT=str(PG_RATE if postgres else RATE))
        log = tmp_path / "bot.log"
        watch = Ledgerwatch(sessions, server, SUBSCRIBERS)
        processes = [await start_bot(env, tmp_path)]
        survivor = None
        if postgres:  # a second process shares the work throughout: never killed
            survivor = await start_bot(env, tmp_path)
            processes.append(survivor)
        live = list(processes)
        total = 2 * len(SUBSCRIBERS)
        try:
            for kills in range(1, KILLS + 1):
                delivered = Tally.of(server, SUBSCRIBERS).delivered
                # Spread what is left over the kills to come, so the last one is mid-way too.
                threshold = delivered + max(1, (total - delivered) // (KILLS - kills + 3))

                async def reached(threshold=threshold):
                    return Tally.of(server, SUBSCRIBERS).delivered >= threshold

                await wait_for(reached, 60, f"{threshold} messages before kill {kills}", log)
                victim = next(p for p in live if p is not survivor)
                live.remove(victim)
                ports = await kill_noting_ports(victim)
                await asyncio.sleep(0.2)  # requests that reached the server finish there
                assert Tally.of(server, SUBSCRIBERS).delivered < total, "killed too late to be in the middle"
                await watch.snapshot(ports)
                processes.append(await start_bot(env, tmp_path))
                live.append(processes[-1])

            async def complete():
                return Tally.of(server, SUBSCRIBERS).complete(SUBSCRIBERS)

            await wait_for(complete, 90, "every Day 4 and every article", log)
            await asyncio.sleep(0.5)  # anything still coming would be a duplicate: let it show
            exits = [await terminate(p) for p in live]
        finally:
            for process in processes:
                if process.returncode is None:
                    await kill(process)
            await engine.dispose()
        figures = watch.check(Tally.of(server, SUBSCRIBERS))
    # What the fake API saw a killed process send unanswered is bounded by what it may have in
    # flight at once: its drip's sends (sized from the round trip, under a ceiling, plus the stalled
    # ones let past it) and a broadcast chunk.
    rate = PG_RATE if postgres else RATE
    ceiling = DRIP_IN_FLIGHT_CEILING + STALLED_EXTRA + min(100, max(4, math.ceil(rate / 4)))
    assert max(map(len, watch.in_flight)) <= ceiling
    engine_name = "PostgreSQL" if postgres else "SQLite"
    print(f"\nFAULTS kills {engine_name}: {KILLS} SIGKILLs, {total} messages to {len(SUBSCRIBERS)} chats, "
          f"lost {figures['lost']}, duplicated days {figures['duplicate_days']}, duplicated articles "
          f"{figures['duplicate_articles']}; duplicates/in flight per kill: {figures['per_kill']}, "
          f"{time.monotonic() - started:.1f} s")
    assert max(exits) < 10
