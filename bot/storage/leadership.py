"""Only one process may long-poll Telegram for a bot token (a second gets 409 Conflict).

On PostgreSQL the poller is whoever holds a session-level advisory lock, on a connection kept
open for as long as it polls: if that process dies, the lock is released with its connection and
another process takes over. SQLite is one machine and one process, which always polls.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

POLLING_LOCK_KEY = 0x76697464  # "vitd"


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
        got = (await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": POLLING_LOCK_KEY})).scalar()
        await connection.commit()
        if got:
            self._connection = connection
            return True
        await connection.close()
        return False

    async def release(self) -> None:
        if self._connection is not None:
            await self._connection.close()  # closing the session releases the lock
            self._connection = None
