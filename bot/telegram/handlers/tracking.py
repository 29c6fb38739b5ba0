"""Check-ins, vitamin D results, history, the progress chart, export and forget.

Texts are Markdown for the messenger (telegramify): `**bold**` is bold, `*x*` would be italic.
Refused input gets the parser's plain-text message and stores nothing."""

from __future__ import annotations

from datetime import date

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.content.render import plain_text, render_caption
from bot.domain.levels import MAX_PLAUSIBLE_NG_ML, short_date
from bot.domain.parsing import LevelReading, NeedsUnitConfirmation, ParseError, confirm_unit, parse_level, parse_pain
from bot.domain.progress import EMPTY_TEXT, summarize, summary_markdown
from bot.services.chart import CHARTS
from bot.services.messages import pain_keyboard
from bot.services.progress_data import band_shades, load_points
from bot.services.tracking import NotEnrolled
from bot.storage.repositories import Subscribers
from bot.telegram.handlers.enrolment import NOT_ENROLLED
from bot.telegram.runtime import remove_buttons, reply, runtime

PAIN_QUESTION = (
    "How is your back today, from 0 (no pain) to 10 (worst)? Tap a number, or type it with a "
    "note, e.g. /pain 6 stiff after sitting."
)
STALE_BUTTON = "That button isn't valid any more."


def _day(day: date, today: date) -> str:
    return short_date(day, with_year=day.year != today.year)


# ---- pain ------------------------------------------------------------------------------------


async def pain_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = " ".join(context.args)
    if not text:
        await reply(update, context, PAIN_QUESTION, pain_keyboard())
        return
    parsed = parse_pain(text)
    if isinstance(parsed, ParseError):
        await reply(update, context, plain_text(parsed.message))
        return
    await _record_pain(update, context, parsed.score, parsed.note)


async def pain_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    parsed = parse_pain(query.data.removeprefix("pain:"))
    if isinstance(parsed, ParseError) or parsed.note is not None:  # forged data: store nothing
        await query.answer(STALE_BUTTON)
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
    when = short_date(recorded.local_date)
    if recorded.replaced is None:
        text = f"Thanks! Today's back pain is saved: **{recorded.score}/10** ({when})."
    else:
        text = (
            f"Updated: today's back pain is now **{recorded.score}/10** ({when}). This replaces "
            f"your earlier check-in today ({recorded.replaced}/10): one check-in per day counts."
        )
    if note:
        text += " Your note is saved too."
    text += "\n\n/progress shows your trend."
    await reply(update, context, text)
    if recorded.severe_streak:
        await reply(update, context, rt.deps.content.safety.severe_pain_reply)


# ---- vitamin D -------------------------------------------------------------------------------


async def level_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    today = await rt.tracking.today_for(update.effective_user.id)
    parsed = parse_level(" ".join(context.args), today=today)
    if isinstance(parsed, ParseError):
        await reply(update, context, plain_text(parsed.message))
    elif isinstance(parsed, NeedsUnitConfirmation):
        value, stamp = f"{parsed.value:g}", parsed.taken_on.isoformat()
        if parsed.value > MAX_PLAUSIBLE_NG_ML:
            question = f"**{value}** is too high to be ng/mL. Was your result in nmol/L?"
        else:
            question = f"**{value}** would be unusually high in ng/mL. Was your result in nmol/L?"
        await reply(
            update, context,
            f"{question} Your lab report shows the unit next to the number.",
            [[(f"Yes, {value} nmol/L", f"lvl:{value}:{stamp}:nmol"), (f"No, {value} ng/mL", f"lvl:{value}:{stamp}:ng")]],
        )
    else:
        await _record_level(update, context, parsed, today)


async def level_unit_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    rt = runtime(context)
    today = await rt.tracking.today_for(update.effective_user.id)
    try:
        _, value, stamp, unit = query.data.split(":")
        pending = NeedsUnitConfirmation(float(value), date.fromisoformat(stamp))
        if unit not in ("nmol", "ng") or not 0 < pending.value or pending.taken_on > today:
            raise ValueError(query.data)
    except ValueError:  # forged or mangled data: store nothing
        await query.answer(STALE_BUTTON)
        return
    await query.answer()
    await remove_buttons(query)  # one answer per question
    reading = confirm_unit(pending, "nmol/L" if unit == "nmol" else "ng/mL")
    if isinstance(reading, ParseError):
        await reply(update, context, plain_text(reading.message))
        return
    await _record_level(update, context, reading, today)


async def _record_level(update: Update, context: ContextTypes.DEFAULT_TYPE, reading: LevelReading, today: date) -> None:
    rt = runtime(context)
    try:
        recorded = await rt.tracking.record_level(update.effective_user.id, reading)
    except NotEnrolled:
        await reply(update, context, NOT_ENROLLED)
        return
    shown = f"{reading.original_value:g} {reading.original_unit}"
    if reading.original_unit != "ng/mL":
        shown += f" (= {reading.value_ng_ml:.1f} ng/mL)"
    lines = [
        f"Saved: vitamin D **{shown}**, taken {_day(reading.taken_on, today)}.",
        "",
        f"**{recorded.band.label}.** {recorded.band.meaning}",
    ]
    if recorded.band.advice:
        lines += ["", recorded.band.advice]
    if recorded.change:
        lines += ["", f"That's {recorded.change}."]
    await reply(update, context, "\n".join(lines))


# ---- history and progress --------------------------------------------------------------------


async def history_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send_history(update, context, 1)


async def history_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    try:
        page = int(query.data.removeprefix("hist:")[:6])
    except ValueError:
        await query.answer(STALE_BUTTON)
        return
    await query.answer()
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
    pages = f", page {history.page} of {history.pages}" if history.pages > 1 else ""
    lines = [f"**Your check-ins** (newest first{pages})"]
    lines += [
        f"• {short_date(c.local_date, with_year=True)}: {c.score}/10" + (f" — {plain_text(c.note)}" if c.note else "")
        for c in history.checkins
    ] or ["• none yet — tap a number under a day's message, or send /pain 6"]
    if history.page == 1:
        lines += ["", "**Vitamin D results**"]
        lines += [
            f"• {short_date(r.taken_on, with_year=True)}: {r.original_value:g} {r.original_unit}"
            + (f" ({r.value_ng_ml:.1f} ng/mL)" if r.original_unit != "ng/mL" else "")
            for r in history.results
        ] or ["• none yet — add one with /level 24"]
    if history.more and history.page == history.pages:
        lines += ["", "Older check-ins are not shown here; /export has all of them."]
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
    png = await CHARTS.png(subscriber.id, pain, levels, band_shades(rt.deps.content.bands))
    # The summary is the photo's caption, right under the chart; anything longer follows it.
    caption, *rest = render_caption(summary_markdown(summarize(pain, levels), title="Your progress"))
    await context.bot.send_photo(
        update.effective_chat.id, InputFile(png, filename="progress.png"),
        caption=caption.text, caption_entities=list(caption.entities) or None,
    )
    for piece in rest:
        await context.bot.send_message(update.effective_chat.id, piece.text, entities=list(piece.entities) or None)


# ---- export and forget -----------------------------------------------------------------------


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    try:
        data = await rt.tracking.export_csv(update.effective_user.id)
    except NotEnrolled:
        await reply(update, context, "I have no data about you, so there is nothing to export.")
        return
    today = rt.deps.clock.now().date().isoformat()
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(data, filename=f"vitd-bot-export-{today}.csv"),
        caption="Here is everything I have stored about you, as a CSV file: one line per stored "
        "value (table, row, field, value).",
    )


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await runtime(context).tracking.is_stored(update.effective_user.id):
        await reply(update, context, "I have nothing stored about you, so there is nothing to delete.")
        return
    await reply(
        update, context,
        "This deletes **everything** I have stored about you: your enrolment, check-ins, vitamin D "
        "results and questions. It cannot be undone. If you only want the messages to stop, "
        "/stop is enough. Delete everything?",
        [[("Yes, delete everything", "forget:yes"), ("No, keep it", "forget:no")]],
    )


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    await remove_buttons(query)  # the question is answered once
    if query.data != "forget:yes":
        await reply(update, context, "Okay, nothing was deleted.")
        return
    deleted = await runtime(context).tracking.forget(update.effective_user.id)
    await reply(
        update, context,
        "Done: everything about you has been deleted. Send /start if you ever want to begin again."
        if deleted else "I have nothing stored about you, so there was nothing to delete.",
    )
