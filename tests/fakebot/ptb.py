"""Running a real python-telegram-bot Application against a ``FakeBotApi`` inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot, Update
from telegram.ext import Application, ApplicationBuilder

from tests.fakebot.server import FakeBotApi


def bot_for(server: FakeBotApi) -> Bot:
    """A plain ``telegram.Bot`` talking to ``server`` (use ``async with`` to initialize it)."""
    return Bot(server.token, base_url=server.base_url)


def application_builder(server: FakeBotApi) -> ApplicationBuilder:
    """An ``ApplicationBuilder`` pointed at ``server``; add your own settings, then build."""
    return ApplicationBuilder().token(server.token).base_url(server.base_url)


@asynccontextmanager
async def polling(application: Application) -> AsyncIterator[Application]:
    """initialize, start and poll (no delay between polls); on exit stop everything cleanly."""
    await application.initialize()
    try:
        await application.start()
        await application.updater.start_polling(  # type: ignore[union-attr]
            poll_interval=0, allowed_updates=Update.ALL_TYPES
        )
        yield application
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
