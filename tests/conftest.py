"""Shared fixtures: a database on each engine, a fake clock, the fake Bot API, the running bot.

Every test that takes `database_url` runs twice: on SQLite and on PostgreSQL. The PostgreSQL
URL comes from TEST_POSTGRES_URL (set by `dev.py test` and `.ci/run`); each test session (each
xdist worker) gets a database of its own, migrated once and emptied before each test. SQLite is
migrated once per session into a template file that each test copies (tests/test_migrations.py
runs the migrations from scratch on both engines). With REQUIRE_POSTGRES=1 (CI) an unreachable
server fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.content.loader import default_content_dir, load_content
from bot.storage.db import upgrade_sync
from bot.storage.models import Base
from tests.e2e import BotHarness, running_bot

TABLES = ("deliveries", "broadcasts", "checkins", "vitamin_d_results", "unanswered_questions",
          "red_flag_events", "workers", "subscribers", "reports")
# Emptying the tables before each test: DELETE, children first, and the id sequences restarted.
# TRUNCATE did the same in ~0.3 s a test (it swaps every table's files); this takes ~10 ms.
EMPTY_EVERY_TABLE = " ".join(
    [f"DELETE FROM {table.name};" for table in reversed(Base.metadata.sorted_tables)]
    + [f"ALTER SEQUENCE IF EXISTS {table.name}_id_seq RESTART;" for table in Base.metadata.sorted_tables]
)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session, migrated; dropped at the end."""
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    required = os.environ.get("REQUIRE_POSTGRES") == "1"
    if not admin_url:
        if required:
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
        pytest.skip("TEST_POSTGRES_URL is not set")
    name = f"vitd_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means the same thing here
        if required:
            pytest.fail(f"PostgreSQL at TEST_POSTGRES_URL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable ({exc}); set REQUIRE_POSTGRES=1 to make this an error")
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    upgrade_sync(url)
    yield url
    asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated once per session; each test gets a copy (migrating takes ~0.1 s
    of CPU, copying ~1 ms)."""
    path = tmp_path_factory.mktemp("template") / "bot.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    # Alembic's engine is disposed, so WAL is checkpointed: the file alone is the whole database.
    assert not path.with_name("bot.db-wal").exists()
    return path


def empty_database(request, engine: str, folder) -> str:
    """A migrated, empty database on `engine`: a copy of the session's migrated SQLite file in
    `folder`, or the session's PostgreSQL database with every table emptied."""
    if engine == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), folder / "bot.db")
        return f"sqlite+aiosqlite:///{folder}/bot.db"
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_admin(url, EMPTY_EVERY_TABLE))
    return url


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path):
    return empty_database(request, request.param, tmp_path)


@pytest.fixture(scope="session")
def content():
    return load_content(default_content_dir())


@pytest.fixture
def clock():
    # A Monday morning in UTC, in winter: far from today, and with DST changes ahead.
    return FakeClock(datetime(2027, 1, 4, 6, 0, tzinfo=UTC))


OPERATOR_ID = 900001


@pytest.fixture
def settings_for():
    def make(server, database_url: str, **overrides) -> Settings:
        values = dict(
            telegram_bot_token=server.token,
            telegram_api_base_url=server.base_url,
            database_url=database_url,
            operator_ids=frozenset({OPERATOR_ID}),
            send_rate_limit=1000,
        )
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
async def server(clock):
    from tests.fakebot import FakeBotApi

    async with FakeBotApi(clock=clock) as fake:
        yield fake


@pytest.fixture
async def bot(server, database_url, clock, content, settings_for) -> BotHarness:
    async with running_bot(settings_for(server, database_url), content, clock, server) as harness:
        yield harness
