"""The fault suite's restartable PostgreSQL: a database of the test's own on the suite's own
server (tests/faults/cluster.py), held under the server's lock for the whole test, since the test
restarts the server. Under REQUIRE_POSTGRES=1 or CI=true a server that cannot be made fails the
test instead of skipping it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

from bot.storage.db import upgrade_sync
from tests.conftest import _admin
from tests.faults.cluster import Cluster, ensure_cluster, exclusive


@pytest.fixture
def restartable_postgres() -> Iterator[tuple[Cluster, str]]:
    required = os.environ.get("REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"
    with exclusive():
        try:
            cluster = ensure_cluster()
            name = f"vitd_restart_{uuid.uuid4().hex[:10]}"
            asyncio.run(_admin(cluster.url("postgres"), f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001 - whatever stops it, the test cannot run
            if required:
                pytest.fail(f"cannot make the fault suite's PostgreSQL server: {exc}")
            pytest.skip(f"cannot make the fault suite's PostgreSQL server ({exc})")
        url = cluster.url(name)
        try:
            upgrade_sync(url)
            yield cluster, url
        finally:
            asyncio.run(_admin(cluster.url("postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
