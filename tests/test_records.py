"""Rows as plain records (bot/storage/records.py), on SQLite and PostgreSQL: what a record was
read with, what changed, and only that written back, one executemany per set of columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, select

from bot.storage.db import create_engine, session_factory
from bot.storage.models import Subscriber
from bot.storage.repositories import Subscribers

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


def _row(user_id: int) -> dict:
    return dict(
        telegram_user_id=user_id, chat_id=user_id, status="active", blocked=False, timezone="Europe/Berlin",
        delivery_minute=480, program_day=3, next_delivery_at=NOW, created_at=NOW, updated_at=NOW,
    )


async def test_records_write_back_only_what_changed(database_url):
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    statements: list[tuple[str, object]] = []
    try:
        async with sessions.begin() as session:
            await session.execute(insert(Subscriber), [_row(n) for n in (11, 12, 13, 14)])
        async with sessions.begin() as session:
            ids = list((await session.execute(select(Subscriber.id).order_by(Subscriber.id))).scalars())
        event.listen(engine.sync_engine, "before_cursor_execute",
                     lambda _c, _cur, sql, params, _ctx, many: statements.append((sql.split()[0], many)))
        async with sessions.begin() as session:
            people = Subscribers(session)
            records = await people.records_locked(list(reversed(ids)))
            assert [r.id for r in records] == ids  # locked in id order, whatever order asked
            first, second, third, _unchanged = records
            assert (first.timezone, first.next_delivery_at, first.program_day) == ("Europe/Berlin", NOW, 3)
            first.program_day, first.next_delivery_at = 4, NOW + timedelta(days=1)
            third.program_day, third.next_delivery_at = 5, NOW + timedelta(days=2)
            second.blocked = True
            second.timezone = "Europe/Berlin"  # set to what it was: not a change
            assert second.changes() == {"blocked": True} and _unchanged.changes() == {}
            statements.clear()
            await people.save(records)
        # One UPDATE for the two that changed the same columns (an executemany), one for the other.
        assert sorted(statements) == [("UPDATE", False), ("UPDATE", True)]
        async with sessions() as session:
            rows = (await session.execute(select(Subscriber).order_by(Subscriber.id))).scalars().all()
            assert [(s.program_day, s.blocked) for s in rows] == [(4, False), (3, True), (5, False), (3, False)]
            assert [s.next_delivery_at for s in rows] == [NOW + timedelta(days=1), NOW, NOW + timedelta(days=2), NOW]
            assert all(s.timezone == "Europe/Berlin" for s in rows)
    finally:
        await engine.dispose()
