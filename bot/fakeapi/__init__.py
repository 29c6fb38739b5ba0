"""A fake Telegram Bot API (real HTTP on 127.0.0.1) and fake subscribers acting against it.

The end-to-end tests drive the real bot through it (``tests.fakebot`` re-exports this package),
and ``vitd-bot demo`` runs the bot against it with a chat page in front (``bot.demo``).
"""

from bot.fakeapi.records import AnsweredCallback, MessageVersion, SendRecord, SentMessage
from bot.fakeapi.server import DEFAULT_TOKEN, FakeBotApi
from bot.fakeapi.subscriber import FakeUser

__all__ = [
    "DEFAULT_TOKEN", "AnsweredCallback", "FakeBotApi", "FakeUser", "MessageVersion",
    "SendRecord", "SentMessage",
]
