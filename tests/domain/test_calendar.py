"""The delivery calendar: one program day per local day, at the local delivery time, DST-proof."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import local_date, next_delivery_at
from bot.domain.timezones import zone_for_key

DEFAULT_DELIVERY_TIME = time(8, 0)


def next_after_delivery(*, zone_key: str, delivery_time: time, delivered_at: datetime) -> datetime:
    """When the day after the one just delivered (at ``delivered_at``) is due, as the drip asks."""
    return next_delivery_at(
        zone_key=zone_key,
        delivery_time=delivery_time,
        after=delivered_at,
        last_delivered_local_date=local_date(delivered_at, zone_key),
    )


def is_due(next_at: datetime | None, now: datetime) -> bool:
    """The sweep's condition (``next_delivery_at <= now``)."""
    return next_at is not None and next_at <= now


def at(zone_key: str, *args: int) -> datetime:
    """A local wall time (first occurrence) as an aware UTC instant."""
    return datetime(*args, tzinfo=zone_for_key(zone_key)).astimezone(UTC)


def walk(zone_key: str, delivery_time: time, enrolled_at: datetime, days: int = 30) -> list[datetime]:
    """Deliveries as a sweep makes them: Day 1 at enrolment, then each one when it falls due."""
    deliveries = [enrolled_at]
    while len(deliveries) < days:
        due = next_after_delivery(zone_key=zone_key, delivery_time=delivery_time,
                                  delivered_at=deliveries[-1])
        assert due > deliveries[-1]
        deliveries.append(due)
    return deliveries


@pytest.mark.parametrize(
    ("zone_key", "enrolled_local"),
    [
        ("Europe/Berlin", (2026, 3, 15, 10, 0)),   # crosses spring-forward, 29 Mar
        ("Europe/Berlin", (2026, 10, 10, 10, 0)),  # crosses fall-back, 25 Oct
        ("America/New_York", (2026, 2, 25, 10, 0)),  # crosses 8 Mar
        ("America/New_York", (2026, 10, 20, 10, 0)),  # crosses 1 Nov
        ("Asia/Kolkata", (2026, 11, 24, 10, 0)),
        ("UTC+14:00", (2026, 12, 20, 10, 0)),  # crosses the new year
        ("UTC", (2026, 11, 24, 10, 0)),
    ],
)
def test_thirty_days_at_eight_every_local_day(zone_key, enrolled_local):
    zone = zone_for_key(zone_key)
    enrolled = at(zone_key, *enrolled_local)
    deliveries = walk(zone_key, DEFAULT_DELIVERY_TIME, enrolled)
    local = [d.astimezone(zone) for d in deliveries]
    first_day = local[0].date()
    assert [d.date() for d in local] == [first_day + timedelta(days=n) for n in range(30)]
    assert all(d.time() == time(8, 0) for d in local[1:])
    assert all(d.tzinfo is UTC for d in deliveries)


def test_new_york_walk_keeps_eight_across_both_2026_changes():
    deliveries = walk("America/New_York", time(8, 0), at("America/New_York", 2026, 2, 25, 10, 0))
    utc_hours = {d.date(): d.hour for d in deliveries}
    assert utc_hours[date(2026, 3, 7)] == 13  # EST
    assert utc_hours[date(2026, 3, 8)] == 12  # EDT from that morning
    deliveries = walk("America/New_York", time(8, 0), at("America/New_York", 2026, 10, 20, 10, 0))
    utc_hours = {d.date(): d.hour for d in deliveries}
    assert utc_hours[date(2026, 10, 31)] == 12 and utc_hours[date(2026, 11, 1)] == 13


def test_enrolled_after_delivery_time_gets_day_two_tomorrow():
    enrolled = at("Europe/Berlin", 2026, 11, 24, 10, 0)
    due = next_after_delivery(zone_key="Europe/Berlin", delivery_time=time(8), delivered_at=enrolled)
    assert due == at("Europe/Berlin", 2026, 11, 25, 8, 0)


def test_enrolled_before_delivery_time_still_waits_for_tomorrow():
    enrolled = at("Europe/Berlin", 2026, 11, 24, 6, 0)
    due = next_after_delivery(zone_key="Europe/Berlin", delivery_time=time(8), delivered_at=enrolled)
    assert due == at("Europe/Berlin", 2026, 11, 25, 8, 0)


def test_after_an_outage_one_day_then_back_to_the_rhythm():
    key, eight = "Europe/Berlin", time(8)
    due = at(key, 2026, 11, 25, 8, 0)
    sweep = at(key, 2026, 11, 28, 14, 30)  # three days down
    assert is_due(due, sweep)
    after = next_after_delivery(zone_key=key, delivery_time=eight, delivered_at=sweep)
    assert after == at(key, 2026, 11, 29, 8, 0)
    assert not is_due(after, sweep)


def test_changing_time_later_today_does_not_deliver_today_twice():
    key = "Europe/Berlin"
    delivered = at(key, 2026, 11, 24, 8, 0)
    now = at(key, 2026, 11, 24, 9, 0)
    due = next_delivery_at(zone_key=key, delivery_time=time(20, 0), after=now,
                           last_delivered_local_date=local_date(delivered, key))
    assert due == at(key, 2026, 11, 25, 20, 0)


def test_changing_time_before_todays_delivery_moves_today():
    key = "Europe/Berlin"
    yesterday = at(key, 2026, 11, 23, 8, 0)
    now = at(key, 2026, 11, 24, 7, 0)
    due = next_delivery_at(zone_key=key, delivery_time=time(7, 30), after=now,
                           last_delivered_local_date=local_date(yesterday, key))
    assert due == at(key, 2026, 11, 24, 7, 30)


def test_changing_zone_uses_the_last_delivery_date_in_the_new_zone():
    # Delivered 08:00 Berlin (07:00 UTC); the subscriber moves to Tokyo, where that was 16:00.
    delivered = at("Europe/Berlin", 2026, 11, 24, 8, 0)
    now = delivered + timedelta(hours=1)  # 17:00 in Tokyo, same local date
    due = next_delivery_at(zone_key="Asia/Tokyo", delivery_time=time(8), after=now,
                           last_delivered_local_date=local_date(delivered, "Asia/Tokyo"))
    assert due == at("Asia/Tokyo", 2026, 11, 25, 8, 0)


def test_spring_forward_gap_delivers_when_the_clock_jumps():
    key = "Europe/Berlin"
    deliveries = walk(key, time(2, 30), at(key, 2026, 3, 27, 12, 0), days=5)
    zone = ZoneInfo(key)
    local = [d.astimezone(zone) for d in deliveries[1:]]
    assert [d.date() for d in local] == [date(2026, 3, day) for day in (28, 29, 30, 31)]
    assert local[1].time() == time(3, 0)  # 02:30 does not exist on 29 Mar
    assert deliveries[2] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert [d.time() for d in local if d.date() != date(2026, 3, 29)] == [time(2, 30)] * 3


def test_fall_back_ambiguous_time_is_delivered_once_at_its_first_occurrence():
    key = "America/New_York"
    deliveries = walk(key, time(1, 30), at(key, 2026, 10, 30, 12, 0), days=4)
    on_the_day = [d for d in deliveries if local_date(d, key) == date(2026, 11, 1)]
    assert on_the_day == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT, not EST


def test_second_occurrence_counts_only_if_the_first_had_passed():
    key = "America/New_York"
    between = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)  # 01:10 EST, after 01:30 EDT
    due = next_delivery_at(zone_key=key, delivery_time=time(1, 30), after=between,
                           last_delivered_local_date=date(2026, 10, 31))
    assert due == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_due_is_inclusive_and_none_is_never_due():
    now = datetime(2026, 11, 24, 7, tzinfo=UTC)
    assert is_due(now, now) and is_due(now - timedelta(seconds=1), now)
    assert not is_due(now + timedelta(seconds=1), now) and not is_due(None, now)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        next_delivery_at(zone_key="UTC", delivery_time=time(8), after=datetime(2026, 1, 1),
                         last_delivered_local_date=None)
    with pytest.raises(ValueError):
        local_date(datetime(2026, 1, 1), "UTC")


def test_unknown_zone_key_is_refused():
    with pytest.raises(ValueError):
        next_delivery_at(zone_key="Mars/Olympus", delivery_time=time(8),
                         after=datetime(2026, 1, 1, tzinfo=UTC), last_delivered_local_date=None)


ZONES = sorted(available_timezones() - {"localtime", "Factory"}) + ["UTC", "UTC+05:45", "UTC-12:00"]


@settings(max_examples=300, deadline=None)
@given(
    zone_key=st.sampled_from(ZONES),
    delivery_time=st.times(),
    after=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2045, 1, 1),
                       timezones=st.just(UTC)),
    last_offset=st.none() | st.integers(min_value=-3, max_value=3),
)
def test_property_next_delivery(zone_key, delivery_time, after, last_offset):
    zone = zone_for_key(zone_key)
    last = None if last_offset is None else local_date(after, zone_key) + timedelta(days=last_offset)
    due = next_delivery_at(zone_key=zone_key, delivery_time=delivery_time, after=after,
                           last_delivered_local_date=last)
    assert due.tzinfo is UTC and due >= after
    local = due.astimezone(zone)
    if last is not None:
        assert local.date() > last
    if local.time() != delivery_time:
        # Only allowed in a gap: the wall time did not exist, and ``due`` is where the jump lands.
        assert (due - timedelta(seconds=1)).astimezone(zone).utcoffset() != local.utcoffset()
        wall = datetime.combine(local.date() - timedelta(days=1) if local.time() < delivery_time
                                else local.date(), delivery_time)
        back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        assert back != wall
    # Minimal: the result is itself a fixed point, and no wall-clock occurrence of the time on
    # an allowed earlier date, or earlier the same day, comes at or after ``after``.
    assert next_delivery_at(zone_key=zone_key, delivery_time=delivery_time, after=due,
                            last_delivered_local_date=last) == due
    for day in (local.date() - timedelta(days=1), local.date()):
        if (last is not None and day <= last) or day < local_date(after, zone_key):
            continue
        wall = datetime.combine(day, delivery_time)
        for fold in (0, 1):
            instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
            if instant < due and instant.astimezone(zone).replace(tzinfo=None) == wall:
                assert instant < after
