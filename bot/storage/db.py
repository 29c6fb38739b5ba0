"""The database connection: one async engine per process, sessions from a factory, migrations.

SQLite gets WAL and a busy timeout so the bot and a CLI command can share the file; foreign keys
are switched on so `ON DELETE CASCADE` works there as on PostgreSQL; each statement is one trip
to aiosqlite's thread (`sqlite.py`). PostgreSQL connections are checked before use
(`pool_pre_ping`), so a database restart costs no subscriber's reply.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.storage.sqlite import use_one_trip_cursors

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
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            use_one_trip_cursors(dbapi_connection.driver_connection)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable with WAL, one fsync fewer per commit
            cursor.close()

        return engine
    # At most 20 connections, as before (10 + 10 overflow), but all kept: under a burst of
    # updates the overflow ones were closed and reopened all the time (55 new connections in 300
    # enrolments; now the first 20 only). Pre-ping costs three round trips per session, but a
    # cheaper check (asyncpg's is_closed, a ping only after 5 s idle) was measured against it in
    # the restart fault test: 7, 9 and 7 of 13 check-ins sent around the restarts were answered,
    # against 11, 12, 8 and 11 with pre-ping (PERFORMANCE.md). A subscriber's reply comes first.
    return create_async_engine(url, pool_size=20, max_overflow=0, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


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
