"""Free text: red flags first, then a typed answer the bot was waiting for, then the FAQ."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.content.models import FaqEntry
from bot.telegram.handlers.enrolment import ask_consent, time_text, timezone_text
from bot.telegram.runtime import reply, runtime

FAQ_PREFIX = "faq:"


def _question_buttons(entries: tuple[FaqEntry, ...] | list[FaqEntry]):
    return [[(entry.question, f"{FAQ_PREFIX}{entry.id}")] for entry in entries]


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    text = update.effective_message.text or ""
    user_id = update.effective_user.id
    flag = rt.questions.red_flag_in(text)
    if flag is not None:  # safety before anything else, even mid-enrolment
        await rt.questions.record_red_flag(user_id, flag)
        await reply(update, context, rt.deps.content.safety.reply_for(flag))
        return
    if rt.questions.sign_asked_about(text) is not None:  # "what if I can't pee?": the signs, no alarm
        await reply(update, context, rt.deps.content.safety.warning_signs)
        return
    snapshot = await rt.subscriptions.get(user_id)
    if snapshot is not None and snapshot.awaiting == "timezone":
        await timezone_text(update, context, text)
        return
    if snapshot is not None and snapshot.awaiting == "time":
        await time_text(update, context, text)
        return
    if snapshot is not None and snapshot.awaiting == "consent":
        await reply(update, context, "Before we start, please read the disclaimer and tap **I agree** (or **No, thanks**).")
        await ask_consent(update, context)
        return
    answer = await rt.questions.ask(user_id, text)
    if answer.kind == "red_flag":
        await reply(update, context, rt.deps.content.safety.reply_for(answer.red_flag))
    elif answer.kind == "answer":
        await _send_answer(update, context, answer.entry)
    elif answer.kind == "smalltalk":
        await reply(update, context, answer.smalltalk.reply)
    else:
        await reply(
            update, context,
            "I'm not sure I have an answer to that. Is it one of these? Or send /faq to see every "
            "question I can answer.",
            _question_buttons(answer.suggestions[:3]),
        )


async def _send_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, entry: FaqEntry) -> None:
    await reply(update, context, f"**{entry.question}**\n\n{entry.answer}")


async def faq_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    faq = runtime(context).deps.content.faq
    await reply(update, context, "Here's what I can answer — tap a question:", _question_buttons(faq))


async def faq_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    entry = runtime(context).deps.content.faq_entry(query.data.removeprefix(FAQ_PREFIX))
    if entry is None:
        await query.answer("That question is no longer available — see /faq.")
        return
    await query.answer()
    await _send_answer(update, context, entry)
