"""/export's complete dump (all-data.csv) is exactly what is stored; /forget deletes every row of
the subscriber, on both engines. The readable files are tested in test_export_readable.py."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from bot.storage.models import Base
from bot.storage.repositories import Subscribers, rows_of_subscriber
from tests.e2e import eventually

# Tables that hold nothing about a subscriber (a new table must be added here or have subscriber_id).
NOT_PERSONAL = {"broadcasts", "workers", "reports"}


async def fill(bot, user) -> None:
    """Give the subscriber a row in every table that can hold one."""
    await bot.enrol(user)
    await user.replies_after(user.command('/pain 6 stiff, "bad" after sitting'))
    await user.replies_after(user.command("/level 60 nmol/L 2026-11-02"))
    await user.replies_after(user.command("/level 31.5 ng/mL"))
    await user.replies_after(user.send("Which shoes are best for hiking?"))  # unanswered question
    await user.replies_after(user.send("I have wet myself twice today"))  # a red flag


async def subscriber_id(bot, user_id: int) -> int | None:
    async with bot.runtime.deps.sessions() as session:
        subscriber = await Subscribers(session).by_user(user_id)
        return subscriber.id if subscriber else None


async def rows_in_every_table(bot, sid: int, telegram_id: int) -> dict[str, int]:
    counts = {}
    async with bot.runtime.deps.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "subscribers":
                where = (table.c.id == sid) | (table.c.telegram_user_id == telegram_id)
            elif "subscriber_id" in table.c:
                where = table.c.subscriber_id == sid
            else:
                assert table.name in NOT_PERSONAL, f"does {table.name} hold subscriber data?"
                continue
            counts[table.name] = (await session.execute(select(func.count()).select_from(table).where(where))).scalar_one()
    return counts


def as_text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


async def test_export_is_everything_stored_and_nothing_else(bot):
    ann, ben = bot.user(5001, "Ann"), bot.user(5002, "Ben")
    await fill(bot, ann)
    await fill(bot, ben)
    *_, document = await ann.replies_after(ann.command("/export"), count=3)
    assert document.kind == "document" and document.filename == "all-data.csv"
    assert "Everything I have stored about you" in document.caption
    exported = list(csv.reader(io.StringIO(document.document_bytes.decode("utf-8-sig"))))
    assert exported[0] == ["table", "row_id", "field", "value"]

    sid = await subscriber_id(bot, ann.id)
    async with bot.runtime.deps.sessions() as session:
        tables = await rows_of_subscriber(session, sid)
    stored = [
        [name, str(row.id), column.key, as_text(getattr(row, column.key))]
        for name, rows in tables.items() for row in rows for column in row.__table__.columns
    ]
    assert exported[1:] == stored
    # Every table with a row of Ann's is in the export, and what she typed is there as typed.
    counts = await rows_in_every_table(bot, sid, ann.id)
    assert {name for name, count in counts.items() if count} == {row[0] for row in exported[1:]}
    assert [(r[0], r[3]) for r in exported if r[2] == "note"] == [("checkins", 'stiff, "bad" after sitting')]
    assert {("original_value", "60.0"), ("original_unit", "nmol/L"), ("taken_on", "2026-11-02")} <= {
        (r[2], r[3]) for r in exported if r[0] == "vitamin_d_results"
    }
    assert [r[3] for r in exported if r[2] == "flag_id"] == ["bladder-bowel-control"]
    # Nothing of Ben's.
    ben_id = str(await subscriber_id(bot, ben.id))
    assert not [r for r in exported if r[2] == "subscriber_id" and r[3] == ben_id]
    assert str(ben.id) not in {r[3] for r in exported}

    # Someone the bot knows nothing about.
    stranger = bot.user(5003, "Cy")
    [answer] = await stranger.replies_after(stranger.command("/export"))
    assert answer.kind == "text" and "nothing to export" in answer.text
    [answer] = await stranger.replies_after(stranger.command("/forget"))
    assert "nothing stored about you" in answer.text and not answer.buttons
    for command in ("/pain 5", "/level 24"):
        [answer] = await stranger.replies_after(stranger.command(command))
        assert "/start" in answer.text
    assert await subscriber_id(bot, stranger.id) is None


async def test_forget_deletes_every_row_and_start_begins_anew(bot):
    ann, ben = bot.user(5001, "Ann"), bot.user(5002, "Ben")
    await fill(bot, ann)
    await fill(bot, ben)
    sid, ben_sid = await subscriber_id(bot, ann.id), await subscriber_id(bot, ben.id)
    before = await rows_in_every_table(bot, sid, ann.id)
    assert all(before.values()), before  # a row in every table, so the deletion is really tested
    ben_before = await rows_in_every_table(bot, ben_sid, ben.id)

    [question] = await ann.replies_after(ann.command("/forget"))
    assert "cannot be undone" in question.text
    assert ann.buttons(question) == ["Yes, delete everything", "No, keep it"]
    [kept] = await ann.replies_after(ann.press("No, keep it"))
    assert "nothing was deleted" in kept.text
    assert await rows_in_every_table(bot, sid, ann.id) == before
    assert bot.server.message(ann.id, question.message_id).buttons == []

    await ann.replies_after(ann.command("/forget"))
    [done] = await ann.replies_after(ann.press("Yes, delete everything"))
    assert "everything about you has been deleted" in done.text
    assert set((await rows_in_every_table(bot, sid, ann.id)).values()) == {0}
    assert await rows_in_every_table(bot, ben_sid, ben.id) == ben_before

    # The bot now treats Ann as someone new.
    [answer] = await ann.replies_after(ann.command("/pain 5"))
    assert "/start" in answer.text
    [consent] = await ann.replies_after(ann.command("/start"))
    assert "educational purposes only" in consent.text
    assert ann.buttons(consent) == ["✅ I agree", "No, thanks"]
    await ann.press("✅ I agree")
    zone_question, _ = await ann.replies(2)
    await ann.press(ann.buttons(zone_question)[0])
    await ann.replies(2)
    await ann.press("08:00")
    _, day1 = await ann.replies(2)
    assert day1.text.startswith("Day 1 of 30")  # the program starts over

    async def fresh():
        async with bot.runtime.deps.sessions() as session:
            subscriber = await Subscribers(session).by_user(ann.id)
            counts = await rows_in_every_table(bot, subscriber.id, ann.id)
            return subscriber.id != sid and subscriber.program_day == 1 and counts["checkins"] == 0

    assert await eventually(fresh)
