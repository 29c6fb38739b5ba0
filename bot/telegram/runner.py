"""Runs the application: long polling by default, or a webhook server (BOT_MODE=webhook)."""

from __future__ import annotations

from telegram import Update

from bot.config import Settings
from bot.content.models import Content
from bot.telegram.app import build_application


def run_bot(settings: Settings, content: Content) -> None:
    application = build_application(settings, content)
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
