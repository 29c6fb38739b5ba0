"""Check-ins and vitamin D results: recording them, reading them back, and forgetting.

Pain is one record per local day: a second check-in the same day replaces the first (the reply
says so). Results are kept in ng/mL alongside what the subscriber typed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update

from bot.content.models import Band
from bot.domain.calendar import local_date
from bot.domain.levels import classify, describe_change
from bot.domain.parsing import LevelReading
from bot.domain.timezones import day_first_for_zone
from bot.services.context import Deps
from bot.services.schedule import retest_at
from bot.storage.models import CheckIn, RedFlagEvent, VitaminDResult
from bot.storage.repositories import CheckIns, Results, Subscribers

SEVERE_SCORE = 9
SEVERE_STREAK = 3  # check-ins of 9-10 in a row that suggest seeing a clinician
HISTORY_PER_PAGE = 10
HISTORY_MAX_PAGES = 20
HISTORY_RESULTS = 20


class NotEnrolled(Exception):
    """No consented subscriber behind this user: nothing may be stored."""


@dataclass(frozen=True)
class PainRecorded:
    score: int
    local_date: date
    replaced: int | None  # the score it replaced today, if any
    severe_streak: bool  # this check-in completes (another) three 9-10 check-ins in a row


@dataclass(frozen=True)
class LevelRecorded:
    reading: LevelReading
    band: Band
    change: str | None  # against the previous result by date, if any
    unit_changed: bool = False  # this result set (or changed) the subscriber's remembered unit
    duplicate: bool = False  # the same result for the same date was already stored: not stored again


@dataclass(frozen=True)
class HistoryPage:
    checkins: Sequence[CheckIn]
    results: Sequence[VitaminDResult]
    page: int
    pages: int
    more: bool = False  # older check-ins exist beyond the last page shown


class TrackingService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def date_order_for(self, user_id: int) -> tuple[date, bool | None]:
        """The subscriber's local date, and whether their zone writes 3/1 as 3 January (None: unknown)."""
        async with self.deps.sessions() as session:
            subscriber = await Subscribers(session).by_user(user_id)
            zone = subscriber.timezone if subscriber else "UTC"
        return local_date(self.deps.clock.now(), zone), day_first_for_zone(zone)

    async def record_pain(self, user_id: int, score: int, note: str | None, on: date | None = None) -> PainRecorded:
        """Today's check-in, or the one of ``on`` (a past day the subscriber named)."""
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            subscriber = await Subscribers(session).by_user(user_id, lock=True)
            if subscriber is None or subscriber.consented_at is None:
                raise NotEnrolled
            today = local_date(now, subscriber.timezone)
            if on is not None and on <= today:
                today = on
            repo = CheckIns(session)
            existing = await repo.on(subscriber.id, today)
            replaced = existing.score if existing else None
            if existing is None:
                session.add(CheckIn(
                    subscriber_id=subscriber.id, local_date=today, score=score, note=note,
                    program_day=subscriber.program_day or None, created_at=now, updated_at=now,
                ))
            else:
                existing.score, existing.note, existing.updated_at = score, note, now
            await session.flush()
            streak = _severe_streak(await repo.latest(subscriber.id, 30))
        # Suggest a clinician on the 3rd severe check-in in a row (and the 6th, 9th, ...), but not
        # again when today's severe score is merely corrected to another severe score.
        repeat = replaced is not None and replaced >= SEVERE_SCORE
        severe = streak >= SEVERE_STREAK and streak % SEVERE_STREAK == 0 and not repeat
        return PainRecorded(score, today, replaced, severe)

    async def is_stored(self, user_id: int) -> bool:
        async with self.deps.sessions() as session:
            return await Subscribers(session).by_user(user_id) is not None

    async def level_unit(self, user_id: int) -> str | None:
        """The unit this subscriber's lab uses, once they have said it; NotEnrolled if there is
        no consented subscriber (nothing to ask about then)."""
        async with self.deps.sessions() as session:
            subscriber = await Subscribers(session).by_user(user_id)
            if subscriber is None or subscriber.consented_at is None:
                raise NotEnrolled
            return subscriber.level_unit

    async def record_level(self, user_id: int, reading: LevelReading, *, remember_unit: bool = False) -> LevelRecorded:
        """Store a result; ``remember_unit`` when the subscriber named the unit (typed or pressed)."""
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            subscriber = await Subscribers(session).by_user(user_id, lock=True)
            if subscriber is None or subscriber.consented_at is None:
                raise NotEnrolled
            unit_changed = remember_unit and subscriber.level_unit != reading.original_unit
            if unit_changed:
                subscriber.level_unit = reading.original_unit
            stored = await Results(session).for_subscriber(subscriber.id)
            same = [
                r for r in stored
                if r.taken_on == reading.taken_on and r.original_unit == reading.original_unit
                and abs(r.original_value - reading.original_value) < 1e-9
            ]
            earlier = [r for r in stored if r.taken_on <= reading.taken_on and r not in same]
            if same:  # sent twice: keep one
                band = classify(reading.value_ng_ml, self.deps.content.bands)
                return LevelRecorded(reading, band, None, unit_changed=unit_changed, duplicate=True)
            session.add(VitaminDResult(
                subscriber_id=subscriber.id, taken_on=reading.taken_on, value_ng_ml=reading.value_ng_ml,
                original_value=reading.original_value, original_unit=reading.original_unit, created_at=now,
            ))
            await session.flush()
            if subscriber.status == "completed" and subscriber.next_delivery_at is None:
                # The retest reminder counts from the first result, even one added after Day 30.
                first = await Results(session).first_taken_on(subscriber.id)
                subscriber.next_delivery_at = retest_at(subscriber, first, now)
        change = None
        if earlier:
            previous = earlier[-1]
            change = describe_change(
                previous.value_ng_ml, reading.value_ng_ml, previous.taken_on, reading.taken_on, unit=reading.original_unit
            )
        # Banded in the unit the lab printed, against that unit's edges (150 nmol/L is optimal).
        band = classify(reading.original_value, self.deps.content.bands, reading.original_unit)
        return LevelRecorded(reading, band, change, unit_changed)

    async def history(self, user_id: int, page: int) -> HistoryPage:
        """One page of check-ins, newest first (the results on page 1). Only the newest
        HISTORY_MAX_PAGES pages are shown: a chat is no place for years of rows (/export has all)."""
        async with self.deps.sessions() as session:
            subscriber = await Subscribers(session).by_user(user_id)
            if subscriber is None:
                raise NotEnrolled
            total = await CheckIns(session).count(subscriber.id)
            pages = min(HISTORY_MAX_PAGES, max(1, -(-total // HISTORY_PER_PAGE)))
            page = min(max(page, 1), pages)
            checkins = await CheckIns(session).latest(subscriber.id, HISTORY_PER_PAGE, (page - 1) * HISTORY_PER_PAGE)
            results = await Results(session).latest(subscriber.id, HISTORY_RESULTS) if page == 1 else []
        return HistoryPage(checkins, results, page, pages, more=total > pages * HISTORY_PER_PAGE)

    async def forget(self, user_id: int) -> bool:
        """Delete every row of this subscriber, in one transaction (the foreign keys cascade).
        Red-flag counts stay for operators, unlinked: which flag and when, tied to nobody."""
        async with self.deps.sessions.begin() as session:
            repo = Subscribers(session)
            subscriber = await repo.by_user(user_id, lock=True)
            if subscriber is None:
                return False
            await session.execute(
                update(RedFlagEvent).where(RedFlagEvent.subscriber_id == subscriber.id).values(subscriber_id=None)
            )
            await repo.delete(subscriber.id)
        return True


def _severe_streak(newest_first: Sequence[CheckIn]) -> int:
    count = 0
    for checkin in newest_first:
        if checkin.score < SEVERE_SCORE:
            break
        count += 1
    return count

