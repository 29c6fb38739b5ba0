"""What every handler reaches for: the wired services, and a way to reply with Markdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.services.broadcasts import BroadcastService
from bot.services.context import Deps
from bot.services.delivery import DeliveryService
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
    kick_broadcasts: Callable[[], None] = field(default=lambda: None)

    @classmethod
    def build(cls, deps: Deps, messenger: TelegramMessenger) -> Runtime:
        return cls(
            deps=deps,
            messenger=messenger,
            subscriptions=SubscriptionService(deps),
            delivery=DeliveryService(deps, messenger),
            tracking=TrackingService(deps),
            questions=QuestionService(deps),
            broadcasts=BroadcastService(deps, messenger),
        )


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return context.application.bot_data["runtime"]


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE, markdown: str, keyboard: Keyboard | None = None, **kwargs):
    """Answer the subscriber in the chat they wrote from (never rate-limited behind bulk sends)."""
    return await runtime(context).messenger.send(update.effective_chat.id, markdown, keyboard=keyboard, **kwargs)


async def remove_buttons(query) -> None:
    """Take the buttons off the message a press came from. A stale or forged press may point at a
    message without buttons (or one too old to edit): Telegram's refusal changes nothing then."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
