"""The delivery calendar: when a subscriber's next program day is due.

Rules (SPEC.md, "Delivery semantics"):
- Day 1 goes out when enrolment completes; every later day at the subscriber's local delivery time
  (08:00 by default, in UTC until they choose a zone).
- At most one program day per local calendar day: the next delivery is on a local date strictly
  after the local date of the last delivery, so enrolling at 06:00 with a 08:00 delivery time
  gets Day 2 tomorrow, not two hours later.
- After downtime the sweep sends the overdue day once; the one after it is computed from that
  delivery's instant and local date, so missed days never arrive as a flood.
- Daylight saving: a delivery time that does not exist on a spring-forward day (02:30 in Berlin
  on 29 Mar 2026) is delivered at the first instant after the gap, when the clock jumps (03:00
  local). A time that happens twice on a fall-back day is delivered at its first occurrence; the
  second counts only when the first was already in the past when the calendar was asked (e.g. the
  subscriber changed /time in between). Either way that local date gets a single delivery.
- Changing /time or /timezone: recompute with ``after=now`` and the last delivery's local date
  *in the new zone*, so today's day is never delivered twice.

All instants going in must be timezone-aware; those coming out are aware and in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.domain.timezones import zone_for_key


def _require_aware(instant: datetime, name: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def local_date(instant_utc: datetime, zone_key: str) -> date:
    """The subscriber's calendar date at that instant."""
    _require_aware(instant_utc, "instant_utc")
    return instant_utc.astimezone(zone_for_key(zone_key)).date()


def next_delivery_at(
    *, zone_key: str, delivery_time: time, after: datetime, last_delivered_local_date: date | None
) -> datetime:
    """The first instant >= ``after`` at which the local clock shows ``delivery_time`` (or, in a
    spring-forward gap, the instant the gap ends) on a local date after the last delivered one."""
    _require_aware(after, "after")
    zone = zone_for_key(zone_key)
    wall = delivery_time.replace(tzinfo=None, fold=0)
    day = after.astimezone(zone).date()
    if last_delivered_local_date is not None:
        day = max(day, last_delivered_local_date + timedelta(days=1))
    while True:  # at most two rounds: today's time may have passed already
        for candidate in _instants_showing(day, wall, zone):
            if candidate >= after:
                return candidate
        day += timedelta(days=1)


def _instants_showing(day: date, wall: time, zone: tzinfo) -> list[datetime]:
    """The UTC instants at which the local clock shows ``wall`` on ``day``, in order; for a wall
    time in a gap, the single instant at which the gap ends."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if _shows(first, naive, zone):
        return [first] if second == first or not _shows(second, naive, zone) else [first, second]
    # In a gap, fold=1 reads the wall with the offset after the jump, fold=0 with the one before;
    # the jump lies between those two readings.
    return [_transition_between(min(first, second), max(first, second), zone)]


def _shows(instant: datetime, naive: datetime, zone: tzinfo) -> bool:
    return instant.astimezone(zone).replace(tzinfo=None) == naive


def _transition_between(low: datetime, high: datetime, zone: tzinfo) -> datetime:
    """The first whole second in (low, high] whose UTC offset differs from ``low``'s."""
    before = low.astimezone(zone).utcoffset()
    lo, hi = int(low.timestamp()), int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)
