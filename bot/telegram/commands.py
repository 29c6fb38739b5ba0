"""Every handler, registered in one place. One command list (bot/telegram/menu.py) feeds the
handlers, /help and the menu Telegram shows, so they cannot drift apart.

Order matters: python-telegram-bot runs the first matching handler of a group. Commands come
first; then buttons by their callback-data prefix; then a shared location; then any other text
(questions and typed answers); and last, unknown commands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram import freetext, gate
from bot.telegram.handlers import enrolment, general, operators, questions, report, tracking
from bot.telegram.menu import MENU
from bot.telegram.runtime import App, Context

log = logging.getLogger(__name__)
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


# Each command of the menu (bot/telegram/menu.py) and the handler that answers it.
CALLBACKS: dict[str, Callback] = {
    "start": enrolment.start,
    "today": general.today,
    "pain": tracking.pain_command,
    "level": tracking.level_command,
    "progress": tracking.progress_command,
    "history": tracking.history_command,
    "faq": questions.faq_command,
    "timezone": enrolment.timezone_command,
    "time": enrolment.time_command,
    "pause": enrolment.pause,
    "resume": enrolment.resume,
    "report": report.report_command,
    "export": report.export_command,
    "forget": tracking.forget_command,
    "stop": enrolment.stop,
    "help": general.help_command,
    "broadcast": operators.broadcast_command,
    "stats": operators.stats_command,
}
assert set(CALLBACKS) == {c.name for c in MENU}, "every command in the menu has exactly one handler"

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
    (tracking.CHECKIN_PREFIX, tracking.checkin_button),
    ("bc:", operators.broadcast_button),
    ("bcsv:", operators.recipients_button),
)


def register(application: App) -> None:
    # gate.screen stops groups, channels and edits before any of these; the filters say the same
    # again, so that no handler can be reached from a group even if the gate changes.
    application.add_handler(TypeHandler(object, gate.screen), group=-1)
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for command in MENU:
        application.add_handler(CommandHandler(command.name, CALLBACKS[command.name], filters=private))
    for prefix, callback in BUTTONS:
        application.add_handler(CallbackQueryHandler(callback, pattern=f"^{prefix}"))
    application.add_handler(ChatMemberHandler(enrolment.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(private & filters.LOCATION, enrolment.location))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, freetext.on_text))
    application.add_handler(MessageHandler(private & filters.COMMAND, general.unknown_command))
    application.add_error_handler(general.on_error)


async def publish_menu(application: App, operator_ids: frozenset[int]) -> None:
    """The menu next to the text box: subscriber commands for all, operator ones for operators."""
    public = [BotCommand(c.name, c.description) for c in MENU if not c.operator]
    try:
        await application.bot.set_my_commands(public)
    except TelegramError as exc:  # a menu is a convenience: never a reason not to start
        log.warning("could not publish the command menu: %s", exc.message)
        return
    everything = [BotCommand(c.name, c.description) for c in MENU]
    for operator_id in operator_ids:
        try:
            await application.bot.set_my_commands(everything, scope=BotCommandScopeChat(operator_id))
        except TelegramError:  # an operator who never opened the bot has no chat yet
            pass
