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
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache

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

_HELP = "For example: /timezone Europe/Berlin or /timezone UTC+2."


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
        return timezone.utc
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


def parse_timezone(text: str) -> ZoneChoice | ParseError:
    """An IANA name (any case, spaces for underscores), a city, UTC/GMT/Z, or an offset."""
    cleaned = " ".join(text.replace("−", "-").split())
    if not cleaned:
        return ParseError(f"Please tell me your time zone. {_HELP}")
    if cleaned.lower() in _UTC_ALIASES:
        return ZoneChoice(UTC_KEY)
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
    return ParseError(f"I don't know the time zone “{cleaned[:40]}”. {_HELP}")


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


def _same_rules(names: list[str]) -> bool:
    probes = [datetime(year, month, 15, tzinfo=timezone.utc) for year in range(1990, 2040, 7)
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
