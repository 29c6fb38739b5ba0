"""The engine the bot runs on: SQLite statements take one trip to aiosqlite's thread, and a
PostgreSQL connection the server ended is replaced before anyone uses it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import event, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.storage.db import create_engine
from bot.storage.models import Subscriber
from tests.conftest import empty_database

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


def _row(user_id: int) -> dict:
    return dict(
        telegram_user_id=user_id, chat_id=user_id, status="active", blocked=False, timezone="UTC",
        delivery_minute=480, program_day=1, created_at=NOW, updated_at=NOW,
    )


@pytest.fixture
def sqlite_url(request, tmp_path):
    return empty_database(request, "sqlite", tmp_path)


async def test_sqlite_statements_take_one_trip_each_and_answer_as_before(sqlite_url):
    engine = create_engine(sqlite_url)
    trips = 0
    try:
        async with engine.begin() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            queue = driver._execute

            async def counted(*args, **kwargs):
                nonlocal trips
                trips += 1
                return await queue(*args, **kwargs)

            driver._execute = counted
            await connection.execute(insert(Subscriber), [_row(1), _row(2), _row(3)])  # executemany
            assert trips == 1
            rows = (await connection.execute(select(Subscriber.telegram_user_id).order_by(Subscriber.id))).all()
            assert [r[0] for r in rows] == [1, 2, 3] and trips == 2
            changed = await connection.execute(update(Subscriber).where(Subscriber.telegram_user_id > 1).values(program_day=2))
            assert changed.rowcount == 2 and trips == 3
            returned = await connection.execute(
                update(Subscriber).where(Subscriber.telegram_user_id == 3).values(program_day=5).returning(Subscriber.program_day)
            )
            assert returned.scalar_one() == 5 and trips == 4
            assert (await connection.execute(text("SELECT 1 WHERE 0"))).first() is None
            with pytest.raises(IntegrityError):  # sqlite3's error, as SQLAlchemy's, as before
                await connection.execute(insert(Subscriber), [_row(1)])
            driver._execute = queue
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_connection_ended_by_the_server_is_replaced_on_checkout(postgres_url):
    engine = create_engine(postgres_url)
    invalidated: list[BaseException | None] = []
    event.listen(engine.sync_engine, "invalidate", lambda _c, _r, exc: invalidated.append(exc))
    pid_query = text("SELECT pg_backend_pid()")
    try:
        async with engine.connect() as connection:
            ended = (await connection.execute(pid_query)).scalar()
        admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", ended)
        finally:
            await admin.close()
        await asyncio.sleep(0.1)  # the event loop reads the server's goodbye on the pooled socket
        async with engine.connect() as connection:  # no error: a fresh connection
            assert (await connection.execute(pid_query)).scalar() != ended
        assert len(invalidated) == 1  # what tells the worker registry a connection was lost
    finally:
        await engine.dispose()
