"""The migrations, run from scratch on each engine, build exactly the schema the models declare.

Every other test starts from a database migrated once per session (a copied SQLite file, an
emptied PostgreSQL database), so this is the one place the whole chain runs on an empty database.
"""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.db import alembic_config, upgrade_sync
from bot.storage.models import Base
from tests.hardening.conftest import unmigrated_database_url  # noqa: F401 - a fixture


async def differences_and_version(url: str) -> tuple[list, str | None]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            def inspect(sync_connection):
                context = MigrationContext.configure(sync_connection)
                return compare_metadata(context, Base.metadata), context.get_current_revision()

            return await connection.run_sync(inspect)
    finally:
        await engine.dispose()


# Alembic's comparison asks SQLAlchemy about an option no dialect here has; nothing is wrong.
@pytest.mark.filterwarnings("ignore:Can't validate argument 'dialect_options'")
def test_every_migration_from_an_empty_database_gives_the_models_schema(unmigrated_database_url):  # noqa: F811
    upgrade_sync(unmigrated_database_url)
    differences, version = asyncio.run(differences_and_version(unmigrated_database_url))
    assert differences == []
    assert version == ScriptDirectory.from_config(alembic_config(unmigrated_database_url)).get_current_head()
