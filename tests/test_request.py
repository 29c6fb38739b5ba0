"""The aiohttp transport under a real `telegram.Bot`, against the fake Bot API over real HTTP:
PTB's own errors for every failure, uploads byte for byte, one connection reused, and the
application built with it for sends and, separately, for long polling."""

from __future__ import annotations

import asyncio
import io
import socket
from datetime import timedelta

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.config import Settings
from bot.content.loader import default_content_dir, load_content
from bot.telegram.app import build_application
from bot.telegram.request import AiohttpRequest
from tests.fakebot import FakeBotApi, FakeUser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ALICE = 1001


@pytest.fixture
async def server():
    async with FakeBotApi() as running:
        yield running


@pytest.fixture
def alice(server) -> FakeUser:
    return FakeUser(server, ALICE, "Alice")


def bot_on(base_url: str, token: str = FakeBotApi().token, **request_args) -> Bot:
    return Bot(token, base_url=base_url, request=AiohttpRequest(**request_args))


@pytest.fixture
async def bot(server):
    async with bot_on(server.base_url, server.token) as client:
        yield client


async def test_a_message_round_trips_with_entities_and_keyboard(server, alice, bot):
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity

    sent = await bot.send_message(
        ALICE, "Day 1 of 30 — ünïcode 🌞", entities=[MessageEntity("bold", 0, 11)],
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("5", callback_data="pain:5")]]),
    )
    received = alice.last
    assert received.text == "Day 1 of 30 — ünïcode 🌞"
    assert received.entities[0]["type"] == "bold" and received.buttons == ["5"]
    assert sent.message_id == received.message_id and sent.chat.id == ALICE


async def test_blocked_user_is_forbidden(server, alice, bot):
    server.block(ALICE)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(ALICE, "hello")


async def test_unknown_chat_is_a_bad_request(bot):
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "hello")


async def test_flood_control_is_retry_after_with_its_seconds(server, alice, bot):
    server.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "hello")
    assert caught.value.retry_after == timedelta(seconds=7)
    await bot.send_message(ALICE, "after the wait")  # the next one goes through
    assert alice.last.text == "after the wait"


@pytest.mark.parametrize(
    "status, error",
    [(409, Conflict), (401, InvalidToken), (500, NetworkError), (502, NetworkError)],
)
async def test_other_statuses_map_to_ptbs_errors(server, alice, bot, status, error):
    server.fail_next("sendMessage", status)
    with pytest.raises(error):
        await bot.send_message(ALICE, "hello")


async def test_a_migrated_group_is_chat_migrated():
    # The fake Bot API has no groups; a one-route server answers as Telegram does.
    async def migrated(request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 400, "description": "Bad Request: group chat was upgraded",
                "parameters": {"migrate_to_chat_id": -100123}}
        return web.json_response(body, status=400)

    async with _one_route_server(migrated) as base_url, bot_on(base_url) as bot:
        with pytest.raises(ChatMigrated) as caught:
            await bot.send_message(-5, "hello")
    assert caught.value.new_chat_id == -100123


async def test_a_hung_request_times_out(server, alice):
    async with bot_on(server.base_url, server.token, read_timeout=0.3) as bot:
        server.hang_next("sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(ALICE, "hello")
        await bot.send_message(ALICE, "next")  # the transport is still usable
    assert alice.last.text == "next"


async def test_a_per_call_timeout_overrides_the_default(server, alice, bot):
    server.hang_next("sendMessage")
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE, "hello", read_timeout=0.2)


async def test_nobody_listening_is_a_network_error():
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AiohttpRequest(connect_timeout=2) as request:  # a Bot could not even start here
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
    assert not isinstance(caught.value, (TimedOut, BadRequest))
    assert "aiohttp" in caught.value.message


async def test_a_connection_dropped_mid_answer_is_a_network_error():
    async def drop(request: web.Request) -> web.Response:
        request.transport.close()
        await asyncio.sleep(1)
        return web.Response()

    async with _one_route_server(drop) as base_url, bot_on(base_url) as bot:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(ALICE, "hello")
    assert not isinstance(caught.value, TimedOut)


async def test_a_body_that_is_not_json_is_a_telegram_error():
    from telegram.error import TelegramError

    async def garbage(request: web.Request) -> web.Response:
        return web.Response(text="<html>proxy error</html>", status=200)

    async with _one_route_server(garbage) as base_url, bot_on(base_url) as bot:
        with pytest.raises(TelegramError, match="Invalid server response"):
            await bot.send_message(ALICE, "hello")


async def test_photo_and_document_uploads_keep_bytes_name_and_caption(server, alice, bot):
    await bot.send_photo(ALICE, io.BytesIO(PNG), caption="Pain chart")
    csv = "date,pain\n2026-03-01,6 ünïcode\n".encode()
    sent = await bot.send_document(ALICE, csv, filename="checkins.csv")
    photo, document = alice.messages
    assert photo.kind == "photo" and photo.photo_bytes == PNG and photo.caption == "Pain chart"
    assert document.document_bytes == csv and document.filename == "checkins.csv"
    assert sent.document.file_name == "checkins.csv"


async def test_an_upload_the_server_refuses_is_a_bad_request(server, alice, bot):
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(ALICE, b"not an image")


async def test_sends_reuse_one_connection():
    PEERS.clear()
    async with _one_route_server(_get_me_counted) as base_url, bot_on(base_url) as bot:
        for _ in range(20):
            await bot.get_me()
    assert len(PEERS) == 1 and sum(PEERS.values()) == 21  # the Bot's own getMe at start, then 20


async def test_the_connector_is_sized_for_concurrent_sends(server):
    users = [FakeUser(server, 2000 + n, "U") for n in range(40)]
    server.latency = 0.2  # every send takes a while, so all of them are in flight together
    async with bot_on(server.base_url, server.token, connection_pool_size=64) as bot:
        await asyncio.gather(*(bot.send_message(u.id, "hi") for u in users))
    assert len(server.messages()) == 40


async def test_shutdown_then_initialize_works_again(server, alice):
    request = AiohttpRequest()
    bot = Bot(server.token, base_url=server.base_url, request=request)
    async with bot:
        await bot.send_message(ALICE, "one")
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(server.base_url + server.token + "/getMe", "POST")
    async with bot:
        await bot.send_message(ALICE, "two")
    assert [m.text for m in alice.messages] == ["one", "two"]


async def test_the_application_is_a_telegram_bot_with_aiohttp_for_sends_and_polling(server, tmp_path):
    settings = Settings(
        _env_file=None, telegram_bot_token=server.token, telegram_api_base_url=server.base_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
    )
    application = build_application(settings, load_content(default_content_dir()))
    assert isinstance(application.bot, Bot)
    sends, polls = application.bot.request, application.bot._request[0]
    assert isinstance(sends, AiohttpRequest) and isinstance(polls, AiohttpRequest)
    assert sends is not polls  # a long poll never holds a connection a send needs


ME = {"id": 1, "is_bot": True, "first_name": "B", "username": "b"}


async def _get_me(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "result": ME})


class _one_route_server:
    """A bare HTTP server answering getMe (so a Bot starts) and every other method with `handler`."""

    def __init__(self, handler) -> None:
        self.handler = handler

    async def __aenter__(self) -> str:
        app = web.Application()
        if self.handler is not _get_me_counted:
            app.router.add_route("*", "/bot{token}/getMe", _get_me)
        app.router.add_route("*", "/bot{token}/{method}", self.handler)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/bot"

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()


PEERS: dict = {}


async def _get_me_counted(request: web.Request) -> web.Response:
    peer = request.transport.get_extra_info("peername")
    PEERS[peer] = PEERS.get(peer, 0) + 1
    return web.json_response({"ok": True, "result": ME})


async def test_the_application_bot_sends_and_answers_with_the_message_id_date_and_chat(server, alice, tmp_path):
    from bot.telegram.messenger import MessengerBot, TelegramMessenger

    bot = MessengerBot(server.token, base_url=server.base_url, request=AiohttpRequest())
    async with bot:
        messenger = TelegramMessenger(bot)
        sent = await messenger.send(ALICE, "**Day 1** of 30", keyboard=[[("5", "pain:5")]])
        outcome = await messenger.send_markdown(ALICE, "Day 2 of 30", bulk=False)
    first, second = alice.messages
    assert (sent.message_id, sent.chat.id) == (first.message_id, ALICE) and sent.date.tzinfo is not None
    assert first.text == "Day 1 of 30" and first.entities[0]["type"] == "bold" and first.buttons == ["5"]
    assert outcome.ok and outcome.message_id == second.message_id
