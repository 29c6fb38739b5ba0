"""The operators' command line through its real entry point (the `vitd-bot` console script in a
subprocess, against the test's database): queueing a broadcast with and without confirmation,
`--status` with its progress bar, `stats`, and the errors for an unknown slug or a broken file.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from bot.storage.db import create_engine, session_factory
from bot.storage.models import Broadcast
from tests.e2e import running_bot
from tests.test_broadcast import SLUG, seed, sendable_content_dir
from tests.test_broadcast_crash import bot_environment, vitd_bot

pytestmark = pytest.mark.slow  # starts processes: python3 dev.py test -m "not slow" skips it


async def run_cli(env, cwd, *args: str, answer: str | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *vitd_bot(), *args, env=env, cwd=cwd, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output = (await process.communicate(answer.encode() if answer is not None else b""))[0].decode()
    return process.returncode, output


async def test_queue_confirm_status_and_stats(server, database_url, tmp_path, clock, content, settings_for):
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await seed(sessions, server, range(40_001, 40_005))
        await seed(sessions, server, [40_100], status="stopped", program_day=4)
        env = bot_environment(server, database_url, CONTENT_DIR=str(sendable_content_dir(tmp_path / "content")))

        (declined, said_no), (accepted, said_yes) = await asyncio.gather(
            run_cli(env, tmp_path, "broadcast", SLUG, answer="n\n"),
            run_cli(env, tmp_path, "broadcast", SLUG, answer="y\n"),
        )
        assert declined == 1 and "Nothing queued" in said_no, said_no
        assert accepted == 0 and "Queued broadcast #" in said_yes, said_yes
        for output in (said_no, said_yes):
            assert "Burning Feet at Night" in output and "Audience: 4 active subscribers" in output
            assert "Queue this broadcast?" in output
        async with sessions() as session:
            [queued] = (await session.execute(select(Broadcast))).scalars().all()
        assert (queued.slug, queued.status, queued.requested_by) == (SLUG, "queued", None)

        # The bot starts it and stops half-way: two of four sent.
        async with running_bot(settings_for(server, database_url), content, clock, server) as bot:
            await bot.runtime.broadcasts.start(queued.id)
            broadcasts = bot.runtime.broadcasts
            claims = await broadcasts._claim(queued.id, queued.markdown)  # a pass that stops half-way
            await broadcasts.ledger.deliver(claims[:2], broadcasts._record, bulk=True, concurrency=2)

        (status_code, status), (stats_code, stats) = await asyncio.gather(
            run_cli(env, tmp_path, "broadcast", "--status"), run_cli(env, tmp_path, "stats"),
        )
        assert status_code == 0, status
        line = next(row for row in status.splitlines() if row.startswith(f"#{queued.id} "))
        assert "[sending]" in line and " 50% 2/4 " in line and "sent 2" in line, line
        bar = re.search(r"([█░]+)", line).group(1)
        assert len(bar) == 30 and bar.count("█") == 15
        assert stats_code == 0, stats
        assert "active: 4" in stats and "stopped: 1" in stats
        assert "day 3: 4" in stats and "Left (stopped or blocked) at program day: day 4: 1" in stats
        assert f"#{queued.id} {SLUG} [sending]: 2/4" in stats
    finally:
        await engine.dispose()


async def test_bad_targets_exit_1_and_say_why(server, tmp_path):
    env = bot_environment(server, f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    untitled = tmp_path / "untitled.md"
    untitled.write_text('---\nsummary: "No title here"\n---\nBody.\n')
    (unknown, listing), (broken, problem), (empty, usage) = await asyncio.gather(
        run_cli(env, tmp_path, "broadcast", "no-such-article", "--yes"),
        run_cli(env, tmp_path, "broadcast", str(untitled), "--yes"),
        run_cli(env, tmp_path, "broadcast"),
    )
    assert unknown == 1 and "no-such-article" in listing
    for slug in (SLUG, "early-warning-signs-you-ignore", "anxiety-without-a-trigger"):
        assert slug in listing
    assert broken == 1 and "untitled.md:2" in problem and "'title'" in problem, problem
    assert empty == 1 and "slug" in usage
