"""Input is refused at the boundary (a friendly reply, nothing stored); the database refuses the
same values again; user text comes back as plain text; /history is paged with a cap and /progress
renders a chart once per change of data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.services.chart import CHARTS
from bot.services.tracking import HISTORY_MAX_PAGES, HISTORY_PER_PAGE
from bot.storage.models import CheckIn, VitaminDResult
from bot.storage.repositories import Subscribers
from tests.hardening.helpers import drained, everything

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)  # the clock fixture's start

REFUSED_LEVELS = [
    ("0.001 nmol/L", "lower than any result I can accept"),  # stored as 0.0 ng/mL before
    ("2.49 nmol/L", "lower than any result I can accept"),
    ("0.5", "lower than any result I can accept"),
    ("0.99 ng/mL", "lower than any result I can accept"),
    ("nan", "start with the number"),
    ("NaN nmol/L", "start with the number"),
    ("inf", "start with the number"),
    ("-inf", "start with the number"),
    ("1e309", "don't know the unit"),
    ("24 0001-01-01", "before 1900"),
    ("24 ng/mL 1899-12-31", "before 1900"),
    ("24 9999-12-31", "in the future"),
    ("24 ng/mL 2027-01-05", "in the future"),
]


async def test_implausible_results_and_dates_are_refused_and_store_nothing(bot):
    ann = bot.user(5001, "Ann")
    await bot.enrol(ann)
    await drained(bot)
    before = await everything(bot)
    for args, fragment in REFUSED_LEVELS:
        [answer] = await ann.replies_after(ann.command(f"/level {args}"))
        assert fragment in answer.text, (args, answer.text)
        assert "/level 24" in answer.text and not answer.buttons
    for data in ("lvl:24:0001-01-01:ng", "lvl:0.001:2027-01-04:nmol", "lvl:nan:2027-01-04:ng", "lvl:inf:2027-01-04:ng"):
        ann.mark_read()
        query_id = await ann.press_data(data)
        await drained(bot)
        answered = ann.answer_to(query_id)
        assert answered is not None
        if answered.text is None:  # a well-formed question, answered with a refusal in the chat
            [refusal] = await ann.replies(1)
            assert any(f in refusal.text for f in ("can accept", "before 1900", "number from your lab")), data
    assert await everything(bot) == before
    # The edges themselves are accepted: 1 ng/mL is 2.496 nmol/L; 1900-01-01 is a date.
    [asked] = await ann.replies_after(ann.command("/level 2.496 nmol/L 1900-01-01"))
    assert "more than a year ago" in asked.text  # an old result is confirmed first
    ann.mark_read()
    await ann.press("Yes, save it")
    [one] = await ann.replies(1)
    assert one.text.startswith("Saved: vitamin D 2.496 nmol/L (= 1.0 ng/mL), taken 1 Jan 1900")


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (VitaminDResult, {"value_ng_ml": 0.0, "original_value": 0.001, "original_unit": "nmol/L"}),
        (VitaminDResult, {"value_ng_ml": 250.5}),
        (VitaminDResult, {"value_ng_ml": float("nan")}),
        (VitaminDResult, {"value_ng_ml": float("inf")}),
        (VitaminDResult, {"original_unit": "mg"}),
        (VitaminDResult, {"original_value": -3.0}),
        (VitaminDResult, {"taken_on": date(1, 1, 1)}),
        (CheckIn, {"score": 11}),
        (CheckIn, {"score": -1}),
        (CheckIn, {"local_date": date(1899, 12, 31)}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else ",".join(f"{k}={v}" for k, v in v.items()),
)
async def test_the_database_refuses_what_the_parsers_refuse(bot, model, values):
    amy = bot.user(5002, "Amy")
    await bot.enrol(amy)
    async with bot.runtime.deps.sessions() as session:
        subscriber_id = (await Subscribers(session).by_user(amy.id)).id
    good = {
        VitaminDResult: dict(taken_on=date(2026, 12, 1), value_ng_ml=24.0, original_value=24.0,
                             original_unit="ng/mL", created_at=NOW),
        CheckIn: dict(local_date=date(2026, 12, 1), score=5, created_at=NOW, updated_at=NOW),
    }[model]
    async with bot.runtime.deps.sessions.begin() as session:  # the valid row goes in
        await session.execute(insert(model).values(subscriber_id=subscriber_id, **good))
    bad = {**good, **values}
    if model is CheckIn:
        bad["local_date"] = values.get("local_date", date(2026, 12, 2))  # not the unique day again
    with pytest.raises(IntegrityError) as refused:
        async with bot.runtime.deps.sessions.begin() as session:
            await session.execute(insert(model).values(subscriber_id=subscriber_id, **bad))
    reason = str(refused.value).lower()
    # SQLite stores NaN as NULL, which NOT NULL refuses; everything else is a CHECK constraint.
    assert "ck_" in reason or ("not null" in reason and values.get("value_ng_ml") != values.get("value_ng_ml"))


async def test_user_text_comes_back_as_plain_text(bot):
    bea = bot.user(5003, "Bea")
    await bot.enrol(bea)
    [refusal] = await bea.replies_after(bea.command("/level 24 **bold**"))
    assert "“**bold**”" in refusal.text
    [refusal] = await bea.replies_after(bea.command("/level 24 ng/mL 2026-11-02 [link](http://evil.example)"))
    assert "“[link](http://evil.example)”" in refusal.text
    assert not [e for e in refusal.entities if e["type"] in ("bold", "text_link", "italic", "code")]
    note = "__under__ `code` [x](http://evil.example) ~~gone~~ ||spoiler||"
    await bea.replies_after(bea.command(f"/pain 4 {note}"))
    [history] = await bea.replies_after(bea.command("/history"))
    assert note in history.text
    start = history.text.index(note)
    inside = [e for e in history.entities if e["offset"] < start + len(note) and e["offset"] + e["length"] > start]
    assert inside == []  # nothing inside the note became formatting or a link


async def test_history_is_paged_from_the_database_with_a_cap(bot):
    cy = bot.user(5004, "Cy")
    await bot.enrol(cy)
    async with bot.runtime.deps.sessions.begin() as session:
        subscriber_id = (await Subscribers(session).by_user(cy.id)).id
        days = HISTORY_PER_PAGE * HISTORY_MAX_PAGES + 25  # more than the cap
        await session.execute(insert(CheckIn), [
            dict(subscriber_id=subscriber_id, local_date=date(2027, 1, 3) - timedelta(days=n), score=n % 11,
                 created_at=NOW, updated_at=NOW)
            for n in range(days)
        ])
    [first] = await cy.replies_after(cy.command("/history"))
    assert f"page 1 of {HISTORY_MAX_PAGES}" in first.text
    assert first.text.count("• ") == HISTORY_PER_PAGE + 1  # the check-ins and "no results yet"
    assert cy.buttons(first) == ["Older ›"]
    # Forged or stale page numbers land on the nearest real page.
    shown = {}
    for data, page in (("hist:-4", 1), ("hist:0", 1), ("hist:999999999999999999999", HISTORY_MAX_PAGES)):
        cy.mark_read()
        await cy.press_data(data, first)
        [shown[data]] = await cy.replies(1)
        assert f"page {page} of {HISTORY_MAX_PAGES}" in shown[data].text, data
    last = shown["hist:999999999999999999999"]
    assert "/export has all of them" in last.text
    oldest_shown = date(2027, 1, 3) - timedelta(days=HISTORY_PER_PAGE * HISTORY_MAX_PAGES - 1)
    assert f"{oldest_shown.day} {oldest_shown:%b} {oldest_shown.year}" in last.text
    assert cy.buttons(last) == ["‹ Newer"]


async def test_progress_renders_the_chart_once_until_the_data_changes(bot):
    dee = bot.user(5005, "Dee")
    await bot.enrol(dee)
    await dee.replies_after(dee.command("/pain 5"))
    renders = CHARTS.renders
    [first] = await dee.replies_after(dee.command("/progress"))
    [again] = await dee.replies_after(dee.command("/progress"))
    assert first.kind == again.kind == "photo"
    assert CHARTS.renders == renders + 1  # the second /progress was served from the cache
    await dee.replies_after(dee.command("/pain 6"))  # today's check-in changes: a new chart
    [changed] = await dee.replies_after(dee.command("/progress"))
    assert changed.kind == "photo" and CHARTS.renders == renders + 2
    assert "6" in changed.text


async def test_a_nul_character_is_dropped_not_fatal(bot):
    """PostgreSQL refuses NUL in text; what a person typed is stored the same on both engines."""
    eve = bot.user(5006, "Eve")
    await bot.enrol(eve)
    [saved] = await eve.replies_after(eve.command("/pain 4 stiff\x00 after sitting"))
    assert "note is saved" in saved.text
    [answer] = await eve.replies_after(eve.send("what about \x00 vitamin D?"))
    assert answer.text
    async with bot.runtime.deps.sessions() as session:
        [checkin] = (await session.execute(CheckIn.__table__.select())).all()
    assert checkin.note == "stiff after sitting"
