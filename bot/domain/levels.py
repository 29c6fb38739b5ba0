"""Vitamin D levels: unit conversion, band lookup and a plain-words description of a change.

Bands themselves are content (``content/bands.yaml``), with edges in both units; this module only
applies them. A result is banded in the unit the lab printed, against the edges labs print for
that unit (150 nmol/L is optimal, though 150 / 2.496 = 60.1 ng/mL), so nothing at an edge depends
on the conversion. Values are 25-hydroxyvitamin D in ng/mL unless a name says nmol.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, TypeVar


class BandShape(Protocol):
    """What this module needs of a band (``bot.content.models.Band`` is one): domain imports no
    content code."""

    @property
    def lower_inclusive(self) -> bool: ...

    @property
    def upper_inclusive(self) -> bool: ...

    def contains(self, value: float, unit: str = ...) -> bool: ...

    def edges(self, unit: str) -> tuple[float | None, float | None]: ...


BandT = TypeVar("BandT", bound=BandShape)

NMOL_PER_NG = 2.496  # 1 ng/mL = 2.496 nmol/L, as the spec states
MAX_PLAUSIBLE_NG_ML = 250.0
MAX_PLAUSIBLE_NMOL_L = MAX_PLAUSIBLE_NG_ML * NMOL_PER_NG  # 624.0

# Conversions are rounded so that e.g. 74.88 nmol/L lands on 30 ng/mL exactly: a band edge must
# not be decided by floating-point noise.
_DECIMALS = 3

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def nmol_to_ng(value_nmol_l: float) -> float:
    return round(value_nmol_l / NMOL_PER_NG, _DECIMALS)


def ng_to_nmol(value_ng_ml: float) -> float:
    return round(value_ng_ml * NMOL_PER_NG, _DECIMALS)


def classify(value: float, bands: Sequence[BandT], unit: str = "ng/mL") -> BandT:
    """The first band that contains ``value`` (in ``unit``); ValueError if none does (a gap in
    the content)."""
    for band in bands:
        if band.contains(value, unit):
            return band
    raise ValueError(f"no vitamin D band contains {value} {unit}")


def band_range(band: BandShape, unit: str = "ng/mL") -> str:
    """The band's range in words, e.g. '50 to under 75 nmol/L', 'above 150 ng/mL'."""
    lower, upper = band.edges(unit)
    if lower in (None, 0) and upper is not None:
        return f"{'up to' if band.upper_inclusive else 'below'} {upper:g} {unit}"
    if upper is None:
        return f"{'from' if band.lower_inclusive else 'above'} {lower:g} {unit}"
    start = f"{lower:g}" if band.lower_inclusive else f"above {lower:g}"
    end = f"{upper:g}" if band.upper_inclusive else f"under {upper:g}"
    return f"{start} to {end} {unit}"


def in_unit(value_ng_ml: float, unit: str) -> float:
    return value_ng_ml if unit == "ng/mL" else ng_to_nmol(value_ng_ml)


def short_date(day: date, *, with_year: bool = False) -> str:
    """'2 Nov' (or '2 Nov 2025'), independent of the server's locale."""
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def describe_change(
    previous_ng: float, current_ng: float, previous_on: date, current_on: date | None = None,
    unit: str = "ng/mL",
) -> str:
    """E.g. 'up 6.0 ng/mL since your last result on 2 Nov' (in ``unit``).

    The year is added when ``current_on`` is given and falls in another year than ``previous_on``.
    """
    when = short_date(previous_on, with_year=current_on is not None and current_on.year != previous_on.year)
    change = round(in_unit(current_ng, unit) - in_unit(previous_ng, unit), 1)
    if change == 0:
        return f"unchanged since your last result on {when}"
    direction = "up" if change > 0 else "down"
    return f"{direction} {abs(change):.1f} {unit} since your last result on {when}"


# ---- plausibility: the one rule the parser, the database CHECK constraints and readers share --

MIN_PLAUSIBLE_NG_ML = 1.0  # SPEC.md: below 1 or above 250 ng/mL (after conversion) is no result
EARLIEST_DATE = date(1900, 1, 1)  # results and check-ins dated before this are typing mistakes


def plausible_ng_ml(value_ng_ml: float) -> bool:
    """False for NaN, infinity and anything outside 1-250 ng/mL (NaN fails every comparison)."""
    return MIN_PLAUSIBLE_NG_ML <= value_ng_ml <= MAX_PLAUSIBLE_NG_ML


def plausible_date(day: date, today: date | None = None) -> bool:
    """From 1900 up to ``today`` (when given)."""
    return EARLIEST_DATE <= day and (today is None or day <= today)
