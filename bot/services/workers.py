"""Several bot processes on one database: who is alive, and each one's share of the bulk rate.

Every process writes a heartbeat row; the live ones (heartbeat in the last `LIVE_FOR`) split
`SEND_RATE_LIMIT` evenly, each through its own sliding-window limiter, so the total stays under the
ceiling. A new process waits one heartbeat round before its first bulk send, so that the others
have already lowered their share; a dead one's share returns to the others once its heartbeat ages
out. Heartbeats use wall-clock time: liveness is about real processes, not the program calendar.

A process whose heartbeat stopped is gone, and the ledger releases its claims — but only a process
that has itself been beating steadily for `LIVE_FOR` may decide that: after a database restart
every heartbeat is old, and a live process must not have its claims taken while it sends them.
And a process whose own heartbeat has not got through for `FENCE_AFTER` sends nothing it claimed
(see `fresh`): by the time the others may think it gone, it has stopped.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.db import rowcount
from bot.storage.models import Worker

HEARTBEAT_EVERY = timedelta(seconds=2)
LIVE_FOR = timedelta(seconds=10)
FENCE_AFTER = LIVE_FOR / 2  # a process whose own heartbeat is this old starts no send
FORGET_AFTER = timedelta(minutes=10)
APPLICATION_NAME = "vitd-bot "  # + worker id: how PostgreSQL names this process's connections


class WorkerRegistry:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], worker_id: str | None = None) -> None:
        self.sessions = sessions
        self.id = worker_id or uuid.uuid4().hex  # also the `claimed_by` of this process's claims
        self._steady_since: float | None = None  # since when every heartbeat got through on time
        self._last_beat = 0.0

    def may_judge_others(self) -> bool:
        """Whether this process's own heartbeats have been steady for LIVE_FOR: only then can an
        old heartbeat of another process mean that it is gone."""
        return self._steady_since is not None and time.monotonic() - self._steady_since >= LIVE_FOR.total_seconds()

    def connection_lost(self) -> None:
        """A database connection died: perhaps the database restarted, and every process is
        reconnecting. Judge nobody gone until this process has been steady for LIVE_FOR again."""
        self._steady_since = None

    def fresh(self) -> bool:
        """Whether this process's own last heartbeat is recent: others cannot yet think it gone."""
        return time.monotonic() - self._last_beat < FENCE_AFTER.total_seconds()

    async def beat(self) -> int:
        """Record that this process is alive; returns how many processes are alive."""
        try:
            return await self._beat()
        except BaseException:
            self._steady_since = None
            raise

    async def _beat(self) -> int:
        now = datetime.now(UTC)
        async with self.sessions.begin() as session:
            result = await session.execute(update(Worker).where(Worker.id == self.id).values(heartbeat_at=now))
            if rowcount(result) == 0:
                session.add(Worker(id=self.id, heartbeat_at=now))
            await session.execute(delete(Worker).where(Worker.heartbeat_at < now - FORGET_AFTER))
        beat_at = time.monotonic()
        if self._steady_since is None or beat_at - self._last_beat > 2 * HEARTBEAT_EVERY.total_seconds():
            self._steady_since = beat_at
        self._last_beat = beat_at
        async with self.sessions() as session:
            live = await session.execute(select(func.count()).select_from(Worker).where(Worker.heartbeat_at >= now - LIVE_FOR))
            return max(1, live.scalar_one())

    async def forget_others(self) -> int:
        """SQLite, at start-up: only one process runs on it, so every other heartbeat row is a
        dead process's. Left in place, a row a killed process wrote a moment ago would count as
        alive for LIVE_FOR: the new process would wait a heartbeat round before its first bulk
        send and take half the rate meanwhile. Returns how many rows went."""
        async with self.sessions.begin() as session:
            return rowcount(await session.execute(delete(Worker).where(Worker.id != self.id)))

    async def connected(self) -> set[str]:
        """PostgreSQL: the workers that have a connection to the database now. A process killed
        outright loses its connections at once, long before its heartbeat is old."""
        async with self.sessions() as session:
            names = (await session.execute(text(
                "SELECT application_name FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name LIKE :prefix"
            ), {"prefix": APPLICATION_NAME + "%"})).scalars()
            return {name.removeprefix(APPLICATION_NAME) for name in names}

    async def leave(self) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(Worker).where(Worker.id == self.id))
