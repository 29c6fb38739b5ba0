"""The engine the bot runs on: SQLite statements take one trip to aiosqlite's thread, and a
connection handed back is rolled back only when it still has a transaction open; a PostgreSQL
connection the server ended is replaced before anyone uses it, and checking costs one round trip."""

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


async def test_sqlite_committed_connection_is_handed_back_without_another_trip(sqlite_url):
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:  # the connection made once, its PRAGMAs run
            pass
        async with engine.begin() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            queue, calls = driver._execute, []

            async def counted(function, *args, **kwargs):
                calls.append(getattr(function, "__name__", repr(function)))
                return await queue(function, *args, **kwargs)

            driver._execute = counted
            await connection.execute(insert(Subscriber), [_row(1)])
        # The INSERT and the COMMIT, and no rollback when the pool takes the connection back.
        assert len(calls) == 2 and "rollback" not in calls
        driver._execute = queue
    finally:
        await engine.dispose()


async def test_sqlite_connection_handed_back_mid_transaction_is_rolled_back(sqlite_url):
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            # A transaction SQLAlchemy does not know of (it began no Transaction of its own).
            await raw.execute("BEGIN IMMEDIATE")
            await raw.execute("INSERT INTO subscribers (telegram_user_id, chat_id, status, blocked, timezone, "
                              "delivery_minute, program_day, created_at, updated_at) "
                              "VALUES (7, 7, 'active', 0, 'UTC', 480, 1, '2027-01-04', '2027-01-04')")
            assert raw._conn.in_transaction
        assert not raw._conn.in_transaction  # rolled back as it was handed back: the write lock is free
        async with engine.begin() as connection:
            assert (await connection.execute(select(Subscriber.id))).first() is None
            await connection.execute(insert(Subscriber), [_row(8)])  # another write takes the lock at once
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_checkout_is_checked_in_one_round_trip_and_a_dead_connection_still_fails_it(
    postgres_url, monkeypatch
):
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
        calls: list[str] = []
        for name in ("execute", "fetchrow", "fetch", "transaction"):
            original = getattr(asyncpg.Connection, name)

            def spy(self, *args, __name=name, __original=original, **kwargs):
                calls.append(__name)
                return __original(self, *args, **kwargs)

            monkeypatch.setattr(asyncpg.Connection, name, spy)
        async with engine.connect():  # the same pooled connection, pinged on checkout
            pass
        assert calls == ["execute"]  # one simple query: no BEGIN, no ROLLBACK around it
        monkeypatch.undo()
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar()
        driver.terminate()  # the pooled connection dies without the pool knowing
        async with engine.connect() as connection:  # the ping fails, and a new one replaces it
            assert (await connection.execute(text("SELECT pg_backend_pid()"))).scalar() != pid
    finally:
        await engine.dispose()
