"""Broadcasts: an article to every active subscriber, exactly once, at the shared bulk rate.

Life of a broadcast: `draft` (an operator's preview in Telegram) or `queued` (from the command
line) → `sending` once the recipients are fixed — one `pending` ledger row each, written in one
statement → `done` when no row is pending or claimed. Rows are claimed in batches with
`FOR UPDATE SKIP LOCKED` and a lease, exactly like the drip, so a crash or a restart resumes where
it stopped: a row claimed by a dead process is claimed again when its lease ends.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import Article
from bot.content.program import article_markdown
from bot.services.context import Deps
from bot.services.ports import Messenger, SendOutcome
from bot.storage.models import Broadcast, Delivery, Subscriber

log = logging.getLogger(__name__)

AUDIENCE_STATUSES = ("active", "completed")
LEASE = timedelta(minutes=5)
BATCH = 200
MAX_ATTEMPTS = 5


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

    @property
    def done_count(self) -> int:
        return self.sent + self.blocked + self.failed


def audience_filter():
    return and_(Subscriber.status.in_(AUDIENCE_STATUSES), Subscriber.blocked.is_(False))


class BroadcastService:
    def __init__(self, deps: Deps, messenger: Messenger | None = None) -> None:
        self.deps = deps
        self.messenger = messenger
        self._lock = asyncio.Lock()

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
            return result.rowcount == 1

    async def start(self, broadcast_id: int, *, from_statuses: tuple[str, ...] = ("draft", "queued")) -> int | None:
        """Fix the recipients (one pending ledger row each) and begin sending. Returns the
        audience size, or None if it was already started or cancelled."""
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            claimed = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status.in_(from_statuses))
                .values(status="sending", started_at=now)
            )
            if claimed.rowcount != 1:
                return None
            item = f"broadcast:{broadcast_id}"
            rows = select(
                Subscriber.id, literal(item), literal(broadcast_id), literal("pending"), literal(0)
            ).where(audience_filter())
            await session.execute(
                Delivery.__table__.insert().from_select(
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
        """Start queued broadcasts, send what is pending, and finish those that are done.
        Returns the broadcasts that finished in this run (for their operators' summaries)."""
        assert self.messenger is not None, "sending needs a messenger"
        async with self._lock:
            await self.start_queued()
            async with self.deps.sessions() as session:
                sending = (await session.execute(select(Broadcast.id).where(Broadcast.status == "sending"))).scalars().all()
            # Concurrently, so that two broadcasts share the bulk budget instead of queueing.
            await asyncio.gather(*(self._drain(b) for b in sending))
            finished = []
            for broadcast_id in sending:
                progress = await self._finish_if_done(broadcast_id)
                if progress is not None:
                    finished.append(progress)
            return finished

    async def _drain(self, broadcast_id: int) -> None:
        while True:
            batch = await self._claim(broadcast_id)
            if not batch:
                return
            await asyncio.gather(*(self._send(broadcast_id, *row) for row in batch))

    async def _claim(self, broadcast_id: int) -> list[tuple[int, int, int, str]]:
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            query = (
                select(Delivery, Subscriber.chat_id)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                .where(
                    Delivery.broadcast_id == broadcast_id,
                    or_(Delivery.status == "pending", and_(Delivery.status == "claimed", Delivery.lease_until <= now)),
                    or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now),
                )
                .order_by(Delivery.id)
                .limit(BATCH)
                .with_for_update(of=Delivery, skip_locked=True)
            )
            rows = (await session.execute(query)).all()
            markdown = (await session.get(Broadcast, broadcast_id)).markdown
            for delivery, _ in rows:
                delivery.status = "claimed"
                delivery.attempts += 1
                delivery.claimed_at = now
                delivery.lease_until = now + LEASE
        return [(d.id, d.subscriber_id, chat_id, markdown) for d, chat_id in rows]

    async def _send(self, broadcast_id: int, delivery_id: int, subscriber_id: int, chat_id: int, markdown: str) -> None:
        try:
            outcome = await self.messenger.send_markdown(chat_id, markdown, bulk=True)
        except Exception as exc:  # one recipient never stops the others
            log.exception("broadcast %d: send failed", broadcast_id)
            outcome = SendOutcome("failed", error=type(exc).__name__, retry=True)
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            delivery = await session.get(Delivery, delivery_id)
            if delivery is None:  # the subscriber used /forget meanwhile
                return
            if outcome.ok:
                delivery.status, delivery.sent_at, delivery.message_id = "sent", now, outcome.message_id
                delivery.lease_until = None
            elif outcome.status == "blocked":
                delivery.status, delivery.error, delivery.lease_until = "blocked", outcome.error, None
                await session.execute(update(Subscriber).where(Subscriber.id == subscriber_id).values(blocked=True))
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status, delivery.error, delivery.lease_until = "failed", (outcome.error or "")[:255], None
            else:  # try again after a pause, in a later run
                delivery.status, delivery.error = "pending", (outcome.error or "")[:255]
                delivery.lease_until = now + timedelta(seconds=30 * delivery.attempts)

    async def _finish_if_done(self, broadcast_id: int) -> Progress | None:
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            progress = await _progress(session, broadcast_id)
            if progress.pending:
                return None
            result = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == "sending")
                .values(status="done", finished_at=now)
            )
            if result.rowcount != 1:
                return None
        return await self.progress(broadcast_id)

    async def mark_summary_sent(self, broadcast_id: int) -> bool:
        """True for exactly one caller: the one that should send the operator's summary."""
        async with self.deps.sessions.begin() as session:
            result = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.summary_sent.is_(False))
                .values(summary_sent=True)
            )
            return result.rowcount == 1

    async def progress(self, broadcast_id: int) -> Progress:
        async with self.deps.sessions() as session:
            return await _progress(session, broadcast_id)

    async def all_progress(self, limit: int = 10) -> list[Progress]:
        async with self.deps.sessions() as session:
            ids = (await session.execute(select(Broadcast.id).order_by(Broadcast.id.desc()).limit(limit))).scalars().all()
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
    counts = dict((await session.execute(
        select(Delivery.status, func.count()).where(Delivery.broadcast_id == broadcast_id).group_by(Delivery.status)
    )).all())
    return Progress(
        broadcast.id, broadcast.slug, broadcast.title, broadcast.status, broadcast.recipients,
        counts.get("sent", 0), counts.get("blocked", 0), counts.get("failed", 0),
        counts.get("pending", 0) + counts.get("claimed", 0),
    )
