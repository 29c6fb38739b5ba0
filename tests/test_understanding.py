"""Issue 13, end to end through the fake Bot API: every example of the issue gets the right kind of
reply — questions, questions the article cannot answer, check-ins in words, dates in /pain and
/level, places at the time-zone step — and operators see what people asked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.storage.models import CheckIn, Subscriber, UnansweredQuestion, VitaminDResult
from tests.conftest import OPERATOR_ID
from tests.e2e import eventually

TODAY = date(2027, 1, 4)  # the fake clock's date (06:00 UTC)
REFERRAL = "can't advise on that; please ask your doctor or pharmacist"


async def checkins(bot) -> list[tuple[date, int, str | None]]:
    async with bot.runtime.deps.sessions() as session:
        rows = (await session.execute(select(CheckIn).order_by(CheckIn.local_date))).scalars()
        return [(c.local_date, c.score, c.note) for c in rows]


async def results(bot) -> list[tuple[date, float, str]]:
    async with bot.runtime.deps.sessions() as session:
        rows = (await session.execute(select(VitaminDResult).order_by(VitaminDResult.id))).scalars()
        return [(r.taken_on, r.original_value, r.original_unit) for r in rows]


async def zone_of(bot, user_id: int) -> str:
    async with bot.runtime.deps.sessions() as session:
        subscriber = (await session.execute(select(Subscriber).where(Subscriber.telegram_user_id == user_id))).scalar_one()
        return subscriber.timezone


async def ask(user, text: str):
    user.mark_read()
    await user.send(text)
    return await user.next_reply()


def entry_id(content, message) -> str | None:
    return next((e.id for e in content.faq if message.text.startswith(e.question)), None)


# ---- questions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what number counts as deficient", "level-meaning"),
        ("how long before I feel better", "how-soon"),
        ("when should I see a doctor?", "see-a-doctor"),
        ("should I stop exercising if it hurts?", "exercise-hurts"),
    ],
)
async def test_questions_in_own_words_get_their_answer(bot, content, question, expected):
    ann = bot.user(2101, "Ann")
    await bot.enrol(ann)
    answer = await ask(ann, question)
    if expected == "see-a-doctor":  # the warning signs, written once in safety.yaml, come first
        assert answer.text.startswith("When back pain needs a doctor")
        assert "Get emergency care now" in answer.text and "See a doctor promptly" in answer.text
        assert next(e for e in content.faq if e.id == expected).answer == content.safety.warning_signs
        return
    assert entry_id(content, answer) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [("which lab test should I ask my doctor for", "which-test"), ("is inflammation part of it", "inflammation")],
)
async def test_a_question_the_article_answers_is_answered_or_offered_first(bot, content, question, expected):
    ann = bot.user(2102, "Ann")
    await bot.enrol(ann)
    answer = await ask(ann, question)
    offered = ann.buttons(answer)
    assert entry_id(content, answer) == expected or (
        offered and offered[0] == content.faq_entry(expected).question
    ), answer.text


async def test_sums_and_chatter_get_no_faq_answer(bot, content):
    bo = bot.user(2103, "Bo")
    await bot.enrol(bo)
    for text in ("what's 2+2", "what is the capital of france"):
        answer = await ask(bo, text)
        assert entry_id(content, answer) is None, answer.text


@pytest.mark.parametrize(
    "question",
    [
        "I'm 5 months pregnant, is it safe for me to take vitamin D?",
        "I'm on warfarin, can I take vitamin D?",
        "how much vitamin D can I give my 6-year-old?",
        "is this a scam?",
        "are you a real doctor?",
        "my back hurts so much I can't sleep, what can I do tonight?",
        # issue 13 round 2: each class in general terms
        "how much vitamin D should my 80 year old mum take?",
        "I weigh 95 kg, what dose do I need",
        "how much magnesium should I take?",
        "is turmeric good for back pain",
        "can I take D3 with lisinopril?",
        "is my back pain arthritis?",
        "what does my MRI mean?",
        "do I have a herniated disc",
        "am I talking to a human?",
    ],
)
async def test_what_the_article_cannot_answer_is_referred_with_the_disclaimer(bot, content, question):
    cy = bot.user(2104, "Cy")
    await bot.enrol(cy)
    answer = await ask(cy, question)
    assert REFERRAL in answer.text
    assert "does not replace professional medical advice" in answer.text
    assert entry_id(content, answer) is None


async def test_a_question_at_the_time_zone_step_is_answered_and_the_step_asked_again(bot, content):
    di = bot.user(2105, "Di")
    await di.command("/start")
    await di.next_reply()
    await di.press("✅ I agree")
    await di.replies(2)
    await di.send("how long before I feel better?")
    answer, again = await di.replies(2)
    assert entry_id(content, answer) == "how-soon"
    assert "time zone" in again.text
    assert await zone_of(bot, 2105) == "UTC"  # nothing was set


# ---- check-ins in words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "score"), [("6", 6), ("pain 6", 6), ("my back is a 6 today", 6), ("today my pain is 4/10", 4)]
)
async def test_a_score_after_the_check_in_prompt_is_saved(bot, text, score):
    ed = bot.user(2106, "Ed")
    await bot.enrol(ed)
    assert await eventually(lambda: bot.runtime.questions.awaits_pain_score(2106))
    answer = await ask(ed, text)
    assert f"{score}/10" in answer.text and "saved" in answer.text
    assert await checkins(bot) == [(TODAY, score, None)]


async def test_a_check_in_in_words_later_is_confirmed_before_saving(bot):
    fi = bot.user(2107, "Fi")
    await bot.enrol(fi)
    await fi.command("/pain 5")
    await fi.next_reply()
    question = await ask(fi, "my back is a 7 today")
    assert "7/10" in question.text and fi.buttons(question) == ["Yes, save 7/10", "No"]
    assert await checkins(bot) == [(TODAY, 5, None)]  # nothing changed yet
    await fi.press("Yes, save 7/10")
    saved = await fi.next_reply()
    assert "7/10" in saved.text
    assert await eventually(lambda: _equals(checkins(bot), [(TODAY, 7, None)]))
    question = await ask(fi, "pain 2, stiff after sitting")
    await fi.press("No")
    await fi.next_reply()
    assert await checkins(bot) == [(TODAY, 7, None)]


@pytest.mark.parametrize(
    ("text", "score", "note"),
    [("tbh a 6 after gardening", 6, "after gardening"), ("4 sir", 4, None), ("no pain at all today", 0, None)],
)
async def test_a_check_in_with_words_around_the_score_is_confirmed_and_saved(bot, text, score, note):
    go = bot.user(2110, "Go")
    await bot.enrol(go)
    await go.command("/pain 5")  # today's check-in is done: a later one is confirmed first
    await go.next_reply()
    question = await ask(go, text)
    assert go.buttons(question) == [f"Yes, save {score}/10", "No"]
    assert await checkins(bot) == [(TODAY, 5, None)]
    await go.press(f"Yes, save {score}/10")
    assert f"{score}/10" in (await go.next_reply()).text
    assert await eventually(lambda: _equals(checkins(bot), [(TODAY, score, note)]))


@pytest.mark.parametrize("text", ["day 5", "is 6 ok?", "1000 iu", "my level is 30 ng/ml"])
async def test_what_only_looks_like_a_check_in_is_not_offered_as_one(bot, text):
    ha = bot.user(2111, "Ha")
    await bot.enrol(ha)
    await ha.command("/pain 5")
    await ha.next_reply()
    answer = await ask(ha, text)
    assert not any(label.startswith("Yes, save") for label in ha.buttons(answer))
    assert await checkins(bot) == [(TODAY, 5, None)]


async def test_a_check_in_question_answered_twice_and_a_markup_note_raise_nothing(bot):
    from bot.metrics import HANDLER_ERRORS

    errors_before = HANDLER_ERRORS._value.get()
    jo = bot.user(2109, "Jo")
    await bot.enrol(jo)
    await jo.command("/pain 5")
    await jo.next_reply()
    question = await ask(jo, "pain 2, **stiff** [after](http://x.example) sitting")
    assert "**stiff**" in question.text and "[after](http://x.example)" in question.text  # shown as typed
    await jo.press("No")
    await jo.next_reply()
    await jo.press_data("ckn:no", question)  # the same question again: its buttons are gone
    await jo.next_reply()
    assert HANDLER_ERRORS._value.get() == errors_before
    assert await checkins(bot) == [(TODAY, 5, None)]


async def test_a_time_typed_after_enrolment_offers_to_change_the_delivery_time(bot, content):
    gu = bot.user(2108, "Gu")
    await bot.enrol(gu)
    answer = await ask(gu, "07:30")
    assert entry_id(content, answer) is None
    assert gu.buttons(answer) == ["Yes, at 07:30", "No"]
    await gu.press("Yes, at 07:30")
    done = await gu.next_reply()
    assert "07:30" in done.text


async def _equals(awaitable, expected) -> bool:
    return (await awaitable) == expected


# ---- dates -------------------------------------------------------------------------------------


async def test_pain_for_yesterday_is_recorded_for_yesterday_not_as_a_note(bot):
    ha = bot.user(2109, "Ha")
    await bot.enrol(ha)
    await ha.command("/pain 5")
    await ha.next_reply()
    await ha.command("/pain 3 yesterday")
    answer = await ha.next_reply()
    assert "3/10" in answer.text and "3 Jan" in answer.text
    assert await checkins(bot) == [(date(2027, 1, 3), 3, None), (TODAY, 5, None)]


@pytest.mark.parametrize(
    ("args", "taken_on"),
    [
        ("18 yesterday", date(2027, 1, 3)),
        ("30 1 March", date(2026, 3, 1)),
        ("30 March 1", date(2026, 3, 1)),
        ("30 01.03.2026", date(2026, 3, 1)),
        ("30 2 days ago", date(2027, 1, 2)),
    ],
)
async def test_level_dates_as_people_write_them(bot, args, taken_on):
    io = bot.user(2110, "Io")
    await bot.enrol(io)
    await io.command(f"/level {args}")
    answer = await io.next_reply()
    assert "Which unit" in answer.text  # no unit typed: asked once, with the date kept
    await io.press(f"{args.split()[0]} ng/mL")
    answer = await io.next_reply()
    assert "Saved" in answer.text, answer.text
    assert [r[0] for r in await results(bot)] == [taken_on]


async def test_an_ambiguous_date_is_asked_in_utc_and_read_the_american_way_in_new_york(bot):
    jo = bot.user(2111, "Jo")
    await bot.enrol(jo)
    await jo.command("/level 30 3/1/2026")
    asked = await jo.next_reply()
    assert "3 January 2026" in asked.text and "1 March 2026" in asked.text
    assert await results(bot) == []
    await jo.command("/timezone America/New_York")
    await jo.replies(2)
    await jo.command("/level 30 ng/mL 3/1/2026")
    saved = await jo.next_reply()
    assert "Saved" in saved.text
    assert await results(bot) == [(date(2026, 3, 1), 30.0, "ng/mL")]


async def test_an_old_result_is_confirmed_and_a_repeated_one_stored_once(bot):
    ka = bot.user(2112, "Ka")
    await bot.enrol(ka)
    await ka.command("/level 24 ng/mL 2020-01-01")
    question = await ka.next_reply()
    assert "more than a year ago" in question.text
    assert await results(bot) == []
    await ka.press("Yes, save it")
    await ka.next_reply()
    assert await eventually(lambda: _equals(results(bot), [(date(2020, 1, 1), 24.0, "ng/mL")]))
    await ka.command("/level 24")
    await ka.next_reply()
    await ka.command("/level 24")
    again = await ka.next_reply()
    assert "already saved" in again.text
    assert await results(bot) == [(date(2020, 1, 1), 24.0, "ng/mL"), (TODAY, 24.0, "ng/mL")]
    # The chart spans the program; the 2020 result is listed under it, not plotted.
    [photo] = await ka.replies_after(ka.command("/progress"))
    assert photo.kind == "photo"
    assert "Earlier results, before the program (not on the chart): 24 ng/mL (1 Jan 2020)" in photo.caption


async def test_an_old_result_typed_without_a_unit_is_confirmed_after_the_unit_and_asked_once(bot):
    kit = bot.user(2116, "Kit")
    await bot.enrol(kit)
    await kit.command("/level 60 2020-01-01")
    assert "Which unit" in (await kit.next_reply()).text
    await kit.press("60 nmol/L")
    question = await kit.next_reply()
    assert "more than a year ago" in question.text and "1 Jan 2020" in question.text
    assert await results(bot) == []
    await kit.press("Yes, save it")  # the press carries the confirmation: no second question
    saved = await kit.next_reply()
    assert saved.text.startswith("Saved: vitamin D 60 nmol/L"), saved.text
    assert await results(bot) == [(date(2020, 1, 1), 60.0, "nmol/L")]
    # The unit is remembered now; an old result without a unit is still asked about, and "No" saves nothing.
    await kit.command("/level 70 2019-06-01")
    assert "more than a year ago" in (await kit.next_reply()).text
    await kit.press("No")
    assert "not saved" in (await kit.next_reply()).text
    assert await results(bot) == [(date(2020, 1, 1), 60.0, "nmol/L")]


async def test_future_and_too_old_dates_are_refused(bot):
    lu = bot.user(2113, "Lu")
    await bot.enrol(lu)
    for command, words in (("/pain 4 tomorrow", "future"), ("/level 30 1 March 1899", "before 1900")):
        await lu.command(command)
        assert words in (await lu.next_reply()).text
    assert await results(bot) == [] and await checkins(bot) == []


# ---- places ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("EST", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("india", "Asia/Kolkata"),
        ("Berlin, Germany", "Europe/Berlin"),
    ],
)
async def test_places_as_people_write_them(bot, typed, zone):
    mo = bot.user(2114, "Mo")
    await bot.enrol(mo)
    mo.mark_read()
    await mo.command(f"/timezone {typed}")
    replies = await mo.replies(2 if typed.isupper() else 1)
    assert any(zone in r.text and "there now" in r.text for r in replies), [r.text for r in replies]
    assert await zone_of(bot, 2114) == zone


async def test_a_country_with_several_zones_offers_them_with_their_local_time(bot):
    no = bot.user(2115, "No")
    await bot.enrol(no)
    offer = await ask(no, "/timezone USA")
    labels = no.buttons(offer)
    assert any(label.startswith("New York (") for label in labels)
    assert any(label.startswith("Los Angeles (") for label in labels)
    await no.press(next(label for label in labels if label.startswith("Los Angeles")))
    await no.next_reply()
    assert await zone_of(bot, 2115) == "America/Los_Angeles"


# ---- operators -------------------------------------------------------------------------------


async def test_operators_see_unanswered_questions_grouped_with_the_closest_entry(bot):
    pa = bot.user(2116, "Pa")
    await bot.enrol(pa)
    for text in ("what is the best mattress brand", "which mattress brand is best", "bitcoin price today"):
        await ask(pa, text)

    async def kept():
        async with bot.runtime.deps.sessions() as session:
            return len((await session.execute(select(UnansweredQuestion))).scalars().all()) == 3

    assert await eventually(kept)
    operator = bot.user(OPERATOR_ID, "Op")
    stats = await ask(operator, "/stats")
    assert "2×" in stats.text and "mattress" in stats.text and "closest FAQ" in stats.text
    help_text = await ask(operator, "/help")
    assert "/broadcast <slug>" in help_text.text


async def test_vitd_bot_questions_lists_the_groups(server, database_url, tmp_path, clock, content, settings_for):
    from tests.e2e import running_bot
    from tests.test_broadcast_crash import bot_environment
    from tests.test_cli_operator import run_cli

    async with running_bot(settings_for(server, database_url), content, clock, server) as harness:
        ra = harness.user(2118, "Ra")
        await harness.enrol(ra)
        for text in ("what is the best mattress brand", "which mattress brand is best"):
            await ask(ra, text)
    code, output = await run_cli(bot_environment(server, database_url), tmp_path, "questions")
    assert code == 0, output
    [line] = [line for line in output.splitlines() if "mattress" in line]
    assert line.strip().startswith("2× ") and "(closest FAQ: " in line
    assert "what is the best mattress brand" in line and "which mattress brand is best" in line


async def test_the_consent_text_says_questions_are_kept_and_read(bot):
    qi = bot.user(2117, "Qi")
    await qi.command("/start")
    consent = await qi.next_reply()
    assert "questions" in consent.text.lower() and "operators" in consent.text


async def test_a_question_at_the_time_step_is_answered_and_a_time_still_works(bot, content):
    sa = bot.user(2119, "Sa")
    await sa.command("/start")
    await sa.next_reply()
    await sa.press("✅ I agree")
    await sa.replies(2)
    await sa.press("UTC")
    await sa.replies(2)  # zone set, and the time question
    await sa.send("what is the 30 day plan?")
    answer, again = await sa.replies(2)
    assert entry_id(content, answer) == "protocol"
    assert "time for your daily message" in again.text
    await sa.send("7:30")
    done, day1 = await sa.replies(2)
    assert "07:30" in done.text and day1.text.startswith("Day 1 of 30")


async def test_a_forged_check_in_button_stores_nothing(bot):
    ta = bot.user(2120, "Ta")
    await bot.enrol(ta)
    ta.mark_read()
    await ta.press_data("ckn:99")
    refused = await ta.next_reply()
    assert "isn't valid" in refused.text
    assert await checkins(bot) == []
