"""Broadcasts: an article to every active subscriber, exactly once, at the shared bulk rate.

Life of a broadcast: `draft` (an operator's preview in Telegram) or `queued` (from the command
line) → `sending` once the recipients are fixed — one `pending` ledger row each, written in one
statement → `done` when no row is pending or claimed. Rows go through the shared ledger engine
(`bot.services.ledger`), exactly like the drip: claimed in batches with `FOR UPDATE SKIP LOCKED`,
a lease and this process's id; each answer confirmed as soon as it arrives; failures retried by
the one policy and parked after its last round. A crash or a restart resumes where it stopped:
the claims of a process that is gone are released at once (see the ledger), or when their lease
ends.

The lease is `DELIVERY_LEASE_SECONDS` (default 300). A batch is half a second of sending at the
configured rate (never more than a quarter of the lease's worth), and a send not started by half
the lease is released instead (another process may own the row soon). Each broadcast has only as
many sends under way as the rate needs (the ledger's `stream`), so two broadcasts at once take
turns in the shared rate limiter instead of one queueing its whole batch ahead of the other.

Recipients are fixed at start; one who unsubscribes or is known to have blocked the bot before
their turn is not messaged (`skipped`, or `blocked`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.models import Article
from bot.content.program import article_markdown, article_message
from bot.domain.items import Item
from bot.services.context import Deps
from bot.services.ledger import Claim, Ledger, Status, Verdict, batch_size
from bot.services.ports import Keyboard, Messenger
from bot.storage.db import rowcount
from bot.storage.models import Broadcast, Delivery, Subscriber
from bot.storage.repositories import Deliveries

log = logging.getLogger(__name__)

AUDIENCE_STATUSES = ("active", "completed")
POLL = 1.0  # seconds: how often a running pass looks for broadcasts started meanwhile


@dataclass(frozen=True)
class Progress:
    id: int
    slug: str
    title: str
    status: str
    recipients: int
    sent: int
    blocked: int
    failed: int
    pending: int
    skipped: int = 0  # unsubscribed after the recipients were fixed

    @property
    def done_count(self) -> int:
        return self.sent + self.blocked + self.failed + self.skipped


def audience_filter():
    return and_(Subscriber.status.in_(AUDIENCE_STATUSES), Subscriber.blocked.is_(False))


def lease_seconds(settings: Settings) -> float:
    """DELIVERY_LEASE_SECONDS, validated with the rest of the configuration."""
    return settings.delivery_lease_seconds


class BroadcastService:
    def __init__(self, deps: Deps, messenger: Messenger | None = None, ledger: Ledger | None = None) -> None:
        self.deps = deps
        self.messenger = messenger
        self.ledger = ledger or Ledger(deps, messenger)
        self._lock = asyncio.Lock()
        self.lease = timedelta(seconds=lease_seconds(deps.settings))
        self.batch = batch_size(deps.settings.send_rate_limit, self.lease)

    async def audience_size(self) -> int:
        async with self.deps.sessions() as session:
            return (await session.execute(select(func.count()).select_from(Subscriber).where(audience_filter()))).scalar_one()

    async def create(self, article: Article, *, requested_by: int | None, status: str) -> Broadcast:
        """Store the article's text as it is now: editing the file later changes nothing."""
        async with self.deps.sessions.begin() as session:
            broadcast = Broadcast(
                slug=article.slug, title=article.title, markdown=article_markdown(article), status=status,
                requested_by=requested_by, recipients=0, created_at=self.deps.clock.now(), summary_sent=False,
            )
            session.add(broadcast)
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        async with self.deps.sessions() as session:
            return await session.get(Broadcast, broadcast_id)

    async def cancel(self, broadcast_id: int) -> bool:
        async with self.deps.sessions.begin() as session:
            result = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status.in_(("draft", "queued")))
                .values(status="cancelled")
            )
            return rowcount(result) == 1

    async def start(self, broadcast_id: int, *, from_statuses: tuple[str, ...] = ("draft", "queued")) -> int | None:
        """Fix the recipients (one pending ledger row each) and begin sending. Returns the
        audience size, or None if it was already started or cancelled."""
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            claimed = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status.in_(from_statuses))
                .values(status="sending", started_at=now)
            )
            if rowcount(claimed) != 1:
                return None
            item = str(Item.broadcast(broadcast_id))
            rows = select(
                Subscriber.id, literal(item), literal(broadcast_id), literal("pending"), literal(0)
            ).where(audience_filter())
            await session.execute(
                insert(Delivery).from_select(
                    ["subscriber_id", "item", "broadcast_id", "status", "attempts"], rows
                )
            )
            count = (await session.execute(
                select(func.count()).select_from(Delivery).where(Delivery.broadcast_id == broadcast_id)
            )).scalar_one()
            await session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(recipients=count))
        log.info("broadcast %d started for %d recipients", broadcast_id, count)
        return count

    async def start_queued(self) -> None:
        async with self.deps.sessions() as session:
            queued = (await session.execute(select(Broadcast.id).where(Broadcast.status == "queued"))).scalars().all()
        for broadcast_id in queued:
            await self.start(broadcast_id, from_statuses=("queued",))

    async def run_once(self) -> list[Progress]:
        """Start queued broadcasts and send what is pending, picking up broadcasts started while
        this pass runs, so that they share the bulk budget instead of queueing behind it.
        Returns the finished broadcasts whose operator has not had the summary yet."""
        assert self.messenger is not None, "sending needs a messenger"
        async with self._lock:
            drains: dict[int, asyncio.Task] = {}
            seen: set[int] = set()  # each broadcast once a pass: rows waiting to retry wait for the next
            try:
                while True:
                    if not self.ledger.stopping:  # stopping: the drains under way finish their chunk
                        for broadcast_id in await self._look_for_more() - seen:
                            seen.add(broadcast_id)
                            drains[broadcast_id] = asyncio.create_task(self._drain(broadcast_id))
                    if not drains:
                        break
                    await asyncio.wait(drains.values(), timeout=POLL, return_when=asyncio.FIRST_COMPLETED)
                    for broadcast_id, task in list(drains.items()):
                        if task.done():
                            del drains[broadcast_id]
                            task.result()
                            await self._finish_if_done(broadcast_id)
            finally:
                for task in drains.values():
                    task.cancel()
            return await self._awaiting_summary()

    async def _look_for_more(self) -> set[int]:
        """Start queued broadcasts; the ones sending. While the database is away (a restart) this
        finds none rather than raising: that would cancel the drains under way, and leave what
        they had claimed unsent until the lease ran out."""
        try:
            await self.start_queued()
            return await self._sending()
        except Exception as exc:  # noqa: BLE001 - the next look, a second later, tries again
            log.warning("could not look for broadcasts to send (%s)", type(exc).__name__)
            return set()

    async def _sending(self) -> set[int]:
        async with self.deps.sessions() as session:
            return set((await session.execute(select(Broadcast.id).where(Broadcast.status == "sending"))).scalars())

    async def _awaiting_summary(self) -> list[Progress]:
        async with self.deps.sessions() as session:
            ids = (await session.execute(
                select(Broadcast.id).where(Broadcast.status == "done", Broadcast.summary_sent.is_(False))
                .order_by(Broadcast.id)
            )).scalars().all()
            return [await _progress(session, i) for i in ids]

    async def _drain(self, broadcast_id: int) -> None:
        async with self.deps.sessions() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None:  # deleted meanwhile
            return
        markdown = broadcast.markdown
        text, keyboard = article_message(markdown)  # the URL as a "Read the article" button
        await self.ledger.stream(self._batches(broadcast_id, text, keyboard), self._record, bulk=True)

    async def _batches(self, broadcast_id: int, text: str, keyboard: Keyboard | None) -> AsyncGenerator[list[Claim], None]:
        while batch := await self._claim(broadcast_id, text, keyboard):
            yield batch

    async def _claim(self, broadcast_id: int, markdown: str, keyboard: Keyboard | None = None) -> list[Claim]:
        if not self.ledger.may_claim:
            return []
        item = str(Item.broadcast(broadcast_id))
        async with self.ledger.claiming() as (session, now):
            query = (
                select(Delivery, Subscriber.chat_id, Subscriber.status, Subscriber.blocked)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                .where(
                    Delivery.broadcast_id == broadcast_id,
                    Delivery.status.in_((Status.PENDING, Status.CLAIMED)),
                    or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now),
                )
                .order_by(Delivery.id)
                .limit(self.batch)
                .with_for_update(of=Delivery, skip_locked=True)
            )
            claims = []
            deadline = self.ledger.deadline()
            for delivery, chat_id, status, blocked in (await session.execute(query)).all():
                if blocked or status not in AUDIENCE_STATUSES:  # left after the recipients were fixed
                    delivery.status = Status.BLOCKED if blocked else Status.SKIPPED
                    delivery.lease_until = None
                    continue
                self.ledger.claim_row(delivery, now)
                claims.append(Claim(
                    delivery.id, delivery.subscriber_id, chat_id, item, delivery.attempts, deadline, markdown, keyboard
                ))
        return claims

    async def _record(self, session: AsyncSession, results, now: datetime) -> None:
        # Plain records, as the drip's confirmation (bot/storage/records.py).
        ledger = Deliveries(session)
        rows = {d.id: d for d in await ledger.records([claim.delivery_id for claim, _ in results])}
        blocked = []
        for claim, outcome in results:
            delivery = rows.get(claim.delivery_id)
            if delivery is None:  # the subscriber used /forget meanwhile
                continue
            verdict = self.ledger.settle(delivery, claim, outcome, now)
            if verdict is Verdict.BLOCKED:
                blocked.append(claim.subscriber_id)
            elif delivery.status == Status.FAILED:  # another round, after a pause
                delivery.status = Status.PENDING
                delivery.lease_until = now + self.ledger.policy.round_delay(delivery.attempts, self.lease)
        await ledger.save(rows.values())
        if blocked:
            await session.execute(update(Subscriber).where(Subscriber.id.in_(blocked)).values(blocked=True))

    async def _finish_if_done(self, broadcast_id: int) -> None:
        async with self.deps.sessions.begin() as session:
            if (await _progress(session, broadcast_id)).pending:
                return
            await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == "sending")
                .values(status="done", finished_at=self.deps.clock.now())
            )

    async def mark_summary_sent(self, broadcast_id: int) -> bool:
        """True for exactly one caller: the one that should send the operator's summary."""
        async with self.deps.sessions.begin() as session:
            result = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.summary_sent.is_(False))
                .values(summary_sent=True)
            )
            return rowcount(result) == 1

    async def progress(self, broadcast_id: int) -> Progress:
        async with self.deps.sessions() as session:
            return await _progress(session, broadcast_id)

    async def all_progress(self, limit: int = 10, *, in_flight: bool = False) -> list[Progress]:
        """The latest broadcasts (drafts left out), newest first; `in_flight`: queued or sending only."""
        statuses = ("queued", "sending") if in_flight else ("queued", "sending", "done", "cancelled")
        async with self.deps.sessions() as session:
            ids = (await session.execute(
                select(Broadcast.id).where(Broadcast.status.in_(statuses)).order_by(Broadcast.id.desc()).limit(limit)
            )).scalars().all()
            return [await _progress(session, i) for i in ids]

    async def recipients_csv(self, broadcast_id: int) -> bytes:
        async with self.deps.sessions() as session:
            rows = (await session.execute(
                select(Subscriber.telegram_user_id, Delivery.status, Delivery.attempts, Delivery.sent_at, Delivery.error)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                .where(Delivery.broadcast_id == broadcast_id).order_by(Delivery.id)
            )).all()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["telegram_user_id", "status", "attempts", "sent_at", "error"])
        for user_id, status, attempts, sent_at, error in rows:
            writer.writerow([user_id, status, attempts, sent_at.isoformat() if sent_at else "", error or ""])
        return buffer.getvalue().encode()


async def _progress(session: AsyncSession, broadcast_id: int) -> Progress:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise LookupError(f"no broadcast {broadcast_id}")
    counts = dict((await session.execute(
        select(Delivery.status, func.count()).where(Delivery.broadcast_id == broadcast_id).group_by(Delivery.status)
    )).all())
    return Progress(
        broadcast.id, broadcast.slug, broadcast.title, broadcast.status, broadcast.recipients,
        counts.get("sent", 0), counts.get("blocked", 0), counts.get("failed", 0) + counts.get("parked", 0),
        counts.get("pending", 0) + counts.get("claimed", 0), counts.get("skipped", 0),
    )
