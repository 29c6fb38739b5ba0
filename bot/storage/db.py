"""The database connection: one async engine per process, sessions from a factory, migrations.

SQLite gets WAL so the bot and a CLI command can share the file; foreign keys are switched on so
`ON DELETE CASCADE` works there as on PostgreSQL; statements run on the event loop's thread, and
only one that meets another writer's lock waits for it, on aiosqlite's thread (`sqlite.py`).
PostgreSQL connections are checked before use (`pool_pre_ping`, in one round trip), so a database
restart costs no subscriber's reply.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.storage.sqlite import SQLITE_CONNECT_ARGS, rollback_if_in_transaction, run_statements_on_the_loop
from bot.storage.sqlite import long_statements as long_statements  # for the services: no effect on PostgreSQL

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 0x76697464_6D6967  # "vitd" "mig": not the polling lock's key


def _ensure_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str) -> AsyncEngine:
    _ensure_sqlite_folder(url)
    if url.startswith("sqlite"):
        # 15 connections kept, the default's maximum (5 kept + 10 overflow): under a burst of
        # updates the overflow ones were closed and opened again all the time, each a new thread
        # of aiosqlite's plus the PRAGMAs below (84 per 300 enrolments; PERFORMANCE.md).
        in_memory = make_url(url).database in (None, "", ":memory:")  # one connection, kept
        pool = {} if in_memory else {"pool_size": 15, "max_overflow": 0}
        # A connection handed back is rolled back only when a transaction is still open in it.
        engine = create_async_engine(url, connect_args=dict(SQLITE_CONNECT_ARGS), pool_reset_on_return=None, **pool)
        event.listen(engine.sync_engine, "reset", rollback_if_in_transaction)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            run_statements_on_the_loop(dbapi_connection.driver_connection)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable with WAL, one fsync fewer per commit
            cursor.close()

        return engine
    # At most 20 connections, as before (10 + 10 overflow), but all kept: under a burst of
    # updates the overflow ones were closed and reopened all the time (55 new connections in 300
    # enrolments; now the first 20 only). Every checkout is pinged: a cheaper check (asyncpg's
    # is_closed, a ping only after 5 s idle) was measured against it in the restart fault test:
    # 7, 9 and 7 of 13 check-ins sent around the restarts were answered, against 11, 12, 8 and 11
    # with the ping (PERFORMANCE.md). A subscriber's reply comes first; the ping is one round trip.
    engine = create_async_engine(url, pool_size=20, max_overflow=0, pool_pre_ping=True)
    engine.sync_engine.dialect.do_ping = _ping_in_one_trip  # type: ignore[method-assign]
    return engine


def _ping_in_one_trip(dbapi_connection: Any) -> bool:
    """`pool_pre_ping`'s check of a PostgreSQL connection in one round trip instead of three.
    SQLAlchemy's asyncpg ping wraps its `;` in BEGIN and ROLLBACK, because a prepared statement
    outside a transaction can reach another server behind pgbouncer; `execute` without arguments
    is the simple query protocol, which prepares nothing, so one trip is safe there too. Errors are
    translated as the dialect's own ping translates them, so a dead connection is replaced."""
    try:
        dbapi_connection.run_async(lambda driver: driver.execute("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - raised again as the DBAPI's error
        dbapi_connection._handle_exception(error)
    return True


def session_factory(engine: AsyncEngine) -> Sessions:
    if engine.dialect.name == "sqlite":
        return SQLiteSessions(engine, expire_on_commit=False)
    return PostgresSessions(engine, expire_on_commit=False)


class Sessions(async_sessionmaker[AsyncSession]):
    """The services' sessions: `begin()` for a transaction, `one_statement()` for a single
    statement that is atomic on its own (a conditional INSERT or UPDATE ... RETURNING)."""

    def one_statement(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self.begin()


class PostgresSessions(Sessions):
    """On PostgreSQL a single statement needs no BEGIN and COMMIT around it: in autocommit it is
    its own transaction, two round trips fewer (a third of an enrolment step's)."""

    def __init__(self, engine: AsyncEngine, **options: Any) -> None:
        super().__init__(engine, **options)
        self._autocommit = async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), **options)

    def one_statement(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self._autocommit()


class SQLiteSessions(Sessions):
    """Sessions whose `begin()` commits in the caller's task.

    SQLAlchemy's `begin()` commits in a task of its own, so that a cancellation cannot abandon a
    COMMIT half-way. Starting that task is a turn of the event loop between a transaction's last
    statement and its COMMIT, and on SQLite the transaction holds the database's one write lock
    all that turn: every other handler's write met it (2,100 of 11,000 statements in 1,000
    enrolments had to wait for a lock on aiosqlite's thread). A SQLite COMMIT runs on the event
    loop's thread, with no await to be cancelled at; one that must wait for a lock waits on the
    connection's thread, and the connection's later calls queue behind it (`sqlite.py`). Closing
    the session still runs to completion, as SQLAlchemy's does. (`one_statement()` stays a
    transaction: autocommit on aiosqlite costs two trips to the thread, to set it and reset it.)
    """

    def begin(self) -> _CommitInCallersTask:  # type: ignore[override]
        return _CommitInCallersTask(self())


class _CommitInCallersTask:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def __aenter__(self) -> AsyncSession:
        self.transaction = self.session.begin()
        await self.transaction.__aenter__()
        return self.session

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        try:
            await self.transaction.__aexit__(type_, value, traceback)  # COMMIT, or ROLLBACK on an error
        finally:
            await self.session.__aexit__(type_, value, traceback)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_sync(url: str) -> None:
    """Apply every migration; blocking, and runs its own event loop (see migrations/env.py)."""
    _ensure_sqlite_folder(url)
    command.upgrade(alembic_config(url), "head")


async def upgrade(url: str) -> None:
    # Alembic's async env runs its own loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_sync, url)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched (its result is a CursorResult, typed as Result)."""
    return cast(CursorResult[Any], result).rowcount
