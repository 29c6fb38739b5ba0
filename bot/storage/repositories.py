"""Queries the services need, one place per table. Each takes the caller's session, so a use case
decides what is one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    CheckIn,
    Delivery,
    RedFlagEvent,
    Subscriber,
    UnansweredQuestion,
    VitaminDResult,
)
from bot.storage.records import load, write_changes

RECEIVING = ("active", "completed")
EARLIEST_DATE = date(1900, 1, 1)  # as the CHECK constraints and bot/domain/levels.py  # statuses the sweep may deliver to

# Every update looks its subscriber up: the statement is built once, not on each call (building it
# cost more than running it on SQLite; PERFORMANCE.md).
_BY_USER = select(Subscriber).where(Subscriber.telegram_user_id == bindparam("user_id"))
_BY_USER_LOCKED = _BY_USER.with_for_update()


# The enrolment's usual steps, each one statement on the table itself (no ORM object to load,
# track and flush: a third of a small transaction's CPU). Each changes the row only where the
# step expects it to be and answers with what a reply needs; no row means "not so", and the
# caller takes its general path (PERFORMANCE.md).
SUBSCRIBERS = cast(Table, Subscriber.__table__)
_SNAPSHOT = [SUBSCRIBERS.c[name] for name in (
    "id", "status", "awaiting", "timezone", "delivery_minute", "program_day", "next_delivery_at", "blocked",
)]
_ENROLLING_USER = (SUBSCRIBERS.c.telegram_user_id == bindparam("user_id")) & (SUBSCRIBERS.c.status == "enrolling")
_CONSENT = update(SUBSCRIBERS).where(_ENROLLING_USER).values(
    consented_at=bindparam("consented_at"), first_name=bindparam("first_name"), awaiting="timezone",
    updated_at=bindparam("updated_at"),
).returning(*_SNAPSHOT)
_ENROLMENT_ZONE = update(SUBSCRIBERS).where(_ENROLLING_USER & (SUBSCRIBERS.c.awaiting == "timezone")).values(
    timezone=bindparam("zone"), awaiting="time", updated_at=bindparam("updated_at"),
).returning(*_SNAPSHOT)


def _insert_unless_there(table: Table, columns: tuple[str, ...], unique: list, returning: list) -> dict[bool, Any]:
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING`, built once for each engine (keyed by "is it
    PostgreSQL"), with a bound parameter per column."""
    return {
        postgres: (postgresql_insert if postgres else sqlite_insert)(table)
        .values({name: bindparam(name) for name in columns})
        .on_conflict_do_nothing(index_elements=unique)
        .returning(*returning)
        for postgres in (False, True)
    }


NEW_SUBSCRIBER_COLUMNS = (
    "telegram_user_id", "chat_id", "status", "awaiting", "timezone", "delivery_minute", "program_day", "blocked",
    "created_at", "updated_at",
)
_ENROL_NEW = _insert_unless_there(SUBSCRIBERS, NEW_SUBSCRIBER_COLUMNS, [SUBSCRIBERS.c.telegram_user_id], _SNAPSHOT)

DELIVERIES = cast(Table, Delivery.__table__)
NEW_CLAIM_COLUMNS = ("subscriber_id", "item", "status", "attempts", "claimed_at", "lease_until", "claimed_by")
_NEW_CLAIM = _insert_unless_there(
    DELIVERIES, NEW_CLAIM_COLUMNS, [DELIVERIES.c.subscriber_id, DELIVERIES.c.item], [DELIVERIES.c.id],
)

# The drip's claim and confirmation read and write their rows as plain records (bot/storage/records.py).
# Subscribers are locked in id order, so two processes confirming overlapping batches cannot deadlock.
_SUBSCRIBER_RECORDS_LOCKED = (
    select(SUBSCRIBERS).where(SUBSCRIBERS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(SUBSCRIBERS.c.id).with_for_update()
)
_DELIVERY_RECORDS = select(DELIVERIES).where(DELIVERIES.c.id.in_(bindparam("ids", expanding=True)))


def _on_postgres(session: AsyncSession) -> bool:
    # The session's engine (`get_bind` resolves it through the ORM's mapper lookup each time).
    return (session.bind or session.get_bind()).dialect.name == "postgresql"


class Subscribers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enrol_new(self, values: dict[str, Any]) -> Row | None:
        """Insert a new subscriber (`NEW_SUBSCRIBER_COLUMNS`) unless their Telegram user has one;
        the new row's snapshot columns, or None when one existed (left as it was)."""
        return (await self.session.execute(_ENROL_NEW[_on_postgres(self.session)], values)).first()

    async def consent_while_enrolling(self, user_id: int, first_name: str | None, now: datetime) -> Row | None:
        """Consent recorded and the time zone asked next, if the user is enrolling."""
        values = {"user_id": user_id, "first_name": first_name, "consented_at": now, "updated_at": now}
        return (await self.session.execute(_CONSENT, values)).first()

    async def zone_at_enrolment(self, user_id: int, zone: str, now: datetime) -> Row | None:
        """The time zone set and the delivery time asked next, if enrolment is asking for the zone."""
        values = {"user_id": user_id, "zone": zone, "updated_at": now}
        return (await self.session.execute(_ENROLMENT_ZONE, values)).first()

    async def records_locked(self, ids: Sequence[int]) -> list[Any]:
        """These subscribers as records (`Record`s, with a `Subscriber`'s attributes), locked."""
        return await load(self.session, _SUBSCRIBER_RECORDS_LOCKED, {"ids": list(ids)})

    async def save(self, records: Iterable[Any]) -> None:
        """What changed in records from `records_locked` or `due`."""
        await write_changes(self.session, SUBSCRIBERS, records)

    async def by_user(self, telegram_user_id: int, *, lock: bool = False) -> Subscriber | None:
        query = _BY_USER_LOCKED if lock else _BY_USER
        return (await self.session.execute(query, {"user_id": telegram_user_id})).scalar_one_or_none()

    async def by_chat(self, chat_id: int) -> Subscriber | None:
        query = select(Subscriber).where(Subscriber.chat_id == chat_id)
        return (await self.session.execute(query)).scalars().first()

    async def due(self, now: datetime, limit: int, only_id: int | None = None) -> list[Any]:
        """Subscribers whose next delivery is due, locked; rows another process holds are skipped.
        As records (`Record`s, with a `Subscriber`'s attributes): `save` writes what changed."""
        c = SUBSCRIBERS.c
        query = (
            select(SUBSCRIBERS)
            .where(c.next_delivery_at <= now, c.status.in_(RECEIVING), c.blocked.is_(False))
            .order_by(c.next_delivery_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if only_id is not None:
            query = query.where(c.id == only_id)
        return await load(self.session, query)

    async def delete(self, subscriber_id: int) -> None:
        await self.session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def records(self, ids: Sequence[int]) -> list[Any]:
        """These ledger rows as records (`Record`s, with a `Delivery`'s attributes)."""
        return await load(self.session, _DELIVERY_RECORDS, {"ids": list(ids)})

    async def save(self, records: Iterable[Any]) -> None:
        """What changed in records from `records` or `of_pairs`."""
        await write_changes(self.session, DELIVERIES, records)

    async def of_pairs(self, wanted: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Any]:
        """The existing ledger rows for these (subscriber, item) pairs, in one query, as records."""
        c = DELIVERIES.c
        query = select(DELIVERIES).where(
            c.subscriber_id.in_({s for s, _ in wanted}), c.item.in_({i for _, i in wanted})
        )
        pairs = set(wanted)
        return {(r.subscriber_id, r.item): r for r in await load(self.session, query) if (r.subscriber_id, r.item) in pairs}

    async def insert_new(self, values: dict[str, Any]) -> int | None:
        """Insert a ledger row (`NEW_CLAIM_COLUMNS`) unless its (subscriber, item) is already
        there; returns the new row's id, or None when one existed (left as it was). One
        statement on both engines."""
        return (await self.session.execute(_NEW_CLAIM[_on_postgres(self.session)], values)).scalar_one_or_none()


# Built once: the claim of every drip batch and of every Day 1 reads it (the ids are expanded).
_SCORES_OF = (
    select(CheckIn.subscriber_id, CheckIn.local_date, CheckIn.score)
    .where(CheckIn.subscriber_id.in_(bindparam("ids", expanding=True)))
    .order_by(CheckIn.subscriber_id, CheckIn.local_date)
)


class CheckIns:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_subscriber(self, subscriber_id: int) -> Sequence[CheckIn]:
        query = select(CheckIn).where(CheckIn.subscriber_id == subscriber_id).order_by(CheckIn.local_date)
        return (await self.session.execute(query)).scalars().all()

    async def scores_of(self, subscriber_ids: Sequence[int]) -> dict[int, list[tuple[date, int]]]:
        """Each subscriber's (local date, score) in date order, for many subscribers in one query."""
        scores: dict[int, list[tuple[date, int]]] = {}
        for subscriber_id, local_day, score in (await self.session.execute(_SCORES_OF, {"ids": list(subscriber_ids)})).all():
            scores.setdefault(subscriber_id, []).append((local_day, score))
        return scores

    async def on(self, subscriber_id: int, local_date: date) -> CheckIn | None:
        query = select(CheckIn).where(CheckIn.subscriber_id == subscriber_id, CheckIn.local_date == local_date)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def latest(self, subscriber_id: int, n: int, skip: int = 0) -> Sequence[CheckIn]:
        query = (
            select(CheckIn)
            .where(CheckIn.subscriber_id == subscriber_id)
            .order_by(CheckIn.local_date.desc())
            .offset(skip)
            .limit(n)
        )
        return (await self.session.execute(query)).scalars().all()

    async def count(self, subscriber_id: int) -> int:
        query = select(func.count()).select_from(CheckIn).where(CheckIn.subscriber_id == subscriber_id)
        return (await self.session.execute(query)).scalar_one()


class Results:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_subscriber(self, subscriber_id: int) -> Sequence[VitaminDResult]:
        query = (
            select(VitaminDResult)
            .where(VitaminDResult.subscriber_id == subscriber_id)
            .order_by(VitaminDResult.taken_on, VitaminDResult.id)
        )
        return (await self.session.execute(query)).scalars().all()

    async def latest(self, subscriber_id: int, n: int) -> Sequence[VitaminDResult]:
        query = (
            select(VitaminDResult)
            .where(VitaminDResult.subscriber_id == subscriber_id)
            .order_by(VitaminDResult.taken_on.desc(), VitaminDResult.id.desc())
            .limit(n)
        )
        return (await self.session.execute(query)).scalars().all()

    async def first_taken_on(self, subscriber_id: int) -> date | None:
        # A date an older version let through (year 1) must not set the retest reminder.
        query = select(func.min(VitaminDResult.taken_on)).where(
            VitaminDResult.subscriber_id == subscriber_id, VitaminDResult.taken_on >= EARLIEST_DATE
        )
        return (await self.session.execute(query)).scalar_one_or_none()


async def rows_of_subscriber(session: AsyncSession, subscriber_id: int) -> dict[str, list[Any]]:
    """Everything stored about one subscriber, table by table (for /export and its tests): the
    rows of each table, which is why they are typed by the caller's use, not here."""
    out: dict[str, list[Any]] = {}
    for model in (Subscriber, CheckIn, VitaminDResult, Delivery, UnansweredQuestion, RedFlagEvent):
        column = getattr(model, "id" if model is Subscriber else "subscriber_id")
        query = select(model).where(column == subscriber_id).order_by(model.id)
        out[model.__tablename__] = list((await session.execute(query)).scalars().all())
    return out


__all__ = ["Subscribers", "Deliveries", "CheckIns", "Results", "rows_of_subscriber"]
