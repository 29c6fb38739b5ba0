"""The database connection: one async engine per process, sessions from a factory, migrations.

SQLite gets WAL and a busy timeout so the bot and a CLI command can share the file; foreign keys
are switched on so `ON DELETE CASCADE` works there as on PostgreSQL.
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

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 0x76697464_6D6967  # "vitd" "mig": not the polling lock's key


def _ensure_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str) -> AsyncEngine:
    _ensure_sqlite_folder(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable with WAL, one fsync fewer per commit
            cursor.close()

        return engine
    # As many connections as before (20), all kept: overflow connections are closed when returned,
    # so a burst of updates opened and closed one (a backend started, TLS negotiated) per query.
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
