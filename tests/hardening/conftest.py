"""A database of a test's own, on each engine, left unmigrated (tests here migrate it themselves)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from tests.conftest import ENGINES, _admin


@pytest.fixture(params=ENGINES)
def unmigrated_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/bot.db"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails under REQUIRE_POSTGRES) as the others do
    admin_url = os.environ["TEST_POSTGRES_URL"]
    name = f"vitd_fresh_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
