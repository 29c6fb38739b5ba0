"""Delivery times, pain check-ins and vitamin D results as subscribers type them."""

from datetime import date, time

import pytest

from bot.domain.parsing import (
    LevelReading,
    NeedsUnitConfirmation,
    PainReport,
    ParseError,
    confirm_unit,
    parse_delivery_time,
    parse_level,
    parse_pain,
)

TODAY = date(2026, 11, 24)


# --- delivery time -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07:30", time(7, 30)), ("7:30", time(7, 30)), ("7.30", time(7, 30)), ("7h30", time(7, 30)),
        ("0730", time(7, 30)), ("19:05", time(19, 5)), ("00:00", time(0, 0)), ("23:59", time(23, 59)),
        ("7", time(7, 0)), (" 7:30 ", time(7, 30)),
        ("7am", time(7, 0)), ("7 AM", time(7, 0)), ("7:30 pm", time(19, 30)), ("7.30pm", time(19, 30)),
        ("7 p.m.", time(19, 0)), ("12am", time(0, 0)), ("12:15 am", time(0, 15)), ("12pm", time(12, 0)),
    ],
)
def test_time_accepts(text, expected):
    assert parse_delivery_time(text) == expected


@pytest.mark.parametrize(
    "text",
    ["25:99", "24:00", "7:60", "", "  ", "abc", "13pm", "0am", "7:5", "730", "07:30:00", "-7:00",
     "7:30 xm", "12:60 pm", "0725a"],
)
def test_time_refuses_with_example(text):
    result = parse_delivery_time(text)
    assert isinstance(result, ParseError)
    assert "/time 07:30" in result.message


def test_time_error_says_what_is_wrong():
    assert "00 to 23" in parse_delivery_time("25:99").message
    assert "1 to 12" in parse_delivery_time("13pm").message
    assert "“abc”" in parse_delivery_time("abc").message


# --- pain ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "score", "note"),
    [
        ("6", 6, None), ("6/10", 6, None), ("6 / 10", 6, None), ("6 out of 10", 6, None),
        ("6 stiff after sitting", 6, "stiff after sitting"), ("6/10 stiff", 6, "stiff"),
        ("6, stiff", 6, "stiff"), ("6 - better today", 6, "better today"),
        ("0", 0, None), ("10", 10, None), ("10/10", 10, None), ("six", 6, None),
        ("Ten terrible morning", 10, "terrible morning"), ("zero", 0, None),
        ("  3   ok  ", 3, "ok"), ("4 of 10", 4, None), ("5 of my worst days", 5, "of my worst days"),
    ],
)
def test_pain_accepts(text, score, note):
    assert parse_pain(text) == PainReport(score=score, note=note)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("11", "out of range"), ("-1", "out of range"), ("11/10", "out of range"),
        ("6.5", "whole number"), ("6,5", "whole number"),
        ("10/5", "scale of 0 to 10"), ("6/100", "scale of 0 to 10"),
        ("6-7", "not a range"), ("6 - 7", "not a range"),
        ("", "from 0 (none) to 10"), ("abc", "start with a number"), ("eleven", "start with a number"),
        ("stiff 6", "start with a number"), ("6stiff", "start with a number"),
    ],
)
def test_pain_refuses(text, hint):
    result = parse_pain(text)
    assert isinstance(result, ParseError)
    assert hint in result.message
    assert "/pain 6" in result.message


def test_pain_note_length_is_bounded():
    assert isinstance(parse_pain("6 " + "x" * 500), PainReport)
    assert isinstance(parse_pain("6 " + "x" * 501), ParseError)


# --- vitamin D level -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "ng", "value", "unit", "taken_on"),
    [
        ("24 ng/mL", 24.0, 24.0, "ng/mL", TODAY),
        ("24 NG/ML", 24.0, 24.0, "ng/mL", TODAY),
        ("24.5 ng/mL", 24.5, 24.5, "ng/mL", TODAY),
        ("24,5 ng", 24.5, 24.5, "ng/mL", TODAY),
        ("24 ng/mL 2026-11-24", 24.0, 24.0, "ng/mL", TODAY),
        ("24ng", 24.0, 24.0, "ng/mL", TODAY),
        ("60 nmol/L 2026-11-02", 24.038, 60.0, "nmol/L", date(2026, 11, 2)),
        ("60nmol/L", 24.038, 60.0, "nmol/L", TODAY),
        ("60 nmol / l", 24.038, 60.0, "nmol/L", TODAY),
        ("60 nmol", 24.038, 60.0, "nmol/L", TODAY),
        ("60 NMOL/LITRE", 24.038, 60.0, "nmol/L", TODAY),
        ("74.88 nmol/L", 30.0, 74.88, "nmol/L", TODAY),  # a band edge survives the conversion
        ("250 ng/mL", 250.0, 250.0, "ng/mL", TODAY),
        ("624 nmol/L", 250.0, 624.0, "nmol/L", TODAY),
    ],
)
def test_level_accepts(text, ng, value, unit, taken_on):
    assert parse_level(text, today=TODAY) == LevelReading(
        value_ng_ml=ng, original_value=value, original_unit=unit, taken_on=taken_on
    )


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "Please send"), ("abc", "start with the number"), ("ng/mL 24", "start with the number"),
        ("0", "above zero"), ("-5", "above zero"), ("0 nmol/L", "above zero"),
        ("251 ng/mL", "higher than any"), ("625 nmol/L", "higher than any"), ("700", "higher than any"),
        ("24 mg/dl", "don't know the unit"), ("24 ng/dl", "don't know the unit"),
        ("24 2026-11-25", "in the future"), ("24 ng/mL 2027-01-01", "in the future"),
        ("24 2026-13-01", "isn't a date in the calendar"), ("24 ng/mL 2026-02-30", "isn't a date in the calendar"),
        ("24 31.02.2026", "isn't a date in the calendar"), ("24 ng/mL 2/11/2026", "could be 2 November 2026 or 11 February 2026"),
        ("24 1 March 1899", "before 1900"), ("24 tomorrow", "in the future"),
        ("24 ng/mL 2026-11-02 extra", "didn't understand"), ("1,000", "thousands separator"),
    ],
)
def test_level_refuses_with_usage(text, hint):
    result = parse_level(text, today=TODAY)
    assert isinstance(result, ParseError), result
    assert hint in result.message
    assert "/level 24" in result.message and "/level 60 nmol/L 2 November" in result.message


@pytest.mark.parametrize("text", ["1", "24", "24,5", "40", "75", "120", "151", "200", "624", "400 2026-11-01"])
def test_a_value_without_a_unit_is_never_read_as_ng_ml(text):
    result = parse_level(text, today=TODAY)
    assert isinstance(result, NeedsUnitConfirmation)
    assert result.value == float(text.split()[0].replace(",", "."))


def test_confirm_unit():
    pending = parse_level("200 2026-11-01", today=TODAY)
    assert confirm_unit(pending, "ng/mL") == LevelReading(200.0, 200.0, "ng/mL", date(2026, 11, 1))
    assert confirm_unit(pending, "nmol/L") == LevelReading(80.128, 200.0, "nmol/L", date(2026, 11, 1))
    too_high_as_ng = parse_level("400", today=TODAY)
    assert isinstance(confirm_unit(too_high_as_ng, "ng/mL"), ParseError)
    assert confirm_unit(too_high_as_ng, "nmol/L").value_ng_ml == pytest.approx(160.256)
    with pytest.raises(ValueError):
        confirm_unit(pending, "mg/dL")


# --- dates as people write them ---------------------------------------------------------------

from bot.domain.parsing import AmbiguousDate, find_date  # noqa: E402


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("yesterday", date(2026, 11, 23), ""),
        ("the day before yesterday", date(2026, 11, 22), ""),
        ("today", TODAY, ""),
        ("2 days ago", date(2026, 11, 22), ""),
        ("a week ago", date(2026, 11, 17), ""),
        ("1 March", date(2026, 3, 1), ""),
        ("March 1", date(2026, 3, 1), ""),
        ("1st of March", date(2026, 3, 1), ""),
        ("march 1st, 2025", date(2025, 3, 1), ""),
        ("30 December", date(2025, 12, 30), ""),  # the latest 30 December that has come
        ("01.03.2026", date(2026, 3, 1), ""),  # dots: day first everywhere
        ("2026-03-01", date(2026, 3, 1), ""),
        ("13/5/2026", date(2026, 5, 13), ""),  # only one reading is a date
        ("5/13/26", date(2026, 5, 13), ""),
        ("stiff after sitting yesterday", date(2026, 11, 23), "stiff after sitting"),
        ("on 2 November", date(2026, 11, 2), ""),
        ("stiff after sitting", None, "stiff after sitting"),
        ("maybe better", None, "maybe better"),
        ("6 weeks", None, "6 weeks"),
    ],
)
def test_find_date_reads_dates_as_people_write_them(text, expected, rest):
    assert find_date(text, today=TODAY, day_first=None) == (expected, rest)


def test_slash_dates_follow_the_zone_or_are_asked():
    assert find_date("3/1/2026", today=TODAY, day_first=True)[0] == date(2026, 1, 3)
    assert find_date("3/1/2026", today=TODAY, day_first=False)[0] == date(2026, 3, 1)
    asked = find_date("3/1/2026", today=TODAY, day_first=None)[0]
    assert asked == AmbiguousDate("3/1/2026", date(2026, 1, 3), date(2026, 3, 1))
    # A reading in the future is no choice: 1 December 2026 has not come yet, so 12 January.
    assert find_date("1/12/2026", today=TODAY, day_first=None)[0] == date(2026, 1, 12)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("tomorrow", "in the future"), ("2027-01-01", "in the future"), ("1 March 1899", "before 1900"),
        ("31.02.2026", "isn't a date"), ("2026-13-01", "isn't a date"), ("32/1/2026", "isn't a date"),
        ("30 February", "isn't a date"),
    ],
)
def test_find_date_refuses_future_impossible_and_too_old_dates(text, hint):
    found, _ = find_date(text, today=TODAY, day_first=True)
    assert isinstance(found, ParseError) and hint in found.message


def test_pain_with_a_date_records_that_day_and_keeps_the_rest_as_the_note():
    assert parse_pain("3 yesterday", today=TODAY) == PainReport(3, None, date(2026, 11, 23))
    assert parse_pain("3 stiff 2 days ago", today=TODAY) == PainReport(3, "stiff", date(2026, 11, 22))
    assert parse_pain("3 yesterday") == PainReport(3, "yesterday")  # no today given: a plain note
    assert isinstance(parse_pain("3 tomorrow", today=TODAY), ParseError)
    assert "could be" in parse_pain("4 3/1/2026", today=TODAY).message


@pytest.mark.parametrize(
    ("text", "taken_on"),
    [("18 yesterday", date(2026, 11, 23)), ("30 1 March", date(2026, 3, 1)), ("30 01.03.2026", date(2026, 3, 1)),
     ("60 nmol/L 2 November", date(2026, 11, 2)), ("24 ng/mL on 5 May 2025", date(2025, 5, 5))],
)
def test_level_dates_as_people_write_them(text, taken_on):
    assert parse_level(text, today=TODAY).taken_on == taken_on
