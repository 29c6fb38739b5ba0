"""The shipped vitamin D bands, at every edge, in both units: ng/mL as SPEC.md writes them, and
nmol/L with the edges labs print (50, 75, 100, 150, 250, 375), not a conversion with 2.496."""

from __future__ import annotations

import re

import pytest

from bot.content.models import Content
from bot.domain.levels import band_range, classify


@pytest.mark.parametrize(
    ("value", "band_id"),
    [
        (1, "very-low"), (9.9, "very-low"), (10, "deficient"), (19.9, "deficient"),
        (20, "insufficient"), (29.9, "insufficient"), (30, "below-optimal"), (39.9, "below-optimal"),
        (40, "optimal"), (60, "optimal"), (60.1, "above-optimal"), (100, "above-optimal"),
        (100.1, "high"), (150, "high"), (150.1, "very-high"), (250, "very-high"),
    ],
)
def test_each_ng_ml_edge_falls_in_exactly_the_band_the_spec_says(content: Content, value, band_id) -> None:
    assert [band.id for band in content.bands if band.contains(value, "ng/mL")] == [band_id]


@pytest.mark.parametrize(
    ("value", "band_id"),
    [
        (2, "very-low"), (24.9, "very-low"), (25, "deficient"), (49.9, "deficient"),
        (50, "insufficient"), (74.9, "insufficient"), (75, "below-optimal"), (99.9, "below-optimal"),
        (100, "optimal"), (150, "optimal"), (150.1, "above-optimal"), (250, "above-optimal"),
        (250.1, "high"), (375, "high"), (375.1, "very-high"), (600, "very-high"),
    ],
)
def test_each_nmol_l_edge_is_the_one_labs_print(content: Content, value, band_id) -> None:
    assert [band.id for band in content.bands if band.contains(value, "nmol/L")] == [band_id]
    assert classify(value, content.bands, "nmol/L").id == band_id


def test_150_nmol_is_optimal_though_it_converts_to_60_1_ng(content: Content) -> None:
    assert classify(150, content.bands, "nmol/L").id == "optimal"
    assert classify(150 / 2.496, content.bands, "ng/mL").id == "above-optimal"


def test_every_band_has_advice_and_the_low_and_high_ones_send_to_a_doctor(content: Content) -> None:
    advice = {band.id: band.advice for band in content.bands}
    assert all(advice.values())
    for band_id in ("very-low", "deficient", "high"):
        assert re.search(r"talk to (your|a) doctor", advice[band_id], re.I), band_id
    assert "soon" in advice["very-low"] and "soon" not in advice["deficient"]  # more firmly below 10
    assert "toxicity" in advice["very-high"] and "medical advice" in advice["very-high"]


def test_the_30_to_40_text_is_true_at_exactly_30(content: Content) -> None:
    band = classify(30.0, content.bands)
    assert band.id == "below-optimal"
    assert "at or above the top of the range the article calls insufficient" in band.meaning.lower()


def test_band_texts_use_the_articles_words(content: Content) -> None:
    meaning = {band.id: band.meaning for band in content.bands}
    assert "deficient" in meaning["deficient"]
    assert "insufficient" in meaning["insufficient"]
    assert "optimal for musculoskeletal health" in meaning["optimal"]


@pytest.mark.parametrize(
    ("band_id", "unit", "words"),
    [
        ("very-low", "ng/mL", "below 10 ng/mL"),
        ("insufficient", "nmol/L", "50 to under 75 nmol/L"),
        ("optimal", "nmol/L", "100 to 150 nmol/L"),
        ("above-optimal", "ng/mL", "above 60 to 100 ng/mL"),
        ("very-high", "nmol/L", "above 375 nmol/L"),
    ],
)
def test_ranges_read_in_the_subscribers_unit(content: Content, band_id, unit, words) -> None:
    band = next(b for b in content.bands if b.id == band_id)
    assert band_range(band, unit) == words
