"""/report (a one-page PDF for a clinician) and /export (the subscriber's data as CSV files).

The name on the report: the Telegram first name by default, `/report Jane Doe` for another one,
or the button under the PDF to make it again without a name. Nothing about the name is stored."""

from __future__ import annotations

from telegram import Update

from bot.content.program import plain
from bot.domain.parsing import ParseError
from bot.domain.progress import EMPTY_TEXT
from bot.domain.report import parse_report_name
from bot.services.export import ALL_DATA, ExportService
from bot.services.report import NothingToReport, ReportService, UnprintableName
from bot.services.tracking import NotEnrolled
from bot.telegram.runtime import Context, chat_of, message_of, query_of, reply, reply_not_enrolled, runtime, user_of

WITHOUT_NAME = "report:noname"
EXPORT_CAPTIONS = {
    "checkins.csv": "Your check-ins: one row per day, with your notes.",
    "results.csv": "Your vitamin D results: one row each, in the unit your lab used and in ng/mL.",
    ALL_DATA: "Everything I have stored about you: one line per stored value (table, row, field, value).",
}


def _argument(update: Update) -> str:
    parts = (message_of(update).text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


async def report_command(update: Update, context: Context) -> None:
    name = parse_report_name(_argument(update))
    if isinstance(name, ParseError):
        await reply(update, context, name.message)
        return
    await _send_report(update, context, name=name, without_name=False)


async def report_button(update: Update, context: Context) -> None:
    query = query_of(update)
    if query.data != WITHOUT_NAME:
        await query.answer("That button isn't valid any more.")
        return
    await query.answer("Making it again without your name…")
    await _send_report(update, context, name=None, without_name=True)


async def _send_report(update: Update, context: Context, *, name: str | None, without_name: bool) -> None:
    rt = runtime(context)
    chat_id = chat_of(update).id
    try:
        report = await ReportService(rt.deps).make(user_of(update).id, name=name, without_name=without_name)
    except NotEnrolled:
        await reply_not_enrolled(update, context)
        return
    except NothingToReport:
        await reply(update, context, EMPTY_TEXT)
        return
    except UnprintableName as exc:
        await reply(
            update, context,
            f"Sorry, the report's font has no letters for “{plain(exc.characters)}” (it prints Latin, Greek "
            "and Cyrillic letters). Send the name in those letters, e.g. `/report Jane Doe`.",
        )
        return
    if report.name:
        caption = (
            f"Your one-page report for your clinician, with the name **{plain(report.name)}** on it. "
            "For another name, send `/report` and the name, e.g. `/report Jane Doe`."
        )
        keyboard = [[("Make it without my name", WITHOUT_NAME)]]
    else:
        caption = (
            "Your one-page report for your clinician, without a name on it. To put one on it, send "
            "`/report` and the name, e.g. `/report Jane Doe`."
        )
        keyboard = None
    await rt.messenger.send_document(chat_id, report.pdf, report.filename, caption=caption, keyboard=keyboard)


async def export_command(update: Update, context: Context) -> None:
    rt = runtime(context)
    try:
        files = await ExportService(rt.deps).files(user_of(update).id)
    except NotEnrolled:
        await reply(update, context, "I have no data about you, so there is nothing to export.")
        return
    for file in files:
        await rt.messenger.send_document(
            chat_of(update).id, file.data, file.filename, caption=EXPORT_CAPTIONS.get(file.filename),
        )
