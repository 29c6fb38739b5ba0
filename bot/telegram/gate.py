"""The first thing every update meets: only new messages and button presses in a private chat with
the bot go further.

Health data must never be read, stored or shown in a group, and a group must never become where a
subscriber's program is sent, so in a group the bot says once (per group, per hour) that it works
in private chat, with a link there, and does nothing else. Channel posts, edited messages (an edit
must not run a command a second time) and update kinds the bot does not handle stop here silently.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.telegram.runtime import Context


def private_chat_notice(bot_username: str | None) -> str:
    where = f": https://t.me/{bot_username}" if bot_username else "."
    return (
        "I only work in a private chat, so nothing here is read or stored. "
        f"Please write to me directly{where}"
    )


async def screen(update: object, context: Context) -> None:
    """Registered in handler group -1; raises ApplicationHandlerStop for everything the bot's
    handlers must not see."""
    if not isinstance(update, Update):
        raise ApplicationHandlerStop
    if update.message is None and update.callback_query is None and update.my_chat_member is None:
        raise ApplicationHandlerStop  # edits, channel posts, reactions, kinds we do not know
    chat, user = update.effective_chat, update.effective_user
    if update.callback_query is not None and chat is None:
        # A press with no message behind it (inline mode, or forged): no chat to answer in.
        await _answer_quietly(update, "That button is no longer available.")
        raise ApplicationHandlerStop
    if chat is None or user is None:
        raise ApplicationHandlerStop
    if chat.type == ChatType.PRIVATE:
        if chat.id != user.id:  # Telegram never sends this: a forged update
            raise ApplicationHandlerStop
        return
    await _outside_private_chat(update, context)
    raise ApplicationHandlerStop


async def _outside_private_chat(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.CHANNEL or update.my_chat_member is not None:
        return  # nobody to talk to in a channel; being added to a group is not a request
    text = private_chat_notice(context.bot.username)
    if update.callback_query is not None:
        await _answer_quietly(update, text)
        return
    data = context.bot_data
    if not data.group_notices.due(chat.id, data.runtime.deps.clock.now()):
        return
    try:
        await data.runtime.messenger.send(chat.id, text)
    except TelegramError:
        pass  # a group that muted or removed the bot: there is no one to tell


async def _answer_quietly(update: Update, text: str) -> None:
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200])
    except TelegramError:
        pass  # an old or forged query cannot be answered; nothing else to do
