"""Stored check-ins and results as the progress module's plain data points."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.progress import LevelPoint, PainPoint
from bot.storage.repositories import CheckIns, Results


async def load_points(session: AsyncSession, subscriber_id: int) -> tuple[list[PainPoint], list[LevelPoint]]:
    pain = [PainPoint(day=c.local_date, score=c.score) for c in await CheckIns(session).for_subscriber(subscriber_id)]
    levels = [
        LevelPoint(
            taken_on=r.taken_on,
            value_ng_ml=r.value_ng_ml,
            original_value=r.original_value,
            original_unit=r.original_unit,
        )
        for r in await Results(session).for_subscriber(subscriber_id)
    ]
    return pain, levels
