"""Three real bot processes on one PostgreSQL and one fake Telegram: every delivery exactly once,
the bulk rate within SEND_RATE_LIMIT in total, and only one process polling for updates."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from bot.storage.db import create_engine
from bot.storage.models import Subscriber
from tests.fakebot import FakeBotApi, FakeUser

pytestmark = [pytest.mark.postgres, pytest.mark.slow]  # several bot processes
SUBSCRIBERS = 150
RATE = 50


async def seed_due_subscribers(url: str, server: FakeBotApi) -> list[int]:
    now = datetime.now(UTC)
    ids = [500_000 + i for i in range(SUBSCRIBERS)]
    rows = [
        dict(telegram_user_id=i, chat_id=i, first_name="Sub", status="active", blocked=False, consented_at=now,
             timezone="UTC", delivery_minute=8 * 60, program_day=3, next_delivery_at=now - timedelta(minutes=1),
             created_at=now, updated_at=now)
        for i in ids
    ]
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(insert(Subscriber), rows)
    await engine.dispose()
    for i in ids:
        server.register_user({"id": i, "is_bot": False, "first_name": "Sub"})
    return ids


async def start_bot(server: FakeBotApi, url: str, tmp_path) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_URL": url,
        "SEND_RATE_LIMIT": str(RATE),
        "LOG_LEVEL": "INFO",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=open(tmp_path / f"bot-{os.urandom(3).hex()}.log", "w"),
    )


async def test_three_processes_deliver_every_day_exactly_once(postgres_url, tmp_path):
    from tests.conftest import TABLES, _admin

    await _admin(postgres_url, f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    async with FakeBotApi() as server:
        ids = await seed_due_subscribers(postgres_url, server)
        processes = [await start_bot(server, postgres_url, tmp_path) for _ in range(3)]
        try:
            deadline = asyncio.get_running_loop().time() + 60
            while asyncio.get_running_loop().time() < deadline:
                if len([m for m in server.messages() if (m.text or "").startswith("Day 4 of 30")]) >= SUBSCRIBERS:
                    break
                for p in processes:
                    assert p.returncode is None, "a bot process died"
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # anything sent twice would arrive by now

            # One process polls; a command is answered exactly once.
            someone = FakeUser(server, ids[0], "Sub")
            someone.mark_read()  # Day 4 is already there
            await someone.command("/help")
            assert "/pain" in (await someone.next_reply(timeout=20)).text
            await someone.no_reply(within=1.0)
        finally:
            for p in processes:
                if p.returncode is None:
                    p.send_signal(signal.SIGTERM)
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes)), 30)

        days = {}
        for message in server.messages():
            if (message.text or "").startswith("Day 4 of 30"):
                days[message.chat_id] = days.get(message.chat_id, 0) + 1
        assert sorted(days) == ids, f"{SUBSCRIBERS - len(days)} subscribers got nothing"
        assert set(days.values()) == {1}, "a day was sent twice"
        assert server.max_sends_in_any_window(1.0) <= RATE
        assert all(p.returncode == 0 for p in processes), "a process did not shut down cleanly"
