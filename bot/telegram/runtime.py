"""What every handler reaches for: the wired services (`context.bot_data`, a typed `BotData`
built once by `app.build_application`), and a way to reply with Markdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.services.broadcasts import BroadcastService
from bot.services.context import Deps
from bot.services.delivery import DeliveryService
from bot.services.ledger import Ledger
from bot.services.ports import Keyboard
from bot.services.questions import QuestionService
from bot.services.subscriptions import SubscriptionService
from bot.services.tracking import TrackingService
from bot.services.workers import WorkerRegistry
from bot.storage.leadership import PollingLeadership
from bot.telegram.messenger import MessengerBot, TelegramMessenger
from bot.telegram.notices import GroupNotices
from bot.telegram.texts import not_enrolled


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
    kick_broadcasts: Callable[[], None]  # runs the broadcast job now rather than at its next round

    @classmethod
    def build(
        cls, deps: Deps, messenger: TelegramMessenger, worker_id: str | None = None, *,
        may_send: Callable[[], bool] | None = None, kick_broadcasts: Callable[[], None] = lambda: None,
        sweep_due_again: Callable[[timedelta], None] | None = None,
    ) -> Runtime:
        # One engine: the drip and broadcasts share its confirms.
        ledger = Ledger(deps, messenger, worker_id, may_send=may_send)
        delivery = DeliveryService(deps, messenger, ledger, due_again=sweep_due_again)
        return cls(
            deps=deps,
            messenger=messenger,
            subscriptions=SubscriptionService(deps, claim_in=delivery.claim_in, claim_lost=delivery.claim_lost),
            delivery=delivery,
            tracking=TrackingService(deps),
            questions=QuestionService(deps),
            broadcasts=BroadcastService(deps, messenger, ledger),
            ledger=ledger,
            kick_broadcasts=kick_broadcasts,
        )


@dataclass(slots=True)
class BotData:
    """`context.bot_data`: everything the handlers and jobs use, built once with the application."""

    engine: AsyncEngine
    runtime: Runtime
    workers: WorkerRegistry
    leadership: PollingLeadership
    group_notices: GroupNotices
    serving: bool = False  # post_init got as far as joining the workers: post_shutdown leaves again


# PTB's own types for what bot_data does not change (chat_data and user_data are unused dicts).
Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
App = Application[MessengerBot, Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]]


def context_types(data: BotData) -> ContextTypes[Context, dict[Any, Any], dict[Any, Any], BotData]:
    """PTB makes `context.bot_data` by calling its type with no arguments: this type's instance
    holds the services of `data`, built once by the caller."""

    class Built(BotData):
        __slots__ = ()

        def __init__(self) -> None:
            super().__init__(*(getattr(data, spec.name) for spec in fields(BotData)))

    return ContextTypes(bot_data=Built)


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


def runtime(context: Context) -> Runtime:
    return context.bot_data.runtime


async def reply_not_enrolled(update: Update, context: Context) -> None:
    """What every command that needs an enrolment says without one."""
    await reply(update, context, not_enrolled(runtime(context).deps.content.program_length))


async def reply(update: Update, context: Context, markdown: str, keyboard: Keyboard | None = None, **kwargs) -> None:
    """Answer the subscriber in the chat they wrote from (never rate-limited behind bulk sends)."""
    await runtime(context).messenger.reply(chat_of(update).id, markdown, keyboard=keyboard, **kwargs)


async def remove_buttons(context: Context, query: CallbackQuery) -> None:
    """Take the buttons off the message a press came from (a refusal changes nothing)."""
    await runtime(context).messenger.remove_buttons(query)
