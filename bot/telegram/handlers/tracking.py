"""Check-ins, vitamin D results, history, the progress chart, export and forget."""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.domain.levels import short_date
from bot.domain.parsing import LevelReading, NeedsUnitConfirmation, ParseError, confirm_unit, parse_level, parse_pain
from bot.domain.progress import EMPTY_TEXT, summarize, summary_markdown
from bot.services.chart import render_progress_chart
from bot.services.progress_data import load_points
from bot.services.tracking import NotEnrolled
from bot.storage.repositories import Subscribers
from bot.telegram.handlers.enrolment import NOT_ENROLLED
from bot.telegram.runtime import reply, runtime

PAIN_USAGE = "Tell me your back pain from 0 (none) to 10 (worst), e.g. `/pain 6` or `/pain 6 stiff after sitting`."


async def pain_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = " ".join(context.args)
    if not text:
        await reply(update, context, PAIN_USAGE)
        return
    parsed = parse_pain(text)
    if isinstance(parsed, ParseError):
        await reply(update, context, parsed.message)
        return
    await _record_pain(update, context, parsed.score, parsed.note)


async def pain_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    parsed = parse_pain(query.data.removeprefix("pain:"))
    if isinstance(parsed, ParseError):  # forged data: say nothing stored
        await query.answer("That button isn't valid any more.")
        return
    await query.answer(f"Saved: {parsed.score}/10")
    await _record_pain(update, context, parsed.score, None)


async def _record_pain(update: Update, context: ContextTypes.DEFAULT_TYPE, score: int, note: str | None) -> None:
    rt = runtime(context)
    try:
        recorded = await rt.tracking.record_pain(update.effective_user.id, score, note)
    except NotEnrolled:
        await reply(update, context, NOT_ENROLLED)
        return
    text = f"Got it: back pain *{recorded.score}/10* today ({short_date(recorded.local_date)})."
    if recorded.replaced is not None:
        text += f" This replaces today's earlier check-in ({recorded.replaced}/10) — one check-in per day counts."
    if note:
        text += " Your note is saved."
    text += " /progress shows your trend."
    await reply(update, context, text)
    if recorded.severe_streak:
        await reply(update, context, rt.deps.content.safety.severe_pain_reply)


async def level_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    today = await rt.tracking.today_for(update.effective_user.id)
    parsed = parse_level(" ".join(context.args), today=today)
    if isinstance(parsed, ParseError):
        await reply(update, context, parsed.message)
    elif isinstance(parsed, NeedsUnitConfirmation):
        value = f"{parsed.value:g}"
        stamp = parsed.taken_on.isoformat()
        await reply(
            update, context,
            f"{value} is unusually high in ng/mL. Was your result in nmol/L? (Lab reports show the unit next to the number.)",
            [[(f"{value} nmol/L", f"lvl:{value}:{stamp}:nmol"), (f"{value} ng/mL", f"lvl:{value}:{stamp}:ng")]],
        )
    else:
        await _record_level(update, context, parsed)


async def level_unit_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    try:
        _, value, stamp, unit = query.data.split(":")
        pending = NeedsUnitConfirmation(float(value), date.fromisoformat(stamp))
    except ValueError:
        await reply(update, context, "That button isn't valid any more. Please send `/level` again.")
        return
    await query.edit_message_reply_markup(None)
    reading = confirm_unit(pending, "nmol/L" if unit == "nmol" else "ng/mL")
    if isinstance(reading, ParseError):
        await reply(update, context, reading.message)
        return
    await _record_level(update, context, reading)


async def _record_level(update: Update, context: ContextTypes.DEFAULT_TYPE, reading: LevelReading) -> None:
    rt = runtime(context)
    try:
        recorded = await rt.tracking.record_level(update.effective_user.id, reading)
    except NotEnrolled:
        await reply(update, context, NOT_ENROLLED)
        return
    shown = f"{reading.original_value:g} {reading.original_unit}"
    if reading.original_unit != "ng/mL":
        shown += f" (= {reading.value_ng_ml:.1f} ng/mL)"
    lines = [f"Saved: vitamin D *{shown}* on {short_date(reading.taken_on)}.", "", f"*{recorded.band.label}*", recorded.band.meaning]
    if recorded.band.advice:
        lines += ["", recorded.band.advice]
    if recorded.change:
        lines += ["", f"That's {recorded.change}."]
    await reply(update, context, "\n".join(lines))


async def history_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send_history(update, context, 1)


async def history_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    try:
        page = int(update.callback_query.data.removeprefix("hist:"))
    except ValueError:
        return
    await _send_history(update, context, page)


async def _send_history(update: Update, context: ContextTypes.DEFAULT_TYPE, page: int) -> None:
    rt = runtime(context)
    try:
        history = await rt.tracking.history(update.effective_user.id, page)
    except NotEnrolled:
        await reply(update, context, NOT_ENROLLED)
        return
    if not history.checkins and not history.results:
        await reply(update, context, EMPTY_TEXT)
        return
    lines = [f"*Your check-ins* (page {history.page} of {history.pages}, newest first)"]
    lines += [
        f"• {short_date(c.local_date, with_year=True)}: {c.score}/10" + (f" — {c.note}" if c.note else "")
        for c in history.checkins
    ] or ["• none yet"]
    if history.page == 1:
        lines += ["", "*Vitamin D results*"]
        lines += [
            f"• {short_date(r.taken_on, with_year=True)}: {r.original_value:g} {r.original_unit}"
            + (f" ({r.value_ng_ml:.1f} ng/mL)" if r.original_unit != "ng/mL" else "")
            for r in history.results
        ] or ["• none yet — add one with `/level 24`"]
    buttons = []
    if history.page > 1:
        buttons.append(("‹ Newer", f"hist:{history.page - 1}"))
    if history.page < history.pages:
        buttons.append(("Older ›", f"hist:{history.page + 1}"))
    await reply(update, context, "\n".join(lines), [buttons] if buttons else None)


async def progress_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    async with rt.deps.sessions() as session:
        subscriber = await Subscribers(session).by_user(update.effective_user.id)
        if subscriber is None:
            await reply(update, context, NOT_ENROLLED)
            return
        pain, levels = await load_points(session, subscriber.id)
    if not pain and not levels:
        await reply(update, context, EMPTY_TEXT)
        return
    png = await asyncio.to_thread(render_progress_chart, pain, levels)  # matplotlib off the event loop
    await context.bot.send_photo(update.effective_chat.id, InputFile(png, filename="progress.png"))
    await reply(update, context, summary_markdown(summarize(pain, levels), title="Your progress"))


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    try:
        data = await rt.tracking.export_csv(update.effective_user.id)
    except NotEnrolled:
        await reply(update, context, "I have no data about you — there is nothing to export.")
        return
    today = rt.deps.clock.now().date().isoformat()
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(data, filename=f"vitd-bot-export-{today}.csv"),
        caption="Everything I have stored about you, as CSV (table, row, field, value).",
    )


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(
        update, context,
        "This deletes *everything* I have stored about you: enrolment, check-ins, results and "
        "questions. It cannot be undone. Are you sure?",
        [[("Yes, delete everything", "forget:yes"), ("No, keep it", "forget:no")]],
    )


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)
    if query.data != "forget:yes":
        await reply(update, context, "Nothing was deleted.")
        return
    deleted = await runtime(context).tracking.forget(update.effective_user.id)
    await reply(
        update, context,
        "Done: everything about you has been deleted. Send /start if you ever want to begin again."
        if deleted else "I had nothing stored about you.",
    )
