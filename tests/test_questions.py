"""Questions in a subscriber's own words, end to end: an answer, an unsure reply with the three
closest questions as buttons, /faq and its buttons, small talk, and unanswered questions kept for
operators."""

from __future__ import annotations

from sqlalchemy import select

from bot.content.program import preview_text
from bot.storage.models import UnansweredQuestion
from tests.e2e import eventually


async def unanswered(bot) -> list[str]:
    async with bot.runtime.deps.sessions() as session:
        return list((await session.execute(select(UnansweredQuestion.text))).scalars())


async def test_a_question_in_own_words_gets_the_faq_answer(bot, content):
    ann = bot.user(2001, "Ann")
    await bot.enrol(ann)
    await ann.send("does low vit d actually cause back pain??")
    answer = await ann.next_reply()
    entry = next(e for e in content.faq if "really cause back pain" in e.question)
    assert answer.text.startswith(entry.question)
    assert "bones, muscles, nerves, and inflammation" in answer.text
    assert await unanswered(bot) == []


async def test_an_unknown_question_offers_the_closest_three_and_is_kept_for_operators(bot, content):
    ben = bot.user(2002, "Ben")
    await bot.enrol(ben)
    await ben.send("what is the best mattress brand for my spine")
    unsure = await ben.next_reply()
    assert "not sure" in unsure.text and "/faq" in unsure.text
    buttons = ben.buttons(unsure)
    assert len(buttons) == 3
    assert all(b in [e.question for e in content.faq] for b in buttons)
    assert await eventually(lambda: unanswered(bot)) == ["what is the best mattress brand for my spine"]
    await ben.press(buttons[0])
    answer = await ben.next_reply()
    assert answer.text.startswith(buttons[0])


async def test_faq_lists_every_question_and_answers_the_one_pressed(bot, content):
    cy = bot.user(2003, "Cy")
    await cy.command("/faq")
    listing = await cy.next_reply()
    assert cy.buttons(listing) == [e.question for e in content.faq]
    last = content.faq[-1]
    await cy.press(last.question)
    answer = await cy.next_reply()
    assert answer.text.startswith(last.question)


async def test_greetings_and_thanks_get_small_talk_not_an_answer(bot, content):
    di = bot.user(2004, "Di")
    await di.send("thx!!")
    reply = await di.next_reply()
    thanks = next(s for s in content.smalltalk if "thx" in [p.lower() for p in s.phrases] or "thanks" in s.id)
    assert reply.text == preview_text(thanks.reply)
    assert not di.buttons(reply)
    assert await unanswered(bot) == []


async def test_a_forged_faq_button_is_answered_kindly(bot):
    ed = bot.user(2005, "Ed")
    query_id = await ed.press_data("faq:no-such-question")
    answered = await eventually(lambda: _answered(ed, query_id))
    assert answered and "no longer available" in (answered.text or "")


async def _answered(user, query_id):
    return user.answer_to(query_id)
