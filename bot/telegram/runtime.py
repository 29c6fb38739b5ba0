"""What every handler reaches for: the wired services, and a way to reply with Markdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.ext import ContextTypes

from bot.services.broadcasts import BroadcastService
from bot.services.context import Deps
from bot.services.delivery import DeliveryService
from bot.services.ledger import Ledger
from bot.services.ports import Keyboard
from bot.services.questions import QuestionService
from bot.services.subscriptions import SubscriptionService
from bot.services.tracking import TrackingService
from bot.telegram.messenger import TelegramMessenger


@dataclass
class Runtime:
    deps: Deps
    messenger: TelegramMessenger
    subscriptions: SubscriptionService
    delivery: DeliveryService
    tracking: TrackingService
    questions: QuestionService
    broadcasts: BroadcastService
    ledger: Ledger
    kick_broadcasts: Callable[[], None] = field(default=lambda: None)

    @classmethod
    def build(cls, deps: Deps, messenger: TelegramMessenger, worker_id: str | None = None) -> Runtime:
        ledger = Ledger(deps, messenger, worker_id)  # one engine: the drip and broadcasts share its confirms
        return cls(
            deps=deps,
            messenger=messenger,
            subscriptions=SubscriptionService(deps),
            delivery=DeliveryService(deps, messenger, ledger),
            tracking=TrackingService(deps),
            questions=QuestionService(deps),
            broadcasts=BroadcastService(deps, messenger, ledger),
            ledger=ledger,
        )


def user_of(update: Update) -> User:
    """The sender. Every update the gate lets through to a handler has one."""
    if update.effective_user is None:
        raise ValueError(f"update {update.update_id} has no sender")
    return update.effective_user


def chat_of(update: Update) -> Chat:
    if update.effective_chat is None:
        raise ValueError(f"update {update.update_id} has no chat")
    return update.effective_chat


def message_of(update: Update) -> Message:
    if update.effective_message is None:
        raise ValueError(f"update {update.update_id} has no message")
    return update.effective_message


def query_of(update: Update) -> CallbackQuery:
    """The button press of a CallbackQueryHandler's update."""
    if update.callback_query is None:
        raise ValueError(f"update {update.update_id} is not a button press")
    return update.callback_query


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return context.application.bot_data["runtime"]


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE, markdown: str, keyboard: Keyboard | None = None, **kwargs):
    """Answer the subscriber in the chat they wrote from (never rate-limited behind bulk sends)."""
    return await runtime(context).messenger.send(chat_of(update).id, markdown, keyboard=keyboard, **kwargs)


async def remove_buttons(context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery) -> None:
    """Take the buttons off the message a press came from (a refusal changes nothing)."""
    await runtime(context).messenger.remove_buttons(query)
