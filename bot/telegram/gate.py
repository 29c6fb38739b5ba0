"""The first thing every update meets: only new messages and button presses in a private chat with
the bot go further.

Health data must never be read, stored or shown in a group, and a group must never become where a
subscriber's program is sent, so in a group the bot says once (per group, per hour) that it works
in private chat, with a link there, and does nothing else. Channel posts, edited messages (an edit
must not run a command a second time) and update kinds the bot does not handle stop here silently.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.telegram.runtime import runtime

NOTICE_EVERY = timedelta(hours=1)
REMEMBERED_GROUPS = 10_000


def private_chat_notice(bot_username: str | None) -> str:
    where = f": https://t.me/{bot_username}" if bot_username else "."
    return (
        "I only work in a private chat, so nothing here is read or stored. "
        f"Please write to me directly{where}"
    )


class GroupNotices:
    """When each group was last told; bounded, so a bot added to many groups keeps flat memory."""

    def __init__(self, size: int = REMEMBERED_GROUPS) -> None:
        self.size = size
        self._told: OrderedDict[int, datetime] = OrderedDict()

    def due(self, chat_id: int, now: datetime) -> bool:
        last = self._told.get(chat_id)
        if last is not None and now - last < NOTICE_EVERY:
            return False
        self._told[chat_id] = now
        self._told.move_to_end(chat_id)
        while len(self._told) > self.size:
            self._told.popitem(last=False)
        return True


def _notices(context: ContextTypes.DEFAULT_TYPE) -> GroupNotices:
    return context.application.bot_data.setdefault("group_notices", GroupNotices())


async def screen(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
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


async def _outside_private_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.CHANNEL or update.my_chat_member is not None:
        return  # nobody to talk to in a channel; being added to a group is not a request
    text = private_chat_notice(context.bot.username)
    if update.callback_query is not None:
        await _answer_quietly(update, text)
        return
    if not _notices(context).due(chat.id, runtime(context).deps.clock.now()):
        return
    try:
        await runtime(context).messenger.send(chat.id, text)
    except TelegramError:
        pass  # a group that muted or removed the bot: there is no one to tell


async def _answer_quietly(update: Update, text: str) -> None:
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200])
    except TelegramError:
        pass  # an old or forged query cannot be answered; nothing else to do
