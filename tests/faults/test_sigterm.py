"""A deploy in the middle of a 50,000-recipient broadcast: SIGTERM stops claiming, finishes the
requests in flight and exits within 10 s; nothing it sent is unconfirmed, nothing is left claimed;
the next process resumes at once where it stopped, and nobody gets the article twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.storage.models import Delivery
from tests.fakebot import FakeBotApi
from tests.faults.harness import (
    Tally,
    bot_environment,
    confirmed,
    kill,
    seed,
    sessions_for,
    start_bot,
    terminate,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.serial]  # serial: a 10 s exit deadline, timed on a loaded machine otherwise
RECIPIENTS = list(range(1_000_001, 1_050_001))
RATE = 1000


async def claimed_rows(sessions) -> int:
    async with sessions() as session:
        claimed = select(func.count()).select_from(Delivery).where(Delivery.status == "claimed")
        return (await session.execute(claimed)).scalar_one()


async def test_sigterm_mid_broadcast_exits_within_10_s_and_the_rest_resumes(database_url, tmp_path):
    async with FakeBotApi() as server:
        await seed(database_url, server, RECIPIENTS, drip=False)
        engine, sessions = sessions_for(database_url)
        env = bot_environment(server, database_url, SEND_RATE_LIMIT=str(RATE))
        log = tmp_path / "bot.log"
        exits, processes = [], []
        try:
            for deploy in (1, 2):
                processes.append(await start_bot(env, tmp_path))
                threshold = Tally.of(server, RECIPIENTS).delivered + 500

                async def reached(threshold=threshold):
                    return Tally.of(server, RECIPIENTS).delivered >= threshold

                await wait_for(reached, 60, f"{threshold} articles before deploy {deploy}", log)
                exits.append(await terminate(processes[-1]))
                assert processes[-1].returncode == 0, log.read_text()[-3000:]
                tally = Tally.of(server, RECIPIENTS)
                _, sent = await confirmed(sessions)
                # Everything that arrived is confirmed, and nothing is left claimed: no
                # duplicates to come, and nothing waiting for a lease.
                assert set(tally.articles) == sent
                assert await claimed_rows(sessions) == 0
                assert 0 < tally.total < len(RECIPIENTS)
        finally:
            for process in processes:
                if process.returncode is None:
                    await kill(process)
            await engine.dispose()
    tally = Tally.of(server, RECIPIENTS)
    assert max(tally.articles.values()) == 1
    print(f"\nFAULTS sigterm {'PostgreSQL' if 'postgresql' in database_url else 'SQLite'}: "
          f"{len(RECIPIENTS)} recipients, exits after {', '.join(f'{e:.1f} s' for e in exits)}, "
          f"{tally.total} sent in two runs, 0 duplicates")
    assert max(exits) < 10
