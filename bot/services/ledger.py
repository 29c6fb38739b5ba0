"""The delivery engine the drip and broadcasts share: claim → send → confirm, one retry policy.

- **Claim** (the caller's query, in one transaction per batch): ledger rows become `claimed`, with
  a lease and `claimed_by` = this process's worker id.
- **Send**: through the Messenger, claims streaming in batch after batch (`stream`: the next
  batch is claimed while this one is sent, so sending never stands still at a claim or a batch's
  tail), with as many sends in flight as the rate needs (rate x round trip x 1.5, the
  Messenger's `bulk_in_flight`), retried in this process by `POLICY` (tenacity) while the message
  surely did not arrive. No request is started once the process is stopping or half the lease has
  passed; such a claim is released, not lost. A request under way is never cut off (that would
  only make its outcome unknown).
- **Confirm**: each outcome is queued for writing the moment its response arrives, and written
  within `CONFIRM_EVERY` (20 ms) plus one write: answers that arrive meanwhile share that
  transaction, so at 1,000 messages a second the database sees at most ~50 commits a second and
  a received answer is on disk a few tens of milliseconds later. A write is retried (tenacity)
  for `CONFIRM_PATIENCE` seconds, so a database restart of a few seconds causes no duplicate.

What a send's outcome means (`Verdict`):

- `sent`; `blocked` (the subscriber blocked the bot, or the chat is gone: never retried);
- `retry`: the message surely did not arrive (429 past the limiter's own waits, 5xx, a
  connection that could not be made): retried here with backoff;
- `unknown`: the request went out and no answer came (a read timeout, a connection reset). The
  message may have arrived. It is treated like a request in flight at a kill: sent again, because
  losing a day is worse than seeing it twice, but at most once more in this claim, and counted
  (`vitd_send_unknown_total`) and logged;
- `refused`: Telegram's final answer (400), or the message could not be built: not retried in
  this claim.

A claim that ends without `sent` or `blocked` is `failed` and tried again in a later round after
`POLICY.round_delay`; after `POLICY.park_after` rounds it is `parked` with its reason, which
`/stats`, `vitd-bot stats` and the logs show. One subscriber's item never holds back another's.

Claims of a process that is gone are released at once: on SQLite (one process) every claim left
when the bot starts; on PostgreSQL those whose process's heartbeat stopped (`workers.LIVE_FOR`).
The other side of that rule: a process whose own heartbeat has not got through for half that
time starts no send (`may_send`), so a live process cut off from the database (a stall, a
restart) never sends what another has already taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)
from tenacity.stop import stop_base

from bot.metrics import count_parked, count_unknown_outcome
from bot.services.context import Deps
from bot.services.ports import Keyboard, Messenger, SendOutcome
from bot.storage.db import long_statements, rowcount
from bot.storage.models import Delivery, Subscriber, Worker

log = logging.getLogger(__name__)

CONFIRM_PATIENCE = 30.0  # seconds a confirm keeps retrying: longer than a database restart
# Seconds between the starts of two confirm writes: at most 50 commits a second, however many
# answers arrive, and an answer waits at most this long (plus the write under way) to be recorded.
CONFIRM_EVERY = 0.02
# Outcomes in one write from which its statements run off the event loop on SQLite (a few ms of
# holding everyone up); smaller writes commit without a turn of the loop (storage/sqlite.py).
LONG_BATCH = 100
BATCH_SECONDS = 0.5  # of sending at the configured rate per claim: at most two claims a second
MIN_BATCH = 50
YIELD_EVERY = 32  # sends started between two turns given to the event loop (replies go first)
# A send waiting out a retry, or whose request has gone this long without an answer (Telegram
# answers in well under a second), is stalled: it stops counting against the sends in flight, so a
# few hung requests or slow retries do not hold back everyone after them. At most STALLED_EXTRA
# such sends are let past the window, so a Telegram that answers nobody is not flooded.
STALLED_AFTER = 1.0  # seconds
STALLED_EXTRA = 64
_RECHECK = 0.25  # seconds between two looks at the stalled sends while the window is full


class Status(StrEnum):
    PENDING = "pending"  # waiting for its turn (a broadcast recipient, a released claim)
    CLAIMED = "claimed"  # a process is sending it
    SENT = "sent"
    FAILED = "failed"  # tried, not delivered: another round after a pause
    PARKED = "parked"  # given up after POLICY.park_after rounds; `error` says why
    BLOCKED = "blocked"  # the subscriber blocked the bot
    SKIPPED = "skipped"  # left the audience before their turn


class Verdict(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    RETRY = "retry"
    UNKNOWN = "unknown"
    REFUSED = "refused"
    RELEASED = "released"  # never started: the process is stopping, or the lease is half gone


# Errors after which the request had left and its answer was lost: the message may have arrived.
_ANSWER_LOST = ("ReadError", "RemoteProtocolError", "ServerDisconnected", "ClientPayloadError",
                "Connection reset", "ConnectionResetError", "ReadTimeout")


def batch_size(rate: float, lease: timedelta) -> int:
    """Claims per batch: half a second of sending at `rate`, and at most a quarter of the lease's
    worth, so that a batch (and the one claimed ahead of it) is sent well inside its lease."""
    return max(1, min(max(MIN_BATCH, math.ceil(rate * BATCH_SECONDS)), math.floor(rate * lease.total_seconds() / 4)))


def classify(outcome: SendOutcome) -> Verdict:
    if outcome.ok:
        return Verdict.SENT
    if outcome.status == "blocked":
        return Verdict.BLOCKED
    error = outcome.error or ""
    if error.startswith("released"):
        return Verdict.RELEASED
    if error.startswith("TimedOut"):
        # A pool timeout is PTB's own queue: the request never left.
        return Verdict.RETRY if "Pool timeout" in error else Verdict.UNKNOWN
    if any(mark in error for mark in _ANSWER_LOST):
        return Verdict.UNKNOWN
    if error.startswith(("NetworkError", "RetryAfter", "ConnectError", "ConnectionRefused")):
        return Verdict.RETRY
    return Verdict.REFUSED


@dataclass(frozen=True)
class RetryPolicy:
    """The one retry policy for every bulk send (429s are also paced by the rate limiter, which
    makes every bulk send wait Telegram's `retry_after`)."""

    attempts_per_claim: int = 4  # sends in one claim, while the message surely did not arrive
    unknown_repeats: int = 1  # resends after an unknown outcome, in one claim
    first_wait: float = 0.5  # seconds, doubling, with jitter
    max_wait: float = 8.0
    park_after: int = 6  # rounds (claims) before an item is parked
    max_round_delay: timedelta = timedelta(hours=1)

    def round_delay(self, attempts: int, lease: timedelta) -> timedelta:
        """The pause before round `attempts + 1`: 40% of the lease (2 min by default), doubling."""
        return min(lease * 0.4 * 2 ** max(attempts - 1, 0), self.max_round_delay)

    def parks(self, attempts: int) -> bool:
        return attempts >= self.park_after

    def retrying(self, deadline: float, stopping: Callable[[], bool], sleep=asyncio.sleep) -> AsyncRetrying:
        unknowns = [0]

        def worth_another(outcome: SendOutcome) -> bool:
            verdict = classify(outcome)
            if verdict is Verdict.UNKNOWN:
                count_unknown_outcome()
                unknowns[0] += 1
                return unknowns[0] <= self.unknown_repeats
            return verdict is Verdict.RETRY

        return AsyncRetrying(
            stop=stop_after_attempt(self.attempts_per_claim) | stop_after_delay(max(0.0, deadline - time.monotonic()))
            | _StopWhen(stopping),
            wait=wait_exponential(multiplier=self.first_wait, max=self.max_wait) + wait_random(0, self.first_wait),
            retry=retry_if_result(worth_another),
            retry_error_callback=_last_result,
            sleep=sleep,
            before_sleep=_log_retry,
        )


POLICY = RetryPolicy()


def _last_result(state: RetryCallState) -> SendOutcome:
    assert state.outcome is not None
    return state.outcome.result()


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    error = "error" if outcome is None or outcome.failed else outcome.result().error
    log.warning("send failed (%s); retrying", error)


class _StopWhen(stop_base):
    def __init__(self, predicate: Callable[[], bool]) -> None:
        self.predicate = predicate

    def __call__(self, _retry_state) -> bool:  # noqa: ANN001 - tenacity's RetryCallState
        return self.predicate()


def _database_retrying() -> AsyncRetrying:
    return AsyncRetrying(
        stop=stop_after_delay(CONFIRM_PATIENCE),
        wait=wait_exponential(multiplier=0.05, max=2.0),
        retry=retry_if_exception(lambda exc: isinstance(exc, Exception)),
        reraise=True,
        before_sleep=lambda state: log.warning(
            "recording deliveries failed (%s); retrying", state.outcome.exception() if state.outcome else None
        ),
    )


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    subscriber_id: int
    chat_id: int
    item: str
    attempts: int
    deadline: float  # time.monotonic() after which the send is not started
    markdown: str = ""
    keyboard: Keyboard | None = None
    build_error: str | None = None  # the message could not be built: that is its outcome
    claimed_at: datetime | None = None  # the claim's stamp, where its transaction is someone else's


Record = Callable[[AsyncSession, Sequence[tuple[Claim, SendOutcome]], datetime], Awaitable[None]]


@dataclass
class _Pending:
    claim: Claim
    outcome: SendOutcome
    record: Record
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class _Gate:
    """Sends under way, against a window that may change from one send to the next, plus the
    stalled sends let past it. While full, the gate looks again every _RECHECK seconds (one timer
    at a time), since a send becomes stalled without telling it."""

    def __init__(self) -> None:
        self.busy = 0
        self._freed: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def enter(self, window: Callable[[], int], extra: Callable[[], int]) -> None:
        while self.busy >= (size := window()) and self.busy >= size + extra():
            loop = asyncio.get_running_loop()
            self._freed = loop.create_future()
            if self._timer is None:
                self._timer = loop.call_later(_RECHECK, self._look_again)
            await self._freed
        self.busy += 1

    def leave(self) -> None:
        self.busy -= 1
        self._wake()

    def _look_again(self) -> None:
        self._timer = None
        self._wake()

    def _wake(self) -> None:
        if self._freed is not None and not self._freed.done():
            self._freed.set_result(None)


async def _once(claims: Sequence[Claim]) -> AsyncGenerator[Sequence[Claim], None]:
    yield claims


class Ledger:
    def __init__(
        self, deps: Deps, messenger: Messenger | None = None, owner: str | None = None,
        may_send: Callable[[], bool] | None = None,
    ) -> None:
        self.deps = deps
        self.messenger = messenger
        self.owner = owner or uuid.uuid4().hex
        self.lease = timedelta(seconds=deps.settings.delivery_lease_seconds)
        self.policy = POLICY
        self.stopping = False
        # Whether this process may still send what it claimed. On PostgreSQL: only while its own
        # heartbeat gets through, because once it is old the others take its claims over.
        self.may_send: Callable[[], bool] = may_send or (lambda: True)
        self._stop_event = asyncio.Event()
        self._queue: list[_Pending] = []  # outcomes received, not yet written
        self._writer: asyncio.Task | None = None
        self._last_write = -CONFIRM_EVERY
        self._last_stamp = datetime.min.replace(tzinfo=UTC)
        self._uncertain: set[datetime] = set()  # stamps of claims that failed and may have committed
        self._resting = 0  # sends waiting out a retry
        self._asking: dict[int, float] = {}  # requests under way: when each started (monotonic)

    # ---- claim helpers ------------------------------------------------------------------

    @property
    def may_claim(self) -> bool:
        return not self.stopping and self.may_send()

    def claim_row(self, row: Delivery, stamp: datetime) -> None:
        if row.status == Status.PARKED:
            row.attempts = 0  # someone made it due again (e.g. /resume): a fresh set of rounds
        row.status, row.attempts = Status.CLAIMED, (row.attempts or 0) + 1
        row.claimed_at, row.lease_until, row.claimed_by = stamp, stamp + self.lease, self.owner

    def stamp(self, now: datetime) -> datetime:
        """`claimed_at` for one claim transaction: `now`, made unique in this process (a frozen
        test clock gives every claim the same `now`), so that one claim's rows can be found again."""
        self._last_stamp = max(now, self._last_stamp + timedelta(microseconds=1))
        return self._last_stamp

    @contextlib.asynccontextmanager
    async def claiming(self) -> AsyncIterator[tuple[AsyncSession, datetime]]:
        """The transaction of one claim, and its stamp. When it fails, its COMMIT may still have
        gone through (the server went down before it answered, as in `pg_ctl restart -m
        immediate`): its rows would then sit claimed by this process, which is alive, so no other
        process takes them over, until their lease ends minutes later. The stamp is kept, and the
        next claim first releases whatever that stamp claimed."""
        await self.release_uncertain()
        stamp = self.stamp(self.deps.clock.now())
        try:
            with long_statements():
                async with self.deps.sessions.begin() as session:
                    yield session, stamp
        except BaseException:
            self._uncertain.add(stamp)
            raise

    def uncertain(self, stamp: datetime) -> None:
        """A claim made in someone else's transaction (Day 1, in the enrolment step's) whose
        COMMIT failed: released with the others (`claiming`), if it was committed after all."""
        self._uncertain.add(stamp)

    async def release_uncertain(self) -> int:
        """Release the rows of this process's claims that failed (see `claiming`); returns how
        many there were. Nothing to do, no query, in the usual case."""
        if not self._uncertain:
            return 0
        stamps = set(self._uncertain)
        async with self.deps.sessions.begin() as session:
            released = await self._release(
                session, and_(Delivery.claimed_by == self.owner, Delivery.claimed_at.in_(stamps))
            )
        self._uncertain -= stamps
        return released

    def deadline(self) -> float:
        """A send still not started at half the lease is not started: the lease must not run
        out while this process may still send it."""
        return time.monotonic() + self.lease.total_seconds() / 2

    # ---- send ---------------------------------------------------------------------------

    async def deliver(self, claims: Sequence[Claim], record: Record, *, bulk: bool, concurrency: int) -> int:
        """Send every claim (at most `concurrency` at once) and confirm each as it is answered;
        returns how many were sent."""
        return await self.stream(_once(claims), record, bulk=bulk, in_flight=lambda: concurrency)

    async def stream(
        self, batches: AsyncGenerator[Sequence[Claim], None], record: Record, *, bulk: bool,
        in_flight: Callable[[], int] | None = None,
    ) -> int:
        """Send the claims of each batch as `batches` yields them, with `in_flight()` sends under
        way (by default what the Messenger says the rate needs): the next batch is taken while
        this one's last sends are answered, so the sending never pauses between batches. Each
        outcome is queued for its confirm the moment it arrives; returns how many were sent,
        once every outcome is recorded."""
        window = in_flight or self._bulk_in_flight
        gate = _Gate()

        def extra() -> int:
            return min(self.stalled(), STALLED_EXTRA)

        tasks: set[asyncio.Task] = set()
        confirms: list[tuple[Claim, bool, asyncio.Future]] = []

        async def one(claim: Claim) -> None:
            try:
                outcome = await self._send(claim, bulk)
            finally:
                gate.leave()
            confirms.append((claim, outcome.ok, self._confirm_soon(claim, outcome, record)))

        try:
            started = 0
            async with contextlib.aclosing(batches):
                async for batch in batches:
                    for claim in batch:
                        await gate.enter(window, extra)
                        task = asyncio.create_task(one(claim))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                        started += 1
                        if started % YIELD_EVERY == 0:
                            await asyncio.sleep(0)  # a turn for the event loop: replies wait less
            if tasks:
                await asyncio.gather(*tasks)
        except Exception:
            # The next batch could not be claimed (the database went away): the claims already
            # under way are this process's, alive, so nobody else takes them over. Sent and
            # confirmed now, they do not sit claimed until their lease ends.
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        sent = 0
        for claim, ok, recorded in confirms:
            try:
                await recorded
            except Exception:
                log.exception("could not record %s for subscriber %d", claim.item, claim.subscriber_id)
                continue
            sent += ok
        return sent

    def stalled(self) -> int:
        """Sends waiting out a retry, and requests unanswered for STALLED_AFTER seconds."""
        since = time.monotonic() - STALLED_AFTER
        return self._resting + sum(1 for started in self._asking.values() if started <= since)

    def _bulk_in_flight(self) -> int:
        return self.messenger.bulk_in_flight() if self.messenger is not None else 1  # (nothing to send with)

    async def _send(self, claim: Claim, bulk: bool) -> SendOutcome:
        if claim.build_error is not None:
            return SendOutcome("failed", error=claim.build_error[:255])
        messenger = self.messenger
        assert messenger is not None, "sending needs a messenger"

        async def attempt() -> SendOutcome:
            # Checked before every attempt, retries included: a process that is stopping, or a
            # claim whose lease is half gone, starts no new request.
            if self.stopping or not self.may_send() or time.monotonic() >= claim.deadline:
                return SendOutcome("failed", error="released: not started")
            key = id(claim)
            self._asking[key] = time.monotonic()
            try:
                return await messenger.send_markdown(claim.chat_id, claim.markdown, keyboard=claim.keyboard, bulk=bulk)
            finally:
                del self._asking[key]

        try:
            # No timeout around a request under way: cutting it off would only turn an answer that
            # is coming into an unknown outcome. Telegram requests time out on their own.
            first = await attempt()
            if classify(first) not in (Verdict.RETRY, Verdict.UNKNOWN):
                return first  # the usual case: no retry machinery for a send that needs none
            replayed = [first]

            async def again() -> SendOutcome:  # the policy sees the first outcome, not a second send
                return replayed.pop() if replayed else await attempt()

            return await self.policy.retrying(claim.deadline, lambda: self.stopping, self._pause)(again)
        except Exception as exc:  # one subscriber's failure never stops the others
            log.exception("delivery of %s to subscriber %d failed", claim.item, claim.subscriber_id)
            return SendOutcome("failed", error=f"{type(exc).__name__}: {exc}"[:255])

    async def _pause(self, seconds: float) -> None:
        """The retry policy's wait, cut short when the process starts stopping."""
        self._resting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), seconds)
        finally:
            self._resting -= 1

    # ---- confirm ------------------------------------------------------------------------

    def _confirm_soon(self, claim: Claim, outcome: SendOutcome, record: Record) -> asyncio.Future:
        """Queue this outcome for the writer; the future is done once it is written."""
        pending = _Pending(claim, outcome, record)
        self._queue.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return pending.done

    async def _write_queued(self) -> None:
        """One writer: what arrived since the last write goes in the next, at most one write
        start per CONFIRM_EVERY (an answer arriving when none was written lately goes at once)."""
        while self._queue:
            if (wait := self._last_write + CONFIRM_EVERY - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            batch, self._queue = self._queue, []
            self._last_write = time.monotonic()
            try:
                await _database_retrying()(self._write, batch)
            except BaseException as exc:
                error = exc if isinstance(exc, Exception) else RuntimeError("confirm interrupted")
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(error)
                if not isinstance(exc, Exception):
                    raise
            else:
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_result(None)

    async def _write(self, batch: list[_Pending]) -> None:
        now = self.deps.clock.now()
        # A few enrolments' Day 1 commit without a turn of the loop; a drip's hundreds off it.
        with long_statements(len(batch) >= LONG_BATCH):
            async with self.deps.sessions.begin() as session:
                by_record: dict[Record, list[tuple[Claim, SendOutcome]]] = {}
                for pending in batch:
                    by_record.setdefault(pending.record, []).append((pending.claim, pending.outcome))
                for record, outcomes in by_record.items():
                    await record(session, outcomes, now)

    def settle(self, row: Delivery, claim: Claim, outcome: SendOutcome, now: datetime) -> Verdict | None:
        """Apply an outcome to its ledger row; returns what happened, or None when the outcome is
        stale (a newer claim owns the row) and changes nothing. A failed round's next try is the
        caller's to schedule, at `now + round_delay`."""
        verdict = classify(outcome)
        if verdict is Verdict.SENT:
            if row.status == Status.SENT:
                return None  # another attempt confirmed it first
            row.status, row.sent_at, row.message_id, row.error = Status.SENT, now, outcome.message_id, None
        elif row.status != Status.CLAIMED or row.attempts != claim.attempts or row.claimed_by != self.owner:
            return None
        elif verdict is Verdict.BLOCKED:
            row.status, row.error = Status.BLOCKED, (outcome.error or "")[:255]
        elif verdict is Verdict.RELEASED:
            row.status, row.attempts = Status.PENDING, max(0, row.attempts - 1)  # not a round
        elif self.policy.parks(row.attempts):
            row.status, row.error = Status.PARKED, (outcome.error or "")[:255]
            count_parked()
            log.error("parked %s for subscriber %d after %d rounds: %s", claim.item, claim.subscriber_id,
                      row.attempts, row.error)
        else:
            row.status, row.error = Status.FAILED, (outcome.error or "")[:255]
        row.lease_until, row.claimed_by = None, None
        return verdict

    # ---- processes that are gone, and stopping -------------------------------------------

    async def release_claims_of_the_dead(self, *, everyone_else: bool = False, connected: set[str] | None = None) -> int:
        """Make claims held by processes that are gone claimable now; returns how many.
        `everyone_else`: every claim not this process's (SQLite: one process at a time).
        Otherwise (PostgreSQL) a process is gone when its heartbeat stopped, or when it has no
        connection to the database any more (`connected`: the worker ids that have one)."""
        async with self.deps.sessions.begin() as session:
            owner = Delivery.claimed_by
            if everyone_else:
                gone = or_(owner.is_(None), owner != self.owner)
            else:
                from bot.services.workers import LIVE_FOR  # the one definition of "alive"

                live = select(Worker.id).where(Worker.heartbeat_at >= _wall_clock() - LIVE_FOR)
                gone = and_(owner.is_not(None), owner != self.owner, owner.not_in(live))
                if connected is not None:
                    gone = or_(gone, and_(owner.is_not(None), owner != self.owner, owner.not_in(connected | {""})))
            return await self._release(session, gone)

    async def release_own_claims(self) -> int:
        """At shutdown: what this process claimed and did not finish is due again at once."""
        async with self.deps.sessions.begin() as session:
            return await self._release(session, Delivery.claimed_by == self.owner)

    async def _release(self, session: AsyncSession, gone) -> int:
        now = self.deps.clock.now()
        where = and_(Delivery.status == Status.CLAIMED, gone)
        drip = select(Delivery.subscriber_id).where(where, Delivery.broadcast_id.is_(None))
        await session.execute(
            update(Subscriber).where(Subscriber.id.in_(drip), Subscriber.next_delivery_at.is_not(None))
            .values(next_delivery_at=now).execution_options(synchronize_session=False)
        )
        result = await session.execute(
            update(Delivery).where(where).values(status=Status.PENDING, lease_until=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        released = rowcount(result)
        if released:
            log.warning("released %d claims", released)
        return released

    def stop(self) -> None:
        """Claim nothing more and start no new send; sends under way finish."""
        self.stopping = True
        self._stop_event.set()


def _wall_clock() -> datetime:

    return datetime.now(UTC)
