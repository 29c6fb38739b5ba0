"""The daily drip: a periodic sweep that delivers every due item exactly once.

One delivery goes through the shared ledger engine (`bot.services.ledger`):

1. **claim** — in one transaction per batch: lock the due subscriber rows (`FOR UPDATE SKIP
   LOCKED`, so several processes never take the same row), write each ledger row `(subscriber,
   item)` as `claimed` by this process with a lease, and push `next_delivery_at` to the end of the
   lease (that is what stops another sweep from taking it). A batch is half a second of sending
   at the configured rate, and the next one is claimed while this one is sent. The messages are
   built after that transaction (each day's text once per content version and check-in note): an
   item that cannot be built fails alone, it never rolls back the batch.
2. **send** — through the Messenger (bulk sends share the rate limit; Day 1 and a resume are
   replies and do not wait behind them), retried by the ledger's one policy.
3. **confirm** — as soon as the answer arrives (with the others of the same few milliseconds):
   mark the ledger row `sent`, advance the program and compute the next slot. A failure schedules
   another round after the policy's pause; after its last round the item is parked, with its
   reason, for operators to see.

A claim whose outcome is unknown (the process died between claim and confirm) stays `claimed`
until its process is known to be gone — at the next start on SQLite, when its heartbeat stops on
PostgreSQL — or, failing that, until the lease ends; then the item is claimed again and sent. If
the first send had reached Telegram, the subscriber sees it twice: the one duplicate the Bot API
forces (it has no idempotency key), only for requests in flight at the kill. Nothing is ever
skipped, because the program only advances in step 3. A late outcome of an attempt that a newer
claim has replaced cannot undo the newer one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from bot.config import Settings
from bot.domain.calendar import local_date
from bot.domain.items import COMPLETION, RETEST, Item
from bot.services.context import Deps
from bot.services.ledger import Claim, Ledger, Status, Verdict, batch_size
from bot.services.messages import build_item, prefetch_checkins
from bot.services.ports import Messenger, SendOutcome
from bot.services.schedule import next_item, next_slot, retest_at
from bot.storage.models import Delivery, Subscriber
from bot.storage.repositories import DELIVERIES, Deliveries, Results, Subscribers

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=Settings.model_fields["delivery_lease_seconds"].default)  # the default lease
YIELD_EVERY = 64  # messages built between two turns given to the event loop


class DeliveryService:
    def __init__(
        self, deps: Deps, messenger: Messenger, ledger: Ledger | None = None, build=build_item,
        due_again: Callable[[timedelta], None] | None = None,
    ) -> None:
        self.deps = deps
        self.messenger = messenger
        self.ledger = ledger or Ledger(deps, messenger)
        # Told how soon an item whose send failed or was released is due again, so that a sweep
        # runs then, not only at the next periodic sweep (tens of seconds later).
        self._due_again = due_again
        self.lease = self.ledger.lease
        self._build = build  # what one item says (tests give a builder that fails for one subscriber)
        self.batch = batch_size(deps.settings.send_rate_limit, self.lease)
        self._sweep_lock = asyncio.Lock()
        # Claims in this process one at a time: SQLite has no row locks (SKIP LOCKED is for
        # other processes on PostgreSQL), and a sweep and a deliver_now must not both claim.
        self._claim_lock = asyncio.Lock()

    async def sweep(self) -> int:
        """Deliver everything due now, a batch at a time; returns how many items were sent."""
        async with self._sweep_lock:  # one sweep at a time per process; others skip-lock across processes
            return await self.ledger.stream(self._batches(), self._record, bulk=True)

    async def _batches(self) -> AsyncGenerator[list[Claim], None]:
        """The due items, claimed a batch ahead: the next batch is claimed while this one is
        sent, so the sending never waits for a claim."""
        claiming: asyncio.Task | None = asyncio.create_task(self._claim(limit=self.batch))
        try:
            while claiming is not None:
                try:
                    claims, more = await claiming
                except Exception:
                    # The database went away (a restart): this sweep ends here, and the batch
                    # being sent still finishes and is confirmed; the next sweep claims again.
                    log.warning("could not claim the next batch; this sweep stops", exc_info=True)
                    return
                # A batch that was not full was the last one due.
                claiming = asyncio.create_task(self._claim(limit=self.batch)) if more and self.ledger.may_claim else None
                yield claims
        finally:
            if claiming is not None:
                claiming.cancel()

    async def deliver_now(self, subscriber_id: int) -> bool:
        """Deliver a subscriber's due item at once (Day 1 after enrolment, a resume): a reply to
        their own action, so it does not queue behind bulk sends."""
        claims, _ = await self._claim(limit=1, only_id=subscriber_id)
        return await self.ledger.deliver(claims, self._record, bulk=False, concurrency=1) == 1

    async def claim_in(self, session, subscriber: Subscriber, now: datetime) -> Claim | None:
        """Claim the subscriber's next item inside the caller's transaction (the one that completes
        their enrolment: Day 1), with its message built, so that the step and the claim are one
        commit and the send needs no other session. The subscriber row is the caller's, locked.
        None when this process may not claim now or the ledger already has the item: the caller
        then makes the subscriber due (`next_delivery_at = now`) and `deliver_now` decides, as
        for any other item. Reads come before the one write (SQLite's write lock is short)."""
        item = next_item(subscriber, self.deps.content.program_length)
        if item is None or not self.ledger.may_claim or not _is_program_day(item):
            return None
        await prefetch_checkins(session, self.deps.content, [subscriber.id])
        try:
            markdown, keyboard = await self._build(session, self.deps.content, subscriber, item, now)
        except Exception:  # noqa: BLE001 - the general path builds it again and fails it alone
            log.exception("could not build %s for subscriber %d", item, subscriber.id)
            return None
        stamp = self.ledger.stamp(now)
        lease_end = stamp + self.lease
        delivery_id = await Deliveries(session).insert_new(dict(
            subscriber_id=subscriber.id, item=item, status=Status.CLAIMED, attempts=1,
            claimed_at=stamp, lease_until=lease_end, claimed_by=self.ledger.owner,
        ))
        if delivery_id is None:
            return None
        subscriber.next_delivery_at = lease_end  # what stops any sweep from taking it meanwhile
        return Claim(
            delivery_id, subscriber.id, subscriber.chat_id, item, 1, self.ledger.deadline(),
            markdown=markdown, keyboard=keyboard, claimed_at=stamp,
        )

    def claim_lost(self, claim: Claim) -> None:
        """The transaction `claim_in` claimed in failed: its COMMIT may still have gone through
        (the server went down before it answered), leaving Day 1 claimed by this live process
        until its lease ends. The ledger releases it at the next claim or heartbeat instead."""
        if claim.claimed_at is not None:
            self.ledger.uncertain(claim.claimed_at)

    async def deliver_claimed(self, claim: Claim) -> bool:
        """Send a claim made by `claim_in` (a reply: no queue behind bulk sends) and confirm it."""
        return await self.ledger.deliver([claim], self._record, bulk=False, concurrency=1) == 1

    # ---- 1. claim ------------------------------------------------------------------------

    async def _claim(self, *, limit: int, only_id: int | None = None) -> tuple[list[Claim], bool]:
        """Claim up to `limit` due items; also says whether the batch was full (more may be due)."""
        if not self.ledger.may_claim:
            return [], False
        async with self._claim_lock:
            claimed, full = await self._claim_locked(limit, only_id)
        return await self._built(claimed), full

    async def _claim_locked(self, limit: int, only_id: int | None) -> tuple[list[tuple[Claim, Subscriber]], bool]:
        claimed: list[tuple[Claim, Subscriber]] = []
        async with self.ledger.claiming() as (session, now):
            # Plain records, as the confirmation's (bot/storage/records.py).
            people, ledger = Subscribers(session), Deliveries(session)
            lease_end = now + self.lease
            due: dict[int, tuple[Subscriber, str]] = {}
            rows_due = await people.due(now, limit, only_id)
            for subscriber in rows_due:
                item = next_item(subscriber, self.deps.content.program_length)
                if item is None:
                    subscriber.next_delivery_at = None
                else:
                    due[subscriber.id] = (subscriber, item)
            if not due:
                await people.save(rows_due)
                return [], len(rows_due) == limit
            pairs = [(s.id, item) for s, item in due.values()]
            rows = await ledger.of_pairs(pairs)
            new: list[dict] = []
            for subscriber, item in list(due.values()):
                row = rows.get((subscriber.id, item))
                if row is None:
                    new.append(dict(
                        subscriber_id=subscriber.id, item=item, status=Status.CLAIMED, attempts=1,
                        claimed_at=now, lease_until=lease_end, claimed_by=self.ledger.owner,
                    ))
                elif row.status == Status.SENT:
                    # The ledger says it arrived: advance instead of sending it again.
                    await self._advance(session, subscriber, item, row.sent_at or now)
                    del due[subscriber.id]
                else:
                    self.ledger.claim_row(row, now)
            # The writes go back to back, nothing computed between them: on SQLite the write lock
            # is held from the first to the commit, and a reply's check-in waits for it.
            await people.save(rows_due)
            await ledger.save(rows.values())
            if new:  # one executemany, no RETURNING (SQLite would insert row by row for the ids)
                await session.execute(insert(DELIVERIES), new)  # the table's: no ORM bulk path
            ids: dict[tuple[int, str], int] = {}
            if due:
                await session.execute(
                    update(Subscriber).where(Subscriber.id.in_(due)).values(next_delivery_at=lease_end)
                    .execution_options(synchronize_session=False)
                )
                ids = await _ledger_ids(session, [pair for pair in pairs if pair[0] in due])
        deadline = self.ledger.deadline()
        for subscriber, item in due.values():
            attempts = rows[(subscriber.id, item)].attempts if (subscriber.id, item) in rows else 1
            claim = Claim(ids[(subscriber.id, item)], subscriber.id, subscriber.chat_id, item, attempts, deadline)
            claimed.append((claim, subscriber))
        if claimed:  # (one subscriber's own item, e.g. after /resume, is not news for the log)
            log.log(logging.DEBUG if only_id is not None else logging.INFO, "claimed %d deliveries", len(claimed))
        return claimed, len(rows_due) == limit

    async def _built(self, claimed: list[tuple[Claim, Subscriber]]) -> list[Claim]:
        """Each claim with its message. One that cannot be built carries its error instead: it
        fails alone, and never stops the others."""
        if not claimed:
            return []
        try:
            return await self._built_each(claimed)
        except Exception as exc:
            # The database went away after the claim committed: each claim fails as one send
            # would (retried with backoff), instead of sitting claimed until its lease ends.
            log.warning("could not build a claimed batch of %d", len(claimed), exc_info=True)
            return [replace(claim, build_error=f"build failed: {type(exc).__name__}: {exc}") for claim, _ in claimed]

    async def _built_each(self, claimed: list[tuple[Claim, Subscriber]]) -> list[Claim]:
        now = self.deps.clock.now()
        out: list[Claim] = []
        async with self.deps.sessions() as session:
            days = [claim.subscriber_id for claim, _ in claimed if _is_program_day(claim.item)]
            await prefetch_checkins(session, self.deps.content, days)
            for n, (claim, subscriber) in enumerate(claimed, 1):
                try:
                    markdown, keyboard = await self._build(session, self.deps.content, subscriber, claim.item, now)
                except Exception as exc:
                    log.exception("could not build %s for subscriber %d", claim.item, claim.subscriber_id)
                    await session.rollback()  # a failed query must not poison the next build
                    out.append(replace(claim, build_error=f"build failed: {type(exc).__name__}: {exc}"))
                else:
                    out.append(replace(claim, markdown=markdown, keyboard=keyboard))
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # a turn for the event loop: replies wait less
        return out

    # ---- 3. confirm ----------------------------------------------------------------------

    async def _record(self, session, batch: Sequence[tuple[Claim, SendOutcome]], now: datetime) -> None:
        # Plain records, not ORM objects (bot/storage/records.py): the same rules, a quarter of
        # the calls. Subscribers are locked in id order and written first, as the ORM did.
        people, ledger = Subscribers(session), Deliveries(session)
        subscribers = {s.id: s for s in await people.records_locked(sorted({c.subscriber_id for c, _ in batch}))}
        rows = {r.id: r for r in await ledger.records([c.delivery_id for c, _ in batch])}
        for claim, outcome in batch:
            subscriber, row = subscribers.get(claim.subscriber_id), rows.get(claim.delivery_id)
            if subscriber is None or row is None:  # /forget meanwhile: its ledger went with it
                continue
            verdict = self.ledger.settle(row, claim, outcome, now)
            if verdict is None:
                continue
            if verdict is Verdict.SENT:
                await self._advance(session, subscriber, claim.item, now)
            elif verdict is Verdict.BLOCKED:
                subscriber.blocked = True  # unblocking (my_chat_member, /start) schedules it again
                log.info("subscriber %d blocked the bot", subscriber.id)
            elif row.status == Status.PARKED:
                subscriber.next_delivery_at = None  # a schedule change (/pause + /resume, /time) makes it due again
            else:
                pause = timedelta(0) if verdict is Verdict.RELEASED else self.ledger.policy.round_delay(row.attempts, self.lease)
                subscriber.next_delivery_at = now + pause
                if self._due_again is not None:
                    self._due_again(pause)
            subscriber.updated_at = now
        await people.save(subscribers.values())
        await ledger.save(rows.values())

    async def _advance(self, session, subscriber: Subscriber, item: str, now: datetime) -> None:
        subscriber.last_delivered_local_date = local_date(now, subscriber.timezone)
        parsed = Item.parse(item)
        if (day := parsed.program_day) is not None:
            subscriber.program_day = max(subscriber.program_day, day)
            subscriber.next_delivery_at = next_slot(subscriber, now)
        elif parsed == COMPLETION:
            subscriber.completed_at = now
            subscriber.status = "completed"
            first = await Results(session).first_taken_on(subscriber.id)
            subscriber.next_delivery_at = retest_at(subscriber, first, now)
        elif parsed == RETEST:
            subscriber.retest_reminded_at = now
            subscriber.next_delivery_at = None


async def _ledger_ids(session, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The ids of these (subscriber, item) ledger rows, in one query."""
    query = select(Delivery.id, Delivery.subscriber_id, Delivery.item).where(
        Delivery.subscriber_id.in_({s for s, _ in pairs}), Delivery.item.in_({i for _, i in pairs})
    )
    return {(s, i): id_ for id_, s, i in (await session.execute(query)).all()}


def _is_program_day(key: str) -> bool:
    """Whether a claimed item is a program day; an unreadable key is not (its build fails alone)."""
    try:
        return Item.parse(key).program_day is not None
    except ValueError:
        return False
