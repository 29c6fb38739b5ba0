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
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

SEND_ENDPOINTS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup", "copyMessage"}
)
MAX_BULK_ATTEMPTS = 6
BULK_BURST = 0.05  # bulk sends allowed back to back, as a share of the rate (50 ms of sending)
MAX_REPLY_RETRY_AFTER = 5.0  # a reply worth sending late; past this the subscriber is told to retry
# Bulk sends under way: the rate times a send's round trip, times 1.5 for its ups and downs
# (Little's law), within these bounds. 8 keep a local Bot API at 1,000/s busy; ~150 Telegram at
# 100 ms. More add nothing but a queue at the server (and in the event loop), and a reply waits
# behind all of it: so the round trip is the shortest of the last second or two, the time a send
# takes with no queue (as TCP BBR sizes what it has in flight), not an average, which would grow
# with every send added and feed itself.
# At least 8 ms of sending at the rate (8 at 1,000/s: against a local Bot API that kept the rate
# as well as 16 did, and a reply's p95 fell from 154-177 to 70-117 ms; 2 at 30/s, where more would
# let one broadcast queue a dozen sends ahead of another's), at most what a connection pool holds.
IN_FLIGHT_SPARE = 1.5
MIN_IN_FLIGHT_SECONDS = 0.008
MIN_IN_FLIGHT, MAX_IN_FLIGHT = 2, 200
ROUND_TRIP_PERIOD = 1.0  # seconds


class Slot:
    """One send's place in the window; `SlidingWindow.release` it once the send is answered."""

    __slots__ = ("released", "taken_at")

    def __init__(self, taken_at: float) -> None:
        self.released = False
        self.taken_at = taken_at


class SlidingWindow:
    """At most `floor(rate)` sends in any one-second window (for a rate below 1: one per 1/rate s).

    A send's slot counts from the moment its answer came back, not from when it left: the server
    saw it somewhere in between, so counting from the answer can only err on the safe side, however
    long the request took. A send still under way holds its slot until then.

    Answer times are appended as they happen, so they are in order: finding the oldest and
    forgetting the expired ones is O(1) per send, which matters at 1,000 sends a second.
    """

    # Counting from the answer is already safe (the server saw the send before we saw its answer,
    # so the next send in that slot arrives over a second after it); the margin only absorbs clock
    # rounding. A larger one costs throughput: at 30/s, every 10 ms of it is 0.3 messages/s.
    def __init__(self, rate: float, *, margin: float = 0.002, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._margin = margin
        self._answered: deque[float] = deque()  # when each recent send was answered, oldest first
        self._in_flight = 0  # sends under way: each holds a slot until answered
        self._lock = asyncio.Lock()
        self._urgent = 0  # replies waiting for a slot
        self._next_bulk = -math.inf  # the earliest a bulk send may go (they are paced, see acquire)
        # The shortest answer time (from taking a slot) in this period and in the one before.
        self._shortest = [math.inf, math.inf]
        self._period_ends = -math.inf
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        # The window stays one second (a shorter one would let two bursts into one second);
        # a fractional rate rounds down, and a rate below one stretches the window instead.
        self.rate = rate
        self.capacity = max(1, math.floor(rate))
        self.window = 1.0 if rate >= 1 else 1.0 / rate
        self.interval = self.window / self.capacity
        self.burst = max(1, math.floor(self.capacity * BULK_BURST))

    def _wait(self, now: float) -> float:
        """Seconds until a slot is free (0: one is free now)."""
        cutoff = now - self.window - self._margin
        answered = self._answered
        while answered and answered[0] <= cutoff:
            answered.popleft()
        if self._in_flight + len(answered) < self.capacity:
            return 0.0
        if not answered:  # every slot is held by a send still under way
            return 0.01
        return max(answered[0] - cutoff, 0.001)

    def _take(self) -> Slot:
        self._in_flight += 1
        return Slot(self._clock())

    def release(self, slot: Slot) -> None:
        """The send in `slot` has been answered (or given up): its second starts now."""
        if slot.released:
            return
        slot.released = True
        self._in_flight -= 1
        now = self._clock()
        self._answered.append(now)
        took = now - slot.taken_at
        if now >= self._period_ends:
            self._shortest = [took, self._shortest[0]]
            self._period_ends = now + ROUND_TRIP_PERIOD
        elif took < self._shortest[0]:
            self._shortest[0] = took

    @property
    def round_trip(self) -> float:
        """Seconds a send takes to be answered when nothing queues (0 before the first answer)."""
        shortest = min(self._shortest)
        return 0.0 if shortest == math.inf else shortest

    def bulk_in_flight(self) -> int:
        """Bulk sends worth having under way at this rate (see IN_FLIGHT_SPARE)."""
        wanted = math.ceil(self.rate * self.round_trip * IN_FLIGHT_SPARE)
        floor = max(MIN_IN_FLIGHT, math.ceil(self.rate * MIN_IN_FLIGHT_SECONDS))
        return min(MAX_IN_FLIGHT, max(floor, wanted))

    async def acquire(self, *, urgent: bool = False) -> Slot:
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
                now = self._clock()
                wait = max(self._wait(now), self._next_bulk - now)
                if wait <= 1e-6 and not self._urgent:  # (the pace's sums carry float rounding)
                    self._pace(now)
                    return self._take()
                # A waiting reply gets the free slot first: step aside until it has taken it.
                await asyncio.sleep(wait if wait > 1e-6 else 0.001)

    def _pace(self, now: float) -> None:
        """Bulk sends go out evenly, one per 1/rate s, at most `burst` of them back to back after
        a pause. Unpaced, a drip fills a whole second's slots in one burst, they all come free
        together a second later and are all taken again at once, and a reply arriving just after
        that waits a full second; paced, a slot frees every 1/rate s and the reply takes the next.
        The pace keeps its beat: a send less than one interval late (the event loop was busy, or
        the window's edge held it) does not push every later one back, which at 30/s cost most of
        a message a second."""
        if now - self._next_bulk < self.interval:
            start = self._next_bulk
        else:  # after a pause
            start = max(self._next_bulk, now - (self.burst - 1) * self.interval)
        self._next_bulk = start + self.interval


class BulkRateLimiter(BaseRateLimiter[dict]):
    def __init__(self, rate: float) -> None:
        self.window = SlidingWindow(rate)
        self._paused_until = 0.0  # after a 429, every bulk send waits as Telegram told us

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def _slot(self, bulk: bool) -> Slot:
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
