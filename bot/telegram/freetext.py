"""Free text (not a command), routed in one order:

1. red flags (safety before everything, even mid-enrolment);
2. a reply to what the bot just asked: consent, a time zone or a time during a settings step
   (a clear question is answered instead, and the step asked again), or a pain score straight
   after today's check-in prompt (saved at once);
3. a check-in in words ("my back is a 6 today"): confirmed with buttons before it is saved;
4. the FAQ; questions the article cannot answer get a referral; small talk;
5. otherwise "I'm not sure", with the closest FAQ questions as buttons.

Like bot/telegram/commands.py this is a dispatcher: it picks the feature's handler, and the
handlers themselves never import one another.
"""

from __future__ import annotations

import re

from telegram import Update

from bot.domain.checkins import parse_checkin_words
from bot.domain.parsing import ParseError, parse_delivery_time
from bot.domain.state import Step
from bot.domain.timezones import parse_place
from bot.telegram.handlers import enrolment, questions, tracking
from bot.telegram.runtime import Context, message_of, reply, runtime, user_of

_LOOKS_LIKE_A_TIME = re.compile(r"\d{1,2}\s*[:.h]\s*\d{2}(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?", re.IGNORECASE)

_QUESTION_START = re.compile(
    r"(?:what|whats|how|why|when|where|who|which|can|could|should|is|are|do|does|did|will|would|am|"
    r"may|tell me|explain)\b",
    re.IGNORECASE,
)


def clearly_a_question(text: str) -> bool:
    stripped = text.strip()
    return stripped.endswith("?") or _QUESTION_START.match(stripped) is not None


async def on_text(update: Update, context: Context) -> None:
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
        await enrolment.ask_consent(update, context)
        return
    if awaiting == Step.TIMEZONE:
        if isinstance(parse_place(text), ParseError) and clearly_a_question(text):
            await questions.answer_question(update, context, text)
            await reply(
                update, context, "When you're ready, tell me your time zone — a city, a country or a zone like `Europe/Berlin`.",
            )
            return
        await enrolment.timezone_text(update, context, text)
        return
    if awaiting == Step.TIME:
        if isinstance(parse_delivery_time(text), ParseError) and clearly_a_question(text):
            await questions.answer_question(update, context, text)
            await reply(update, context, "When you're ready, tell me the time for your daily message, like `07:30`.")
            return
        await enrolment.time_text(update, context, text)
        return
    if snapshot is not None and _LOOKS_LIKE_A_TIME.fullmatch(text.strip()):
        at = parse_delivery_time(text)
        if not isinstance(at, ParseError):  # "07:30" after enrolment: a new delivery time?
            await reply(
                update, context, f"Would you like each day's message at **{at:%H:%M}** from now on?",
                [[(f"Yes, at {at:%H:%M}", f"time:{at:%H:%M}"), ("No", f"{tracking.CHECKIN_PREFIX}keep")]],
            )
            return
    checkin = parse_checkin_words(text)
    if checkin is not None and snapshot is not None:
        if checkin.note is None and await rt.questions.awaits_pain_score(user_id):
            await tracking.record_pain(update, context, checkin.score, None)  # the answer to today's prompt
            return
        await tracking.confirm_checkin(update, context, checkin.score, checkin.note)
        return
    await questions.answer_question(update, context, text)
