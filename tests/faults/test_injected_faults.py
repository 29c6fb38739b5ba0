"""Telegram and the network misbehaving: 10% of sends answered 429, 500 or 502, timed out (with
or without the message arriving) or cut off by a connection reset (before or after it arrived).
Nothing is lost; a message arrives twice only where its answer was lost after it had arrived
(a read timeout or a reset: the ledger's "unknown" outcome, resent at most once per claim).

A 10 s lease makes a retry round (after two unknown outcomes in one claim) wait 4 s, not 2 min.
On SQLite and on PostgreSQL: the confirmations of failed, retried and unknown sends take other
paths through the ledger, and each engine writes them its own way."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.faults.harness import (
    ChaosBotApi,
    Tally,
    bot_environment,
    kill,
    seed,
    sessions_for,
    start_bot,
    terminate,
    wait_for,
)

pytestmark = pytest.mark.faults
SUBSCRIBERS = list(range(70_001, 70_201))
RATE = 200


async def test_ten_percent_failing_sends_lose_nothing(database_url, tmp_path):
    started = time.monotonic()
    async with ChaosBotApi(failure_rate=0.10) as server:
        await seed(database_url, server, SUBSCRIBERS)
        engine, sessions = sessions_for(database_url)
        env = bot_environment(server, database_url, SEND_RATE_LIMIT=str(RATE), DELIVERY_LEASE_SECONDS="10")
        process = await start_bot(env, tmp_path)
        try:
            async def complete():
                return Tally.of(server, SUBSCRIBERS).complete(SUBSCRIBERS)

            await wait_for(complete, 180, "every Day 4 and every article", tmp_path / "bot.log")
            server.faulty = False
            await terminate(process)  # how fast is test_sigterm's to say (serial, timed)
            assert process.returncode == 0
        finally:
            if process.returncode is None:
                await kill(process)
            await engine.dispose()
    tally = Tally.of(server, SUBSCRIBERS)
    lost = [i for i in SUBSCRIBERS if not tally.days[i] or not tally.articles[i]]
    assert lost == []
    for counts in (tally.days, tally.articles):
        for chat, n in counts.items():
            assert n <= 1 + server.answer_lost_after_arrival[chat], f"chat {chat}: {n} copies"
    duplicates = sum(n - 1 for n in tally.days.values()) + sum(n - 1 for n in tally.articles.values())
    injected = sum(server.injected.values())
    assert injected >= 20  # the faults really happened (about 10% of 400 sends and their retries)
    copies = Counter(list(tally.days.values()) + list(tally.articles.values()))
    print(f"\nFAULTS injected {'PostgreSQL' if 'postgresql' in database_url else 'SQLite'}: {tally.total} messages, "
          f"{injected} faults injected ({dict(sorted(server.injected.items()))}), lost 0, duplicates {duplicates} "
          f"(answers lost after arrival: {sum(server.answer_lost_after_arrival.values())}); per chat and item, "
          f"{', '.join(f'{n} arrived {k}x' for k, n in sorted(copies.items()))}; "
          f"{time.monotonic() - started:.1f} s")
