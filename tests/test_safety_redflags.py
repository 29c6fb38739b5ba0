"""Red flags end to end, with the real content, through the fake Bot API: every free text is
checked (questions, /pain and /level notes, answers during enrolment), the reply has the sign's
level (emergency now / see a doctor promptly), a question about a sign gets the warning signs
instead of an alarm, and only the flag and the time are counted, anonymously after /forget.

The detector's recall and false-alarm figures are in tests/redflags/ (the evaluation sets)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.content.program import preview_text
from bot.domain.redflags import RedFlagDetector
from bot.storage.models import CheckIn, RedFlagEvent, Subscriber, UnansweredQuestion
from tests.conftest import OPERATOR_ID
from tests.e2e import eventually


def flat(markdown: str) -> str:
    """A Markdown text as the subscriber reads it (bold markers gone, one line)."""
    return " ".join(re.sub(r"\*\*|_", "", markdown).split())


def is_reply(message, markdown: str) -> bool:
    return message.text == preview_text(markdown)


async def red_flag_rows(bot) -> list[RedFlagEvent]:
    async with bot.runtime.deps.sessions() as session:
        return list((await session.execute(select(RedFlagEvent).order_by(RedFlagEvent.id))).scalars())


# The examples of issue 12, as a subscriber typed them, with the reply level they need.
ISSUE_EXAMPLES = [
    ("my legs feel numb and I can't feel when I go to the toilet", "saddle-numbness", "emergency"),
    ("it's numb down there and I can't feel myself wiping", "saddle-numbness", "emergency"),
    ("my bum is numb since yesterday", "saddle-numbness", "emergency"),
    ("I can't pee and my back is killing me", "trouble-passing-urine", "emergency"),
    ("I had breast cancer 3 years ago and now I have new back pain", "cancer-history", "prompt"),
    ("I've been on steroids for years and suddenly my back hurts", "steroids-osteoporosis", "prompt"),
    ("I inject drugs and my back hurts", "drugs-or-weak-immunity", "prompt"),
    ("the pain is worst at night and resting doesn't help", "night-pain", "prompt"),
    ("fever, chills and night sweats with my back pain", "fever-chills-sweats", "prompt"),
    ("I've lost a lot of weight without trying", "unexplained-weight-loss", "prompt"),
]


@pytest.mark.parametrize(("text", "flag_id", "level"), ISSUE_EXAMPLES)
def test_the_issues_examples_are_found_at_their_level(content, text, flag_id, level):
    flag = RedFlagDetector(content.safety.red_flags, content.safety.red_flag_words).detect(text)
    assert flag is not None and (flag.id, flag.level) == (flag_id, level)


async def test_free_text_gets_the_reply_of_its_level_instead_of_an_faq_answer(bot, content):
    user = bot.user(6001, "Rae")
    await bot.enrol(user)
    safety = content.safety
    for text, _flag_id, level in ISSUE_EXAMPLES:
        [answer] = await user.replies_after(user.send(text))
        assert is_reply(answer, safety.emergency_reply if level == "emergency" else safety.prompt_reply), text
    emergency = await user.replies_after(user.send(ISSUE_EXAMPLES[0][0]))
    assert emergency[0].entities[0]["type"] == "bold" and emergency[0].entities[0]["offset"] == 0
    assert "emergency number" in emergency[0].text and "emergency department" in emergency[0].text

    # A red flag next to an FAQ question: the safety reply, and nothing else.
    [answer] = await user.replies_after(user.send("What do my vitamin D numbers mean? Also I have a fevr and my back hurts"))
    assert is_reply(answer, safety.prompt_reply)
    await user.no_reply(0.2)
    rows = await red_flag_rows(bot)
    assert [r.flag_id for r in rows] == [f for _, f, _ in ISSUE_EXAMPLES] + ["saddle-numbness", "fever-chills-sweats"]
    assert [c.key for c in RedFlagEvent.__table__.columns] == ["id", "subscriber_id", "flag_id", "created_at"]
    async with bot.runtime.deps.sessions() as session:
        assert (await session.execute(select(UnansweredQuestion))).scalars().all() == []


async def test_a_question_about_a_sign_gets_the_warning_signs_not_an_alarm(bot, content):
    user = bot.user(6004, "Kit")
    await bot.enrol(user)
    for text in ("what if I lose bladder control?", "Is it serious if I can't pee?", "could night sweats be a sign of something?",
                 "when should I see a doctor?", "What are the warning signs?"):
        [answer] = await user.replies_after(user.send(text))
        assert is_reply(answer, content.safety.warning_signs), text
    assert await red_flag_rows(bot) == []
    # Negated: no alarm either; the FAQ answers.
    [answer] = await user.replies_after(user.send("No numbness in my groin. What do my vitamin D numbers mean?"))
    assert answer.text.startswith("What do my vitamin D numbers mean?")
    assert await red_flag_rows(bot) == []


async def test_notes_on_pain_and_level_are_checked(bot, content):
    user = bot.user(6005, "Lou")
    await bot.enrol(user)
    # The issue's example: the check-in is saved, and the emergency reply comes first.
    urgent, saved = await user.replies_after(user.command("/pain 8 numb groin and I can't control my bladder"), count=2)
    assert is_reply(urgent, content.safety.emergency_reply)
    assert "8/10" in saved.text and "note is saved" in saved.text
    urgent, saved = await user.replies_after(user.command("/level 30 ng/mL I fell down the stairs"), count=2)
    assert is_reply(urgent, content.safety.emergency_reply)
    assert "didn't understand" in saved.text  # the level itself is still refused, as before
    [plain_pain] = await user.replies_after(user.command("/pain 3 stiff after sitting"))
    assert "3/10" in plain_pain.text
    rows = await red_flag_rows(bot)
    assert [r.flag_id for r in rows] == ["bladder-bowel-control", "fall-or-injury"]
    async with bot.runtime.deps.sessions() as session:
        [checkin] = (await session.execute(select(CheckIn))).scalars().all()
    assert checkin.score == 3  # the later check-in of the day replaced the first


async def test_enrolment_answers_are_checked_and_the_signs_follow_consent(bot, content):
    stranger = bot.user(6002, "Sol")
    [answer] = await stranger.replies_after(stranger.send("I slipped on the ice and fell, my back is agony"))
    assert is_reply(answer, content.safety.emergency_reply)

    half = bot.user(6003, "Tom")  # mid-enrolment: the bot is waiting for a time zone
    await half.command("/start")
    await half.next_reply()
    await half.press("✅ I agree")
    zone_question, _ = await half.replies(2)
    # The warning signs, once, with the first question after consent.
    assert preview_text(content.safety.warning_signs) in zone_question.text
    [answer] = await half.replies_after(half.send("my legs are giving way"))
    assert is_reply(answer, content.safety.emergency_reply)

    async def two_events():
        rows = await red_flag_rows(bot)
        return rows if len(rows) == 2 else None

    rows = await eventually(two_events)
    async with bot.runtime.deps.sessions() as session:
        tom = (await session.execute(select(Subscriber).where(Subscriber.telegram_user_id == half.id))).scalar_one()
    # Someone unknown is counted anonymously; Tom has consented, so his is his until /forget.
    assert [(r.flag_id, r.subscriber_id) for r in rows] == [("fall-or-injury", None), ("new-leg-weakness", tom.id)]
    assert tom.awaiting == "timezone"  # the red flag did not disturb his enrolment

    operator = bot.user(OPERATOR_ID, "Op")
    [stats] = await operator.replies_after(operator.command("/stats"))
    assert "Red flags:" in stats.text and "(total 2)" in stats.text

    # /forget deletes Tom, but the counts stay: unlinked and anonymous.
    await half.command("/forget")
    await half.next_reply()
    await half.press("Yes, delete everything")
    await half.next_reply()
    rows = await red_flag_rows(bot)
    assert [(r.flag_id, r.subscriber_id) for r in rows] == [("fall-or-injury", None), ("new-leg-weakness", None)]
    [stats] = await operator.replies_after(operator.command("/stats"))
    assert "(total 2)" in stats.text


async def test_help_shows_the_signs_both_units_and_no_morning_promise(bot, content):
    user = bot.user(6006, "Ada")
    [help_text] = await user.replies_after(user.command("/help"))
    text = " ".join(help_text.text.split())
    assert "each morning" not in text.lower()
    assert "/level 24 ng/mL" in text and "/level 60 nmol/L" in text
    assert "Get emergency care now" in text and "See a doctor promptly" in text
    assert "Disclaimer:" in text
