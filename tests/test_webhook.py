"""Webhook mode end to end: the real server on a free port, Telegram's secret header, /healthz and
/metrics on their own private listener (not on the webhook's), a repeated update processed once,
and a clean shutdown."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from bot.telegram.runner import serve
from tests.e2e import eventually
from tests.fakebot import FakeUser

SECRET = "s3cret-token_123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def help_update(update_id: int, user_id: int, ts: int) -> dict:
    person = {"id": user_id, "is_bot": False, "first_name": "Wendy"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": ts, "from": person,
            "chat": {"id": user_id, "type": "private", "first_name": "Wendy"},
            "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


@pytest.fixture
async def webhook_bot(server, database_url, clock, content, settings_for):
    port, monitoring_port = free_port(), free_port()
    settings = settings_for(
        server, database_url, bot_mode="webhook", webhook_url=f"https://bot.example/hook/{SECRET[:4]}",
        webhook_secret=SECRET, webhook_listen="127.0.0.1", webhook_port=port, metrics_port=monitoring_port,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, content, stop, clock=clock, sweep_interval=None, broadcast_interval=None))
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        async def listening() -> bool:
            try:
                return (await client.get("/healthz")).status_code == 404
            except httpx.TransportError:
                return False

        assert await eventually(listening, timeout=10), "the webhook server never started"
        yield client, settings
    stop.set()
    await asyncio.wait_for(task, 15)


async def test_requests_without_the_secret_are_refused_and_not_processed(webhook_bot, server, clock):
    client, _ = webhook_bot
    wendy = FakeUser(server, 7001, "Wendy", clock=clock)
    update = help_update(1, wendy.chat_id, int(clock.now().timestamp()))
    missing = await client.post("/hook/s3cr", json=update)
    wrong = await client.post("/hook/s3cr", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    await wendy.no_reply(within=0.5)


async def test_an_update_with_the_secret_is_processed_exactly_once(webhook_bot, server, clock):
    client, _ = webhook_bot
    assert server.webhook and server.webhook.get("url", "").endswith("/hook/s3cr")
    wendy = FakeUser(server, 7002, "Wendy", clock=clock)
    update = help_update(42, wendy.chat_id, int(clock.now().timestamp()))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    first = await client.post("/hook/s3cr", json=update, headers=headers)
    again = await client.post("/hook/s3cr", json=update, headers=headers)  # Telegram retrying
    assert (first.status_code, again.status_code) == (200, 200)
    answer = await wendy.next_reply()
    assert "/pain" in answer.text
    await wendy.no_reply(within=0.5)


async def test_health_and_metrics_only_on_their_own_private_listener(webhook_bot, server, clock):
    client, settings = webhook_bot
    assert settings.metrics_listen == "127.0.0.1"  # the default: not reachable from outside
    # The public webhook port answers Telegram's path and nothing else.
    assert (await client.get("/healthz")).status_code == 404
    assert (await client.get("/metrics")).status_code == 404
    monitoring = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.metrics_port}", timeout=5)
    async with monitoring:
        health = await monitoring.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        wendy = FakeUser(server, 7003, "Wendy", clock=clock)
        await client.post("/hook/s3cr", json=help_update(77, wendy.chat_id, int(clock.now().timestamp())),
                          headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        await wendy.next_reply()
        metrics = (await monitoring.get("/metrics")).text
        assert (await monitoring.post("/hook/s3cr", json={})).status_code in (404, 405)
    assert "vitd_queue_depth" in metrics and "vitd_sweep_lag_seconds" in metrics
    assert 'vitd_messages_total{lane="reply",outcome="sent"}' in metrics


async def test_a_button_press_through_the_webhook_acts_on_the_message_it_came_from(webhook_bot, server, clock):
    """The press arrives with the whole message it was under (text, entities, keyboard), as
    Telegram sends it; the bot reads which message and chat (bot/telegram/incoming.py)."""
    client, _ = webhook_bot
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    wendy = FakeUser(server, 7003, "Wendy", clock=clock)
    start = help_update(50, wendy.chat_id, int(clock.now().timestamp()))
    start["message"].update(text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}])
    assert (await client.post("/hook/s3cr", json=start, headers=headers)).status_code == 200
    disclaimer = await wendy.next_reply()
    query_id = await wendy.press("✅ I agree")  # queued as Telegram makes it; posted here instead
    [press] = [u for u in server.pending_updates if u.get("callback_query", {}).get("id") == query_id]
    pressed = press["callback_query"]["message"]
    assert pressed["message_id"] == disclaimer.message_id and pressed["text"] and pressed["reply_markup"]
    server.requests.clear()
    assert (await client.post("/hook/s3cr", json=press, headers=headers)).status_code == 200
    zone_question, _location = await wendy.replies(2)
    assert "time zone" in zone_question.text.lower()
    edits = [params for method, params in server.requests if method == "editMessageReplyMarkup"]
    assert [(int(e["chat_id"]), int(e["message_id"])) for e in edits] == [(wendy.chat_id, disclaimer.message_id)]
