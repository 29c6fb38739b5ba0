"""Only one process may long-poll Telegram for a bot token (a second gets 409 Conflict).

On PostgreSQL the poller is whoever holds a session-level advisory lock, on a connection kept
open for as long as it polls: if that process dies, the lock is released with its connection and
another process takes over. A database restart or `pg_terminate_backend` ends that connection
too, and with it the lock, while the process lives on: so the leader checks, every few seconds,
that its connection is alive and still holds the lock, and stops polling as soon as it does not
(another process may have taken the lock by then). SQLite is one machine and one process, which
always polls.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

POLLING_LOCK_KEY = 0x76697464  # "vitd"
CHECK_TIMEOUT = 3.0  # seconds: a lock check that takes longer counts as lost


class PollingLeadership:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None

    @property
    def leading(self) -> bool:
        return self._connection is not None or self.engine.dialect.name != "postgresql"

    async def try_lead(self) -> bool:
        if self.leading:
            return True
        connection = await self.engine.connect()
        try:
            got = (await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": POLLING_LOCK_KEY})).scalar()
            await connection.commit()
        except BaseException:
            await _close_quietly(connection)
            raise
        if got:
            self._connection = connection
            return True
        await connection.close()
        return False

    async def still_leading(self) -> bool:
        """Whether this process still holds the lock; if not, it no longer leads."""
        if self._connection is None:
            return self.leading
        try:
            held = await asyncio.wait_for(self._holds_lock(self._connection), CHECK_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - a dead connection, a timeout: the lock is gone
            log.warning("the polling lock's connection failed (%s)", type(exc).__name__)
            held = False
        if not held:
            await self.release()
        return held

    async def release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await _close_quietly(connection)  # closing the session releases the lock

    @staticmethod
    async def _holds_lock(connection: AsyncConnection) -> bool:
        # A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32).
        held = (await connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            " AND granted AND classid = 0 AND objid = :key AND objsubid = 1"
        ), {"key": POLLING_LOCK_KEY})).scalar()
        await connection.commit()
        return bool(held)


async def _close_quietly(connection: AsyncConnection) -> None:
    try:
        await asyncio.wait_for(connection.close(), CHECK_TIMEOUT)
    except Exception:  # noqa: BLE001 - the connection is already gone: nothing left to release
        try:
            await connection.invalidate()
        except Exception:  # noqa: BLE001
            pass
