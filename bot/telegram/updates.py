"""Updates from different chats run concurrently; updates from one chat run in order; no chat can
crowd out the others.

A subscriber waiting for their chart must not hold up everyone else, but two quick answers from
the same person (a time zone, then a time) must be handled in the order they were typed.

Fairness comes from the order of the waits: an update first waits for its chat's turn and only
then for one of the `max_concurrent_updates` slots. (python-telegram-bot's own semaphore is taken
before `do_process_update`, the other way round, so one chat's queued updates would hold every
slot; it is made too wide to matter and the slots live here.) A chat that sends faster than the
bot can answer gets one notice, and its updates beyond `max_backlog` waiting ones are dropped until
it has caught up: a person never has that many messages waiting, a flood does.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from bot.metrics import count_throttled

log = logging.getLogger(__name__)
Notify = Callable[[int], Awaitable[object]]
UNBOUNDED = 2**31 - 1
FLOOD_NOTICE = (
    "You're sending messages faster than I can answer them, so I'm skipping some. "
    "Please send one at a time, and wait for my reply."
)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 64, max_backlog: int = 8, notify: Notify | None = None) -> None:
        super().__init__(UNBOUNDED)
        self.slots = asyncio.Semaphore(max_concurrent_updates)
        self.max_backlog = max_backlog
        self.notify = notify  # tells a flooding chat that it is being throttled
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}  # updates of a chat not finished yet (running or queued)
        self._warned: set[int] = set()  # chats told in their current flood
        self.dropped = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        where = update.effective_chat if isinstance(update, Update) else None
        if where is None:
            async with self.slots:
                await coroutine
            return
        chat = where.id
        if self._waiting.get(chat, 0) >= self.max_backlog:
            await self._drop(chat, coroutine, tell=where.type == ChatType.PRIVATE)
            return
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        try:
            async with lock:
                async with self.slots:
                    await coroutine
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:  # memory stays flat however many chats write
                del self._waiting[chat], self._locks[chat]
                self._warned.discard(chat)

    async def _drop(self, chat: int, coroutine: Awaitable[Any], tell: bool) -> None:
        if inspect.iscoroutine(coroutine):
            coroutine.close()  # never run, and no "was never awaited" warning
        self.dropped += 1
        count_throttled()
        if chat in self._warned or self.notify is None or not tell:  # groups hear from the gate only
            return
        self._warned.add(chat)
        log.info("chat throttled: more than %d updates waiting", self.max_backlog)
        try:
            async with self.slots:
                await self.notify(chat)
        except Exception:  # noqa: BLE001 - a notice that cannot be sent changes nothing
            log.warning("could not send the throttle notice")

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
