"""A fake Telegram Bot API (real HTTP on 127.0.0.1) and fake subscribers, for end-to-end tests.

    async with FakeBotApi(clock=clock, rate_limit_per_second=25) as server:   # port is ephemeral
        app = application_builder(server).build()  # or the real bot: TELEGRAM_API_BASE_URL=
        async with polling(app):                 # server.base_url, TELEGRAM_BOT_TOKEN=server.token
            alice = FakeUser(server, 1001, "Alice", clock=clock)      # chat id == user id
            [hello] = await alice.replies_after(alice.command("/start"))  # replies in order
            await alice.press("I agree"); day1 = await alice.next_reply()
            assert day1.text.startswith("Day 1 of 30"), alice.buttons(day1)
            server.block(1001); server.fail_next("sendMessage", 429, retry_after=3)
            server.hang_next("sendMessage", record=True); await server.wait_until_hung()
            assert server.max_sends_in_any_window(1.0) <= 25
Only server.token ("<digits>:<secret>", settable) is accepted; unknown methods answer 404.
Texts are stored as the user sees them (parse_mode applied). Photos must be real PNG/JPEG/GIF/WebP.

The server and FakeUser live in the package (``bot.fakeapi``, which ``vitd-bot demo`` also runs);
their modules stay importable under their old names here (``tests.fakebot.server``, ...).
"""

import sys

from bot.fakeapi import faults, markup, params, records, server, shapes, subscriber, updates, validation

for _module in (faults, markup, params, records, server, shapes, subscriber, updates, validation):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module

from tests.fakebot.ptb import application_builder, bot_for, polling  # noqa: E402
from tests.fakebot.records import AnsweredCallback, MessageVersion, SendRecord, SentMessage  # noqa: E402
from tests.fakebot.server import DEFAULT_TOKEN, FakeBotApi  # noqa: E402
from tests.fakebot.subscriber import FakeUser  # noqa: E402

__all__ = [
    "DEFAULT_TOKEN", "AnsweredCallback", "FakeBotApi", "FakeUser", "MessageVersion",
    "SendRecord", "SentMessage", "application_builder", "bot_for", "polling",
]
