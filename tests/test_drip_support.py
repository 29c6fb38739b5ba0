"""Helpers shared by the drip tests (no tests here): enrolling at a given instant, walking the
fake clock from one due delivery to the next, reading program days out of the fake chat."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.storage.models import Delivery, Subscriber
from bot.storage.repositories import RECEIVING
from tests.e2e import eventually

DAY = re.compile(r"^Day (\d+) of 30")


def day_of(message) -> int | None:
    """The program day a message carries, or None for any other message."""
    match = DAY.match(message.text or "")
    return int(match.group(1)) if match else None


def program_days(user) -> list[tuple[int, datetime]]:
    """(day, UTC instant the fake server stamped on it) for every program day the user got."""
    return [
        (day_of(m), datetime.fromtimestamp(m.date, UTC))
        for m in user.messages
        if day_of(m) is not None
    ]


def texts_starting(user, prefix: str) -> list:
    return [m for m in user.messages if (m.text or "").startswith(prefix)]


async def stored(bot, user_id: int) -> Subscriber | None:
    async with bot.runtime.deps.sessions() as session:
        query = select(Subscriber).where(Subscriber.telegram_user_id == user_id)
        return (await session.execute(query)).scalar_one_or_none()


async def ledger(bot, user_id: int) -> dict[str, Delivery]:
    async with bot.runtime.deps.sessions() as session:
        query = select(Delivery).join(Subscriber).where(Subscriber.telegram_user_id == user_id)
        return {row.item: row for row in (await session.execute(query)).scalars()}


async def confirmed_day(bot, user_id: int, day: int) -> Subscriber:
    """Wait until the bot has confirmed `day` (the message reaches the fake server a moment
    before the bot records it; moving the clock in between would change what it records)."""

    async def check():
        subscriber = await stored(bot, user_id)
        return subscriber if subscriber and subscriber.program_day >= day and subscriber.next_delivery_at else None

    subscriber = await eventually(check)
    assert subscriber is not None, f"day {day} of user {user_id} was never confirmed"
    return subscriber


async def settled(bot) -> None:
    """Wait until the bot has handled every update sent so far (a handler may still be
    delivering after its reply arrived; moving the clock under it would race it)."""

    async def idle():
        return not bot.server.pending_updates and bot.application.update_processor.current_concurrent_updates == 0

    assert await eventually(idle)


async def enrol_at(bot, user, at: datetime, *, zone: str, time_text: str):
    """Enrol through the real conversation at instant `at`; returns the Day 1 message once the
    bot has confirmed it."""
    bot.clock.set(at)
    day1 = await bot.enrol(user, zone_text=zone, time_text=time_text)
    await confirmed_day(bot, user.id, 1)
    user.mark_read()
    return day1


async def next_due(bot) -> datetime | None:
    async with bot.runtime.deps.sessions() as session:
        query = select(func.min(Subscriber.next_delivery_at)).where(
            Subscriber.status.in_(RECEIVING), Subscriber.blocked.is_(False)
        )
        return (await session.execute(query)).scalar_one_or_none()


async def walk_until(bot, end: datetime, on_sweep=None) -> int:
    """Move the clock from one due delivery to the next, sweeping at each, until `end`.

    The sweep runs exactly when something is due, so each message's timestamp is the instant
    the bot scheduled it for; the tests compare that with the local time they expect."""
    sent = 0
    while (due := await next_due(bot)) is not None and due <= end:
        bot.clock.set(max(due, bot.clock.now()))
        delivered = await bot.sweep()
        assert delivered, f"nothing was delivered at {due}, though something was due"
        sent += delivered
        if on_sweep is not None:
            await on_sweep()
    bot.clock.set(max(end, bot.clock.now()))
    return sent


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


ONE_DAY = timedelta(days=1)
