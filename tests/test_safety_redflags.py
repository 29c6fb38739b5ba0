"""Red flags with the REAL content: the phrases people write fire, near misses and negations don't,
and end to end the urgent reply wins over the FAQ and only the flag and the time are stored."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.domain.redflags import RedFlagDetector
from bot.storage.models import RedFlagEvent, Subscriber, UnansweredQuestion
from tests.conftest import OPERATOR_ID
from tests.e2e import eventually


@pytest.fixture(scope="module")
def detector(content):
    return RedFlagDetector(content.safety.red_flags)


POSITIVES = [
    # loss of bladder or bowel control
    ("I've lost control of my bladder since this morning", "bladder-bowel-control"),
    ("I can't control my bowels anymore", "bladder-bowel-control"),
    ("since yesterday I cant controll my bladdr", "bladder-bowel-control"),  # typos
    ("I wet myself twice today and my back is killing me", "bladder-bowel-control"),
    ("INCONTINENCE started last week", "bladder-bowel-control"),
    ("having problems controlling my bladder", "bladder-bowel-control"),
    # numbness in the groin or saddle area
    ("my groin is numb", "saddle-numbness"),
    ("numbness in my groin and back pain", "saddle-numbness"),
    ("I have saddle numbness", "saddle-numbness"),
    ("My bottom and inner thighs feel numb", "saddle-numbness"),
    ("tingling and numbness between my legs", "saddle-numbness"),
    # new leg weakness
    ("my legs are weak", "new-leg-weakness"),
    ("Sudden weakness in both legs", "new-leg-weakness"),
    ("my leg keeps giving way on the stairs", "new-leg-weakness"),
    ("my legs are getting weaker", "new-leg-weakness"),
    ("I think I've got foot drop", "new-leg-weakness"),
    # fever with back pain
    ("I have a fever and my back hurts", "fever-with-back-pain"),
    ("fevr with bad backpain", "fever-with-back-pain"),
    ("I've had a high temperature and back pain since Monday", "fever-with-back-pain"),
    ("running a fever, back aches", "fever-with-back-pain"),
    ("chills with back pain", "fever-with-back-pain"),
    # unexplained weight loss
    ("I've lost weight without trying", "unexplained-weight-loss"),
    ("losing weight for no reason", "unexplained-weight-loss"),
    ("Unexplained weight loss this month", "unexplained-weight-loss"),
    ("sudden weight-loss and tired all the time", "unexplained-weight-loss"),
    # pain after a fall or injury
    ("I fell down the stairs and now my back hurts", "fall-or-injury"),
    ("I slipped on ice and fell", "fall-or-injury"),
    ("My back pain started after a fall", "fall-or-injury"),
    ("fell off a ladder yesterday", "fall-or-injury"),
    ("tripped and fell on my back", "fall-or-injury"),
    ("I fell and hurt my back", "fall-or-injury"),
    ("I fell over in the garden", "fall-or-injury"),
    ("car accident last week and my back pain is worse", "fall-or-injury"),
    ("I injured my back lifting boxes", "fall-or-injury"),
    ("back pain after an injury at work", "fall-or-injury"),
]

NEGATIVES = [
    # near misses: a red-flag word in another sense, or without what makes it a red flag
    "I read about fever",
    "Does vitamin D help with fever?",
    "in the fall my back is worse",
    "I took a fall class",
    "fall is my favourite season",
    "The leaves fall in autumn",
    "I feel down in the fall and winter",
    "I fell behind on my supplements",
    "I'm worried I might fall",
    "I want to lose weight",
    "I'm trying to lose weight, is vitamin D ok?",
    "Is weight loss good for back pain?",
    "my weight is stable",
    "my bladder is fine",
    "I drink lots of water and pee a lot",
    "My leg muscles are sore after exercise",
    "I feel weak and tired",
    "my back feels weak",
    "I accidentally took two capsules",
    "my back hurts when I sit",
    "What do my vitamin D numbers mean?",
    # negations
    "no numbness in my groin",
    "I have no fever but my back hurts",
    "I never had a fever with my back pain",
    "my legs are not weak",
    "no leg weakness, just stiffness",
    "I haven't lost control of my bladder",
    "I don't have any incontinence",
    "I haven't lost weight without trying, I've been dieting",
    "I didn't fall, it just started hurting",
]


@pytest.mark.parametrize(("text", "flag_id"), POSITIVES)
def test_red_flags_people_write_are_found(detector, text, flag_id):
    flag = detector.detect(text)
    assert flag is not None and flag.id == flag_id


@pytest.mark.parametrize("text", NEGATIVES)
def test_near_misses_and_negations_are_not_red_flags(detector, text):
    assert detector.detect(text) is None


def test_every_flag_of_the_spec_is_covered_and_ids_are_kebab_case(content):
    ids = [flag.id for flag in content.safety.red_flags]
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", flag_id) for flag_id in ids), ids
    assert {flag_id for _, flag_id in POSITIVES} == set(ids)


def test_no_phrase_hangs_on_one_everyday_word(content):
    """A one-word phrase fires on any mention of the word ("I read about fever")."""
    specific = {"incontinence", "incontinent"}  # words with only the red-flag meaning
    for flag in content.safety.red_flags:
        for phrase in flag.phrases:
            alone = RedFlagDetector([flag.model_copy(update={"phrases": [phrase]})])
            assert alone.detect(phrase) is not None, phrase
            if phrase not in specific:
                assert [w for w in phrase.split() if alone.detect(f"I read about {w}")] == [], phrase


# ---- end to end ------------------------------------------------------------------------------


async def red_flag_rows(bot) -> list[RedFlagEvent]:
    async with bot.runtime.deps.sessions() as session:
        return list((await session.execute(select(RedFlagEvent).order_by(RedFlagEvent.id))).scalars())


async def test_the_urgent_reply_wins_over_the_faq_and_only_the_flag_is_stored(bot, content):
    user = bot.user(6001, "Rae")
    await bot.enrol(user)
    urgent = " ".join(content.safety.urgent_reply.replace("**", "").split())

    # A FAQ question alone gets the answer ...
    [answer] = await user.replies_after(user.send("What do my vitamin D numbers mean?"))
    assert answer.text.startswith("What do my vitamin D numbers mean?")
    # ... with a red flag in it, the urgent reply instead, and nothing else.
    at = bot.clock.now()
    [answer] = await user.replies_after(user.send("What do my vitamin D numbers mean? Also I have a fevr and my back hurts"))
    assert answer.text == urgent
    assert answer.entities[0]["type"] == "bold" and answer.entities[0]["offset"] == 0  # renders bold
    await user.no_reply(0.2)

    [event] = await red_flag_rows(bot)
    async with bot.runtime.deps.sessions() as session:
        subscriber_id = (await session.execute(select(RedFlagEvent.subscriber_id))).scalar_one()
        questions = (await session.execute(select(UnansweredQuestion))).scalars().all()
    assert (event.flag_id, event.created_at) == ("fever-with-back-pain", at)
    assert subscriber_id is not None  # tied to the subscriber, so /forget deletes it
    # Only the flag and the time: no column could hold the message.
    assert [c.key for c in RedFlagEvent.__table__.columns] == ["id", "subscriber_id", "flag_id", "created_at"]
    assert questions == []

    # A negated symptom is not a red flag: the FAQ answers.
    [answer] = await user.replies_after(user.send("No numbness in my groin. What do my vitamin D numbers mean?"))
    assert answer.text.startswith("What do my vitamin D numbers mean?")
    assert len(await red_flag_rows(bot)) == 1


async def test_red_flags_are_answered_before_enrolment_and_counted_for_operators(bot, content):
    stranger = bot.user(6002, "Sol")
    [answer] = await stranger.replies_after(stranger.send("I slipped on the ice and fell, my back is agony"))
    assert "seek medical care now" in answer.text.lower()

    half = bot.user(6003, "Tom")  # mid-enrolment: the bot is waiting for a time zone
    await half.command("/start")
    await half.next_reply()
    await half.press("✅ I agree")
    await half.replies(2)
    [answer] = await half.replies_after(half.send("my legs are giving way"))
    assert "seek medical care now" in answer.text.lower()

    async def two_events():
        rows = await red_flag_rows(bot)
        return rows if len(rows) == 2 else None

    rows = await eventually(two_events)
    async with bot.runtime.deps.sessions() as session:
        tom = (await session.execute(select(Subscriber).where(Subscriber.telegram_user_id == half.id))).scalar_one()
    # Someone unknown is counted anonymously; Tom has consented, so his is his (and /forget finds it).
    assert [(r.flag_id, r.subscriber_id) for r in rows] == [("fall-or-injury", None), ("new-leg-weakness", tom.id)]
    assert tom.awaiting == "timezone"  # the red flag did not disturb his enrolment

    operator = bot.user(OPERATOR_ID, "Op")
    [stats] = await operator.replies_after(operator.command("/stats"))
    assert "Red flags:" in stats.text and "(total 2)" in stats.text
    for flag in ("fall-or-injury", "new-leg-weakness"):
        assert flag in stats.text


@pytest.mark.parametrize("text", ["In the fall my back pain is worse", "back pain worse in the fall and winter"])
def test_the_season_is_not_a_fall(text, content):
    from bot.domain.redflags import RedFlagDetector

    assert RedFlagDetector(content.safety.red_flags).detect(text) is None
