"""Zone keys, what people type for a time zone, and the zone at a location."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.parsing import ParseError
from bot.domain.timezones import (
    COMMON_ZONES,
    ZoneChoice,
    offset_key,
    parse_timezone,
    timezone_at,
    zone_for_key,
)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("America/New York", "America/New_York"),
        ("america / new york", "America/New_York"),
        ("asia/kolkata", "Asia/Kolkata"),
        ("  Asia/Tokyo  ", "Asia/Tokyo"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("Z", "UTC"),
        ("UTC+0", "UTC"),
        ("+00:00", "UTC"),
        ("UTC+2", "UTC+02:00"),
        ("UTC +2", "UTC+02:00"),
        ("GMT-3", "UTC-03:00"),
        ("+05:30", "UTC+05:30"),
        ("UTC+5:30", "UTC+05:30"),
        ("UTC+0545", "UTC+05:45"),
        ("UTC+545", "UTC+05:45"),
        ("-3", "UTC-03:00"),
        ("UTC−4", "UTC-04:00"),  # a typographic minus, as phones type it
        ("UTC+14", "UTC+14:00"),
        ("UTC-12", "UTC-12:00"),
        # Cities that are the last part of exactly one zone name.
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("Kolkata", "Asia/Kolkata"),
        # A city named by two links of one zone resolves to the current name.
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_accepts(text, key):
    choice = parse_timezone(text)
    assert choice == ZoneChoice(key)
    assert choice.tzinfo is zone_for_key(key)


@pytest.mark.parametrize(
    "text",
    ["Mars/Olympus", "UTC+15", "UTC-13", "UTC+14:30", "UTC+2:61", "", "   ", "Atlantis", "UTC3",
     "Europe", "localtime", "Factory", "+", "UTC+2:5"],
)
def test_refuses_with_a_usage_example(text):
    result = parse_timezone(text)
    assert isinstance(result, ParseError)
    assert "/timezone Europe/Berlin" in result.message and "/timezone UTC+2" in result.message


def test_error_names_what_was_typed_and_offset_limits():
    assert "Mars/Olympus" in parse_timezone("Mars/Olympus").message
    assert "UTC-12 to UTC+14" in parse_timezone("UTC+15").message


def test_zone_for_key_gives_real_rules():
    berlin = zone_for_key("Europe/Berlin")
    assert isinstance(berlin, ZoneInfo)
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC).astimezone(berlin)
    assert summer.utcoffset() == timedelta(hours=2)
    assert zone_for_key("UTC+05:30").utcoffset(None) == timedelta(hours=5, minutes=30)
    assert zone_for_key("UTC-03:00").utcoffset(None) == timedelta(hours=-3)
    assert zone_for_key("UTC") is UTC


@pytest.mark.parametrize(
    "key",
    ["europe/berlin", "Berlin", "UTC+5:30", "UTC+00:00", "UTC+15:00", "UTC+02:60", "GMT+2",
     "localtime", "", "Mars/Olympus"],
)
def test_zone_for_key_refuses_non_canonical_keys(key):
    with pytest.raises(ValueError):
        zone_for_key(key)


def test_offset_key_round_trips():
    for minutes in range(-12 * 60, 14 * 60 + 1, 15):
        key = offset_key(timedelta(minutes=minutes))
        assert zone_for_key(key).utcoffset(None) == timedelta(minutes=minutes)


def test_common_zones_are_valid_and_cover_the_world():
    keys = [key for _, key in COMMON_ZONES]
    assert 8 <= len(COMMON_ZONES) <= 12 and len(set(keys)) == len(keys)
    for key in keys:
        zone_for_key(key)
    for area in ("Europe/", "America/", "Asia/Kolkata", "Asia/", "Australia/"):
        assert any(key.startswith(area) for key in keys)


@pytest.mark.parametrize(
    ("lat", "lon", "key"),
    [
        (52.52, 13.405, "Europe/Berlin"),
        (40.7128, -74.006, "America/New_York"),
        (28.61, 77.21, "Asia/Kolkata"),
        (-33.87, 151.21, "Australia/Sydney"),
    ],
)
def test_timezone_at_places(lat, lon, key):
    assert timezone_at(lat, lon) == key


def test_timezone_at_open_ocean_is_an_offset_key():
    key = timezone_at(0.0, -150.0)  # mid-Pacific: Etc/GMT+10 in the data, i.e. UTC-10
    assert key == "UTC-10:00"
    zone_for_key(key)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(91, 0), (-90.5, 0), (0, 180.1), (0, -181), (float("nan"), 0), (0, float("inf")),
     ("52", "13"), (True, 0)],
)
def test_timezone_at_refuses_invalid_coordinates(lat, lon):
    with pytest.raises(ValueError):
        timezone_at(lat, lon)


# --- places as people write them --------------------------------------------------------------

from bot.domain.timezones import ZoneOptions, day_first_for_zone, parse_place  # noqa: E402


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("EST", "America/New_York"), ("edt", "America/New_York"), ("PST", "America/Los_Angeles"),
        ("PDT", "America/Los_Angeles"), ("CET", "Europe/Berlin"), ("CEST", "Europe/Berlin"),
        ("BST", "Europe/London"), ("IST", "Asia/Kolkata"), ("AEST", "Australia/Sydney"),
        ("india", "Asia/Kolkata"), ("INDIA", "Asia/Kolkata"), ("Germany", "Europe/Berlin"),
        ("uk", "Europe/London"), ("Japan", "Asia/Tokyo"),
        ("Berlin, Germany", "Europe/Berlin"), ("paris, france", "Europe/Paris"),
        ("Springfield, Germany", "Europe/Berlin"),  # an unknown city: the country's zone
        ("Madrid", "Europe/Madrid"), ("UTC+2", "UTC+02:00"), ("GMT", "Europe/London"), ("UTC", "UTC"),
    ],
)
def test_places_resolve_to_the_zone_people_mean(text, key):
    assert parse_place(text) == ZoneChoice(key)


def test_an_abbreviation_follows_daylight_saving():
    new_york = zone_for_key(parse_place("EST").key)
    summer = datetime(2027, 7, 1, 12, tzinfo=UTC).astimezone(new_york)
    assert summer.utcoffset() == timedelta(hours=-4)  # EDT in July, not a fixed UTC-5


def test_a_country_with_several_zones_offers_one_button_per_clock():
    found = parse_place("USA")
    assert isinstance(found, ZoneOptions)
    keys = [key for _, key in found.options]
    assert {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"} <= set(keys)
    assert "America/Indiana/Indianapolis" not in keys  # same clock as New York today
    assert len(keys) == len(set(keys)) <= 12


@pytest.mark.parametrize("text", ["Atlantis", "what is this?", "narnia, wonderland", ""])
def test_unknown_places_are_refused_kindly(text):
    assert isinstance(parse_place(text), ParseError)


def test_date_order_comes_from_the_zone():
    assert day_first_for_zone("America/New_York") is False
    assert day_first_for_zone("Europe/Berlin") is True
    assert day_first_for_zone("Asia/Kolkata") is True
    assert day_first_for_zone("America/Toronto") is None  # Canada writes both
    assert day_first_for_zone("UTC") is None and day_first_for_zone("UTC+02:00") is None
