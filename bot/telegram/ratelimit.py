"""One bulk budget for the whole process, as a python-telegram-bot rate limiter.

`SEND_RATE_LIMIT` is a hard ceiling in *every* sliding window, not an average: Telegram answers
429 to a burst even when the average is fine, and a leaky bucket (PTB's `AIORateLimiter`) lets a
full bucket plus its refill through in one second. So bulk sends (drip and broadcasts, marked with
`rate_limit_args={"bulk": True}`) wait for a free slot in a sliding window of recent sends.

Replies to a subscriber's own command never wait: they go straight out, but they take a slot in
the window, so bulk sends make room for them rather than the other way round.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from typing import Any, Callable, Coroutine

from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

SEND_ENDPOINTS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup", "copyMessage"}
)
MAX_BULK_ATTEMPTS = 6
MAX_REPLY_RETRY_AFTER = 5.0  # a reply worth sending late; past this the subscriber is told to retry


class SlidingWindow:
    """At most `floor(rate)` events in any one-second window (for a rate below 1: one per 1/rate s)."""

    def __init__(self, rate: float, *, margin: float = 0.02, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._margin = margin  # the server's clock sees our sends a little later than we do
        self._events: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        # The window stays one second (a shorter one would let two bursts into one second);
        # a fractional rate rounds down, and a rate below one stretches the window instead.
        self.rate = rate
        self.capacity = max(1, math.floor(rate))
        self.window = 1.0 if rate >= 1 else 1.0 / rate

    def _trim(self, now: float) -> None:
        while self._events and self._events[0] <= now - self.window - self._margin:
            self._events.popleft()

    def record(self) -> None:
        now = self._clock()
        self._trim(now)
        self._events.append(now)

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served among bulk senders
            while True:
                now = self._clock()
                self._trim(now)
                if len(self._events) < self.capacity:
                    self._events.append(now)
                    return
                await asyncio.sleep(self._events[-self.capacity] + self.window + self._margin - now)


class BulkRateLimiter(BaseRateLimiter[dict]):
    def __init__(self, rate: float) -> None:
        self.window = SlidingWindow(rate)
        self._paused_until = 0.0  # after a 429, every bulk send waits as Telegram told us

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

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
            if bulk:
                pause = self._paused_until - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                await self.window.acquire()
            else:
                self.window.record()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = _seconds(exc.retry_after)
                self._paused_until = max(self._paused_until, time.monotonic() + delay)
                log.warning("Telegram asked to wait %.1f s (429)", delay)
                if attempt >= MAX_BULK_ATTEMPTS or (not bulk and delay > MAX_REPLY_RETRY_AFTER):
                    raise
                if not bulk:
                    await asyncio.sleep(delay)
            except (TimedOut, NetworkError) as exc:
                # Network trouble: retried with backoff, never dropped (the caller reschedules
                # once the attempts are spent). Replies are not retried: the subscriber is there.
                if not bulk or attempt >= MAX_BULK_ATTEMPTS:
                    raise
                backoff = min(0.25 * 2 ** attempt, 8.0)
                log.warning("network error on %s (%s); retrying in %.1f s", endpoint, type(exc).__name__, backoff)
                await asyncio.sleep(backoff)


def _seconds(retry_after: object) -> float:
    if hasattr(retry_after, "total_seconds"):
        return float(retry_after.total_seconds())  # type: ignore[union-attr]
    return float(retry_after)  # type: ignore[arg-type]
