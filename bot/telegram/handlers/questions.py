"""Free text, routed in one order:

1. red flags (safety before everything, even mid-enrolment);
2. a reply to what the bot just asked: consent, a time zone or a time during a settings step
   (a clear question is answered instead, and the step asked again), or a pain score straight
   after today's check-in prompt (saved at once);
3. a check-in in words ("my back is a 6 today"): confirmed with buttons before it is saved;
4. the FAQ; questions the article cannot answer get a referral; small talk;
5. otherwise "I'm not sure", with the closest FAQ questions as buttons.
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import ContextTypes

from bot.content.models import FaqEntry
from bot.content.render import plain_text
from bot.domain.checkins import parse_checkin_words
from bot.domain.parsing import ParseError, parse_delivery_time
from bot.domain.state import Step
from bot.domain.timezones import parse_place
from bot.services.questions import Reply
from bot.telegram.handlers.enrolment import ask_consent, time_text, timezone_text
from bot.telegram.handlers.tracking import record_pain
from bot.telegram.runtime import message_of, query_of, remove_buttons, reply, runtime, user_of

FAQ_PREFIX = "faq:"
CHECKIN_PREFIX = "ckn:"
CALLBACK_LIMIT = 64  # bytes of callback data Telegram accepts
_LOOKS_LIKE_A_TIME = re.compile(r"\d{1,2}\s*[:.h]\s*\d{2}(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?", re.IGNORECASE)

_QUESTION_START = re.compile(
    r"(?:what|whats|how|why|when|where|who|which|can|could|should|is|are|do|does|did|will|would|am|"
    r"may|tell me|explain)\b",
    re.IGNORECASE,
)

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


def clearly_a_question(text: str) -> bool:
    stripped = text.strip()
    return stripped.endswith("?") or _QUESTION_START.match(stripped) is not None


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    text = message_of(update).text or ""
    user_id = user_of(update).id
    flag = rt.questions.red_flag_in(text)
    if flag is not None:  # safety before anything else, even mid-enrolment
        await rt.questions.record_red_flag(user_id, flag)
        await reply(update, context, rt.deps.content.safety.reply_for(flag))
        return
    if rt.questions.sign_asked_about(text) is not None:  # "what if I can't pee?": the signs, no alarm
        await reply(update, context, rt.deps.content.safety.warning_signs)
        return
    snapshot = await rt.subscriptions.get(user_id)
    awaiting = snapshot.awaiting if snapshot is not None else None
    if awaiting == Step.CONSENT:
        await reply(update, context, "Before we start, please read the disclaimer and tap **I agree** (or **No, thanks**).")
        await ask_consent(update, context)
        return
    if awaiting == Step.TIMEZONE:
        if isinstance(parse_place(text), ParseError) and clearly_a_question(text):
            await _answer_question(update, context, text)
            await reply(
                update, context, "When you're ready, tell me your time zone — a city, a country or a zone like `Europe/Berlin`.",
            )
            return
        await timezone_text(update, context, text)
        return
    if awaiting == Step.TIME:
        if isinstance(parse_delivery_time(text), ParseError) and clearly_a_question(text):
            await _answer_question(update, context, text)
            await reply(update, context, "When you're ready, tell me the time for your daily message, like `07:30`.")
            return
        await time_text(update, context, text)
        return
    if snapshot is not None and _LOOKS_LIKE_A_TIME.fullmatch(text.strip()):
        at = parse_delivery_time(text)
        if not isinstance(at, ParseError):  # "07:30" after enrolment: a new delivery time?
            await reply(
                update, context, f"Would you like each day's message at **{at:%H:%M}** from now on?",
                [[(f"Yes, at {at:%H:%M}", f"time:{at:%H:%M}"), ("No", f"{CHECKIN_PREFIX}keep")]],
            )
            return
    checkin = parse_checkin_words(text)
    if checkin is not None and snapshot is not None:
        if checkin.note is None and await rt.questions.awaits_pain_score(user_id):
            await record_pain(update, context, checkin.score, None)  # the answer to today's prompt
            return
        await _confirm_checkin(update, context, checkin.score, checkin.note)
        return
    await _answer_question(update, context, text)


async def _answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
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


async def _confirm_checkin(update: Update, context: ContextTypes.DEFAULT_TYPE, score: int, note: str | None) -> None:
    data = f"{CHECKIN_PREFIX}{score}"
    if note:
        data = f"{data}:{note}".encode()[:CALLBACK_LIMIT].decode("utf-8", "ignore")
    shown = f" with the note “{plain_text(note)}”" if note else ""
    await reply(
        update, context,
        f"Shall I save **{score}/10** as today's back pain{shown}?",
        [[(f"Yes, save {score}/10", data), ("No", f"{CHECKIN_PREFIX}no")]],
    )


async def checkin_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = query_of(update)
    await query.answer()
    await remove_buttons(query)  # one answer per question
    score_text, _, note = (query.data or "").removeprefix(CHECKIN_PREFIX).partition(":")
    if score_text == "keep":
        await reply(update, context, "Okay, nothing changed.")
        return
    if score_text == "no":
        await reply(
            update, context, "Okay, nothing saved. Tap a number under today's message or send /pain when you want to check in.",
        )
        return
    if not score_text.isdigit() or not 0 <= int(score_text) <= 10:  # forged data: store nothing
        await reply(update, context, "That button isn't valid any more.")
        return
    await record_pain(update, context, int(score_text), note or None)


async def _send_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, entry: FaqEntry) -> None:
    await reply(update, context, f"**{entry.question}**\n\n{entry.answer}")


async def faq_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    faq = runtime(context).deps.content.faq
    await reply(update, context, "Here's what I can answer — tap a question:", _question_buttons(faq))


async def faq_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = query_of(update)
    entry = runtime(context).deps.content.faq_entry((query.data or "").removeprefix(FAQ_PREFIX))
    if entry is None:
        await query.answer("That question is no longer available — see /faq.")
        return
    await query.answer()
    await _send_answer(update, context, entry)
