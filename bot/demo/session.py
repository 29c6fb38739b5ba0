"""One demo session: the people at the page, and what they can do there. Every action goes
through the fake Bot API as the person's own update, so the bot handles it exactly as it would
from Telegram; the shortcuts (quick enrol, sample check-ins) are sequences of such updates.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from bot.config import Settings
from bot.demo import samples
from bot.demo.clock import ShiftedClock
from bot.demo.people import Person, person
from bot.demo.timemachine import TimeMachine, TravelRefused
from bot.domain.state import Status, Step
from bot.fakeapi import FakeBotApi, FakeUser, SentMessage
from bot.telegram.runtime import App, Runtime

WAIT = 15.0  # seconds to wait for the bot's answer to one demo action


class DemoRefused(TravelRefused):
    """An action the page asked for that cannot be done; the message says why."""


@dataclass
class Demo:
    server: FakeBotApi
    clock: ShiftedClock
    settings: Settings
    application: App | None = None
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
        return self.application.bot_data.runtime

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
        if snapshot is not None and snapshot.status != Status.ENROLLING:
            raise DemoRefused(f"{who.name} is already enrolled.")
        if snapshot is None or snapshot.awaiting == Step.CONSENT:
            await self._act_and_wait(user, lambda: user.send("/start"))
            consent = next((m for m in reversed(user.messages) if _offers(m, "consent:yes")), None)
            if consent is None:
                raise DemoRefused("The bot did not ask for consent; see the chat.")
            await self._until(lambda s: s and s.awaiting != Step.CONSENT, user_id,
                              lambda: user.press_data("consent:yes", consent))
        current = await self.runtime.subscriptions.get(user_id)
        if current is not None and current.awaiting == Step.TIMEZONE:
            await self._until(lambda s: s and s.awaiting != Step.TIMEZONE, user_id, lambda: user.send(who.zone))
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
                    await self._act_and_wait(user, lambda day=day: user.send(samples.LEVELS[day]))
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
        heading = f"Day {day} of {self.runtime.deps.content.program_length}"
        shown = next((m for m in reversed(user.messages) if (m.text or "").startswith(heading)), None)
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
