"""A process started after another was killed: what the dead one left in the workers table.

SQLite is one process at a time, so a heartbeat row left behind is a dead process's: the new one
forgets it and sends at the full rate at once (it used to wait a heartbeat round, then share the
rate with the dead process until its heartbeat aged out, 10 s). On PostgreSQL the row may be a
live process's, so it counts until its heartbeat is old: the rate is shared, never exceeded.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from bot.storage.db import create_engine, session_factory
from bot.storage.models import Worker
from tests.e2e import running_bot

RATE = 1000


async def worker_ids(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(Worker.id).order_by(Worker.id))).scalars())
    finally:
        await engine.dispose()


async def test_a_killed_process_heartbeat_counts_only_where_other_processes_can_run(
    server, database_url, clock, content, settings_for
):
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:  # a process killed a moment ago: its last beat is fresh
            await connection.execute(insert(Worker), [{"id": "killed-a-moment-ago", "heartbeat_at": datetime.now(UTC)}])
    finally:
        await engine.dispose()
    settings = settings_for(server, database_url, send_rate_limit=RATE)
    async with running_bot(settings, content, clock, server) as harness:
        window = harness.application.bot.rate_limiter.window
        own_id = harness.application.bot_data.workers.id
        rows = await worker_ids(database_url)
        if database_url.startswith("sqlite"):
            assert rows == [own_id]
            assert window.rate == RATE
        else:
            assert rows == sorted([own_id, "killed-a-moment-ago"])
            assert window.rate == RATE / 2
