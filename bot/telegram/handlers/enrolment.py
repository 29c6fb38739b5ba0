"""Enrolment and the subscriber's settings: /start, consent, time zone, delivery time, /stop,
/pause, /resume, and the blocked/unblocked signal from Telegram.

The step a subscriber is at lives in the database (`awaiting`), not in a ConversationHandler, so
a restart in the middle of enrolment loses nothing."""

from __future__ import annotations

from datetime import time

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ChatMemberStatus

from bot.content.render import plain_text
from bot.domain.parsing import ParseError, parse_delivery_time
from bot.domain.state import Action, StartOutcome, Status, Step, enrolment_step, may
from bot.domain.timezones import ABBREVIATIONS, COMMON_ZONES, ZoneOptions, parse_place, timezone_at, zone_for_key
from bot.services.subscriptions import Snapshot
from bot.telegram.runtime import (
    Context,
    chat_of,
    message_of,
    query_of,
    remove_buttons,
    reply,
    reply_not_enrolled,
    runtime,
    user_of,
)

TIME_CHOICES = ("06:00", "07:00", "08:00", "09:00", "12:00", "18:00", "20:00", "21:00")


def consent_keyboard():
    return [[("✅ I agree", "consent:yes"), ("No, thanks", "consent:no")]]


def zone_keyboard():
    buttons = [(label, f"tz:{key}") for label, key in COMMON_ZONES]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def time_keyboard():
    buttons = [(t, f"time:{t}") for t in TIME_CHOICES]
    return [buttons[i : i + 4] for i in range(0, len(buttons), 4)]


def describe_schedule(snapshot: Snapshot) -> str:
    return f"{snapshot.delivery_time:%H:%M} ({snapshot.timezone})"


async def ask_consent(update: Update, context: Context) -> None:
    safety = runtime(context).deps.content.safety
    await reply(update, context, f"{safety.disclaimer}\n\n{safety.consent_prompt}", consent_keyboard())

# Telegram objects are immutable: one of each serves every reply (its JSON is made once).
SHARE_LOCATION = ReplyKeyboardMarkup(
    [[KeyboardButton("📍 Share my location", request_location=True)]], resize_keyboard=True, one_time_keyboard=True
)
NO_REPLY_KEYBOARD = ReplyKeyboardRemove()


async def ask_timezone(update: Update, context: Context, intro: str = "") -> None:
    await reply(
        update,
        context,
        f"{intro}Which time zone are you in? Tap one below, or type it — for example "
        "`Europe/Berlin` or `UTC+2`.",
        zone_keyboard(),
    )
    await reply(
        update, context, "Or share your location and I'll work it out (only the time zone is kept).",
        reply_markup=SHARE_LOCATION,
    )


async def ask_time(update: Update, context: Context, intro: str = "") -> None:
    await reply(
        update,
        context,
        f"{intro}What time should each day's message arrive? Tap a time, or type one like `07:30`.",
        time_keyboard(),
    )


async def start(update: Update, context: Context) -> None:
    rt = runtime(context)
    state, snapshot = await rt.subscriptions.start(user_of(update).id, chat_of(update).id)
    days = rt.deps.content.program_length
    if state == StartOutcome.ASK_CONSENT:
        await ask_consent(update, context)
    elif state == StartOutcome.ASK_TIMEZONE:
        await ask_timezone(update, context, "Let's finish setting up. ")
    elif state == StartOutcome.ASK_TIME:
        await ask_time(update, context, "Let's finish setting up. ")
    elif state == StartOutcome.RESUMED:
        await reply(update, context, f"Welcome back! Daily messages are on again, at {describe_schedule(snapshot)}.")
        await rt.delivery.deliver_now(snapshot.id)
    elif state == StartOutcome.PAUSED:
        await reply(
            update, context,
            f"You're enrolled and on Day {snapshot.program_day} of {days}, but paused. Send /resume to continue.",
        )
    elif state == StartOutcome.COMPLETED:
        await reply(
            update,
            context,
            f"You've completed the {days}-day program. /progress shows your summary, and questions are always welcome.",
        )
    else:
        await reply(
            update, context,
            f"You're already enrolled — Day {snapshot.program_day} of {days} so far, delivered daily at "
            f"{describe_schedule(snapshot)}. /today shows today's material again; /help lists everything.",
        )


async def consent_answer(update: Update, context: Context) -> None:
    query = query_of(update)
    await query.answer()
    agreed = query.data == "consent:yes"
    snapshot = await runtime(context).subscriptions.answer_consent(
        user_of(update).id, user_of(update).first_name, agreed
    )
    await remove_buttons(context, query)
    if not agreed:
        await reply(update, context, "No problem — nothing about you has been kept. Send /start whenever you'd like to join.")
    elif snapshot is None:
        await reply_not_enrolled(update, context)
    elif snapshot.awaiting == Step.TIMEZONE:
        # The warning signs once, right after consent, with the first setup question.
        signs = runtime(context).deps.content.safety.warning_signs
        await ask_timezone(update, context, f"Thank you. Before we set up, please keep this in mind:\n\n{signs}\n\n")


async def _apply_timezone(update: Update, context: Context, zone_key: str) -> None:
    rt = runtime(context)
    settled = await rt.subscriptions.set_timezone(user_of(update).id, zone_key)
    snapshot = settled.snapshot
    if snapshot is None:
        await reply_not_enrolled(update, context)
        return
    if not settled.applied:  # consent comes first
        await reply(update, context, "Please accept the disclaimer above first (or send /start to see it again).")
        return
    local_now = rt.deps.clock.now().astimezone(zone_for_key(zone_key))
    done = f"Time zone set to **{zone_key}** (it's {local_now:%H:%M} there now)."
    await reply(update, context, done, reply_markup=NO_REPLY_KEYBOARD)
    if enrolment_step(snapshot.status, snapshot.awaiting) == Step.TIME:
        await ask_time(update, context)
    else:
        await reply(update, context, f"Your daily message now arrives at {describe_schedule(snapshot)}.")
        await rt.delivery.deliver_now(snapshot.id)  # today's day, if the new time has passed


async def _apply_time(update: Update, context: Context, at: time) -> None:
    rt = runtime(context)
    settled = await rt.subscriptions.set_delivery_time(user_of(update).id, at)
    snapshot = settled.snapshot
    if snapshot is None:
        await reply_not_enrolled(update, context)
        return
    if not settled.applied:
        await reply(update, context, "Let's do the time zone first — then the time.")
        step = enrolment_step(snapshot.status, snapshot.awaiting)
        await ask_timezone(update, context) if step == Step.TIMEZONE else await ask_consent(update, context)
        return
    if settled.completed:
        try:
            await reply(
                update, context,
                f"You're all set! Each day of the program arrives at {describe_schedule(snapshot)}. "
                "Here is Day 1:",
            )
        finally:
            # Claimed with the enrolment's last step: sent (or released) even if the reply above
            # failed, rather than left claimed until its lease ends.
            if settled.day_one is not None:
                await rt.delivery.deliver_claimed(settled.day_one)
        if settled.day_one is None:
            await rt.delivery.deliver_now(snapshot.id)
    else:
        await reply(update, context, f"Done: your daily message now arrives at {describe_schedule(snapshot)}.")
        await rt.delivery.deliver_now(snapshot.id)  # today's day, if the new time has passed


async def _setting_command(update: Update, context: Context, what: Step, ask, apply) -> None:
    """`/timezone X` and `/time X` apply X; without it, they ask and wait for the typed answer."""
    text = " ".join(context.args or [])
    if text:
        await apply(update, context, text)
        return
    if not await runtime(context).subscriptions.ask(user_of(update).id, what):
        await reply_not_enrolled(update, context)
        return
    await ask(update, context)


async def timezone_command(update: Update, context: Context) -> None:
    await _setting_command(update, context, Step.TIMEZONE, ask_timezone, timezone_text)


async def timezone_text(update: Update, context: Context, text: str) -> None:
    parsed = parse_place(text)
    if isinstance(parsed, ParseError):
        await reply(update, context, plain_text(parsed.message))
        return
    if isinstance(parsed, ZoneOptions):
        now = runtime(context).deps.clock.now()
        buttons = [
            (f"{label} ({now.astimezone(zone_for_key(key)):%H:%M})", f"tz:{key}") for label, key in parsed.options
        ]
        await reply(
            update, context,
            f"{parsed.place} has several time zones. Which one is yours? (The local time is shown.)",
            [buttons[i : i + 2] for i in range(0, len(buttons), 2)],
        )
        return
    if text.strip().lower() in ABBREVIATIONS:
        city = parsed.key.rsplit("/", 1)[1].replace("_", " ")
        await reply(update, context, f"{text.strip().upper()}: I'll use {city} time, which follows its daylight saving.")
    await _apply_timezone(update, context, parsed.key)


async def timezone_button(update: Update, context: Context) -> None:
    await query_of(update).answer()
    # Parsed like typed text, so a forged or outdated button gets the same friendly refusal.
    await timezone_text(update, context, (query_of(update).data or "").removeprefix("tz:"))


async def location(update: Update, context: Context) -> None:
    where = message_of(update).location
    if where is None:  # the handler's filter lets only locations through
        return
    zone = timezone_at(where.latitude, where.longitude)
    if zone is None:
        await reply(
            update, context, "I couldn't tell the time zone from that location. Please type it, e.g. `Europe/Berlin` or `UTC+2`.",
        )
        return
    await _apply_timezone(update, context, zone)


async def time_command(update: Update, context: Context) -> None:
    await _setting_command(update, context, Step.TIME, ask_time, time_text)


async def time_text(update: Update, context: Context, text: str) -> None:
    parsed = parse_delivery_time(text)
    if isinstance(parsed, ParseError):
        await reply(update, context, plain_text(parsed.message))
        return
    await _apply_time(update, context, parsed)


async def time_button(update: Update, context: Context) -> None:
    await query_of(update).answer()
    await time_text(update, context, (query_of(update).data or "").removeprefix("time:"))


async def stop(update: Update, context: Context) -> None:
    snapshot = await runtime(context).subscriptions.stop(user_of(update).id)
    if snapshot is None:
        await reply(update, context, "You're unsubscribed: I won't send you anything. /start brings you back any time.")
    else:
        await reply(
            update,
            context,
            "You're unsubscribed: no more messages from me. Your progress is kept — /start picks up where you "
            "left off, and /forget deletes everything.",
        )


async def pause(update: Update, context: Context) -> None:
    rt = runtime(context)
    before = await rt.subscriptions.get(user_of(update).id)
    if before is None:
        await reply_not_enrolled(update, context)
    elif not may(before.status, before.awaiting, Action.PAUSE):  # said as it is, not as if it had just happened
        await reply(update, context, _cannot(before, "pause"))
    else:
        snapshot = await rt.subscriptions.pause(user_of(update).id)
        if snapshot is None:  # /forget in between
            await reply_not_enrolled(update, context)
            return
        await reply(
            update,
            context,
            f"Paused after Day {snapshot.program_day}. Send /resume when you're ready — the program continues "
            "where it stopped.",
        )


async def resume(update: Update, context: Context) -> None:
    rt = runtime(context)
    before = await rt.subscriptions.get(user_of(update).id)
    if before is None:
        await reply_not_enrolled(update, context)
    elif not may(before.status, before.awaiting, Action.RESUME):
        await reply(update, context, _cannot(before, "resume"))
    else:
        snapshot = await rt.subscriptions.resume(user_of(update).id)
        if snapshot is None:  # /forget in between
            await reply_not_enrolled(update, context)
            return
        next_day = min(snapshot.program_day + 1, rt.deps.content.program_length)
        await reply(update, context, f"Welcome back! The program continues with Day {next_day}.")
        await rt.delivery.deliver_now(snapshot.id)  # today's day at once, if none came today


def _cannot(snapshot: Snapshot, what: str) -> str:
    messages: dict[str, str] = {
        Status.ENROLLING: "Let's finish enrolling first — send /start.",
        Status.STOPPED: "You're unsubscribed. Send /start to come back.",
        Status.COMPLETED: "You've completed the program, so there's nothing to " + what + ".",
        Status.ACTIVE: "Daily messages are already on.",
        Status.PAUSED: "You're already paused. /resume continues.",
    }
    return messages.get(snapshot.status, "That isn't possible right now.")


async def membership(update: Update, context: Context) -> None:
    """Telegram tells us when a subscriber blocks or unblocks the bot."""
    change = update.my_chat_member
    if change is None:
        return
    blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    await runtime(context).subscriptions.set_blocked(change.chat.id, blocked)
