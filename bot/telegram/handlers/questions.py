"""Questions: the FAQ (/faq and its buttons), and the answer to a question in free text (an FAQ
entry, a referral, small talk, or "I'm not sure" with the closest questions as buttons). Free text
reaches `answer_question` through bot/telegram/freetext.py, which routes it."""

from __future__ import annotations

from telegram import Update

from bot.content.models import FaqEntry
from bot.services.questions import Reply
from bot.telegram.runtime import Context, query_of, reply, runtime, user_of

FAQ_PREFIX = "faq:"

REFERRAL_OPENERS = {
    "dose-for-someone": "A dose for a particular person is for their own doctor or pharmacist to set.",
    "supplements": "Other supplements, and how much of each to take, are outside what this program covers.",
    "pregnancy": "Pregnancy and breastfeeding are outside what this program covers.",
    "children": "Children's health is outside what this program covers.",
    "medicines": "Other medicines, and how they combine with vitamin D, are outside what this program covers.",
    "conditions": "Other health conditions are outside what this program covers.",
    "diagnosis": "I can't tell what is causing your pain: only a clinician who examines you can.",
    "about-the-bot": (
        "I'm not a doctor or a person: I'm an automated educational program, built from one article "
        "about vitamin D and back pain. I don't sell anything."
    ),
    "other-treatments": "Treatments other than the article's own program are outside what this program covers.",
}
REFERRAL = "**This program can't advise on that; please ask your doctor or pharmacist.**"


def _question_buttons(entries: tuple[FaqEntry, ...] | list[FaqEntry]):
    return [[(entry.question, f"{FAQ_PREFIX}{entry.id}")] for entry in entries]


async def answer_question(update: Update, context: Context, text: str) -> None:
    rt = runtime(context)
    answer: Reply = await rt.questions.ask(user_of(update).id, text)
    if answer.kind == "red_flag" and answer.red_flag is not None:
        await reply(update, context, rt.deps.content.safety.reply_for(answer.red_flag))
    elif answer.kind == "answer" and answer.entry is not None:
        await _send_answer(update, context, answer.entry)
    elif answer.kind == "referral":
        opener = REFERRAL_OPENERS.get(answer.referral or "", "")
        disclaimer = rt.deps.content.safety.disclaimer.strip()
        await reply(update, context, f"{opener} {REFERRAL}\n\n{disclaimer}".strip())
    elif answer.kind == "smalltalk" and answer.smalltalk is not None:
        await reply(update, context, answer.smalltalk.reply)
    else:
        await reply(
            update, context,
            "I'm not sure I have an answer to that. Is it one of these? Or send /faq to see every "
            "question I can answer.",
            _question_buttons(answer.suggestions[:3]),
        )


async def _send_answer(update: Update, context: Context, entry: FaqEntry) -> None:
    await reply(update, context, f"**{entry.question}**\n\n{entry.answer}")


async def faq_command(update: Update, context: Context) -> None:
    faq = runtime(context).deps.content.faq
    await reply(update, context, "Here's what I can answer — tap a question:", _question_buttons(faq))


async def faq_button(update: Update, context: Context) -> None:
    query = query_of(update)
    entry = runtime(context).deps.content.faq_entry((query.data or "").removeprefix(FAQ_PREFIX))
    if entry is None:
        await query.answer("That question is no longer available — see /faq.")
        return
    await query.answer()
    await _send_answer(update, context, entry)
