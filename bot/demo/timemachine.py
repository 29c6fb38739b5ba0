"""The time machine: move the demo's clock forward and let the drip do the rest.

Every jump goes through the real sweep, one due delivery time after another, so every subscriber
gets their days at their own local time, exactly as production would send them: nothing is
delivered that the drip would not deliver, and nothing is skipped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from bot.demo.clock import ShiftedClock
from bot.domain.timezones import zone_for_key
from bot.services.context import Deps
from bot.services.delivery import DeliveryService
from bot.storage.models import Subscriber
from bot.storage.repositories import RECEIVING, Subscribers

MORNING = time(7, 0)
MAX_STEPS = 400  # deliveries in one jump: 30 days of a handful of people, with room to spare


class TravelRefused(Exception):
    """A jump that cannot be made; the message is for the person at the page."""


@dataclass(frozen=True)
class Trip:
    arrived: datetime
    delivered: int

    def describe(self, zone: str) -> str:
        local = self.arrived.astimezone(zone_for_key(zone))
        sent = f"{self.delivered} scheduled message{'s' if self.delivered != 1 else ''} delivered"
        return f"It is now {local:%a %d %b, %H:%M} ({zone}): {sent}."


class TimeMachine:
    def __init__(self, clock: ShiftedClock, deps: Deps, delivery: DeliveryService) -> None:
        self.clock = clock
        self.deps = deps
        self.delivery = delivery
        self._lock = asyncio.Lock()

    async def subscriber(self, user_id: int) -> Subscriber | None:
        async with self.deps.sessions() as session:
            return await Subscribers(session).by_user(user_id)

    async def to_next_delivery(self, user_id: int) -> Trip:
        """On to this person's next scheduled message (everyone else's before it arrive too)."""
        async with self._lock:
            return await self._travel_to(await self._next_for(user_id), 0)

    async def to_day(self, user_id: int, day: int) -> Trip:
        """Live through the days until this person has received Day ``day``."""
        async with self._lock:
            subscriber = await self._receiving(user_id)
            last = self.deps.content.program_length
            if not 1 <= day <= last:
                raise TravelRefused(f"Pick a day from 1 to {last}.")
            if day <= subscriber.program_day:
                raise TravelRefused(
                    f"Day {day} has already arrived (this is Day {subscriber.program_day}); "
                    "time only moves forward."
                )
            delivered = 0
            while subscriber.program_day < day:
                before = subscriber.program_day
                trip = await self._travel_to(await self._next_for(user_id), delivered)
                delivered = trip.delivered
                subscriber = await self._receiving(user_id)
                if subscriber.program_day == before:
                    raise TravelRefused("The drip did not deliver the next day; see the chat.")
            return trip

    async def to_next_morning(self, user_id: int) -> Trip:
        """To 07:00 tomorrow, in this person's time zone (UTC before they set one)."""
        async with self._lock:
            subscriber = await self.subscriber(user_id)
            zone = zone_for_key(subscriber.timezone if subscriber else "UTC")
            tomorrow = self.clock.now().astimezone(zone).date() + timedelta(days=1)
            return await self._travel_to(datetime.combine(tomorrow, MORNING, tzinfo=zone), 0)

    async def _receiving(self, user_id: int) -> Subscriber:
        subscriber = await self.subscriber(user_id)
        if subscriber is None or subscriber.consented_at is None:
            raise TravelRefused("Enrol first: send /start and answer the questions.")
        if subscriber.status not in RECEIVING:
            raise TravelRefused(f"Nothing is scheduled while the subscription is {subscriber.status}.")
        return subscriber

    async def _next_for(self, user_id: int) -> datetime:
        subscriber = await self._receiving(user_id)
        if subscriber.blocked or subscriber.next_delivery_at is None:
            raise TravelRefused("Nothing more is scheduled for this person.")
        return subscriber.next_delivery_at

    async def _travel_to(self, target: datetime, delivered: int) -> Trip:
        """Stop at every delivery time due before ``target``, sweeping at each, then at it."""
        for _ in range(MAX_STEPS):
            due = await self._earliest_due()
            if due is None or due > target:
                break
            self.clock.jump_to(due)
            delivered += await self.delivery.sweep()
        self.clock.jump_to(target)
        delivered += await self.delivery.sweep()
        return Trip(self.clock.now(), delivered)

    async def _earliest_due(self) -> datetime | None:
        query = select(func.min(Subscriber.next_delivery_at)).where(
            Subscriber.status.in_(RECEIVING), Subscriber.blocked.is_(False)
        )
        async with self.deps.sessions() as session:
            return (await session.execute(query)).scalar_one_or_none()
