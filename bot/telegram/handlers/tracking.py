"""Check-ins (by command, button, or in words once confirmed), vitamin D results, history, the
progress chart, and forget.

Texts are Markdown for the messenger (telegramify): `**bold**` is bold, `*x*` would be italic.
Refused input gets the parser's plain-text message and stores nothing."""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update

from bot.content.render import plain_text
from bot.domain.calendar import local_date
from bot.domain.levels import MAX_PLAUSIBLE_NG_ML, band_range, short_date
from bot.domain.parsing import (
    ASK_UNIT_ABOVE,
    NG_ML,
    NMOL_L,
    LevelReading,
    NeedsUnitConfirmation,
    ParseError,
    confirm_unit,
    parse_level,
    parse_pain,
)
from bot.domain.progress import EMPTY_TEXT, summarize, summary_markdown
from bot.services.chart import CHARTS
from bot.services.messages import pain_keyboard
from bot.services.progress_data import band_shades, progress_inputs
from bot.services.tracking import NotEnrolled
from bot.telegram.runtime import Context, chat_of, query_of, remove_buttons, reply, reply_not_enrolled, runtime, user_of

PAIN_QUESTION = (
    "How is your back today, from 0 (no pain) to 10 (worst)? Tap a number, or type it with a "
    "note, e.g. /pain 6 stiff after sitting."
)
STALE_BUTTON = "That button isn't valid any more."
CHECKIN_PREFIX = "ckn:"
CALLBACK_LIMIT = 64  # bytes of callback data Telegram accepts
OLD_RESULT = timedelta(days=365)  # a result older than this is confirmed before it is saved
OLD_CONFIRMED = "old"  # the last part of a unit button's data once the old date was confirmed
BEFORE_PROGRAM = timedelta(days=90)  # results this long before the program are listed, not plotted


def _day(day: date, today: date) -> str:
    return short_date(day, with_year=day.year != today.year)


# ---- pain ------------------------------------------------------------------------------------


async def pain_command(update: Update, context: Context) -> None:
    text = " ".join(context.args or [])
    if not text:
        await reply(update, context, PAIN_QUESTION, pain_keyboard())
        return
    today, day_first = await runtime(context).tracking.date_order_for(user_of(update).id)
    parsed = parse_pain(text, today=today, day_first=day_first)
    if isinstance(parsed, ParseError):
        await reply(update, context, plain_text(parsed.message))
        return
    await record_pain(update, context, parsed.score, parsed.note, parsed.on)


async def pain_button(update: Update, context: Context) -> None:
    query = query_of(update)
    parsed = parse_pain((query.data or "").removeprefix("pain:"))
    if isinstance(parsed, ParseError) or parsed.note is not None:  # forged data: store nothing
        await query.answer(STALE_BUTTON)
        return
    await query.answer(f"Saved: {parsed.score}/10")
    await record_pain(update, context, parsed.score, None)


async def _safety_first(update: Update, context: Context, note: str | None) -> None:
    """A red flag in a /pain or /level note gets its reply before anything else is said."""
    rt = runtime(context)
    flag = await rt.questions.check_note(user_of(update).id, note)
    if flag is not None:
        await reply(update, context, rt.deps.content.safety.reply_for(flag))


async def record_pain(
    update: Update, context: Context, score: int, note: str | None, on: date | None = None
) -> None:
    rt = runtime(context)
    await _safety_first(update, context, note)
    try:
        recorded = await rt.tracking.record_pain(user_of(update).id, score, note, on)
    except NotEnrolled:
        await reply_not_enrolled(update, context)
        return
    when = short_date(recorded.local_date)
    day = "today's" if on is None else f"{when}'s"
    if recorded.replaced is None:
        text = f"Thanks! {day[0].upper()}{day[1:]} back pain is saved: **{recorded.score}/10** ({when})."
    else:
        text = (
            f"Updated: {day} back pain is now **{recorded.score}/10** ({when}). This replaces "
            f"your earlier check-in {'today' if on is None else 'for that day'} ({recorded.replaced}/10): "
            "one check-in per day counts."
        )
    if note:
        text += " Your note is saved too."
    text += "\n\n/progress shows your trend."
    await reply(update, context, text)
    if recorded.severe_streak:
        await reply(update, context, rt.deps.content.safety.severe_pain_reply)


async def confirm_checkin(update: Update, context: Context, score: int, note: str | None) -> None:
    """A check-in in words ("my back is a 6 today") is saved only once confirmed."""
    data = f"{CHECKIN_PREFIX}{score}"
    if note:
        data = f"{data}:{note}".encode()[:CALLBACK_LIMIT].decode("utf-8", "ignore")
    shown = f" with the note “{plain_text(note)}”" if note else ""
    await reply(
        update, context,
        f"Shall I save **{score}/10** as today's back pain{shown}?",
        [[(f"Yes, save {score}/10", data), ("No", f"{CHECKIN_PREFIX}no")]],
    )


async def checkin_button(update: Update, context: Context) -> None:
    query = query_of(update)
    await query.answer()
    await remove_buttons(context, query)  # one answer per question
    score_text, _, note = (query.data or "").removeprefix(CHECKIN_PREFIX).partition(":")
    if score_text == "keep":  # "No" to a new delivery time offered after a typed time
        await reply(update, context, "Okay, nothing changed.")
        return
    if score_text == "no":
        await reply(
            update, context, "Okay, nothing saved. Tap a number under today's message or send /pain when you want to check in.",
        )
        return
    if not score_text.isdigit() or not 0 <= int(score_text) <= 10:  # forged data: store nothing
        await reply(update, context, STALE_BUTTON)
        return
    await record_pain(update, context, int(score_text), note or None)


# ---- vitamin D -------------------------------------------------------------------------------


UNIT_QUESTION = (
    "Which unit is your result **{value}** in? Your lab report prints it right next to the number: "
    "**ng/mL** (usual in the US) or **nmol/L** (usual in most other countries). I'll remember your "
    "answer; typing a unit, e.g. `/level 60 nmol/L`, changes it."
)


async def level_command(update: Update, context: Context) -> None:
    rt = runtime(context)
    text = " ".join(context.args or [])
    await _safety_first(update, context, text)
    today, day_first = await rt.tracking.date_order_for(user_of(update).id)
    parsed = parse_level(text, today=today, day_first=day_first)
    if isinstance(parsed, ParseError):
        await reply(update, context, plain_text(parsed.message))
    elif isinstance(parsed, NeedsUnitConfirmation):
        try:
            remembered = await rt.tracking.level_unit(user_of(update).id)
        except NotEnrolled:
            await reply_not_enrolled(update, context)
            return
        if remembered == NMOL_L or (remembered == NG_ML and parsed.value <= ASK_UNIT_ABOVE):
            reading = confirm_unit(parsed, remembered)
            if isinstance(reading, ParseError):
                await reply(update, context, plain_text(reading.message))
            else:
                await _save_level(update, context, reading, today, remember_unit=False)
            return
        value, stamp = f"{parsed.value:g}", parsed.taken_on.isoformat()
        buttons = [[(f"{value} ng/mL", f"lvl:{value}:{stamp}:ng"), (f"{value} nmol/L", f"lvl:{value}:{stamp}:nmol")]]
        if remembered == NG_ML:  # a value this high is more likely nmol/L: ask again
            high = "too high to be" if parsed.value > MAX_PLAUSIBLE_NG_ML else "unusually high in"
            question = (
                f"**{value}** is {high} ng/mL. Was your result in nmol/L? "
                "Your lab report shows the unit next to the number."
            )
        else:
            question = UNIT_QUESTION.format(value=value)
        await reply(update, context, question, buttons)
    else:
        await _save_level(update, context, parsed, today, remember_unit=True)


async def level_unit_button(update: Update, context: Context) -> None:
    query = query_of(update)
    rt = runtime(context)
    today, _ = await rt.tracking.date_order_for(user_of(update).id)
    if query.data == "lvl:no":
        await query.answer()
        await remove_buttons(context, query)
        await reply(update, context, "Okay, not saved. Send /level again with the right date, e.g. /level 24 2 November.")
        return
    try:
        # lvl:<value>:<date>:<unit>, and ":old" once the date was confirmed (so it is asked once).
        _, value, stamp, unit, *flag = (query.data or "").split(":")
        pending = NeedsUnitConfirmation(float(value), date.fromisoformat(stamp))
        if unit not in ("nmol", "ng") or not 0 < pending.value or pending.taken_on > today:
            raise ValueError(query.data)
        if flag not in ([], [OLD_CONFIRMED]):
            raise ValueError(query.data)
    except ValueError:  # forged or mangled data: store nothing
        await query.answer(STALE_BUTTON)
        return
    await query.answer()
    await remove_buttons(context, query)  # one answer per question
    reading = confirm_unit(pending, NMOL_L if unit == "nmol" else NG_ML)
    if isinstance(reading, ParseError):
        await reply(update, context, plain_text(reading.message))
        return
    await _save_level(update, context, reading, today, remember_unit=True, old_confirmed=bool(flag))


async def _save_level(
    update: Update, context: Context, reading: LevelReading, today: date, *,
    remember_unit: bool, old_confirmed: bool = False,
) -> None:
    """Save a reading, asking first when it is more than a year old (whichever way the unit came)."""
    if old_confirmed or reading.taken_on >= today - OLD_RESULT:
        await _record_level(update, context, reading, today, remember_unit=remember_unit)
        return
    # Most likely a typo in the year: ask before a six-year-old result stretches the chart.
    value, stamp = f"{reading.original_value:g}", reading.taken_on.isoformat()
    unit = "nmol" if reading.original_unit == NMOL_L else "ng"
    await reply(
        update, context,
        f"That result is from **{_day(reading.taken_on, today)}**, more than a year ago. Save it anyway?",
        [[("Yes, save it", f"lvl:{value}:{stamp}:{unit}:{OLD_CONFIRMED}"), ("No", "lvl:no")]],
    )


async def _record_level(
    update: Update, context: Context, reading: LevelReading, today: date, *, remember_unit: bool
) -> None:
    rt = runtime(context)
    try:
        recorded = await rt.tracking.record_level(user_of(update).id, reading, remember_unit=remember_unit)
    except NotEnrolled:
        await reply_not_enrolled(update, context)
        return
    unit = reading.original_unit
    shown = f"{reading.original_value:g} {unit}"
    if recorded.duplicate:
        day = _day(reading.taken_on, today)
        await reply(update, context, f"You already saved vitamin D **{shown}** for {day}, so I kept just the one.")
        return
    band_words = band_range(recorded.band, unit)
    if unit != NG_ML:  # the article's ranges are in ng/mL: show both
        shown += f" (= {reading.value_ng_ml:.1f} ng/mL)"
        band_words += f", that is {band_range(recorded.band, NG_ML)}"
    lines = [
        f"Saved: vitamin D **{shown}**, taken {_day(reading.taken_on, today)}.",
        "",
        f"**{recorded.band.label}** ({band_words}). {recorded.band.meaning}",
    ]
    if recorded.band.advice:
        lines += ["", recorded.band.advice]
    if recorded.change:
        lines += ["", f"That's {recorded.change}."]
    if recorded.unit_changed:
        lines += ["", f"_From now on I'll read results without a unit as {unit}; type the unit to change it._"]
    await reply(update, context, "\n".join(lines))


# ---- history and progress --------------------------------------------------------------------


async def history_command(update: Update, context: Context) -> None:
    await _send_history(update, context, 1)


async def history_button(update: Update, context: Context) -> None:
    query = query_of(update)
    try:
        page = int((query.data or "").removeprefix("hist:")[:6])
    except ValueError:
        await query.answer(STALE_BUTTON)
        return
    await query.answer()
    await _send_history(update, context, page)


async def _send_history(update: Update, context: Context, page: int) -> None:
    rt = runtime(context)
    try:
        history = await rt.tracking.history(user_of(update).id, page)
    except NotEnrolled:
        await reply_not_enrolled(update, context)
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
        ] or ["• none yet — add one with /level 24 ng/mL or /level 60 nmol/L"]
    if history.more and history.page == history.pages:
        lines += ["", "Older check-ins are not shown here; /export has all of them."]
    buttons = []
    if history.page > 1:
        buttons.append(("‹ Newer", f"hist:{history.page - 1}"))
    if history.page < history.pages:
        buttons.append(("Older ›", f"hist:{history.page + 1}"))
    await reply(update, context, "\n".join(lines), [buttons] if buttons else None)


async def progress_command(update: Update, context: Context) -> None:
    rt = runtime(context)
    inputs = await progress_inputs(rt.deps.sessions, user_of(update).id)
    if inputs is None:
        await reply_not_enrolled(update, context)
        return
    pain, levels, unit, started, zone = inputs.pain, inputs.levels, inputs.unit, inputs.started, inputs.zone
    if not pain and not levels:
        await reply(update, context, EMPTY_TEXT)
        return
    # The chart spans the program: results from long before it are listed, not plotted, so one
    # old result does not squeeze the program's 30 days into a corner of a six-year axis.
    program_start = min([local_date(started, zone)] + [p.day for p in pain]) - BEFORE_PROGRAM
    older = [level for level in levels if level.taken_on < program_start]
    levels = [level for level in levels if level.taken_on >= program_start]
    bands = band_shades(rt.deps.content.bands, unit)
    summary = summary_markdown(summarize(pain, levels), title="Your progress")
    if older:
        listed = "; ".join(
            f"{level.original_value:g} {level.original_unit} ({short_date(level.taken_on, with_year=True)})"
            for level in older[-3:]
        )
        summary += f"\n\nEarlier results, before the program (not on the chart): {listed}."
    if not pain and not levels:
        await reply(update, context, summary)
        return
    png = await CHARTS.png(inputs.subscriber_id, pain, levels, bands, unit)
    # The summary is the photo's caption, right under the chart; anything longer follows it.
    await rt.messenger.send_photo(chat_of(update).id, png, "progress.png", summary)


# ---- forget -----------------------------------------------------------------------------


async def forget_command(update: Update, context: Context) -> None:
    if not await runtime(context).tracking.is_stored(user_of(update).id):
        await reply(update, context, "I have nothing stored about you, so there is nothing to delete.")
        return
    await reply(
        update, context,
        "This deletes **everything** I have stored about you: your enrolment, check-ins, vitamin D "
        "results and questions. It cannot be undone. If you only want the messages to stop, "
        "/stop is enough. Delete everything?",
        [[("Yes, delete everything", "forget:yes"), ("No, keep it", "forget:no")]],
    )


async def forget_button(update: Update, context: Context) -> None:
    query = query_of(update)
    await query.answer()
    await remove_buttons(context, query)  # the question is answered once
    if query.data != "forget:yes":
        await reply(update, context, "Okay, nothing was deleted.")
        return
    deleted = await runtime(context).tracking.forget(user_of(update).id)
    await reply(
        update, context,
        "Done: everything about you has been deleted. Send /start if you ever want to begin again."
        if deleted else "I have nothing stored about you, so there was nothing to delete.",
    )
