"""One send budget for the whole process, as a python-telegram-bot rate limiter.

`SEND_RATE_LIMIT` is a hard ceiling in *every* sliding window, not an average: Telegram answers
429 to a burst even when the average is fine, and a leaky bucket (PTB's `AIORateLimiter`) lets a
full bucket plus its refill through in one second. So every send takes a slot in a sliding window
of recent sends, and waits when there is none.

Bulk sends (drip and broadcasts, marked with `rate_limit_args={"bulk": True}`) queue for slots
first come, first served. Replies to a subscriber's own command jump that queue: they take the
next free slot before any waiting bulk send, so a running broadcast delays a reply by at most one
slot (1/rate s) and the ceiling still holds for everything together.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import warnings
from collections import deque
from typing import Any, Callable, Coroutine

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

SEND_ENDPOINTS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup", "copyMessage"}
)
MAX_BULK_ATTEMPTS = 6
MAX_REPLY_RETRY_AFTER = 5.0  # a reply worth sending late; past this the subscriber is told to retry


class SlidingWindow:
    """At most `floor(rate)` sends in any one-second window (for a rate below 1: one per 1/rate s).

    A send's slot counts from the moment its answer came back, not from when it left: the server
    saw it somewhere in between, so counting from the answer can only err on the safe side, however
    long the request took. A send still under way holds its slot until then.
    """

    def __init__(self, rate: float, *, margin: float = 0.02, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._margin = margin
        self._slots: deque[list[float]] = deque()  # [answered at]; inf while the send is under way
        self._lock = asyncio.Lock()
        self._urgent = 0  # replies waiting for a slot
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        # The window stays one second (a shorter one would let two bursts into one second);
        # a fractional rate rounds down, and a rate below one stretches the window instead.
        self.rate = rate
        self.capacity = max(1, math.floor(rate))
        self.window = 1.0 if rate >= 1 else 1.0 / rate

    def _wait(self, now: float) -> float:
        """Seconds until a slot is free (0: one is free now)."""
        if len(self._slots) < self.capacity:
            return 0.0
        cutoff = now - self.window - self._margin
        self._slots = deque(slot for slot in self._slots if slot[0] > cutoff)
        if len(self._slots) < self.capacity:
            return 0.0
        oldest = min(slot[0] for slot in self._slots)
        return 0.01 if oldest == math.inf else max(oldest - cutoff, 0.001)

    def _take(self) -> list[float]:
        slot = [math.inf]
        self._slots.append(slot)
        return slot

    def release(self, slot: list[float]) -> None:
        """The send in `slot` has been answered (or given up): its second starts now."""
        slot[0] = self._clock()

    async def acquire(self, *, urgent: bool = False) -> list[float]:
        """Wait for a slot; pass it to `release` once the send is answered."""
        if urgent:
            self._urgent += 1
            try:
                while (wait := self._wait(self._clock())) > 0:
                    await asyncio.sleep(wait)
            finally:
                self._urgent -= 1
            return self._take()
        async with self._lock:  # first come, first served among bulk senders
            while True:
                wait = self._wait(self._clock())
                if wait == 0 and not self._urgent:
                    return self._take()
                # A waiting reply gets the free slot first: step aside until it has taken it.
                await asyncio.sleep(wait or 0.001)


class BulkRateLimiter(BaseRateLimiter[dict]):
    def __init__(self, rate: float) -> None:
        self.window = SlidingWindow(rate)
        self._paused_until = 0.0  # after a 429, every bulk send waits as Telegram told us

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def _slot(self, bulk: bool) -> list[float]:
        while True:
            if bulk:  # after a 429 every bulk send waits as Telegram told us
                while (pause := self._paused_until - time.monotonic()) > 0:
                    await asyncio.sleep(pause)
            slot = await self.window.acquire(urgent=not bulk)
            if not bulk or self._paused_until <= time.monotonic():
                return slot
            self.window.release(slot)  # a 429 came while it waited: give the slot up, wait again

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> Any:
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        if endpoint not in SEND_ENDPOINTS:
            return await callback(*args, **kwargs)
        attempt = 0
        while True:
            attempt += 1
            slot = await self._slot(bulk)
            try:
                try:
                    return await callback(*args, **kwargs)
                finally:
                    self.window.release(slot)
            except RetryAfter as exc:
                delay = _seconds(exc)
                self._paused_until = max(self._paused_until, time.monotonic() + delay)
                log.warning("Telegram asked to wait %.1f s (429)", delay)
                if attempt >= MAX_BULK_ATTEMPTS or (not bulk and delay > MAX_REPLY_RETRY_AFTER):
                    raise
                if not bulk:
                    await asyncio.sleep(delay)
            # Network errors and timeouts are not retried here: whether to send again (a timed-out
            # message may have arrived) is the delivery ledger's one retry policy to decide.


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        retry_after = exc.retry_after
    if hasattr(retry_after, "total_seconds"):
        return float(retry_after.total_seconds())
    return float(retry_after)
