"""Parsing what subscribers type: delivery times, pain check-ins and vitamin D results.

Every parser returns either a value or a ``ParseError`` whose message the bot sends as it is:
plain text (no Markdown), short, kind, and with an example of what works. Nothing here stores
anything; "bad input stores nothing" is the caller's half of the contract.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
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
    on: date | None = None  # the day it is about, when the subscriber named one ("yesterday")


def parse_pain(args: str, *, today: date | None = None, day_first: bool | None = None) -> PainReport | ParseError:
    """'6', '6/10', 'six', '6 out of 10', '6 stiff after sitting' -> score 0-10 and an optional note.

    With ``today``, a date in the note is the day the check-in is about: '3 yesterday',
    '3 stiff 2 days ago', '5 on 1 March'; the rest stays the note.
    """
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
    on = None
    if note is not None and today is not None:
        found, rest = find_date(note, today=today, day_first=day_first)
        if isinstance(found, ParseError):
            return found
        if isinstance(found, AmbiguousDate):
            return _ambiguous(found, f"/pain {score}")
        if found is not None:
            on, note = found, rest or None
    if note is not None and len(note) > PAIN_NOTE_MAX_CHARS:
        return ParseError(
            f"Your note is a little long: please keep it under {PAIN_NOTE_MAX_CHARS} characters."
        )
    return PainReport(score=score, note=note, on=on)


# --- vitamin D level -------------------------------------------------------------------------

Unit = Literal["ng/mL", "nmol/L"]
NG_ML: Unit = "ng/mL"
NMOL_L: Unit = "nmol/L"
# A unitless value above this is more likely nmol/L than ng/mL: asked even when ng/mL is remembered.
ASK_UNIT_ABOVE = 150.0

_UNITS: dict[str, Unit] = {
    **{s: NG_ML for s in ("ng/ml", "ng", "ngml", "ng/milliliter", "ng/millilitre")},
    **{s: NMOL_L for s in ("nmol/l", "nmol", "nmoll", "nmol/liter", "nmol/litre")},
}
_LEVEL_USAGE = "For example: /level 24 ng/mL or /level 60 nmol/L 2 November."
_VALUE = re.compile(r"(?P<value>[+-]?\d+(?:[.,]\d+)?)(?P<unit>.*)")


@dataclass(frozen=True)
class LevelReading:
    value_ng_ml: float
    original_value: float
    original_unit: Unit
    taken_on: date


@dataclass(frozen=True)
class NeedsUnitConfirmation:
    """A value typed without a unit: the subscriber's remembered unit applies, or the bot asks."""

    value: float
    taken_on: date


def parse_level(
    args: str, *, today: date, day_first: bool | None = None
) -> LevelReading | NeedsUnitConfirmation | ParseError:
    """'<value> [unit] [date]'; the date defaults to ``today``; no unit -> ask (or remembered).

    The date as people write it (see ``find_date``): "2026-11-02", "2 November", "yesterday"...
    """
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
    found, remainder = find_date(" ".join(([m["unit"]] if m["unit"] else []) + tokens[1:]), today=today, day_first=day_first)
    if isinstance(found, ParseError):
        return ParseError(f"{found.message} {_LEVEL_USAGE}")
    if isinstance(found, AmbiguousDate):
        return _ambiguous(found, f"/level {m['value']}")
    rest = remainder.split()
    unit_text = rest.pop(0) if rest else None
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
    taken_on = found or today  # find_date has refused future dates and dates before 1900
    if not math.isfinite(value):  # 400 nines read as infinity
        return ParseError(f"Please start with the number from your lab result. {_LEVEL_USAGE}")
    if value <= 0:
        return ParseError(f"A vitamin D result is a number above zero. {_LEVEL_USAGE}")
    if unit is None:
        if value > MAX_PLAUSIBLE_NMOL_L:
            return _too_high(value, None)
        if value < MIN_PLAUSIBLE_NG_ML:  # too low in either unit: no need to ask which
            return _too_low(value, None)
        # Never silently ng/mL: the caller applies the subscriber's remembered unit, or asks.
        return NeedsUnitConfirmation(value=value, taken_on=taken_on)
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


def _too_low(value: float, unit: Unit | None) -> ParseError:
    shown = f"{value:g} {unit}" if unit else f"{value:g}"
    return ParseError(
        f"{shown} is lower than any result I can accept (the limit is {MIN_PLAUSIBLE_NG_ML:g} "
        f"ng/mL, or {ng_to_nmol(MIN_PLAUSIBLE_NG_ML):g} nmol/L). Please check the number and unit on "
        f"your lab report. {_LEVEL_USAGE}"
    )


def _too_early() -> ParseError:
    return ParseError(
        f"That date is before {EARLIEST_DATE.year}. Please give the date the blood sample was taken. "
        f"{_LEVEL_USAGE}"
    )


def _bad_date(text: str) -> ParseError:
    return ParseError(
        f"I couldn't read the date {_quote(text)}. Please write it like 2 November 2026, "
        f"yesterday or 2026-11-02. {_LEVEL_USAGE}"
    )


def _ambiguous(found: AmbiguousDate, command: str) -> ParseError:
    first, second = (f"{d.day} {d.strftime('%B')} {d.year}" for d in (found.day_first, found.month_first))
    return ParseError(
        f"{_quote(found.text)} could be {first} or {second}. Which one? Please send it again with the "
        f"month in words: {command} {first} or {command} {second}." + (f" {_LEVEL_USAGE}" if command.startswith("/level") else "")
    )


# --- dates as people write them ---------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?P<{}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_NUMBER_WORD = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_DATE_PATTERNS = (
    ("iso", r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})"),
    ("numeric", r"(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"),
    ("day_month", r"(?:the\s+)?(?P<day>\d{1,2})" + _ORDINAL + r"(?:\s+of)?\s+" + _MONTH.format("month")
     + r"(?:,?\s+(?P<year1>\d{4}))?"),
    ("month_day", _MONTH.format("month2") + r"\s+(?:the\s+)?(?P<day2>\d{1,2})" + _ORDINAL
     + r"(?:,?\s+(?P<year2>\d{4}))?"),
    ("ago", r"(?P<count>\d{1,3}|a|an|one|two|three|four|five|six|seven)\s+(?P<unit>days?|weeks?)\s+ago"),
    ("relative", r"(?P<relative>the day before yesterday|day before yesterday|yesterday|today|tomorrow)"),
)
_DATE_IN_TEXT = re.compile(
    r"(?<![\w/.-])(?:" + "|".join(pattern for _, pattern in _DATE_PATTERNS) + r")(?![\w/-])",
    re.IGNORECASE,
)
_DATE_EXAMPLES = "Dates work like: yesterday, 2 days ago, 1 March, 01.03.2026 or 2026-03-01."


@dataclass(frozen=True)
class AmbiguousDate:
    """"3/1/2026": the 3rd of January or March the 1st? The subscriber chooses."""

    text: str
    day_first: date
    month_first: date


def find_date(
    text: str, *, today: date, day_first: bool | None
) -> tuple[date | AmbiguousDate | ParseError | None, str]:
    """The date written somewhere in ``text`` (first one found) and the text without it.

    ``day_first``: how the subscriber's country writes 3/1 (True: 3 January; False: March 1;
    None: unknown, so an ambiguous date is returned for the subscriber to choose).
    Refuses future dates and dates before 1900. (None, text) when there is no date.
    """
    match = _DATE_IN_TEXT.search(text)
    if match is None:
        return None, text
    rest = " ".join((text[: match.start()] + " " + text[match.end():]).split())
    rest = re.sub(r"^(?:on|from|taken)\b\s*|\s*\b(?:on|from|taken)$", "", rest, flags=re.IGNORECASE).strip(" ,;:-")
    return _date_of(match, today, day_first), rest


def _date_of(match: re.Match[str], today: date, day_first: bool | None) -> date | AmbiguousDate | ParseError:
    shown = match.group(0)
    try:
        if match["iso"]:
            year, month, day = map(int, match["iso"].split("-"))
            return _checked(date(year, month, day), today, shown)
        if match["a"]:
            first, second, year = int(match["a"]), int(match["b"]), _full_year(match["year"], today)
            # Dots are written day first everywhere they are used (01.03.2026).
            return _numeric(first, second, year, today, True if match["sep"] == "." else day_first, shown)
        if match["day"] or match["day2"]:
            day = int(match["day"] or match["day2"])
            month = _MONTHS[(match["month"] or match["month2"]).lower()]
            year_text = match["year1"] or match["year2"]
            if year_text:
                return _checked(date(int(year_text), month, day), today, shown)
            candidate = date(today.year, month, day)
            # "1 March" without a year is the latest 1 March that has already come.
            return candidate if candidate <= today else date(today.year - 1, month, day)
        if match["count"]:
            count_text = match["count"].lower()
            count = _NUMBER_WORD.get(count_text) or int(count_text)
            days = count * (7 if match["unit"].lower().startswith("week") else 1)
            return _checked(today - timedelta(days=days), today, shown)
        relative = match["relative"].lower()
        return _checked(today - timedelta(days={"today": 0, "yesterday": 1, "tomorrow": -1}.get(relative, 2)), today, shown)
    except (ValueError, OverflowError):
        return ParseError(f"{_quote(shown)} isn't a date in the calendar. {_DATE_EXAMPLES}")


def _full_year(text: str, today: date) -> int:
    if len(text) == 4:
        return int(text)
    year = 2000 + int(text)
    return year if year <= today.year else year - 100


def _numeric(
    first: int, second: int, year: int, today: date, day_first: bool | None, shown: str
) -> date | AmbiguousDate | ParseError:
    as_day_first = _valid(year, second, first)
    as_month_first = _valid(year, first, second)
    if as_day_first is None and as_month_first is None:
        return ParseError(f"{_quote(shown)} isn't a date in the calendar. {_DATE_EXAMPLES}")
    if as_day_first is None or as_month_first is None or as_day_first == as_month_first:
        return _checked(as_day_first or as_month_first, today, shown)  # type: ignore[arg-type]
    if day_first is None:
        # Either could be meant; a future one cannot.
        if as_day_first > today:
            return _checked(as_month_first, today, shown)
        if as_month_first > today:
            return _checked(as_day_first, today, shown)
        return AmbiguousDate(shown, as_day_first, as_month_first)
    return _checked(as_day_first if day_first else as_month_first, today, shown)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _checked(value: date, today: date, shown: str) -> date | ParseError:
    if value > today:
        return ParseError(f"{_quote(shown)} is in the future: please give a date that has passed. {_DATE_EXAMPLES}")
    if value < EARLIEST_DATE:
        return ParseError(f"{_quote(shown)} is before 1900: please check the year. {_DATE_EXAMPLES}")
    return value
