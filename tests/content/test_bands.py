"""The shipped vitamin D bands map each edge exactly as SPEC.md writes it."""

from __future__ import annotations

import re

import pytest

from bot.content.models import Content


@pytest.mark.parametrize(
    ("value", "band_id"),
    [
        (0.1, "deficient"),
        (19.9, "deficient"),
        (20, "insufficient"),
        (29.9, "insufficient"),
        (30, "below-optimal"),
        (39.9, "below-optimal"),
        (40, "optimal"),
        (60, "optimal"),
        (60.1, "above-optimal"),
        (100, "above-optimal"),
        (100.1, "high"),
        (150, "high"),
        (150.1, "very-high"),
        (250, "very-high"),
    ],
)
def test_each_boundary_falls_in_exactly_the_band_the_spec_says(content: Content, value: float, band_id: str) -> None:
    containing = [band.id for band in content.bands if band.contains(value)]
    assert containing == [band_id]


def test_only_results_above_100_carry_advice_and_above_150_warns_of_toxicity(content: Content) -> None:
    advice = {band.id: band.advice for band in content.bands}
    assert [band_id for band_id, text in advice.items() if text] == ["high", "very-high"]
    assert re.search(r"doctor|clinician", advice["high"], re.I)
    assert "toxicity" in advice["very-high"] and "medical advice" in advice["very-high"]


def test_band_texts_use_the_articles_words(content: Content) -> None:
    meaning = {band.id: band.meaning for band in content.bands}
    assert "deficient" in meaning["deficient"]
    assert "insufficient" in meaning["insufficient"]
    assert "optimal for musculoskeletal health" in meaning["optimal"]
    assert "above" in meaning["below-optimal"] and "below" in meaning["below-optimal"]
