"""Several replicas starting together migrate the database once: on PostgreSQL the migrations run
under an advisory lock, and whoever waited for it finds the schema already current."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg
import pytest

from bot.storage.db import alembic_config
from tests.conftest import _asyncpg_dsn

pytestmark = pytest.mark.slow  # starts processes: python3 dev.py test -m "not slow" skips it

REPLICAS = 4


async def _versions(url: str) -> list[str]:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return [row[0] for row in await connection.fetch("SELECT version_num FROM alembic_version")]
    finally:
        await connection.close()


@pytest.mark.postgres  # the lock is PostgreSQL's: one SQLite file has one process migrating it
@pytest.mark.parametrize("unmigrated_database_url", ["postgres"], indirect=True)
def test_replicas_starting_together_migrate_once(unmigrated_database_url):
    fresh_postgres_url = unmigrated_database_url
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
