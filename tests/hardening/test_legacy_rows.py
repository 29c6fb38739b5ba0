"""Rows an older version stored before the checks existed (a 0.0 ng/mL result from
`/level 0.001 nmol/L`, dates in year 1, a score of 12) survive the migration and break nothing:
/progress, /history, /export and /stats answer, and the Day 7 weekly summary reaches this subscriber and
everyone in the same batch. The readers skip such rows and log it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.db import alembic_config, upgrade
from tests.conftest import OPERATOR_ID
from tests.e2e import running_bot

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)  # the clock fixture's start
LEGACY, NEIGHBOUR = 6001, 6002


def before_the_checks(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_revision("0002_checks").down_revision


async def store_as_an_older_version(url: str) -> None:
    """Two subscribers due for Day 7 now; one of them with rows no check would let in today."""
    stamp = NOW if url.startswith("postgresql") else NOW.replace(tzinfo=None)
    engine = create_async_engine(url)
    async with engine.begin() as db:
        for row_id, user_id in ((1, LEGACY), (2, NEIGHBOUR)):
            await db.execute(text(
                "INSERT INTO subscribers (id, telegram_user_id, chat_id, first_name, status, blocked, "
                "consented_at, timezone, delivery_minute, program_day, last_delivered_local_date, "
                "next_delivery_at, created_at, updated_at) VALUES (:id, :user, :user, 'Lee', 'active', "
                ":no, :at, 'UTC', 360, 6, :yesterday, :at, :at, :at)"
            ), {"id": row_id, "user": user_id, "no": False, "at": stamp, "yesterday": date(2027, 1, 3)})
            for back in range(1, 7):  # a check-in on each of the six days before
                await db.execute(text(
                    "INSERT INTO checkins (subscriber_id, local_date, score, created_at, updated_at) "
                    "VALUES (:id, :day, :score, :at, :at)"
                ), {"id": row_id, "day": date(2027, 1, 4) - timedelta(days=back), "score": 3 + back % 3, "at": stamp})
        legacy_checkins = [(date(1, 1, 1), 5), (date(2026, 12, 20), 12)]
        for day, score in legacy_checkins:
            await db.execute(text(
                "INSERT INTO checkins (subscriber_id, local_date, score, created_at, updated_at) "
                "VALUES (1, :day, :score, :at, :at)"
            ), {"day": day, "score": score, "at": stamp})
        legacy_results = [
            (date(2026, 12, 30), 0.0, 0.001, "nmol/L"),  # /level 0.001 nmol/L, as it used to be stored
            (date(1, 1, 1), 24.0, 24.0, "ng/mL"),
            (date(2026, 12, 31), 30.0, 30.0, "mg"),
            (date(2027, 1, 2), 26.0, 26.0, "ng/mL"),  # and one good result
        ]
        for taken_on, ng, value, unit in legacy_results:
            await db.execute(text(
                "INSERT INTO vitamin_d_results (subscriber_id, taken_on, value_ng_ml, original_value, "
                "original_unit, created_at) VALUES (1, :on, :ng, :value, :unit, :at)"
            ), {"on": taken_on, "ng": ng, "value": value, "unit": unit, "at": stamp})
    await engine.dispose()


async def test_rows_from_an_older_version_break_nothing(unmigrated_database_url, server, clock, content, settings_for, caplog):
    url = unmigrated_database_url
    # Alembic runs its own event loop, so it gets a thread of its own (as in bot.storage.db).
    await asyncio.to_thread(command.upgrade, alembic_config(url), before_the_checks(url))
    await store_as_an_older_version(url)
    await upgrade(url)  # the migration keeps the old rows; the readers must cope with them
    caplog.set_level(logging.WARNING, logger="bot.services.progress_data")

    async with running_bot(settings_for(server, url), content, clock, server) as bot:
        legacy, neighbour = bot.user(LEGACY, "Lee"), bot.user(NEIGHBOUR, "Nia")
        assert await bot.sweep() == 2  # one batch, both delivered
        for user in (legacy, neighbour):
            [day7] = await user.replies(1)
            assert day7.text.startswith("Day 7 of 30") and "Week 1 in numbers" in day7.text
        assert "Vitamin D: 26 ng/mL on 2 Jan" in legacy.messages[0].text  # only the good result

        [chart] = await legacy.replies_after(legacy.command("/progress"))
        assert chart.kind == "photo" and chart.file_bytes.startswith(b"\x89PNG")
        assert "Vitamin D: 26 ng/mL on 2 Jan." in chart.text

        [history] = await legacy.replies_after(legacy.command("/history"))
        assert history.text.startswith("Your check-ins")
        [export] = await legacy.replies_after(legacy.command("/export"))
        assert export.kind == "document" and b"0001-01-01" in export.file_bytes  # their data, all of it

        operator = bot.user(OPERATOR_ID, "Op")
        [stats] = await operator.replies_after(operator.command("/stats"))
        assert "went wrong" not in stats.text and "Sorry" not in stats.text

    skipped = [r.getMessage() for r in caplog.records if r.name == "bot.services.progress_data"]
    assert any("skipped stored vitamin D result" in m for m in skipped)
    assert any("skipped stored check-in" in m for m in skipped)
