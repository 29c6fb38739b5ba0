"""Running the real application against the fake Bot API, and acting as subscribers."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from telegram import Update

from bot.clock import FakeClock
from bot.config import Settings
from bot.content.models import Content
from bot.telegram.app import build_application
from bot.telegram.runtime import App, Runtime
from tests.fakebot import FakeBotApi, FakeUser


@dataclass
class BotHarness:
    application: App
    server: FakeBotApi
    clock: FakeClock

    @property
    def runtime(self) -> Runtime:
        return self.application.bot_data.runtime

    def user(self, user_id: int, first_name: str = "Sam") -> FakeUser:
        return FakeUser(self.server, user_id, first_name, clock=self.clock)

    async def sweep(self) -> int:
        return await self.runtime.delivery.sweep()

    async def advance(self, delta: timedelta) -> int:
        """Move time on and run the sweep, as the periodic job would."""
        self.clock.advance(delta)
        return await self.sweep()

    async def enrol(self, user: FakeUser, zone_label: str = "UTC", zone_text: str | None = None, time_text: str = "08:00"):
        """Enrol through the buttons (or typed answers); returns the Day 1 message."""
        await user.command("/start")
        await user.next_reply()
        await user.press("✅ I agree")
        await user.replies(2)  # the zone question, and the location keyboard
        if zone_text is None:
            await user.press(zone_label)
        else:
            await user.send(zone_text)
        await user.replies(2)  # zone confirmed, and the time question
        if time_text in ("06:00", "07:00", "08:00", "09:00", "12:00", "18:00", "20:00", "21:00"):
            await user.press(time_text)
        else:
            await user.send(time_text)
        _confirmation, day1 = await user.replies(2)
        return day1


@asynccontextmanager
async def running_bot(settings: Settings, content: Content, clock: FakeClock, server: FakeBotApi, **kwargs):
    kwargs.setdefault("sweep_interval", None)
    kwargs.setdefault("broadcast_interval", None)
    # The fixtures hand over migrated databases; migrating at start-up is what the tests that
    # start `vitd-bot run` and tests/test_migrations.py cover (11-28 ms a start saved).
    kwargs.setdefault("migrate", False)
    application = build_application(settings, content, clock=clock, **kwargs)
    await application.initialize()
    # run_polling() calls post_init/post_shutdown itself; here we stand in for it.
    await application.post_init(application)
    try:
        await application.start()
        await application.updater.start_polling(poll_interval=0, allowed_updates=Update.ALL_TYPES)
        yield BotHarness(application, server, clock)
    finally:
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)


async def eventually(check, timeout: float = 5.0, interval: float = 0.02):
    """Await `check()` until it returns something truthy (the bot finishes its work a moment
    after its last message reaches the fake server)."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(interval)
