"""The engine the bot runs on: SQLite statements run on the event loop's thread, and only one that
meets another writer's lock waits, on aiosqlite's thread; a transaction commits without a turn of
the event loop in between; a connection handed back is rolled back only when it still has a
transaction open; a PostgreSQL connection the server ended is replaced before anyone uses it, and
checking costs one round trip."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import event, insert, make_url, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.storage.db import create_engine, long_statements, session_factory
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


async def test_sqlite_statements_run_without_a_trip_to_the_thread_and_answer_as_before(sqlite_url):
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
            rows = (await connection.execute(select(Subscriber.telegram_user_id).order_by(Subscriber.id))).all()
            assert [r[0] for r in rows] == [1, 2, 3]
            changed = await connection.execute(update(Subscriber).where(Subscriber.telegram_user_id > 1).values(program_day=2))
            assert changed.rowcount == 2
            returned = await connection.execute(
                update(Subscriber).where(Subscriber.telegram_user_id == 3).values(program_day=5).returning(Subscriber.program_day)
            )
            assert returned.scalar_one() == 5
            assert (await connection.execute(text("SELECT 1 WHERE 0"))).first() is None
            with pytest.raises(IntegrityError):  # sqlite3's error, as SQLAlchemy's, as before
                await connection.execute(insert(Subscriber), [_row(1)])
            assert trips == 0
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


async def test_sqlite_committed_connection_is_handed_back_without_a_rollback(sqlite_url):
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:  # the connection made once, its PRAGMAs run
            pass
        async with engine.begin() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            calls: list[str] = []
            driver.run_here_or_wait = _recording(driver.run_here_or_wait, calls)
            await connection.execute(insert(Subscriber), [_row(1)])
        # The INSERT and the COMMIT, and no rollback when the pool takes the connection back.
        assert calls == ["_run", "commit"]
        del driver.run_here_or_wait
    finally:
        await engine.dispose()


def _recording(run_here_or_wait, calls: list[str]):
    async def recorded(work, *args):
        calls.append(work.__name__)
        return await run_here_or_wait(work, *args)
    return recorded


async def _hold_the_write_lock(engine, url: str) -> sqlite3.Connection:
    """Another process's writer, as far as SQLite can tell: a connection of its own, mid-transaction
    (once the engine has put the file in WAL mode, as the bot's first connection does)."""
    async with engine.connect():
        pass
    other = sqlite3.connect(make_url(url).database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def _ticks_while(awaitable) -> tuple[object, int]:
    """The awaitable's result, and how often the event loop turned meanwhile (every 10 ms)."""
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        return await awaitable, ticks
    finally:
        ticker.cancel()


async def test_sqlite_write_that_meets_another_writers_lock_waits_for_it_off_the_event_loop(sqlite_url):
    engine = create_engine(sqlite_url)
    other = await _hold_the_write_lock(engine, sqlite_url)
    try:
        async def write():
            async with engine.begin() as connection:
                await connection.execute(insert(Subscriber), [_row(1)])
            return "written"

        async def release_later():
            await asyncio.sleep(0.3)
            other.rollback()

        releasing = asyncio.create_task(release_later())
        result, ticks = await _ticks_while(write())
        await releasing
        assert result == "written"
        assert ticks >= 20  # the loop went on for the 0.3 s the write waited (it does not tick when blocked)
        async with engine.connect() as connection:
            assert (await connection.execute(select(Subscriber.telegram_user_id))).scalars().all() == [1]
    finally:
        other.close()
        await engine.dispose()


async def test_sqlite_write_cancelled_while_it_waits_for_a_lock_is_undone_and_the_loop_goes_on(sqlite_url):
    # The INSERT still runs on the connection's thread when the lock comes free; SQLAlchemy, seeing
    # the cancellation, throws the connection away, and its close queues behind the INSERT there
    # (here it would wait on SQLite's mutex, holding up the event loop), undoing it.
    engine = create_engine(sqlite_url)
    other = await _hold_the_write_lock(engine, sqlite_url)
    try:
        connection = await engine.connect()
        driver = (await connection.get_raw_connection()).driver_connection

        async def release_later():
            await asyncio.sleep(0.3)
            other.rollback()

        async def write_then_cancel():
            writing = asyncio.create_task(connection.execute(insert(Subscriber), [_row(1)]))
            await asyncio.sleep(0.1)
            assert driver._sent_to_thread == driver._done_on_thread + 1  # the INSERT, waiting there
            writing.cancel()
            with pytest.raises(asyncio.CancelledError):
                await writing
            return "cancelled"

        releasing = asyncio.create_task(release_later())
        result, ticks = await _ticks_while(write_then_cancel())
        await releasing
        assert result == "cancelled" and ticks >= 20
        assert driver._sent_to_thread == driver._done_on_thread == 1
        await connection.close()
        async with engine.begin() as fresh:  # nothing was written, and the next write takes the lock at once
            assert (await fresh.execute(select(Subscriber.id))).first() is None
            await fresh.execute(insert(Subscriber), [_row(2)])
    finally:
        other.close()
        await engine.dispose()


async def test_sqlite_long_statements_run_on_the_connections_thread_and_the_rest_on_the_loop(sqlite_url):
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            await connection.execute(insert(Subscriber), [_row(1), _row(2)])
            assert driver._sent_to_thread == 0
            with long_statements():  # a batch of many rows: the event loop goes on meanwhile
                rows = (await connection.execute(select(Subscriber.telegram_user_id).order_by(Subscriber.id))).all()
                await connection.execute(update(Subscriber).values(program_day=3))
            assert [r[0] for r in rows] == [1, 2] and driver._sent_to_thread == driver._done_on_thread == 2
            await connection.execute(update(Subscriber).values(program_day=4))
            assert driver._sent_to_thread == 2  # back on the loop after the block
            with long_statements(), long_statements(False):  # a task started in such a block says so
                await connection.execute(update(Subscriber).values(program_day=4))
            assert driver._sent_to_thread == 2
        async with engine.connect() as connection:
            assert set((await connection.execute(select(Subscriber.program_day))).scalars()) == {4}
    finally:
        await engine.dispose()


async def test_sqlite_transaction_commits_before_the_event_loop_turns(sqlite_url):
    # A turn of the loop between the last statement and COMMIT holds SQLite's write lock for it:
    # the writes of every handler that runs in that turn meet the lock.
    engine = create_engine(sqlite_url)
    happened: list[str] = []
    event.listen(engine.sync_engine, "commit", lambda _connection: happened.append("COMMIT"))
    try:
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            await session.execute(insert(Subscriber), [_row(1)])
            asyncio.get_running_loop().call_soon(happened.append, "a turn of the loop")
        assert happened == ["COMMIT", "a turn of the loop"]

        async def enrol(user_id: int) -> None:
            async with sessions.begin() as session:
                await session.execute(insert(Subscriber), [_row(user_id)])

        connections: list = []
        event.listen(engine.sync_engine, "checkout", lambda dbapi, _r, _p: connections.append(dbapi.driver_connection))
        await asyncio.gather(*(enrol(user_id) for user_id in range(2, 42)))
        assert {driver._sent_to_thread for driver in connections} == {0}  # no write met another's lock
        async with sessions() as session:
            assert len((await session.execute(select(Subscriber.id))).all()) == 41
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


@pytest.fixture
def empty_postgres_url(request, tmp_path):
    return empty_database(request, "postgres", tmp_path)


@pytest.mark.postgres
async def test_postgres_single_statement_is_its_own_transaction_with_no_begin_or_commit(empty_postgres_url):
    engine = create_engine(empty_postgres_url)
    try:
        sessions = session_factory(engine)
        async with sessions.one_statement() as session:
            await session.execute(insert(Subscriber), [_row(1)])
            driver = (await session.connection()).sync_connection.connection.driver_connection
            assert not driver.is_in_transaction()  # no BEGIN was sent, so no COMMIT is owed
        async with engine.connect() as connection:  # committed: another connection sees it
            assert (await connection.execute(select(Subscriber.telegram_user_id))).scalars().all() == [1]
        async with sessions.begin() as session:  # a transaction, for comparison
            await session.execute(insert(Subscriber), [_row(2)])
            driver = (await session.connection()).sync_connection.connection.driver_connection
            assert driver.is_in_transaction()
    finally:
        await engine.dispose()
