"""The update queue behind getUpdates: updates stay until the bot confirms them with a higher
offset; a long poll returns as soon as one is queued; a newer poll ends an older one (409)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time

from bot.fakeapi.params import ApiError

# Update types Telegram leaves out unless asked for by allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Pulse:
    """Wakes every waiter each time something changes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), max(timeout, 0))


class UpdateQueue:
    def __init__(self) -> None:
        self._updates: list[dict] = []
        self._ids = itertools.count(1)
        self._allowed: list[str] | None = None  # remembered between calls, as Telegram does
        self._generation = 0
        self._closed = False
        self._pulse = Pulse()
        self._waiting = 0  # long polls waiting for an update right now
        self._waiting_pulse = Pulse()

    @property
    def pending(self) -> list[dict]:
        return list(self._updates)

    def push(self, kind: str, payload: dict) -> int:
        update_id = next(self._ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._pulse.fire()
        return update_id

    def clear(self) -> None:
        self._updates.clear()

    def close(self) -> None:
        """Answer every waiting poll now (the server is stopping)."""
        self._closed = True
        self._pulse.fire()

    async def poll(
        self, offset: int | None, limit: int, timeout: float, allowed: list[str] | None
    ) -> list[dict]:
        if allowed is not None:
            self._allowed = list(allowed) or None
        self._confirm(offset)
        self._generation += 1
        generation = self._generation
        self._pulse.fire()  # an older poll still waiting is now in conflict
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = [u for u in self._updates if self._wanted(u)][:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closed:
                return ready
            self._waiting += 1
            self._waiting_pulse.fire()
            try:
                await self._pulse.wait(remaining)
            finally:
                self._waiting -= 1

    async def wait_for_poll(self, timeout: float) -> None:
        """Return once a long poll is waiting (tests start one, then act while it waits)."""
        deadline = time.monotonic() + timeout
        while not self._waiting:
            if time.monotonic() >= deadline:
                raise AssertionError(f"no getUpdates was waiting within {timeout}s")
            await self._waiting_pulse.wait(deadline - time.monotonic())

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        else:
            self._updates = self._updates[offset:]

    def _wanted(self, update: dict) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed
