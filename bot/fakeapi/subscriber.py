"""``FakeUser``: act as a Telegram subscriber against a ``FakeBotApi``.

A user sends text, commands, locations and button presses as real-shaped updates, and reads the
bot's replies in order through a per-user cursor (``next_reply``, ``replies_after``).
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from bot.fakeapi.markup import utf16_len
from bot.fakeapi.records import AnsweredCallback, SentMessage
from bot.fakeapi.server import FakeBotApi

Action = Awaitable[Any] | Callable[[], Awaitable[Any]]
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?(?=\s|$)")


class FakeUser:
    """A subscriber in a private chat with the bot (chat id == user id)."""

    def __init__(
        self,
        server: FakeBotApi,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        clock: Clock | None = None,
    ) -> None:
        self.server = server
        self.id = user_id
        self.clock = clock or server.clock
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            self.user["username"] = username
        if language_code:
            self.user["language_code"] = language_code
        self.chat = server.register_user(self.user)
        self._cursor = 0

    @property
    def chat_id(self) -> int:
        return self.id

    # ---- acting ----------------------------------------------------------------------------

    def _message(self, **content: Any) -> dict:
        return {
            "message_id": self.server.next_message_id(self.id),
            "from": self.user,
            "chat": self.chat,
            "date": int(self.clock.now().timestamp()),
            **content,
        }

    async def send(self, text: str) -> dict:
        """Type ``text`` (a leading "/word" is a command, as in Telegram); returns the message."""
        content: dict[str, Any] = {"text": text}
        if command := _COMMAND.match(text):
            length = utf16_len(command.group(0))
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        message = self._message(**content)
        self.server.queue_update("message", message)
        return message

    async def command(self, text: str) -> dict:
        """Send a command such as ``/pain 6 stiff``."""
        if not _COMMAND.match(text):
            raise ValueError(f"not a command: {text!r}")
        return await self.send(text)

    async def share_location(self, latitude: float, longitude: float) -> dict:
        message = self._message(location={"latitude": latitude, "longitude": longitude})
        self.server.queue_update("message", message)
        return message

    async def press(self, label: str) -> str:
        """Press inline button ``label`` on the newest message showing it; returns the query id."""
        for message in reversed(self.messages):
            button = None if message.deleted else message.button(label)
            if button is None:
                continue
            if "callback_data" not in button:
                raise AssertionError(f"button {label!r} has no callback data: {button}")
            return self.server.open_callback_query(self.id, message, button["callback_data"])
        shown = [(m.message_id, m.buttons) for m in self.messages if m.buttons and not m.deleted]
        raise AssertionError(f"no inline button {label!r}; shown (message id, labels): {shown}")

    async def press_data(self, data: str, message: SentMessage | None = None) -> str:
        """Send a callback query with arbitrary ``data`` (forged or stale presses)."""
        return self.server.open_callback_query(self.id, message or self.last, data)

    async def reply_keyboard_tap(self, label: str) -> dict:
        """Tap a button of the reply keyboard currently shown (sends its label as text)."""
        for message in reversed(self.messages):
            markup = message.reply_markup or {}
            if "keyboard" in markup or markup.get("remove_keyboard"):
                if label in message.reply_keyboard:
                    return await self.send(label)
                raise AssertionError(
                    f"reply keyboard shows {message.reply_keyboard}, not {label!r}"
                )
        raise AssertionError(f"no reply keyboard is shown to user {self.id}")

    def block_bot(self) -> None:
        self.server.block(self.id)

    def unblock_bot(self) -> None:
        self.server.unblock(self.id)

    # ---- reading ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Every message the bot sent this user, oldest first."""
        return self.server.messages(self.id)

    @property
    def last(self) -> SentMessage | None:
        return self.messages[-1] if self.messages else None

    @property
    def unread(self) -> list[SentMessage]:
        return self.messages[self._cursor :]

    def mark_read(self) -> None:
        """Move the cursor past everything received so far."""
        self._cursor = len(self.messages)

    async def next_reply(self, timeout: float = 5.0) -> SentMessage:
        """The first message after the last one read; waits for it."""
        found = await self._wait_for(self._cursor + 1, timeout)
        self._cursor += 1
        return found[self._cursor - 1]

    async def replies(self, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """The next ``count`` unread messages; waits for them."""
        found = await self._wait_for(self._cursor + count, timeout)
        start, self._cursor = self._cursor, self._cursor + count
        return found[start : self._cursor]

    async def replies_after(
        self, action: Action, count: int = 1, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Skip unread messages, run ``action`` (e.g. ``user.command("/today")``), then return
        the ``count`` messages that arrive after it."""
        self.mark_read()
        result = action() if callable(action) else action
        if inspect.isawaitable(result):
            await result
        return await self.replies(count, timeout)

    async def no_reply(self, within: float = 0.3) -> None:
        """Assert that nothing new arrives within ``within`` seconds."""
        deadline = time.monotonic() + within
        while (remaining := deadline - time.monotonic()) > 0:
            if self.unread:
                break
            await self.server.wait_for_change(remaining)
        if self.unread:
            raise AssertionError(f"expected no reply, got: {[str(m) for m in self.unread]}")

    def buttons(self, message: SentMessage | None = None) -> list[str]:
        """Inline button labels of ``message`` (default: the newest message)."""
        message = message or self.last
        return message.buttons if message else []

    def answer_to(self, query_id: str) -> AnsweredCallback | None:
        """The bot's answerCallbackQuery for a press, if it answered."""
        return next(
            (a for a in self.server.answered_callbacks if a.callback_query_id == query_id), None
        )

    async def _wait_for(self, count: int, timeout: float) -> list[SentMessage]:
        try:
            return await self.server.wait_for_messages(self.id, count, timeout)
        except AssertionError as exc:
            raise AssertionError(f"user {self.id} (read {self._cursor}): {exc}") from None
