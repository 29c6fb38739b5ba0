"""Stored check-ins and results as the progress module's plain data points, and the content's
vitamin D bands as the chart's shaded key. ``/progress``, the weekly summaries and the completion
summary all load their numbers here, so they never disagree."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import Band
from bot.domain.progress import LevelPoint, PainPoint
from bot.services.chart import ARTICLE_BANDS, BandShade
from bot.storage.repositories import CheckIns, Results

# Only these bands are shaded (more would crowd a phone screen); short labels fit the key column.
_SHADED = {
    "deficient": ("Deficient <{upper:g}", "#f4a6a6"),
    "insufficient": ("Insufficient {lower:g}-{upper:g}", "#f7d08a"),
    "optimal": ("Optimal {lower:g}-{upper:g}", "#9fd8a4"),
}


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
