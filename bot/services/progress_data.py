"""Stored check-ins and results as the progress module's plain data points, and the content's
vitamin D bands as the chart's shaded key. ``/progress``, the weekly summaries and the completion
summary all load their numbers here, so they never disagree."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.models import Band
from bot.domain.levels import plausible_date, plausible_ng_ml
from bot.domain.parsing import NG_ML
from bot.domain.progress import LevelPoint, PainPoint
from bot.services.chart import ARTICLE_BANDS, BandShade
from bot.storage.models import CheckIn, VitaminDResult
from bot.storage.repositories import CheckIns, Results, Subscribers

log = logging.getLogger(__name__)

# Only these bands are shaded (more would crowd a phone screen); short labels fit the key column.
_SHADED = {
    "deficient": ("Deficient <{upper:g}", "#f4a6a6"),
    "insufficient": ("Insufficient {lower:g}-{upper:g}", "#f7d08a"),
    "optimal": ("Optimal {lower:g}-{upper:g}", "#9fd8a4"),
}


async def load_points(session: AsyncSession, subscriber_id: int) -> tuple[list[PainPoint], list[LevelPoint]]:
    """Every stored check-in and result that makes sense. Rows an older version stored before the
    checks existed (a 0.0 ng/mL result, a date in year 1) are skipped and logged, never fatal:
    one bad row must not take a subscriber's chart or everyone's weekly summary down with it."""
    pain = [p for c in await CheckIns(session).for_subscriber(subscriber_id) if (p := _pain_point(c))]
    levels = [lv for r in await Results(session).for_subscriber(subscriber_id) if (lv := _level_point(r))]
    return pain, levels


@dataclass(frozen=True)
class ProgressInputs:
    """What /progress draws: a subscriber's points, the unit the chart speaks, and where their
    program started (for the chart's span)."""

    subscriber_id: int
    pain: list[PainPoint]
    levels: list[LevelPoint]
    unit: str
    started: datetime
    zone: str


async def progress_inputs(sessions: async_sessionmaker[AsyncSession], telegram_user_id: int) -> ProgressInputs | None:
    """None when nothing is stored about this Telegram user."""
    async with sessions() as session:
        subscriber = await Subscribers(session).by_user(telegram_user_id)
        if subscriber is None:
            return None
        pain, levels = await load_points(session, subscriber.id)
        # The chart speaks the subscriber's unit: the one remembered, else their latest result's.
        unit = subscriber.level_unit or (levels[-1].original_unit if levels else NG_ML)
        started = subscriber.consented_at or subscriber.created_at
        return ProgressInputs(subscriber.id, pain, levels, unit, started, subscriber.timezone)


def _pain_point(row: CheckIn) -> PainPoint | None:
    try:
        if not plausible_date(row.local_date):
            raise ValueError("date before 1900")
        return PainPoint(day=row.local_date, score=row.score)
    except (ValueError, TypeError) as exc:
        log.warning("skipped stored check-in %s: %s", row.id, exc)
        return None


def _level_point(row: VitaminDResult) -> LevelPoint | None:
    try:
        if not plausible_date(row.taken_on):
            raise ValueError("date before 1900")
        if not plausible_ng_ml(row.value_ng_ml):
            raise ValueError("value outside 1-250 ng/mL")
        return LevelPoint(
            taken_on=row.taken_on,
            value_ng_ml=row.value_ng_ml,
            original_value=row.original_value,
            original_unit=row.original_unit,
        )
    except (ValueError, TypeError) as exc:
        log.warning("skipped stored vitamin D result %s: %s", row.id, exc)
        return None


def band_shades(bands: Sequence[Band], unit: str = "ng/mL") -> tuple[BandShade, ...]:
    """The chart's band key from the content's bands, in ``unit`` (the boundaries live in
    content); the article's defaults if the content does not name these bands."""
    shades = []
    for band in bands:
        if band.id in _SHADED:
            label, color = _SHADED[band.id]
            lower, upper = band.edges(unit)
            # "Deficient <20" shades everything below 20, its very low part included.
            lower = 0.0 if band.id == "deficient" else (lower or 0.0)
            if upper is None:
                continue
            shades.append(BandShade(lower, upper, label.format(lower=lower, upper=upper), color))
    return tuple(shades) if len(shades) == len(_SHADED) or unit != "ng/mL" else ARTICLE_BANDS
