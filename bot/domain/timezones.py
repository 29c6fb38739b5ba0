"""Time zones: the stored zone key, what subscribers type for it, and the zone at a location.

A zone key is either an IANA name in its canonical spelling ("Europe/Berlin"), or a fixed offset
"UTC+05:30" / "UTC-03:00", or "UTC" (also for GMT, Z and a zero offset). Keys are what the database
stores; ``zone_for_key`` turns one into a tzinfo.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from pathlib import Path

from bot.domain.parsing import ParseError

UTC_KEY = "UTC"
# Real-world offsets run from UTC-12 (Baker Island) to UTC+14 (Kiribati).
_MIN_OFFSET = timedelta(hours=-12)
_MAX_OFFSET = timedelta(hours=14)
_OFFSET_KEY = re.compile(r"UTC([+-])(\d{2}):(\d{2})")
_OFFSET_INPUT = re.compile(
    r"(?:utc|gmt)?\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?", re.IGNORECASE
)
_UTC_ALIASES = {"utc", "gmt", "z", "zulu", "utc0", "gmt0"}
# Areas whose last name part is a city people might type on its own ("Berlin").
_CITY_AREAS = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
               "Europe", "Indian", "Pacific"}
_NOT_ZONES = {"localtime", "Factory"}

COMMON_ZONES: list[tuple[str, str]] = [
    ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"),
    ("New York", "America/New_York"),
    ("Chicago", "America/Chicago"),
    ("Los Angeles", "America/Los_Angeles"),
    ("São Paulo", "America/Sao_Paulo"),
    ("India", "Asia/Kolkata"),
    ("China", "Asia/Shanghai"),
    ("Tokyo", "Asia/Tokyo"),
    ("Sydney", "Australia/Sydney"),
    ("UTC", UTC_KEY),
]

_HELP = "For example: /timezone Europe/Berlin, /timezone Madrid, /timezone EST or /timezone UTC+2."


@dataclass(frozen=True)
class ZoneChoice:
    key: str  # what to store

    @property
    def tzinfo(self) -> tzinfo:
        return zone_for_key(self.key)


@cache
def _iana_names() -> dict[str, str]:
    """Lower-cased name -> canonical spelling."""
    return {n.lower(): n for n in zoneinfo.available_timezones() - _NOT_ZONES}


@lru_cache(maxsize=1024)
def zone_for_key(key: str) -> tzinfo:
    if key == UTC_KEY:
        return UTC
    if m := _OFFSET_KEY.fullmatch(key):
        offset = _offset(m[1], int(m[2]), int(m[3]))
        if offset is None or offset == timedelta(0):
            raise ValueError(f"not a zone key: {key!r}")  # "UTC+00:00" is spelt "UTC"
        return timezone(offset)
    if _iana_names().get(key.lower()) != key:
        raise ValueError(f"not a zone key: {key!r}")
    return zoneinfo.ZoneInfo(key)


def offset_key(offset: timedelta) -> str:
    if offset == timedelta(0):
        return UTC_KEY
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _offset(sign: str, hours: int, minutes: int) -> timedelta | None:
    if minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
    return offset if _MIN_OFFSET <= offset <= _MAX_OFFSET else None


# What people mean by an abbreviation: the zone of the place, with its daylight saving, never a
# fixed offset (a New Yorker who types EST in July means New York time, which is then EDT).
ABBREVIATIONS: dict[str, str] = {
    "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
    "eastern": "America/New_York", "eastern time": "America/New_York",
    "cst": "America/Chicago", "cdt": "America/Chicago", "ct": "America/Chicago",
    "central": "America/Chicago", "central time": "America/Chicago",
    "mst": "America/Denver", "mdt": "America/Denver", "mt": "America/Denver",
    "mountain": "America/Denver", "mountain time": "America/Denver",
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "pacific time": "America/Los_Angeles",
    "akst": "America/Anchorage", "akdt": "America/Anchorage", "hst": "Pacific/Honolulu",
    "ast": "America/Halifax", "adt": "America/Halifax", "nst": "America/St_Johns", "ndt": "America/St_Johns",
    "gmt": "Europe/London", "bst": "Europe/London", "uk time": "Europe/London", "british time": "Europe/London",
    "ist": "Asia/Kolkata", "india time": "Asia/Kolkata",
    "cet": "Europe/Berlin", "cest": "Europe/Berlin", "met": "Europe/Berlin", "mez": "Europe/Berlin",
    "wet": "Europe/Lisbon", "west": "Europe/Lisbon", "eet": "Europe/Athens", "eest": "Europe/Athens",
    "msk": "Europe/Moscow", "sast": "Africa/Johannesburg", "wat": "Africa/Lagos", "eat": "Africa/Nairobi",
    "pkt": "Asia/Karachi", "ict": "Asia/Bangkok", "wib": "Asia/Jakarta", "sgt": "Asia/Singapore",
    "hkt": "Asia/Hong_Kong", "pht": "Asia/Manila", "kst": "Asia/Seoul", "jst": "Asia/Tokyo",
    "china time": "Asia/Shanghai", "beijing time": "Asia/Shanghai",
    "awst": "Australia/Perth", "acst": "Australia/Adelaide", "acdt": "Australia/Adelaide",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "nzst": "Pacific/Auckland",
    "nzdt": "Pacific/Auckland", "brt": "America/Sao_Paulo", "art": "America/Argentina/Buenos_Aires",
}
# Typed on its own, GMT means London's clock (GMT in winter, BST in summer) to the people who
# write it; the zero offset itself is "UTC" (or "GMT+0").
_LONDON_GMT = {"gmt uk", "uk gmt", "london gmt"}
# Country names people type that differ from iso3166.tab's ("Britain (UK)", "Korea (South)").
COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB", "united kingdom": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "gb": "GB",
    "usa": "US", "us": "US", "united states": "US", "united states of america": "US", "america": "US",
    "the us": "US", "the usa": "US", "the uk": "GB", "south korea": "KR", "korea": "KR",
    "north korea": "KP", "russia": "RU", "vietnam": "VN", "viet nam": "VN", "czechia": "CZ",
    "czech republic": "CZ", "holland": "NL", "the netherlands": "NL", "uae": "AE",
    "emirates": "AE", "iran": "IR", "syria": "SY", "laos": "LA", "bolivia": "BO", "venezuela": "VE",
    "tanzania": "TZ", "taiwan": "TW", "moldova": "MD", "macedonia": "MK", "ivory coast": "CI",
    "congo": "CD", "dr congo": "CD", "drc": "CD", "palestine": "PS", "vatican": "VA", "turkey": "TR",
    "turkiye": "TR", "brunei": "BN", "micronesia": "FM", "the philippines": "PH", "cape verde": "CV",
    "swaziland": "SZ", "burma": "MM", "east timor": "TL",
}
# Where 3/1/2026 is March 1 (month first); elsewhere it is 3 January. Canada writes both: ask.
MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "UM", "VI"})
BOTH_ORDERS_COUNTRIES = frozenset({"CA"})


@dataclass(frozen=True)
class ZoneOptions:
    """A place with several zones ("USA"): the subscriber picks one (label, key)."""

    place: str
    options: tuple[tuple[str, str], ...]


def _tab_lines(name: str) -> list[list[str]]:
    import tzdata

    path = Path(tzdata.__file__).parent / "zoneinfo" / name
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]


@cache
def _countries() -> dict[str, str]:
    """Lower-cased country name -> ISO code, from tzdata's iso3166.tab plus common names."""
    names = {}
    for code, name in (row[:2] for row in _tab_lines("iso3166.tab")):
        names[name.lower()] = code
        names[re.sub(r"\s*\(.*\)", "", name).lower()] = code  # "Korea (South)" -> "korea"
        names.setdefault(code.lower(), code) if len(code) == 2 and code.lower() not in _NOT_COUNTRY_CODES else None
    names.update({alias: code for alias, code in COUNTRY_ALIASES.items()})
    return names


_NOT_COUNTRY_CODES = {"in", "is", "it", "me", "no", "am", "at", "be", "do", "go", "my", "so", "to", "us", "id"}


@cache
def _country_zones() -> dict[str, list[str]]:
    """ISO code -> its zones, most populous area first (zone.tab's order)."""
    zones: dict[str, list[str]] = {}
    for row in _tab_lines("zone.tab"):
        zones.setdefault(row[0], []).append(row[2])
    return zones


@cache
def _zone_country() -> dict[str, str]:
    return {zone: code for code, zones in _country_zones().items() for zone in zones}


_BEST_KNOWN = frozenset(key for _, key in COMMON_ZONES) | {
    "Australia/Melbourne", "America/Toronto", "America/Vancouver", "America/Manaus",
    "America/Mexico_City", "Europe/Moscow", "Asia/Jakarta", "America/Edmonton", "America/Winnipeg",
}


def _country_choice(code: str, place: str) -> ZoneChoice | ZoneOptions | None:
    zones = [z for z in _country_zones().get(code, []) if _iana_names().get(z.lower()) == z]
    if not zones:
        return None
    # One button per distinct clock (zones that agree all year are one choice for a person).
    distinct: list[str] = []
    for zone in zones:
        # Today's clocks only: Indiana's history does not make it a separate choice now.
        same = [i for i, kept in enumerate(distinct) if _same_rules([zone, kept], range(2026, 2036, 3))]
        if not same:
            distinct.append(zone)
        elif zone in _BEST_KNOWN and distinct[same[0]] not in _BEST_KNOWN:
            distinct[same[0]] = zone  # "Sydney" says more than "Macquarie"
    if len(distinct) == 1:
        return ZoneChoice(distinct[0])
    return ZoneOptions(place, tuple((zone.rsplit("/", 1)[1].replace("_", " "), zone) for zone in distinct))


def day_first_for_zone(key: str) -> bool | None:
    """How people in this zone write 3/1/2026: True = 3 January, False = March 1, None = unknown."""
    country = _zone_country().get(key)
    if country is None or country in BOTH_ORDERS_COUNTRIES:
        return None
    return country not in MONTH_FIRST_COUNTRIES


def parse_place(text: str) -> ZoneChoice | ZoneOptions | ParseError:
    """Like ``parse_timezone``, and a country with several zones gives the subscriber a choice."""
    cleaned = " ".join(text.replace("−", "-").split()).strip(" .!")
    lowered = cleaned.lower()
    if lowered in ABBREVIATIONS:
        return ZoneChoice(ABBREVIATIONS[lowered])
    if lowered in _LONDON_GMT:
        return ZoneChoice("Europe/London")
    # Countries before zone names: "Japan" and "Poland" are also old IANA aliases, and the
    # canonical key ("Asia/Tokyo") is the one to store.
    code = _countries().get(lowered)
    if code is not None and (found := _country_choice(code, cleaned)) is not None:
        return found
    direct = parse_timezone(cleaned)
    if not isinstance(direct, ParseError):
        return direct
    if "," in cleaned:  # "Berlin, Germany": the city if known, else the country
        city, _, country = (part.strip() for part in cleaned.rpartition(","))
        for part in (city, country):
            place = parse_place(part) if part else None
            if place is not None and not isinstance(place, ParseError):
                return place
    return direct


def parse_timezone(text: str) -> ZoneChoice | ParseError:
    """An IANA name (any case, spaces for underscores), a city, UTC/GMT/Z, or an offset."""
    cleaned = " ".join(text.replace("−", "-").split())
    if not cleaned:
        return ParseError(f"Please tell me your time zone. {_HELP}")
    if cleaned.lower() in _UTC_ALIASES:
        return ZoneChoice(UTC_KEY)  # a stored key or a button: "GMT" here is the zero offset
    if cleaned.lower() in ABBREVIATIONS:
        return ZoneChoice(ABBREVIATIONS[cleaned.lower()])
    if m := _OFFSET_INPUT.fullmatch(cleaned):
        offset = _offset(m["sign"], int(m["h"]), int(m["m"] or 0))
        if offset is None:
            return ParseError(
                f"{cleaned} isn't a time zone offset: they go from UTC-12 to UTC+14, with minutes "
                f"up to 59. {_HELP}"
            )
        return ZoneChoice(offset_key(offset))
    name = re.sub(r"\s*/\s*", "/", cleaned).replace(" ", "_").lower()
    if canonical := _iana_names().get(name) or _cities().get(name):
        return ZoneChoice(canonical)
    if code := _countries().get(cleaned.lower()):
        zones = _country_zones().get(code, [])
        if len(zones) == 1 and _iana_names().get(zones[0].lower()) == zones[0]:
            return ZoneChoice(zones[0])
    return ParseError(
        f"I don't know the time zone “{cleaned[:40]}”. Try a city or a country, e.g. Madrid or "
        f"India. {_HELP}"
    )


@cache
def _cities() -> dict[str, str]:
    """'berlin' -> 'Europe/Berlin', only where the city names one zone (or equivalent links)."""
    candidates: dict[str, list[str]] = {}
    for name in _iana_names().values():
        if name.split("/")[0] in _CITY_AREAS:
            candidates.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    cities = {}
    for city, names in candidates.items():
        if len(names) == 1 or _same_rules(names):
            # Among links of one zone, the deepest name is the current one (…/Argentina/Cordoba).
            cities[city] = min(names, key=lambda n: (-n.count("/"), n))
    return cities


def _same_rules(names: list[str], years: range = range(1990, 2040, 7)) -> bool:
    probes = [datetime(year, month, 15, tzinfo=UTC) for year in years
              for month in (1, 4, 7, 10)]
    zones = [zoneinfo.ZoneInfo(n) for n in names]
    return all(len({p.astimezone(z).utcoffset() for z in zones}) == 1 for p in probes)


@cache
def _finder():
    # Loading the polygons is costly: once per process, and only if someone shares a location.
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


_ETC_GMT = re.compile(r"Etc/GMT([+-])(\d{1,2})")


def timezone_at(latitude: float, longitude: float) -> str | None:
    """The zone key at a location, or None where the data has none. ValueError if not a place."""
    for value, limit, what in ((latitude, 90, "latitude"), (longitude, 180, "longitude")):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{what} must be a number")
        if not math.isfinite(value) or abs(value) > limit:
            raise ValueError(f"{what} out of range: {value}")
    name = _finder().timezone_at(lng=float(longitude), lat=float(latitude))
    if name is None:
        return None
    if m := _ETC_GMT.fullmatch(name):
        # Etc/GMT-5 is UTC+5 (POSIX signs are inverted); store the spelling people read.
        return offset_key(timedelta(hours=int(m[2])) * (1 if m[1] == "-" else -1))
    if name in {"Etc/UTC", "Etc/GMT", "UTC"}:
        return UTC_KEY
    return name if _iana_names().get(name.lower()) == name else None
