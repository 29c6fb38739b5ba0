"""When a subscriber's next delivery is due: the calendar rules applied to a subscriber row."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.domain.calendar import local_date, next_delivery_at
from bot.domain.items import COMPLETION, RETEST, Item
from bot.storage.models import Subscriber

RETEST_AFTER = timedelta(weeks=8)


def delivery_time(subscriber: Subscriber) -> time:
    return time(subscriber.delivery_minute // 60, subscriber.delivery_minute % 60)


def next_slot(subscriber: Subscriber, after: datetime) -> datetime:
    """The next local delivery time after `after`, never on a local day already served."""
    return next_delivery_at(
        zone_key=subscriber.timezone,
        delivery_time=delivery_time(subscriber),
        after=after,
        last_delivered_local_date=subscriber.last_delivered_local_date,
    )


def resume_at(subscriber: Subscriber, now: datetime) -> datetime:
    """After a pause, a stop or a block: today's day at once if none was delivered today."""
    today = local_date(now, subscriber.timezone)
    if subscriber.last_delivered_local_date is None or subscriber.last_delivered_local_date < today:
        return now
    return next_slot(subscriber, now)


def retest_at(subscriber: Subscriber, first_result_on: date | None, now: datetime) -> datetime | None:
    """The retest reminder: 8 weeks after the first result, at the subscriber's delivery time
    (or at the next delivery time, if that date has already passed)."""
    if first_result_on is None or subscriber.retest_reminded_at is not None:
        return None
    not_before = first_result_on + RETEST_AFTER
    served = subscriber.last_delivered_local_date
    # "strictly after the day before" is "on or after `not_before`".
    after_day = max(not_before - timedelta(days=1), served) if served else not_before - timedelta(days=1)
    return next_delivery_at(
        zone_key=subscriber.timezone,
        delivery_time=delivery_time(subscriber),
        after=now,
        last_delivered_local_date=after_day,
    )


def next_item(subscriber: Subscriber, program_length: int) -> str | None:
    """The ledger item the subscriber should get next."""
    if subscriber.program_day < program_length:
        return str(Item.day(subscriber.program_day + 1))
    if subscriber.completed_at is None:
        return str(COMPLETION)
    if subscriber.retest_reminded_at is None:
        return str(RETEST)
    return None
