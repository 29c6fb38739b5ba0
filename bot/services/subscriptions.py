"""Enrolment and the subscriber's own settings: consent, time zone, delivery time, pause,
resume, stop, blocked/unblocked. Each function is one transaction and returns what happened, so
the Telegram layer only has to choose the words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar import local_date
from bot.domain.state import Action, StartOutcome, Status, Step, may, start_outcome
from bot.services.context import Deps
from bot.services.ledger import Claim
from bot.services.schedule import next_slot, resume_at, retest_at
from bot.storage.models import Delivery, Subscriber
from bot.storage.repositories import Results, Subscribers


@dataclass(frozen=True)
class Snapshot:
    """What a reply needs to know about a subscriber, detached from the session."""

    id: int
    status: str
    awaiting: str | None
    timezone: str
    delivery_time: time
    program_day: int
    next_delivery_at: object
    blocked: bool

    @classmethod
    def of(cls, s: Subscriber | Row) -> Snapshot:
        return cls(
            s.id, s.status, s.awaiting, s.timezone, time(s.delivery_minute // 60, s.delivery_minute % 60),
            s.program_day, s.next_delivery_at, s.blocked,
        )


@dataclass(frozen=True)
class Settled:
    """What a change of settings did, decided in its own transaction: the subscriber afterwards
    (None: not enrolled), `applied` False when their step does not allow it yet (the snapshot is
    then as it was), and `completed` when it finished enrolment."""

    snapshot: Snapshot | None
    applied: bool = True
    completed: bool = False
    day_one: Claim | None = None  # claimed in the same transaction: the caller sends it


# Claims the subscriber's first item inside the transaction that completes their enrolment
# (`DeliveryService.claim_in`); None when it cannot, and then Day 1 goes the general way.
ClaimIn = Callable[[AsyncSession, Subscriber, datetime], Awaitable[Claim | None]]
# Told when the transaction that made such a claim failed (`DeliveryService.claim_lost`).
ClaimLost = Callable[[Claim], None]


class _StartAgain(Exception):
    """`/start` met a row that was gone when it looked again: its transaction ends, and it begins anew."""


class SubscriptionService:
    def __init__(self, deps: Deps, claim_in: ClaimIn | None = None, claim_lost: ClaimLost | None = None) -> None:
        self.deps = deps
        self.claim_in = claim_in
        self.claim_lost = claim_lost

    async def get(self, user_id: int) -> Snapshot | None:
        async with self.deps.sessions() as session:
            subscriber = await Subscribers(session).by_user(user_id)
            return Snapshot.of(subscriber) if subscriber else None

    async def start(self, user_id: int, chat_id: int) -> tuple[StartOutcome, Snapshot]:
        """`/start`: begin enrolment, continue it, or resume. Never a second subscriber."""
        now = self.deps.clock.now()
        try:
            # Someone new (the usual case) in one statement; anyone else as they are.
            async with self.deps.sessions.one_statement() as session:
                created = await Subscribers(session).enrol_new(dict(
                    telegram_user_id=user_id, chat_id=chat_id, status=Status.ENROLLING, awaiting=Step.CONSENT,
                    timezone="UTC", delivery_minute=8 * 60, program_day=0, blocked=False,
                    created_at=now, updated_at=now,
                ))
            if created is not None:
                return StartOutcome.ASK_CONSENT, Snapshot.of(created)
            async with self.deps.sessions.begin() as session:
                repo = Subscribers(session)
                subscriber = await repo.by_user(user_id, lock=True)
                if subscriber is None:  # deleted (/forget) since the insert met it: begin again
                    raise _StartAgain
                subscriber.chat_id = chat_id
                subscriber.blocked = False  # writing to the bot means they have not blocked it
                subscriber.updated_at = now
                outcome = start_outcome(subscriber.status, subscriber.awaiting)
                if outcome == StartOutcome.RESUMED:
                    subscriber.status = Status.COMPLETED if subscriber.completed_at else Status.ACTIVE
                    if subscriber.status == Status.ACTIVE and not await _in_flight(session, subscriber, now):
                        subscriber.next_delivery_at = resume_at(subscriber, now)
                return outcome, Snapshot.of(subscriber)
        except (IntegrityError, _StartAgain):  # the row changed under this /start: once more
            return await self.start(user_id, chat_id)

    async def answer_consent(self, user_id: int, first_name: str | None, agreed: bool) -> Snapshot | None:
        """Consent given: ask the zone next. Declined: delete the row, so nothing is kept."""
        now = self.deps.clock.now()
        if agreed:
            async with self.deps.sessions.one_statement() as session:
                consented = await Subscribers(session).consent_while_enrolling(user_id, first_name, now)
            if consented is not None:
                return Snapshot.of(consented)  # the usual case, in one statement
        async with self.deps.sessions.begin() as session:
            repo = Subscribers(session)
            subscriber = await repo.by_user(user_id, lock=True)
            if subscriber is None or subscriber.status != Status.ENROLLING:
                return Snapshot.of(subscriber) if subscriber else None
            if not agreed:
                await repo.delete(subscriber.id)
                return None
            subscriber.consented_at = now
            subscriber.first_name = first_name
            subscriber.awaiting = Step.TIMEZONE
            subscriber.updated_at = now
            return Snapshot.of(subscriber)

    async def set_timezone(self, user_id: int, zone_key: str) -> Settled:
        return await self._update(user_id, Action.SET_TIMEZONE, zone=zone_key)

    async def set_delivery_time(self, user_id: int, at: time) -> Settled:
        return await self._update(user_id, Action.SET_TIME, minute=at.hour * 60 + at.minute)

    async def ask(self, user_id: int, what: Step | None) -> bool:
        """Remember which typed answer we wait for (timezone or time) outside enrolment; returns
        whether the user is enrolled at all."""
        async with self.deps.sessions.begin() as session:
            subscriber = await Subscribers(session).by_user(user_id, lock=True)
            if subscriber is not None and subscriber.status != Status.ENROLLING:
                subscriber.awaiting = what
            return subscriber is not None

    async def _update(self, user_id: int, action: Action, *, zone: str | None = None, minute: int | None = None) -> Settled:
        claims: list[Claim] = []
        try:
            return await self._update_in(claims, user_id, action, zone=zone, minute=minute)
        except BaseException:
            if self.claim_lost is not None:
                for claim in claims:  # its COMMIT may have gone through: the ledger checks
                    self.claim_lost(claim)
            raise

    async def _update_in(
        self, claims: list[Claim], user_id: int, action: Action, *, zone: str | None, minute: int | None
    ) -> Settled:
        # The step is checked in the same transaction as the change: one round of reads, and no
        # window in which a /forget or a second press could slip between check and change.
        now = self.deps.clock.now()
        if zone is not None and minute is None:
            async with self.deps.sessions.one_statement() as session:
                answered = await Subscribers(session).zone_at_enrolment(user_id, zone, now)
            if answered is not None:
                return Settled(Snapshot.of(answered))  # the enrolment's question, in one statement
        async with self.deps.sessions.begin() as session:
            repo = Subscribers(session)
            subscriber = await repo.by_user(user_id, lock=True)
            if subscriber is None:
                return Settled(None)
            if not may(subscriber.status, subscriber.awaiting, action):
                return Settled(Snapshot.of(subscriber), applied=False)
            if zone is not None:
                subscriber.timezone = zone
            if minute is not None:
                subscriber.delivery_minute = minute
            subscriber.updated_at = now
            if subscriber.status == Status.ENROLLING:
                if subscriber.awaiting == Step.TIMEZONE and zone is not None:
                    subscriber.awaiting = Step.TIME
                elif subscriber.awaiting == Step.TIME and minute is not None:
                    subscriber.awaiting = None
                    subscriber.status = Status.ACTIVE
                    # Day 1 as soon as enrolment completes: claimed in this transaction, or due now.
                    # Its reads come before any write, and the row's changes go as one UPDATE at
                    # the commit (autoflush would write them before the reads, holding SQLite's
                    # write lock through them, and then write the row a second time).
                    with session.no_autoflush:
                        day_one = await self.claim_in(session, subscriber, now) if self.claim_in else None
                    if day_one is None:
                        subscriber.next_delivery_at = now
                    else:
                        claims.append(day_one)
                    return Settled(Snapshot.of(subscriber), completed=True, day_one=day_one)
                return Settled(Snapshot.of(subscriber))
            subscriber.awaiting = None
            if zone is not None:
                await _restate_last_delivery(session, subscriber)
            if not await _in_flight(session, subscriber, now):
                # From the next delivery on (an item under way is rescheduled by its confirm).
                subscriber.next_delivery_at = await _reschedule(session, subscriber, now)
            return Settled(Snapshot.of(subscriber))

    async def pause(self, user_id: int) -> Snapshot | None:
        return await self._set_status(user_id, Status.PAUSED, Action.PAUSE)

    async def resume(self, user_id: int) -> Snapshot | None:
        return await self._set_status(user_id, Status.ACTIVE, Action.RESUME)

    async def stop(self, user_id: int) -> Snapshot | None:
        return await self._set_status(user_id, Status.STOPPED, Action.STOP)

    async def _set_status(self, user_id: int, status: Status, action: Action) -> Snapshot | None:
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            subscriber = await Subscribers(session).by_user(user_id, lock=True)
            if subscriber is None:
                return None
            if may(subscriber.status, subscriber.awaiting, action):
                if subscriber.status == Status.ENROLLING and status == Status.STOPPED:
                    await Subscribers(session).delete(subscriber.id)
                    return None
                subscriber.status = status
                subscriber.updated_at = now
                if status == Status.ACTIVE and not await _in_flight(session, subscriber, now):
                    subscriber.next_delivery_at = resume_at(subscriber, now)
            return Snapshot.of(subscriber)

    async def set_blocked(self, chat_id: int, blocked: bool) -> None:
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            subscriber = await Subscribers(session).by_chat(chat_id)
            if subscriber is None or subscriber.blocked == blocked:
                return
            subscriber.blocked = blocked
            subscriber.updated_at = now
            if not blocked and subscriber.status == Status.ACTIVE and not await _in_flight(session, subscriber, now):
                subscriber.next_delivery_at = resume_at(subscriber, now)



async def _reschedule(session, subscriber: Subscriber, now: datetime) -> datetime | None:
    """The next delivery under new settings: never today's day twice (the last delivery's local
    date rules that out), and never today's day lost when the new time has already passed."""
    if subscriber.status == Status.COMPLETED:
        first = await Results(session).first_taken_on(subscriber.id)
        return retest_at(subscriber, first, now) if subscriber.next_delivery_at is not None else None
    if subscriber.status != Status.ACTIVE or subscriber.program_day == 0:
        return subscriber.next_delivery_at
    slot = next_slot(subscriber, now)
    today = local_date(now, subscriber.timezone)
    served_today = subscriber.last_delivered_local_date is not None and subscriber.last_delivered_local_date >= today
    return now if not served_today and local_date(slot, subscriber.timezone) > today else slot


async def _restate_last_delivery(session, subscriber: Subscriber) -> None:
    """After a zone change, the last delivery's local date is the one in the new zone: what
    "one program day per local day" is measured in from now on."""
    query = select(func.max(Delivery.sent_at)).where(
        Delivery.subscriber_id == subscriber.id, Delivery.status == "sent", Delivery.broadcast_id.is_(None)
    )
    last_sent = (await session.execute(query)).scalar_one_or_none()
    if last_sent is not None:
        if last_sent.tzinfo is None:  # SQLite's MAX() comes back without the column type's zone
            last_sent = last_sent.replace(tzinfo=UTC)
        subscriber.last_delivered_local_date = local_date(last_sent, subscriber.timezone)


async def _in_flight(session, subscriber: Subscriber, now) -> bool:
    """A claim holds the subscriber (a send under way): its confirmation schedules the next slot
    from the new settings, and rescheduling now could let another sweep send the item twice."""
    query = select(Delivery.id).where(
        Delivery.subscriber_id == subscriber.id, Delivery.status == "claimed", Delivery.lease_until > now
    )
    return (await session.execute(query.limit(1))).first() is not None
