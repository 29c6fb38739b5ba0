"""Every accepted and refused /pain and /level input, end to end through the fake Bot API.

One bot and one enrolled subscriber per engine serve the whole table (a bot per case would make
the table slow); each case compares everything stored about the subscriber before and after, so
"refused" really means "nothing stored", and "accepted" means exactly the expected row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from bot.config import Settings
from bot.storage.models import CheckIn, VitaminDResult
from bot.storage.repositories import Subscribers, rows_of_subscriber
from tests.conftest import ENGINES, OPERATOR_ID, empty_database
from tests.e2e import eventually, running_bot
from tests.fakebot import FakeBotApi

pytestmark = pytest.mark.asyncio(loop_scope="module")

USER_ID = 3001
TODAY = date(2027, 1, 4)  # the fake clock's date; the subscriber is on UTC


@pytest.fixture(scope="module", params=ENGINES)
def shared_database_url(request, tmp_path_factory):
    return empty_database(request, request.param, tmp_path_factory.mktemp("inputs"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(shared_database_url, content):
    """(bot, user): a running bot with one subscriber enrolled, for the whole module."""
    clock = FakeClock(datetime(2027, 1, 4, 6, 0, tzinfo=UTC))
    async with FakeBotApi(clock=clock) as server:
        settings = Settings(
            _env_file=None, telegram_bot_token=server.token, telegram_api_base_url=server.base_url,
            database_url=shared_database_url, operator_ids=frozenset({OPERATOR_ID}), send_rate_limit=1000,
        )
        async with running_bot(settings, content, clock, server) as bot:
            user = bot.user(USER_ID, "Tess")
            await bot.enrol(user)
            await settled(bot)
            yield bot, user


async def settled(bot) -> bool:
    """Wait until Day 1's ledger row is confirmed: the bot writes it just after the send."""
    async def confirmed():
        return (await snapshot(bot))["deliveries"][0][4] == "sent"

    assert await eventually(confirmed)
    return True


async def snapshot(bot) -> dict[str, list[tuple]]:
    """Everything stored about the subscriber, as plain values."""
    async with bot.runtime.deps.sessions() as session:
        subscriber = await Subscribers(session).by_user(USER_ID)
        tables = await rows_of_subscriber(session, subscriber.id)
    return {
        name: [tuple(getattr(row, c.key) for c in row.__table__.columns) for row in rows]
        for name, rows in tables.items()
    }


def bold_parts(message) -> list[str]:
    return [message.text[e["offset"] : e["offset"] + e["length"]] for e in message.entities if e["type"] == "bold"]


async def ask(user, text: str):
    [answer] = await user.replies_after(user.command(text))
    return answer


# ---- /pain -----------------------------------------------------------------------------------

PAIN_ACCEPTED = [
    ("6", 6, None),
    ("6/10", 6, None),
    ("7 / 10", 7, None),
    ("7 out of 10", 7, None),
    ("six", 6, None),
    ("0", 0, None),
    ("10", 10, None),
    ("6 stiff after sitting", 6, "stiff after sitting"),
    ("6/10 stiff after sitting", 6, "stiff after sitting"),
    ("4, better after a walk", 4, "better after a walk"),
]


@pytest.mark.parametrize(("args", "score", "note"), PAIN_ACCEPTED)
async def test_pain_is_recorded(shared, args, score, note):
    bot, user = shared
    before = await snapshot(bot)
    answer = await ask(user, f"/pain {args}")
    assert f"{score}/10" in bold_parts(answer), answer.text
    assert "4 Jan" in answer.text and "/progress" in answer.text
    assert ("note is saved" in answer.text) == (note is not None)
    after = await snapshot(bot)
    async with bot.runtime.deps.sessions() as session:
        [checkin] = (await session.execute(CheckIn.__table__.select())).all()
    # One check-in per local day: a second one that day replaces the first, and the reply says so.
    assert (checkin.local_date, checkin.score, checkin.note) == (TODAY, score, note)
    if before["checkins"]:
        assert "replaces your earlier check-in today" in answer.text
        assert f"({before['checkins'][0][3]}/10)" in answer.text  # the score it replaced
    assert {k: v for k, v in after.items() if k != "checkins"} == {k: v for k, v in before.items() if k != "checkins"}


PAIN_REFUSED = [
    ("11", "out of range"),
    ("-1", "out of range"),
    ("100", "out of range"),
    ("abc", "start with a number"),
    ("stiff back", "start with a number"),
    ("5.5", "whole number"),
    ("6/5", "scale of 0 to 10"),
    ("3-4", "not a range"),
    ("6 " + "x" * 501, "under 500 characters"),
]


@pytest.mark.parametrize(("args", "fragment"), PAIN_REFUSED)
async def test_bad_pain_is_refused_and_stores_nothing(shared, args, fragment):
    bot, user = shared
    before = await snapshot(bot)
    answer = await ask(user, f"/pain {args}")
    assert fragment in answer.text
    if "characters" not in fragment:  # a note too long needs no example
        assert "/pain 6" in answer.text
    assert await snapshot(bot) == before


async def test_pain_without_a_number_asks_with_buttons(shared):
    bot, user = shared
    before = await snapshot(bot)
    answer = await ask(user, "/pain")
    assert "0 (no pain) to 10" in answer.text
    assert user.buttons(answer) == [str(n) for n in range(11)]
    assert await snapshot(bot) == before


# ---- /level ----------------------------------------------------------------------------------

LEVEL_ACCEPTED = [
    # typed after /level, then what must be stored: ng/mL, original value and unit, date; band.
    # Each names its unit (a unitless value is asked about: tests/test_units.py).
    ("24 ng/mL", 24.0, 24.0, "ng/mL", TODAY, "Insufficient"),
    ("24 ng/ml", 24.0, 24.0, "ng/mL", TODAY, "Insufficient"),
    ("24 NG/ML", 24.0, 24.0, "ng/mL", TODAY, "Insufficient"),
    ("24ng/mL", 24.0, 24.0, "ng/mL", TODAY, "Insufficient"),
    ("9.9 ng/mL", 9.9, 9.9, "ng/mL", TODAY, "Deficient, and very low"),
    ("10 ng/mL", 10.0, 10.0, "ng/mL", TODAY, "Deficient"),
    ("19.9 ng", 19.9, 19.9, "ng/mL", TODAY, "Deficient"),
    ("30 ng/mL", 30.0, 30.0, "ng/mL", TODAY, "Between insufficient and optimal"),
    ("45,5 ng", 45.5, 45.5, "ng/mL", TODAY, "Optimal for musculoskeletal health"),
    ("35 ng/mL 2026-12-01", 35.0, 35.0, "ng/mL", date(2026, 12, 1), "Between insufficient and optimal"),
    ("60 nmol/L 2026-11-02", 24.038, 60.0, "nmol/L", date(2026, 11, 2), "Insufficient"),
    ("60 nmol", 24.038, 60.0, "nmol/L", TODAY, "Insufficient"),
    ("60 nmol/l", 24.038, 60.0, "nmol/L", TODAY, "Insufficient"),
    ("24.9 nmol/L", 9.976, 24.9, "nmol/L", TODAY, "Deficient, and very low"),
    ("25 nmol/L", 10.016, 25.0, "nmol/L", TODAY, "Deficient"),
    ("50 nmol/L", 20.032, 50.0, "nmol/L", TODAY, "Insufficient"),
    ("75 nmol/L", 30.048, 75.0, "nmol/L", TODAY, "Between insufficient and optimal"),
    ("100 nmol / L", 40.064, 100.0, "nmol/L", TODAY, "Optimal for musculoskeletal health"),
    ("150 nmol/L", 60.096, 150.0, "nmol/L", TODAY, "Optimal for musculoskeletal health"),
    ("250 nmol/L", 100.16, 250.0, "nmol/L", TODAY, "Above the optimal range"),
    ("375 nmol/L", 150.24, 375.0, "nmol/L", TODAY, "High"),
    ("80 ng/mL", 80.0, 80.0, "ng/mL", TODAY, "Above the optimal range"),
    ("120 ng/mL", 120.0, 120.0, "ng/mL", TODAY, "High"),
    ("150 ng/mL", 150.0, 150.0, "ng/mL", TODAY, "High"),
    ("250 ng/mL", 250.0, 250.0, "ng/mL", TODAY, "Very high"),
    ("624 nmol/L", 250.0, 624.0, "nmol/L", TODAY, "Very high"),
]


@pytest.mark.parametrize(("args", "ng", "value", "unit", "taken_on", "band"), LEVEL_ACCEPTED)
async def test_level_is_recorded_with_its_band(shared, content, args, ng, value, unit, taken_on, band):
    from bot.domain.levels import band_range, in_unit

    bot, user = shared
    before = await snapshot(bot)
    # The same result for the same date, sent again (e.g. "24" then "24 ng/mL"), is kept once.
    duplicate = any(r[2] == taken_on and r[4] == value and r[5] == unit for r in before["vitamin_d_results"])
    answer = await ask(user, f"/level {args}")
    after = await snapshot(bot)
    if duplicate:
        assert after["vitamin_d_results"] == before["vitamin_d_results"]
        assert "already saved" in answer.text
        return
    assert len(after["vitamin_d_results"]) == len(before["vitamin_d_results"]) + 1
    async with bot.runtime.deps.sessions() as session:
        rows = (await session.execute(VitaminDResult.__table__.select().order_by(VitaminDResult.id))).all()
    stored = rows[-1]
    assert stored.value_ng_ml == pytest.approx(ng, abs=1e-3)
    assert (stored.original_value, stored.original_unit, stored.taken_on) == (value, unit, taken_on)
    # The band by name with its range in the subscriber's unit, what the article says about it,
    # its advice, and the value as typed.
    meaning = next(b for b in content.bands if b.label == band)
    assert answer.text.splitlines()[2].startswith(f"{meaning.label} ({band_range(meaning, unit)}")
    assert f"{value:g} {unit}" in bold_parts(answer)[0]
    assert "article" in answer.text
    assert " ".join(meaning.advice.replace("**", "").split()) in answer.text
    assert ("toxicity" in answer.text) == (band == "Very high")
    if stored.taken_on.year != TODAY.year:
        assert f"taken {stored.taken_on.day} {stored.taken_on:%b} {stored.taken_on.year}" in answer.text
    # The change since the previous result (by date), when there is one, in this result's unit.
    earlier = sorted((r for r in rows[:-1] if r.taken_on <= stored.taken_on), key=lambda r: (r.taken_on, r.id))
    if earlier:
        change = round(in_unit(stored.value_ng_ml, unit) - in_unit(earlier[-1].value_ng_ml, unit), 1)
        expected = "unchanged" if change == 0 else f"{'up' if change > 0 else 'down'} {abs(change):.1f} {unit}"
        assert f"That's {expected} since your last result" in answer.text
    else:
        assert "since your last result" not in answer.text


LEVEL_REFUSED = [
    ("", "Please send your vitamin D"),
    ("abc", "start with the number"),
    ("twenty", "start with the number"),
    ("0", "above zero"),
    ("-5", "above zero"),
    ("0 nmol/L", "above zero"),
    ("251 ng/mL", "higher than any result I can accept"),
    ("625 nmol/L", "higher than any result I can accept"),
    ("700", "higher than any result I can accept"),
    ("24 mg", "don't know the unit"),
    ("24 ug/L", "don't know the unit"),
    ("24 pg/mL", "don't know the unit"),
    ("24 2027-01-05", "in the future"),
    ("24 ng/mL 2027-03-01", "in the future"),
    ("24 02/11/2026", "could be 2 November 2026 or 11 February 2026"),  # UTC: order unknown, so asked
    ("24 2026-02-30", "isn't a date in the calendar"),
    ("24 1 March 1899", "before 1900"),
    ("24 ng/mL 2026-11-02 extra", "didn't understand"),
    ("1,000", "thousands separator"),
]


@pytest.mark.parametrize(("args", "fragment"), LEVEL_REFUSED)
async def test_bad_level_is_refused_and_stores_nothing(shared, args, fragment):
    bot, user = shared
    before = await snapshot(bot)
    answer = await ask(user, f"/level {args}".strip())
    assert fragment in answer.text
    assert "/level 24" in answer.text  # the usage line
    assert not answer.buttons
    assert await snapshot(bot) == before


# ---- ng/mL remembered, and a unitless value above 150: was it nmol/L? -----------------------

@pytest.mark.parametrize(
    ("args", "press", "ng", "unit", "shows"),
    [
        ("180", "180 nmol/L", 72.115, "nmol/L", "Above the optimal range"),
        ("180", "180 ng/mL", 180.0, "ng/mL", "toxicity"),
        ("260", "260 nmol/L", 104.167, "nmol/L", "High"),
        ("151.5", "151.5 ng/mL", 151.5, "ng/mL", "toxicity"),
    ],
)
async def test_unitless_high_value_asks_for_the_unit(shared, args, press, ng, unit, shows):
    bot, user = shared
    await ask(user, "/level 20 ng/mL")  # ng/mL is remembered
    before = await snapshot(bot)
    question = await ask(user, f"/level {args}")
    assert "nmol/L?" in question.text
    assert user.buttons(question) == [f"{args} ng/mL", f"{args} nmol/L"]
    assert await snapshot(bot) == before  # nothing stored until they answer
    [answer] = await user.replies_after(user.press(press))
    assert shows in answer.text
    assert bot.server.message(user.id, question.message_id).buttons == []  # answered once
    async with bot.runtime.deps.sessions() as session:
        stored = (await session.execute(VitaminDResult.__table__.select().order_by(VitaminDResult.id.desc()))).first()
    assert (stored.original_value, stored.original_unit) == (float(args), unit)
    assert stored.value_ng_ml == pytest.approx(ng, abs=1e-3)


async def test_a_value_too_high_for_ng_ml_is_refused_after_the_answer(shared):
    bot, user = shared
    await ask(user, "/level 20 ng/mL")
    before = await snapshot(bot)
    question = await ask(user, "/level 260")
    assert "too high to be ng/mL" in question.text
    [answer] = await user.replies_after(user.press("260 ng/mL"))
    assert "higher than any result I can accept" in answer.text
    assert await snapshot(bot) == before


@pytest.mark.parametrize(
    "data", ["lvl:180:2027-02-01:nmol", "lvl:abc:2027-01-04:ng", "lvl:180:2027-01-04:mg", "lvl:-5:2027-01-04:ng"]
)
async def test_forged_unit_buttons_store_nothing(shared, data):
    bot, user = shared
    before = await snapshot(bot)
    query_id = await user.press_data(data)

    async def answered():
        return user.answer_to(query_id)

    answer = await eventually(answered)
    assert answer is not None and "isn't valid" in answer.text
    assert await snapshot(bot) == before


# ---- the daily keyboard ----------------------------------------------------------------------

async def test_the_daily_keyboard_records_like_pain(shared):
    bot, user = shared
    day1 = next(m for m in user.messages if m.text and m.text.startswith("Day 1 of 30"))
    user.mark_read()
    query_id = await user.press_data(day1.button("3")["callback_data"], day1)
    [answer] = await user.replies(1)
    assert "3/10" in bold_parts(answer)
    assert user.answer_to(query_id).text == "Saved: 3/10"
    async with bot.runtime.deps.sessions() as session:
        [checkin] = (await session.execute(CheckIn.__table__.select())).all()
    assert (checkin.local_date, checkin.score, checkin.note) == (TODAY, 3, None)


async def test_a_forged_pain_button_stores_nothing(shared):
    bot, user = shared
    before = await snapshot(bot)
    query_id = await user.press_data("pain:11")

    async def answered():
        return user.answer_to(query_id)

    assert "isn't valid" in (await eventually(answered)).text
    assert await snapshot(bot) == before
