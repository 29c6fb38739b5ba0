"""The numbers an operator's monitoring wants: how much is waiting, and how late it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from bot.services.context import Deps
from bot.storage.db import long_statements
from bot.storage.models import Delivery, Subscriber
from bot.storage.repositories import RECEIVING


@dataclass(frozen=True)
class QueueSnapshot:
    due: int
    pending_broadcast: int
    lag_seconds: float


async def queue_snapshot(deps: Deps) -> QueueSnapshot:
    now = deps.clock.now()
    with long_statements():  # counts over every subscriber and every broadcast's rows
        due, oldest, pending = await _queue_counts(deps, now)
    if oldest is not None and oldest.tzinfo is None:  # SQLite's MIN() bypasses the column type
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=UTC)
    lag = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return QueueSnapshot(due, pending, lag)


async def _queue_counts(deps: Deps, now: datetime) -> tuple[int, datetime | None, int]:
    async with deps.sessions() as session:
        due_filter = (
            Subscriber.next_delivery_at <= now, Subscriber.status.in_(RECEIVING), Subscriber.blocked.is_(False)
        )
        due, oldest = (await session.execute(
            select(func.count(), func.min(Subscriber.next_delivery_at)).where(*due_filter)
        )).one()
        pending = (await session.execute(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status.in_(("pending", "claimed")), Delivery.broadcast_id.is_not(None))
        )).scalar_one()
    return due, oldest, pending


async def database_ok(deps: Deps) -> bool:
    try:
        async with deps.sessions() as session:
            await session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False
