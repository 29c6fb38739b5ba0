"""Every handler, registered in one place. One command list feeds the handlers, /help and the
menu Telegram shows, so they cannot drift apart.

Order matters: python-telegram-bot runs the first matching handler of a group. Commands come
first; then buttons by their callback-data prefix; then a shared location; then any other text
(questions and typed answers); and last, unknown commands.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram import gate
from bot.telegram.handlers import enrolment, general, operators, questions, report, tracking

log = logging.getLogger(__name__)
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # as shown in /help
    description: str
    callback: Callback
    operator: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("start", "/start", "enrol, or pick up where you left off", enrolment.start),
    Command("today", "/today", "today's program material again", general.today),
    Command("pain", "/pain 6 [note] [yesterday]", "how your back feels, 0-10", tracking.pain_command),
    Command("level", "/level 24 ng/mL or /level 60 nmol/L [date]", "add a vitamin D blood result", tracking.level_command),
    Command("progress", "/progress", "your chart and summary", tracking.progress_command),
    Command("history", "/history", "your check-ins and results", tracking.history_command),
    Command("faq", "/faq", "questions I can answer", questions.faq_command),
    Command("timezone", "/timezone Europe/Berlin", "change your time zone", enrolment.timezone_command),
    Command("time", "/time 07:30", "change your delivery time", enrolment.time_command),
    Command("pause", "/pause", "pause daily messages", enrolment.pause),
    Command("resume", "/resume", "continue where you paused", enrolment.resume),
    Command("report", "/report [name]", "a one-page PDF for your clinician", report.report_command),
    Command("export", "/export", "download your data (CSV)", report.export_command),
    Command("forget", "/forget", "delete all your data", tracking.forget_command),
    Command("stop", "/stop", "unsubscribe", enrolment.stop),
    Command("help", "/help", "what I do, and the disclaimer", general.help_command),
    Command("broadcast", "/broadcast <slug>", "preview and send an article", operators.broadcast_command, operator=True),
    Command("stats", "/stats", "how the program is doing", operators.stats_command, operator=True),
)

BUTTONS: tuple[tuple[str, Callback], ...] = (
    ("consent:", enrolment.consent_answer),
    ("tz:", enrolment.timezone_button),
    ("time:", enrolment.time_button),
    ("pain:", tracking.pain_button),
    ("lvl:", tracking.level_unit_button),
    ("hist:", tracking.history_button),
    ("forget:", tracking.forget_button),
    ("report:", report.report_button),
    (questions.FAQ_PREFIX, questions.faq_button),
    (questions.CHECKIN_PREFIX, questions.checkin_button),
    ("bc:", operators.broadcast_button),
    ("bcsv:", operators.recipients_button),
)


def help_lines(operator: bool) -> list[str]:
    # "<slug>" would be read as an HTML tag and vanish: such usages are shown as code.
    return [
        f"{f'`{c.usage}`' if '<' in c.usage else c.usage} — {c.description}"
        for c in COMMANDS if operator or not c.operator
    ]


def register(application: Application) -> None:
    # gate.screen stops groups, channels and edits before any of these; the filters say the same
    # again, so that no handler can be reached from a group even if the gate changes.
    application.add_handler(TypeHandler(object, gate.screen), group=-1)
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for command in COMMANDS:
        application.add_handler(CommandHandler(command.name, command.callback, filters=private))
    for prefix, callback in BUTTONS:
        application.add_handler(CallbackQueryHandler(callback, pattern=f"^{prefix}"))
    application.add_handler(ChatMemberHandler(enrolment.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(private & filters.LOCATION, enrolment.location))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, questions.on_text))
    application.add_handler(MessageHandler(private & filters.COMMAND, general.unknown_command))
    application.add_error_handler(general.on_error)


async def publish_menu(application: Application, operator_ids: frozenset[int]) -> None:
    """The menu next to the text box: subscriber commands for all, operator ones for operators."""
    public = [BotCommand(c.name, c.description) for c in COMMANDS if not c.operator]
    try:
        await application.bot.set_my_commands(public)
    except TelegramError as exc:  # a menu is a convenience: never a reason not to start
        log.warning("could not publish the command menu: %s", exc.message)
        return
    everything = [BotCommand(c.name, c.description) for c in COMMANDS]
    for operator_id in operator_ids:
        try:
            await application.bot.set_my_commands(everything, scope=BotCommandScopeChat(operator_id))
        except TelegramError:  # an operator who never opened the bot has no chat yet
            pass
