"""The daily drip: a periodic sweep that delivers every due item exactly once.

One delivery is three steps, each its own transaction:

1. **claim** — lock the due subscriber row (`FOR UPDATE SKIP LOCKED`, so several processes never
   take the same row), write the ledger row `(subscriber, item)` as `claimed`, and push
   `next_delivery_at` forward by the lease. The push is what stops another sweep from taking it.
2. **send** — through the Messenger (rate-limited when bulk).
3. **confirm** — mark the ledger row `sent`, advance the program and compute the next slot.

If the process dies after 1, the row stays `claimed` and `next_delivery_at` is the end of the
lease: once the lease is over, the next sweep claims the same item again and sends it. If the
first send had reached Telegram, the subscriber sees it twice: the one duplicate the Bot API
forces (it has no idempotency key), at most once per crash. Nothing is ever skipped, because the
program only advances in step 3.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.calendar import local_date
from bot.services.context import Deps
from bot.services.messages import build_item
from bot.services.ports import Messenger, SendOutcome
from bot.services.schedule import next_item, next_slot, retest_at
from bot.storage.models import Subscriber
from bot.storage.repositories import Ledger, Results, Subscribers

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 200
CONCURRENCY = 64
MAX_RETRY_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class Claim:
    subscriber_id: int
    chat_id: int
    item: str
    delivery_id: int
    attempts: int


class DeliveryService:
    def __init__(self, deps: Deps, messenger: Messenger) -> None:
        self.deps = deps
        self.messenger = messenger
        self._sweep_lock = asyncio.Lock()

    async def sweep(self) -> int:
        """Deliver everything due now; returns how many items were sent."""
        async with self._sweep_lock:  # one sweep at a time per process; others skip-lock across processes
            sent = 0
            while True:
                claims = await self._claim(limit=BATCH)
                if not claims:
                    return sent
                limiter = asyncio.Semaphore(CONCURRENCY)

                async def run(claim: Claim) -> bool:
                    async with limiter:
                        return await self._deliver(claim, bulk=True)

                results = await asyncio.gather(*(run(c) for c in claims))
                sent += sum(results)

    async def deliver_now(self, subscriber_id: int) -> bool:
        """Deliver a subscriber's due item at once (Day 1 after enrolment, a resume): a reply to
        their own action, so it does not queue behind bulk sends."""
        claims = await self._claim(limit=1, only_id=subscriber_id)
        return bool(claims) and await self._deliver(claims[0], bulk=False)

    async def _claim(self, *, limit: int, only_id: int | None = None) -> list[Claim]:
        now = self.deps.clock.now()
        claims: list[Claim] = []
        async with self.deps.sessions.begin() as session:
            for subscriber in await Subscribers(session).due(now, limit, only_id):
                item = next_item(subscriber)
                if item is None:
                    subscriber.next_delivery_at = None
                    continue
                row = await Ledger(session).claim(subscriber.id, item, now, now + LEASE)
                subscriber.next_delivery_at = now + LEASE
                claims.append(Claim(subscriber.id, subscriber.chat_id, item, row.id, row.attempts))
        if claims:
            log.info("claimed %d deliveries", len(claims))
        return claims

    async def _deliver(self, claim: Claim, *, bulk: bool) -> bool:
        try:
            async with self.deps.sessions() as session:
                subscriber = await Subscribers(session).get(claim.subscriber_id)
                if subscriber is None:  # forgotten meanwhile: its ledger rows went with it
                    return False
                markdown, keyboard = await build_item(
                    session, self.deps.content, subscriber, claim.item, self.deps.clock.now()
                )
            outcome = await self.messenger.send_markdown(claim.chat_id, markdown, keyboard=keyboard, bulk=bulk)
        except Exception as exc:  # one subscriber's failure never stops the sweep
            log.exception("delivery of %s to subscriber %d failed", claim.item, claim.subscriber_id)
            outcome = SendOutcome("failed", error=type(exc).__name__, retry=True)
        await self._record(claim, outcome)
        return outcome.ok

    async def _record(self, claim: Claim, outcome: SendOutcome) -> None:
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            subscriber = await Subscribers(session).get(claim.subscriber_id, lock=True)
            if subscriber is None:
                return
            ledger = Ledger(session)
            if outcome.ok:
                await ledger.mark(claim.delivery_id, "sent", sent_at=now, message_id=outcome.message_id, lease_until=None)
                await self._advance(session, subscriber, claim.item, now)
            elif outcome.status == "blocked":
                await ledger.mark(claim.delivery_id, "blocked", error=outcome.error, lease_until=None)
                subscriber.blocked = True
                log.info("subscriber %d blocked the bot", subscriber.id)
            else:
                await ledger.mark(claim.delivery_id, "failed", error=(outcome.error or "")[:255], lease_until=None)
                delay = min(timedelta(minutes=2 ** min(claim.attempts, 6)), MAX_RETRY_DELAY)
                subscriber.next_delivery_at = now + delay
            subscriber.updated_at = now

    async def _advance(self, session, subscriber: Subscriber, item: str, now: datetime) -> None:
        subscriber.last_delivered_local_date = local_date(now, subscriber.timezone)
        if item.startswith("day:"):
            subscriber.program_day = int(item.split(":", 1)[1])
            subscriber.next_delivery_at = next_slot(subscriber, now)
        elif item == "completion":
            subscriber.completed_at = now
            subscriber.status = "completed"
            first = await Results(session).first_taken_on(subscriber.id)
            subscriber.next_delivery_at = retest_at(subscriber, first, now)
        elif item == "retest":
            subscriber.retest_reminded_at = now
            subscriber.next_delivery_at = None
