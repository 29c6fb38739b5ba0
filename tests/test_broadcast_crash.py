"""A broadcast survives its process being killed: the real bot runs as a subprocess (`python -m
bot run`) against the fake Bot API in this test's event loop; the broadcast is queued through the
real CLI; the bot is SIGKILLed twice in the middle and started again; every recipient ends up with
the article exactly once, except that a message in flight at a kill may arrive twice (SPEC's single
exception: the Bot API has no idempotency key). On SQLite and PostgreSQL.

The dead process's claims are released when the next one starts (SQLite) or when its heartbeat
stops (PostgreSQL), not when the lease (five minutes) ends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.storage.db import create_engine, session_factory
from bot.storage.models import Broadcast, Delivery, Subscriber
from tests.conftest import OPERATOR_ID
from tests.e2e import eventually
from tests.test_broadcast import SLUG, received, seed, sendable_content_dir

# slow: starts processes (python3 dev.py test -m "not slow" skips it); serial: its kills race the sends.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

RECIPIENTS = range(30_001, 30_501)
RATE = 400


def bot_environment(server, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "OPERATOR_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_BASE_URL=server.base_url, DATABASE_URL=database_url,
        OPERATOR_IDS=str(OPERATOR_ID), SEND_RATE_LIMIT=str(RATE), LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def vitd_bot() -> list[str]:
    """The console script, as a deployer runs it (or `python -m bot` where it is not installed)."""
    script = Path(sys.executable).with_name("vitd-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


async def start_bot(env, cwd: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=cwd, stdout=out, stderr=out
        )


async def kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)  # no shutdown, no cleanup: as if the machine died
    await process.wait()


async def unconfirmed(sessions, server) -> set[int]:
    """Recipients who have the article but whose ledger row does not say so: the sends in flight."""
    async with sessions() as session:
        confirmed = set((await session.execute(
            select(Subscriber.chat_id).join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.broadcast_id.is_not(None), Delivery.status == "sent")
        )).scalars())
    return set(received(server, RECIPIENTS)) - confirmed


async def test_a_broadcast_killed_twice_still_arrives_once(server, database_url, tmp_path):
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    processes = []
    try:
        await seed(sessions, server, RECIPIENTS)
        server.register_user({"id": OPERATOR_ID, "is_bot": False, "first_name": "Olga"})
        env = bot_environment(server, database_url, CONTENT_DIR=str(sendable_content_dir(tmp_path / "content")))
        log = tmp_path / "bot.log"
        # On PostgreSQL several processes may share the work (and each new one waits a heartbeat
        # round before bulk sends): a second process runs from the start and a fresh one replaces
        # the first one killed. SQLite is one process at a time: each kill is followed by a restart.
        standby = database_url.startswith("postgresql")
        processes.append(await start_bot(env, tmp_path, log))
        if standby:
            processes.append(await start_bot(env, tmp_path, log))
        live = list(processes)
        cli = await asyncio.create_subprocess_exec(
            *vitd_bot(), "broadcast", SLUG, "--yes", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output = (await cli.communicate())[0].decode()
        assert cli.returncode == 0, output
        assert "Audience: 500" in output and "Queued broadcast #1" in output

        in_flight: list[set[int]] = []
        for kills, threshold in enumerate((150, 320), start=1):
            async def reached(threshold=threshold):
                return sum(received(server, RECIPIENTS).values()) >= threshold

            assert await eventually(reached, timeout=30), log.read_text()[-3000:]
            await kill(live.pop(0))
            await server.wait_for_requests_in_flight()  # what reached the server is recorded
            got = sum(received(server, RECIPIENTS).values())
            assert got < len(RECIPIENTS), "killed too late to be in the middle"
            in_flight.append(await unconfirmed(sessions, server))
            if not standby or kills == 1:
                processes.append(await start_bot(env, tmp_path, log))
                live.append(processes[-1])

        async def summary():
            return [m for m in server.messages(OPERATOR_ID) if "is done" in (m.text or "")]

        [report] = await eventually(summary, timeout=40) or [None]
        assert report is not None, log.read_text()[-3000:]
        async with sessions() as session:
            final = await session.get(Broadcast, 1)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
                await process.wait()
        await engine.dispose()

    counts = received(server, RECIPIENTS)
    assert set(counts) == set(RECIPIENTS)  # nobody missed
    duplicates = {chat for chat, n in counts.items() if n > 1}
    assert duplicates <= set().union(*in_flight)  # only sends in flight at a kill came twice
    for chat, n in counts.items():
        assert n <= 1 + sum(chat in s for s in in_flight)  # and at most once more per kill
    assert "500 sent, 0 blocked, 0 failed" in report.text
    assert (final.status, final.recipients) == ("done", 500)
