"""A fake Telegram Bot API and fake subscribers, for end-to-end tests of the real bot.

    async with FakeBotApi(clock=clock, rate_limit_per_second=25) as server:
        app = application_builder(server).build()        # or TELEGRAM_API_BASE_URL=server.base_url,
        app.add_handler(...)                             #    TELEGRAM_BOT_TOKEN=server.token
        async with polling(app):
            alice = FakeUser(server, 1001, "Alice", clock=clock)   # chat id == user id
            [reply] = await alice.replies_after(alice.command("/start"))
            await alice.press("I agree"); reply = await alice.next_reply()
            assert reply.text.startswith("Day 1 of 30") and alice.buttons(reply) == [...]
            server.block(1001); server.fail_next("sendMessage", 429, retry_after=3)
            assert server.max_sends_in_any_window(1.0) <= 25

Photos must be real image bytes (PNG/JPEG/GIF/WebP) or the server answers IMAGE_PROCESS_FAILED.
"""

from tests.fakebot.ptb import application_builder, bot_for, polling
from tests.fakebot.records import AnsweredCallback, MessageVersion, SendRecord, SentMessage
from tests.fakebot.server import DEFAULT_TOKEN, FakeBotApi
from tests.fakebot.subscriber import FakeUser

__all__ = [
    "DEFAULT_TOKEN", "AnsweredCallback", "FakeBotApi", "FakeUser", "MessageVersion",
    "SendRecord", "SentMessage", "application_builder", "bot_for", "polling",
]
