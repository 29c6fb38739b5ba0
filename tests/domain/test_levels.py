"""Unit conversion, band lookup at every edge, and describing a change."""

from datetime import date

import pytest

from bot.content.models import Band
from bot.domain.levels import (
    MAX_PLAUSIBLE_NG_ML,
    MAX_PLAUSIBLE_NMOL_L,
    NMOL_PER_NG,
    classify,
    describe_change,
    ng_to_nmol,
    nmol_to_ng,
    short_date,
)

# Shaped like the spec's bands; the real ones live in content and are tested there too.
BANDS = [
    Band(id="deficient", label="Deficient", upper=20, meaning="m"),
    Band(id="insufficient", label="Insufficient", lower=20, upper=30, meaning="m"),
    Band(id="between", label="Between", lower=30, upper=40, meaning="m"),
    Band(id="optimal", label="Optimal", lower=40, upper=60, upper_inclusive=True, meaning="m"),
    Band(id="above", label="Above", lower=60, lower_inclusive=False, upper=100, upper_inclusive=True,
         meaning="m"),
    Band(id="high", label="High", lower=100, lower_inclusive=False, upper=150, upper_inclusive=True,
         meaning="m"),
    Band(id="toxic", label="Possible toxicity", lower=150, lower_inclusive=False, meaning="m"),
]


@pytest.mark.parametrize(
    ("value", "band_id"),
    [
        (0.1, "deficient"), (19.999, "deficient"), (20, "insufficient"), (29.999, "insufficient"),
        (30, "between"), (39.999, "between"), (40, "optimal"), (60, "optimal"), (60.001, "above"),
        (100, "above"), (100.001, "high"), (150, "high"), (150.001, "toxic"), (250, "toxic"),
    ],
)
def test_classify_at_each_edge(value, band_id):
    assert classify(value, BANDS).id == band_id


def test_classify_raises_when_no_band_matches():
    with pytest.raises(ValueError):
        classify(25, [BANDS[0], BANDS[3]])


def test_conversions():
    assert NMOL_PER_NG == 2.496
    assert MAX_PLAUSIBLE_NG_ML == 250 and MAX_PLAUSIBLE_NMOL_L == 624
    assert nmol_to_ng(49.92) == 20.0 and nmol_to_ng(74.88) == 30.0 and nmol_to_ng(99.84) == 40.0
    assert ng_to_nmol(20) == 49.92 and ng_to_nmol(1) == 2.496
    for ng in (5.5, 24.0, 61.25, 149.9):
        assert nmol_to_ng(ng_to_nmol(ng)) == pytest.approx(ng, abs=1e-3)


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (18.0, 24.0, "up 6.0 ng/mL since your last result on 2 Nov"),
        (30.0, 24.5, "down 5.5 ng/mL since your last result on 2 Nov"),
        (24.0, 24.04, "unchanged since your last result on 2 Nov"),
    ],
)
def test_describe_change(previous, current, expected):
    assert describe_change(previous, current, date(2026, 11, 2)) == expected


def test_describe_change_names_the_year_only_across_years():
    assert describe_change(20, 30, date(2025, 12, 1), date(2026, 2, 1)).endswith("on 1 Dec 2025")
    assert describe_change(20, 30, date(2026, 1, 1), date(2026, 2, 1)).endswith("on 1 Jan")


def test_short_date_does_not_depend_on_locale():
    assert [short_date(date(2026, m, 9)) for m in (1, 5, 9, 12)] == ["9 Jan", "9 May", "9 Sep", "9 Dec"]
