"""`vitd-bot demo`: the real bot, unchanged, against a Bot API inside this process, with a chat
page on the same loopback port, a throwaway SQLite database and a clock the page can move on.

    async with running_demo(port=8080) as demo:   # port 0: any free port
        print(demo.url, demo.database_url)
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from bot.config import Settings, load_settings
from bot.content.loader import load_content
from bot.demo import samples
from bot.demo.clock import ShiftedClock
from bot.demo.people import OPERATOR_ID, PEOPLE, Person, person
from bot.demo.timemachine import TimeMachine, TravelRefused
from bot.fakeapi import FakeBotApi, FakeUser, SentMessage
from bot.telegram.app import build_application
from bot.telegram.runtime import Runtime

WAIT = 15.0  # seconds to wait for the bot's answer to one demo action


class DemoRefused(TravelRefused):
    """An action the page asked for that cannot be done; the message says why."""


@dataclass
class Demo:
    server: FakeBotApi
    clock: ShiftedClock
    settings: Settings
    application: Application | None = None
    users: dict[int, FakeUser] = field(default_factory=dict)
    version: int = 0  # bumped by every action, so the page refreshes even when no message changed
    busy: str | None = None  # what a long action (fill) is doing, for the page
    _time_machine: TimeMachine | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/"

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    @property
    def runtime(self) -> Runtime:
        assert self.application is not None
        return self.application.bot_data["runtime"]

    @property
    def time_machine(self) -> TimeMachine:
        if self._time_machine is None:
            self._time_machine = TimeMachine(self.clock, self.runtime.deps, self.runtime.delivery)
        return self._time_machine

    def user(self, user_id: int) -> FakeUser:
        found = self.users.get(user_id)
        if found is None:
            raise DemoRefused("There is nobody with that id in this demo.")
        return found

    def touch(self) -> None:
        self.version += 1

    # ---- what a person does in the chat ----------------------------------------------------

    async def send(self, user_id: int, text: str) -> None:
        text = text.strip()
        if not text:
            raise DemoRefused("Type a message first.")
        if len(text) > 4096:
            raise DemoRefused("Telegram messages are at most 4,096 characters.")
        await self.user(user_id).send(text)
        self.touch()

    async def press(self, user_id: int, message_id: int, data: str) -> None:
        """Press an inline button that is really shown under one of the bot's messages."""
        user = self.user(user_id)
        message = self.server.message(user.chat_id, message_id)
        if message is None or message.deleted:
            raise DemoRefused("That message is gone.")
        if not _offers(message, data):
            raise DemoRefused("That button is no longer shown.")
        await user.press_data(data, message)
        self.touch()

    async def share_location(self, user_id: int, latitude: float, longitude: float) -> None:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise DemoRefused("That is not a place on Earth.")
        await self.user(user_id).share_location(latitude, longitude)
        self.touch()

    # ---- shortcuts that act exactly like the person would ----------------------------------

    async def quick_enrol(self, user_id: int) -> str:
        """/start, agree, then type the person's zone and time, waiting for each question."""
        who = self._person(user_id)
        user = self.user(user_id)
        snapshot = await self.runtime.subscriptions.get(user_id)
        if snapshot is not None and snapshot.status != "enrolling":
            raise DemoRefused(f"{who.name} is already enrolled.")
        if snapshot is None or snapshot.awaiting == "consent":
            await self._act_and_wait(user, lambda: user.send("/start"))
            consent = next((m for m in reversed(user.messages) if _offers(m, "consent:yes")), None)
            if consent is None:
                raise DemoRefused("The bot did not ask for consent; see the chat.")
            await self._until(lambda s: s and s.awaiting != "consent", user_id,
                              lambda: user.press_data("consent:yes", consent))
        if (await self.runtime.subscriptions.get(user_id)).awaiting == "timezone":
            await self._until(lambda s: s and s.awaiting != "timezone", user_id, lambda: user.send(who.zone))
        await self._until(lambda s: s and s.program_day >= 1, user_id, lambda: user.send(who.time))
        return f"{who.name} is enrolled: {who.zone}, {who.time}."

    async def fill(self, user_id: int) -> str:
        """Live through the days up to Day 28 with a check-in every day (see ``samples``)."""
        who = self._person(user_id)
        user = self.user(user_id)
        snapshot = await self.runtime.subscriptions.get(user_id)
        if snapshot is None or snapshot.status != "active":
            raise DemoRefused(f"{who.name} needs to be enrolled and active first.")
        if snapshot.program_day >= samples.SAMPLE_LAST_DAY:
            raise DemoRefused(f"{who.name} is past Day {samples.SAMPLE_LAST_DAY} already.")
        rng = random.Random(user_id)
        day = snapshot.program_day
        try:
            while True:
                self.busy = f"Day {day}: checking in"
                self.touch()
                await self._check_in(user, day, rng)
                if day in samples.LEVELS:
                    await self._act_and_wait(user, lambda: user.send(samples.LEVELS[day]))
                if day >= samples.SAMPLE_LAST_DAY:
                    break
                await self.time_machine.to_day(user_id, day + 1)
                day += 1
        finally:
            self.busy = None
            self.touch()
        return f"{who.name} checked in every day up to Day {day}. Try /progress."

    async def _check_in(self, user: FakeUser, day: int, rng: random.Random) -> None:
        how, what = samples.check_in_action(day, rng)
        if how == "send":
            await self._act_and_wait(user, lambda: user.send(what))
            return
        shown = next((m for m in reversed(user.messages) if (m.text or "").startswith(f"Day {day} of 30")), None)
        if shown is None or not _offers(shown, what):
            await self._act_and_wait(user, lambda: user.send(f"/pain {what.removeprefix('pain:')}"))
        else:
            await self._act_and_wait(user, lambda: user.press_data(what, shown))

    async def _act_and_wait(self, user: FakeUser, action) -> None:
        """Do ``action`` and wait for the bot's first answer in this chat."""
        before = len(user.messages)
        await action()
        self.touch()
        await self.server.wait_for_messages(user.chat_id, before + 1, timeout=WAIT)

    async def _until(self, done, user_id: int, action) -> None:
        """Do ``action``, then wait until the subscriber's stored state satisfies ``done``."""
        await action()
        self.touch()
        deadline = time.monotonic() + WAIT
        while not done(await self.runtime.subscriptions.get(user_id)):
            if time.monotonic() > deadline:
                raise DemoRefused("The bot did not get there; see the chat.")
            await self.server.wait_for_change(0.1)

    def _person(self, user_id: int) -> Person:
        found = person(user_id)
        if found is None:
            raise DemoRefused("There is nobody with that id in this demo.")
        return found


def _offers(message: SentMessage, data: str) -> bool:
    """Whether ``message`` shows an inline button with this callback data."""
    return not message.deleted and any(
        b.get("callback_data") == data for row in message.inline_keyboard for b in row
    )


def demo_settings(server: FakeBotApi, database_url: str) -> Settings:
    """The environment's settings (CONTENT_DIR, SEND_RATE_LIMIT, logging), with the Bot API, the
    database and the operators the demo's own."""
    return load_settings(
        telegram_bot_token=server.token,
        telegram_api_base_url=server.base_url,
        database_url=database_url,
        operator_ids=frozenset({OPERATOR_ID}),
        bot_mode="polling",
    )


@asynccontextmanager
async def running_demo(
    port: int = 8080, folder: Path | None = None, database_url: str | None = None
) -> AsyncIterator[Demo]:
    """Start the page, the Bot API and the bot; stop them all on exit. The database is a SQLite
    file in ``folder`` (default: a temporary directory removed on exit), or ``database_url``."""
    from bot.demo.web import add_routes

    with tempfile.TemporaryDirectory(prefix="vitd-demo-") as scratch:
        database = Path(folder or scratch) / "demo.db"
        clock = ShiftedClock()
        holder: list[Demo] = []
        server = FakeBotApi(
            clock=clock, port=port, bot_username="vitd_demo_bot", bot_name="Vitamin D · Back Pain",
            extra_routes=lambda app: add_routes(app, lambda: holder[0]),
        )
        await server.start()
        try:
            url = database_url or f"sqlite+aiosqlite:///{database}"
            demo = Demo(server, clock, demo_settings(server, url))
            holder.append(demo)
            for who in PEOPLE:
                demo.users[who.user_id] = FakeUser(server, who.user_id, who.name, clock=clock)
            content = load_content(demo.settings.content_dir)
            demo.application = build_application(demo.settings, content, clock=clock)
            async with _polling(demo.application):
                yield demo
        finally:
            await server.stop()


@asynccontextmanager
async def _polling(application: Application) -> AsyncIterator[None]:
    """The same start-up and shutdown as `vitd-bot run` in polling mode, minus the signals."""
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    try:
        await application.start()
        await application.updater.start_polling(poll_interval=0, allowed_updates=Update.ALL_TYPES)  # type: ignore[union-attr]
        yield
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)  # type: ignore[misc]


async def serve_demo(port: int, stop: asyncio.Event | None = None, announce=print) -> None:
    """Run until SIGINT/SIGTERM (or ``stop``), printing where to look."""
    import signal

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_demo(port) as demo:
        announce(f"Demo running: open {demo.url}")
        announce(f"DATABASE_URL={demo.database_url}")
        announce("  (for the CLI while it runs, e.g. DATABASE_URL=... vitd-bot stats)")
        announce(f"Operator: {person(OPERATOR_ID).name} (id {OPERATOR_ID}, in OPERATOR_IDS). Ctrl+C stops the demo.")
        await stop.wait()
