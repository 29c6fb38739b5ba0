"""The daily drip: a periodic sweep that delivers every due item exactly once.

One delivery is three steps:

1. **claim** — in one transaction per batch: lock the due subscriber rows (`FOR UPDATE SKIP
   LOCKED`, so several processes never take the same row), write each ledger row `(subscriber,
   item)` as `claimed` with a lease, push `next_delivery_at` to the end of the lease (that is what
   stops another sweep from taking it), and render the message.
2. **send** — through the Messenger (bulk sends share the rate limit; Day 1 and a resume are
   replies and do not wait behind them).
3. **confirm** — mark the ledger row `sent`, advance the program and compute the next slot.
   Confirmations are group-committed: whoever finds others waiting records them all in one
   transaction, so the database is not the bottleneck and a confirm follows its send by
   milliseconds. A failed confirm transaction is retried a few times before it is given up.

A claim whose outcome is unknown (the process died, or the database failed, between claim and
confirm) stays `claimed`, and the subscriber stays due at the end of the lease: the next sweep
after that claims the same item again and sends it. If the first send had reached Telegram, the
subscriber sees it twice: the one duplicate the Bot API forces (it has no idempotency key), at
most once per crash. Nothing is ever skipped, because the program only advances in step 3. A
late outcome of an attempt that a newer claim has replaced cannot undo the newer one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import select

from bot.config import Settings
from bot.domain.calendar import local_date
from bot.services.context import Deps
from bot.services.messages import build_item
from bot.services.ports import Keyboard, Messenger, SendOutcome
from bot.services.schedule import next_item, next_slot, retest_at
from bot.storage.models import Delivery, Subscriber
from bot.storage.repositories import Results, Subscribers

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=Settings.model_fields["delivery_lease_seconds"].default)  # the default lease
BATCH = 200
CONCURRENCY = 64  # sends in flight: covers Telegram's latency at high rates, and confirms group well
MAX_RETRY_DELAY = timedelta(hours=1)
CONFIRM_ATTEMPTS = 3


@dataclass(frozen=True)
class Claim:
    subscriber_id: int
    chat_id: int
    item: str
    delivery_id: int
    attempts: int
    markdown: str
    keyboard: Keyboard | None


class ConfirmAborted(Exception):
    """The transaction recording this outcome was interrupted; the lease will retry the item."""


class DeliveryService:
    def __init__(self, deps: Deps, messenger: Messenger) -> None:
        self.deps = deps
        self.messenger = messenger
        self.lease = timedelta(seconds=deps.settings.delivery_lease_seconds)
        # A send still running at half the lease is abandoned, well before the lease ends.
        self.send_deadline = self.lease / 2
        self._sweep_lock = asyncio.Lock()
        # Claims in this process one at a time: SQLite has no row locks (SKIP LOCKED is for
        # other processes on PostgreSQL), and a sweep and a deliver_now must not both claim.
        self._claim_lock = asyncio.Lock()
        self._confirm_lock = asyncio.Lock()
        self._pending: list[tuple[Claim, SendOutcome, asyncio.Future]] = []

    async def sweep(self) -> int:
        """Deliver everything due now, a batch at a time; returns how many items were sent."""
        async with self._sweep_lock:  # one sweep at a time per process; others skip-lock across processes
            sent, more = 0, True
            gate = asyncio.Semaphore(CONCURRENCY)

            async def run(claim: Claim) -> bool:
                async with gate:
                    return await self._deliver(claim, bulk=True)

            while more:  # a batch that was not full was the last one due
                claims, more = await self._claim(limit=BATCH)
                sent += sum(await asyncio.gather(*(run(c) for c in claims)))
            return sent

    async def deliver_now(self, subscriber_id: int) -> bool:
        """Deliver a subscriber's due item at once (Day 1 after enrolment, a resume): a reply to
        their own action, so it does not queue behind bulk sends."""
        claims, _ = await self._claim(limit=1, only_id=subscriber_id)
        return bool(claims) and await self._deliver(claims[0], bulk=False)

    # ---- 1. claim ------------------------------------------------------------------------

    async def _claim(self, *, limit: int, only_id: int | None = None) -> tuple[list[Claim], bool]:
        """Claim up to `limit` due items; also says whether the batch was full (more may be due)."""
        async with self._claim_lock:
            return await self._claim_locked(limit, only_id)

    async def _claim_locked(self, limit: int, only_id: int | None) -> tuple[list[Claim], bool]:
        now = self.deps.clock.now()
        claims: list[Claim] = []
        async with self.deps.sessions.begin() as session:
            due: dict[int, tuple[Subscriber, str]] = {}
            rows_due = await Subscribers(session).due(now, limit, only_id)
            for subscriber in rows_due:
                item = next_item(subscriber)
                if item is None:
                    subscriber.next_delivery_at = None
                else:
                    due[subscriber.id] = (subscriber, item)
            if not due:
                return [], len(rows_due) == limit
            rows = await _ledger_rows(session, [(s.id, item) for s, item in due.values()])
            for subscriber, item in due.values():
                row = rows.get((subscriber.id, item))
                if row is not None and row.status == "sent":
                    # The ledger says it arrived: advance instead of sending it again.
                    await self._advance(session, subscriber, item, row.sent_at or now)
                    continue
                if row is None:
                    row = Delivery(subscriber_id=subscriber.id, item=item, attempts=0)
                    session.add(row)
                    rows[(subscriber.id, item)] = row
                row.status, row.attempts = "claimed", (row.attempts or 0) + 1
                row.claimed_at, row.lease_until = now, now + self.lease
                subscriber.next_delivery_at = now + self.lease
            await session.flush()  # one batched INSERT for the new ledger rows, with their ids
            for subscriber, item in due.values():
                row = rows[(subscriber.id, item)]
                if row.status != "claimed":
                    continue
                markdown, keyboard = await build_item(session, self.deps.content, subscriber, item, now)
                claims.append(Claim(subscriber.id, subscriber.chat_id, item, row.id, row.attempts, markdown, keyboard))
        if claims:
            log.info("claimed %d deliveries", len(claims))
        return claims, len(rows_due) == limit

    # ---- 2. send -------------------------------------------------------------------------

    async def _deliver(self, claim: Claim, *, bulk: bool) -> bool:
        try:
            outcome = await asyncio.wait_for(
                self.messenger.send_markdown(claim.chat_id, claim.markdown, keyboard=claim.keyboard, bulk=bulk),
                self.send_deadline.total_seconds(),
            )
        except Exception as exc:  # one subscriber's failure never stops the sweep
            log.exception("delivery of %s to subscriber %d failed", claim.item, claim.subscriber_id)
            outcome = SendOutcome("failed", error=type(exc).__name__, retry=True)
        try:
            await self._confirm(claim, outcome)
        except Exception:
            log.exception("could not record %s for subscriber %d; the lease retries it", claim.item, claim.subscriber_id)
            return False
        return outcome.ok

    # ---- 3. confirm ----------------------------------------------------------------------

    async def _confirm(self, claim: Claim, outcome: SendOutcome) -> None:
        """Group commit: queue the outcome; the first waiter to get the lock records every
        outcome queued so far in one transaction."""
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending.append((claim, outcome, done))
        async with self._confirm_lock:
            if not done.done():
                batch, self._pending = self._pending, []
                futures = [future for _, _, future in batch]
                try:
                    await self._record_with_retries([(c, o) for c, o, _ in batch])
                except Exception as exc:
                    _settle(futures, exc)
                except BaseException:  # cancelled mid-transaction: the others must not wait forever
                    _settle([f for f in futures if f is not done], ConfirmAborted())
                    raise
                else:
                    _settle(futures, None)
        await done

    async def _record_with_retries(self, batch: Sequence[tuple[Claim, SendOutcome]]) -> None:
        for attempt in range(1, CONFIRM_ATTEMPTS + 1):
            try:
                await self._record(batch)
                return
            except Exception:
                if attempt == CONFIRM_ATTEMPTS:
                    raise
                log.warning("recording %d deliveries failed; retrying", len(batch), exc_info=True)
                await asyncio.sleep(0.05 * 4 ** (attempt - 1))  # a blip: 0.05 s, then 0.2 s

    async def _record(self, batch: Sequence[tuple[Claim, SendOutcome]]) -> None:
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            # Locked in id order, so two processes confirming overlapping batches cannot deadlock.
            ids = sorted({c.subscriber_id for c, _ in batch})
            query = select(Subscriber).where(Subscriber.id.in_(ids)).order_by(Subscriber.id).with_for_update()
            subscribers = {s.id: s for s in (await session.execute(query)).scalars()}
            query = select(Delivery).where(Delivery.id.in_([c.delivery_id for c, _ in batch]))
            rows = {r.id: r for r in (await session.execute(query)).scalars()}
            for claim, outcome in batch:
                subscriber, row = subscribers.get(claim.subscriber_id), rows.get(claim.delivery_id)
                if subscriber is None or row is None:  # /forget meanwhile: its ledger went with it
                    continue
                await self._apply(session, subscriber, row, claim, outcome, now)

    async def _apply(self, session, subscriber: Subscriber, row: Delivery, claim: Claim, outcome: SendOutcome, now: datetime) -> None:
        if outcome.ok:
            if row.status == "sent":  # another attempt (after the lease ran out) confirmed it first
                return
            row.status, row.sent_at, row.message_id, row.lease_until, row.error = "sent", now, outcome.message_id, None, None
            await self._advance(session, subscriber, claim.item, now)
        elif row.status != "claimed" or row.attempts != claim.attempts:
            return  # a newer attempt owns the item now: its outcome decides
        elif outcome.status == "blocked":
            row.status, row.error, row.lease_until = "blocked", outcome.error, None
            subscriber.blocked = True  # unblocking (my_chat_member, /start) schedules it again
            log.info("subscriber %d blocked the bot", subscriber.id)
        else:
            row.status, row.error, row.lease_until = "failed", (outcome.error or "")[:255], None
            delay = min(timedelta(minutes=2 ** min(claim.attempts, 6)), MAX_RETRY_DELAY)
            subscriber.next_delivery_at = now + delay
        subscriber.updated_at = now

    async def _advance(self, session, subscriber: Subscriber, item: str, now: datetime) -> None:
        subscriber.last_delivered_local_date = local_date(now, subscriber.timezone)
        if item.startswith("day:"):
            subscriber.program_day = max(subscriber.program_day, int(item.split(":", 1)[1]))
            subscriber.next_delivery_at = next_slot(subscriber, now)
        elif item == "completion":
            subscriber.completed_at = now
            subscriber.status = "completed"
            first = await Results(session).first_taken_on(subscriber.id)
            subscriber.next_delivery_at = retest_at(subscriber, first, now)
        elif item == "retest":
            subscriber.retest_reminded_at = now
            subscriber.next_delivery_at = None


async def _ledger_rows(session, wanted: list[tuple[int, str]]) -> dict[tuple[int, str], Delivery]:
    """The existing ledger rows for these (subscriber, item) pairs, in one query."""
    query = select(Delivery).where(
        Delivery.subscriber_id.in_({s for s, _ in wanted}), Delivery.item.in_({i for _, i in wanted})
    )
    pairs = set(wanted)
    return {(r.subscriber_id, r.item): r for r in (await session.execute(query)).scalars() if (r.subscriber_id, r.item) in pairs}


def _settle(futures: list[asyncio.Future], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
