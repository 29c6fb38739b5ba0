"""Parsing what subscribers type: delivery times, pain check-ins and vitamin D results.

Every parser returns either a value or a ``ParseError`` whose message the bot sends as it is:
plain text (no Markdown), short, kind, and with an example of what works. Nothing here stores
anything; "bad input stores nothing" is the caller's half of the contract.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Literal

from bot.domain.levels import (
    EARLIEST_DATE,
    MAX_PLAUSIBLE_NG_ML,
    MAX_PLAUSIBLE_NMOL_L,
    MIN_PLAUSIBLE_NG_ML,
    ng_to_nmol,
    nmol_to_ng,
    plausible_date,
    plausible_ng_ml,
)


@dataclass(frozen=True)
class ParseError:
    message: str  # plain text, ready to send


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f"“{text[: limit - 1]}…”" if len(text) > limit else f"“{text}”"


# --- delivery time -------------------------------------------------------------------------

_TIME_EXAMPLE = "For example: /time 07:30 (or /time 7:30 pm)."
_TIME_24H = re.compile(r"(?P<h>\d{1,2})(?:\s*[:.h]\s*(?P<m>\d{2}))?")
_TIME_COMPACT = re.compile(r"(?P<h>\d{2})(?P<m>\d{2})")  # "0730": always four digits
_TIME_12H = re.compile(r"(?P<h>\d{1,2})(?:\s*[:.]\s*(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?\s*m\.?")


def parse_delivery_time(text: str) -> time | ParseError:
    """'07:30', '7:30', '7.30', '7h30', '0730', '7', '7am', '7:30 pm', '19:05' -> a local time."""
    cleaned = text.strip().lower()
    if not cleaned:
        return ParseError(f"Please tell me the time for your daily message. {_TIME_EXAMPLE}")
    if m := _TIME_12H.fullmatch(cleaned):
        hour, minute = int(m["h"]), int(m["m"] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return ParseError(
                f"{_quote(text)} isn't a time on a 12-hour clock: hours go from 1 to 12 and "
                f"minutes from 00 to 59. {_TIME_EXAMPLE}"
            )
        return time(hour % 12 + (12 if m["ampm"] == "p" else 0), minute)
    m = _TIME_COMPACT.fullmatch(cleaned) or _TIME_24H.fullmatch(cleaned)
    if m is None:
        return ParseError(f"I couldn't read {_quote(text)} as a time. {_TIME_EXAMPLE}")
    hour, minute = int(m["h"]), int(m["m"] or 0)
    if hour > 23 or minute > 59:
        return ParseError(
            f"{_quote(text)} isn't a time of day: hours go from 00 to 23 and minutes from 00 to 59. "
            f"{_TIME_EXAMPLE}"
        )
    return time(hour, minute)


# --- pain ------------------------------------------------------------------------------------

_PAIN_EXAMPLE = "For example: /pain 6 or /pain 6 stiff after sitting."
PAIN_NOTE_MAX_CHARS = 500
_NUMBER_WORDS = {
    w: n
    for n, w in enumerate("zero one two three four five six seven eight nine ten".split())
}
_PAIN = re.compile(
    r"(?P<score>[+-]?\d+(?:[.,]\d+)?|[a-z]+)"
    r"(?:\s*(?:/|out\s+of|of)\s*(?P<scale>[+-]?\d+))?"
    r"(?:(?:\s*[,;:–—-]\s*|\s+)(?P<note>.*))?",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class PainReport:
    score: int  # 0-10
    note: str | None


def parse_pain(args: str) -> PainReport | ParseError:
    """'6', '6/10', 'six', '6 out of 10', '6 stiff after sitting' -> score 0-10 and an optional note."""
    text = args.strip()
    if not text:
        return ParseError(f"Please rate your back pain from 0 (none) to 10 (worst). {_PAIN_EXAMPLE}")
    if re.match(r"\d+\s*[-–]\s*\d", text):
        return ParseError(f"Please pick one number from 0 to 10, not a range. {_PAIN_EXAMPLE}")
    m = _PAIN.fullmatch(text)
    score_text = m["score"].lower() if m else ""
    if m is None or not (score_text in _NUMBER_WORDS or score_text[-1:].isdigit()):
        return ParseError(
            f"Please start with a number from 0 to 10 for your back pain. {_PAIN_EXAMPLE}"
        )
    if m["scale"] is not None and m["scale"] != "10":
        return ParseError(f"Please rate your pain on a scale of 0 to 10. {_PAIN_EXAMPLE}")
    if re.search(r"[.,]", score_text):
        return ParseError(
            f"Please use a whole number from 0 to 10 (round {score_text} up or down). {_PAIN_EXAMPLE}"
        )
    score = _NUMBER_WORDS.get(score_text)
    if score is None:
        score = int(score_text)
    if not 0 <= score <= 10:
        return ParseError(
            f"Pain is rated from 0 (none) to 10 (worst), so {score_text} is out of range. "
            f"{_PAIN_EXAMPLE}"
        )
    note = (m["note"] or "").strip() or None
    if note is not None and len(note) > PAIN_NOTE_MAX_CHARS:
        return ParseError(
            f"Your note is a little long: please keep it under {PAIN_NOTE_MAX_CHARS} characters."
        )
    return PainReport(score=score, note=note)


# --- vitamin D level -------------------------------------------------------------------------

Unit = Literal["ng/mL", "nmol/L"]
NG_ML: Unit = "ng/mL"
NMOL_L: Unit = "nmol/L"
# A unitless value above this is more likely nmol/L than ng/mL, so the bot asks.
ASK_UNIT_ABOVE = 150.0

_UNITS: dict[str, Unit] = {
    **{s: NG_ML for s in ("ng/ml", "ng", "ngml", "ng/milliliter", "ng/millilitre")},
    **{s: NMOL_L for s in ("nmol/l", "nmol", "nmoll", "nmol/liter", "nmol/litre")},
}
_LEVEL_USAGE = "For example: /level 24 or /level 60 nmol/L 2026-11-02."
_VALUE = re.compile(r"(?P<value>[+-]?\d+(?:[.,]\d+)?)(?P<unit>.*)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class LevelReading:
    value_ng_ml: float
    original_value: float
    original_unit: Unit
    taken_on: date


@dataclass(frozen=True)
class NeedsUnitConfirmation:
    """A unitless value too high to be sure of: ask whether it was nmol/L."""

    value: float
    taken_on: date


def parse_level(args: str, *, today: date) -> LevelReading | NeedsUnitConfirmation | ParseError:
    """'<value> [unit] [YYYY-MM-DD]'; unit defaults to ng/mL, the date to ``today``."""
    # "60 nmol / L" and "60 nmol/L" are the same unit; the slash must not split it.
    tokens = re.sub(r"\s*/\s*", "/", args.strip()).split()
    if not tokens:
        return ParseError(f"Please send your vitamin D (25-hydroxyvitamin D) result. {_LEVEL_USAGE}")
    m = _VALUE.fullmatch(tokens[0])
    if m is None:
        return ParseError(f"Please start with the number from your lab result. {_LEVEL_USAGE}")
    if re.fullmatch(r"\d+,\d{3}", m["value"]):
        return ParseError(f"Please write the value without a thousands separator. {_LEVEL_USAGE}")
    value = float(m["value"].replace(",", "."))
    rest = ([m["unit"]] if m["unit"] else []) + tokens[1:]
    unit_text = rest.pop(0) if rest and not _DATE.fullmatch(rest[0]) else None
    date_text = rest.pop(0) if rest else None
    if rest:
        return ParseError(f"I didn't understand {_quote(' '.join(rest))}. {_LEVEL_USAGE}")

    unit: Unit | None = None
    if unit_text is not None:
        unit = _UNITS.get(unit_text.lower())
        if unit is None:
            if re.fullmatch(r"\d.*", unit_text):  # a date in another format
                return _bad_date(unit_text)
            return ParseError(
                f"I don't know the unit {_quote(unit_text)}. Please use ng/mL or nmol/L. {_LEVEL_USAGE}"
            )
    taken_on = today
    if date_text is not None:
        parsed = _parse_date(date_text)
        if parsed is None:
            return _bad_date(date_text)
        taken_on = parsed
    if taken_on > today:
        return ParseError(
            f"That date is in the future. Please give the date the blood sample was taken. {_LEVEL_USAGE}"
        )
    if not plausible_date(taken_on):
        return _too_early()
    if not math.isfinite(value):  # 400 nines read as infinity
        return ParseError(f"Please start with the number from your lab result. {_LEVEL_USAGE}")
    if value <= 0:
        return ParseError(f"A vitamin D result is a number above zero. {_LEVEL_USAGE}")
    if unit is None:
        if value > MAX_PLAUSIBLE_NMOL_L:
            return _too_high(value, None)
        if value > ASK_UNIT_ABOVE:
            return NeedsUnitConfirmation(value=value, taken_on=taken_on)
        unit = NG_ML
    return _reading(value, unit, taken_on)


def confirm_unit(pending: NeedsUnitConfirmation, unit: Unit) -> LevelReading | ParseError:
    """Complete a reading once the subscriber has said which unit the value was in."""
    if unit not in (NG_ML, NMOL_L):
        raise ValueError(f"unknown unit {unit!r}")
    return _reading(pending.value, unit, pending.taken_on)


def _reading(value: float, unit: Unit, taken_on: date) -> LevelReading | ParseError:
    if not math.isfinite(value):
        return ParseError(f"Please start with the number from your lab result. {_LEVEL_USAGE}")
    if value <= 0:
        return ParseError(f"A vitamin D result is a number above zero. {_LEVEL_USAGE}")
    if not plausible_date(taken_on):
        return _too_early()
    limit = MAX_PLAUSIBLE_NG_ML if unit == NG_ML else MAX_PLAUSIBLE_NMOL_L
    if value > limit:
        return _too_high(value, unit)
    value_ng = value if unit == NG_ML else nmol_to_ng(value)
    if not plausible_ng_ml(value_ng):
        return _too_low(value, unit)
    return LevelReading(value_ng_ml=value_ng, original_value=value, original_unit=unit, taken_on=taken_on)


def _too_high(value: float, unit: Unit | None) -> ParseError:
    shown = f"{value:g} {unit}" if unit else f"{value:g}"
    return ParseError(
        f"{shown} is higher than any result I can accept (the limit is {MAX_PLAUSIBLE_NG_ML:g} ng/mL, "
        f"or {MAX_PLAUSIBLE_NMOL_L:g} nmol/L). Please check the number and unit on your lab report. "
        f"{_LEVEL_USAGE}"
    )


def _too_low(value: float, unit: Unit) -> ParseError:
    return ParseError(
        f"{value:g} {unit} is lower than any result I can accept (the limit is {MIN_PLAUSIBLE_NG_ML:g} "
        f"ng/mL, or {ng_to_nmol(MIN_PLAUSIBLE_NG_ML):g} nmol/L). Please check the number and unit on "
        f"your lab report. {_LEVEL_USAGE}"
    )


def _too_early() -> ParseError:
    return ParseError(
        f"That date is before {EARLIEST_DATE.year}. Please give the date the blood sample was taken. "
        f"{_LEVEL_USAGE}"
    )


def _parse_date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _bad_date(text: str) -> ParseError:
    return ParseError(
        f"I couldn't read the date {_quote(text)}. Please write it as YEAR-MONTH-DAY, "
        f"like 2026-11-02. {_LEVEL_USAGE}"
    )
