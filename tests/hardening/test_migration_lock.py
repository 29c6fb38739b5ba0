"""Several replicas starting together migrate the database once: on PostgreSQL the migrations run
under an advisory lock, and whoever waited for it finds the schema already current."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import asyncpg
import pytest

from bot.storage.db import alembic_config
from tests.conftest import _admin, _asyncpg_dsn

pytestmark = pytest.mark.postgres
REPLICAS = 4


@pytest.fixture
def fresh_postgres_url(postgres_url):
    """An empty PostgreSQL database of its own (not migrated), dropped afterwards."""
    admin_url = os.environ["TEST_POSTGRES_URL"]
    name = f"vitd_lock_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _versions(url: str) -> list[str]:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return [row[0] for row in await connection.fetch("SELECT version_num FROM alembic_version")]
    finally:
        await connection.close()


def test_replicas_starting_together_migrate_once(fresh_postgres_url):
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(fresh_postgres_url)).get_heads())
    # Processes, as replicas are (Alembic's context is process-global, so threads would not do).
    code = "import sys; from bot.storage.db import upgrade_sync; upgrade_sync(sys.argv[1])"
    replicas = [
        subprocess.Popen([sys.executable, "-c", code, fresh_postgres_url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(REPLICAS)
    ]
    outputs = [replica.communicate(timeout=120)[0].decode() for replica in replicas]
    failed = [out[-600:] for replica, out in zip(replicas, outputs) if replica.returncode != 0]
    assert not failed, failed
    assert set(asyncio.run(_versions(fresh_postgres_url))) == heads
