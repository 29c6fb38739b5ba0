"""Database round trips and Bot API calls per subscriber action: what each handler costs.

    .venv/bin/python bench/transactions.py [--postgres URL]

Runs the real application against the fake Bot API (in this process: only counts are taken, no
times) and walks one subscriber through enrolment and the everyday commands, printing for each
step the SQL statements, the transactions (commits) and the Bot API calls it made.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.fakeapi import NOW  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.content.loader import default_content_dir, load_content  # noqa: E402
from bot.storage.db import upgrade_sync  # noqa: E402
from tests.e2e import eventually, running_bot  # noqa: E402
from tests.fakebot import FakeBotApi  # noqa: E402


async def walk(url: str) -> list[tuple[str, int, int, int]]:
    clock = FakeClock(NOW)
    rows = []
    async with FakeBotApi(clock=clock) as server:
        settings = Settings(
            _env_file=None, telegram_bot_token=server.token, telegram_api_base_url=server.base_url,
            database_url=url, send_rate_limit=1000, log_level="WARNING",
        )
        async with running_bot(settings, load_content(default_content_dir()), clock, server) as bot:
            engine = bot.application.bot_data.engine
            counts = {"statements": 0, "commits": 0}
            event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: counts.__setitem__("statements", counts["statements"] + 1))
            event.listen(engine.sync_engine, "commit", lambda *a: counts.__setitem__("commits", counts["commits"] + 1))
            user = bot.user(4242, "Sam")

            async def step(name: str, action, replies: int) -> None:
                await asyncio.sleep(0.2)  # let the previous step's last writes land
                before = dict(counts), len(server.requests)
                user.mark_read()
                await action()
                await user.replies(replies)
                await asyncio.sleep(0.2)
                rows.append((name, counts["statements"] - before[0]["statements"], counts["commits"] - before[0]["commits"], len(server.requests) - before[1]))

            await step("/start", lambda: user.command("/start"), 1)
            await step("consent button", lambda: user.press("✅ I agree"), 2)
            await step("time zone button", lambda: user.press("UTC"), 2)
            await step("time button (and Day 1)", lambda: user.press("08:00"), 2)
            await step("/pain 5", lambda: user.command("/pain 5"), 1)
            await step("pain button on Day 1", lambda: user.press("6"), 1)
            await step("/today", lambda: user.command("/today"), 1)
            await step("/history", lambda: user.command("/history"), 1)
            await step("/level 30 ng/mL", lambda: user.command("/level 30 ng/mL"), 1)
            await step("question in words", lambda: user.send("how much sun do I need?"), 1)
            clock.advance(timedelta(days=1, hours=2))
            before = dict(counts)
            sent = await bot.sweep()
            rows.append((f"drip sweep ({sent} due)", counts["statements"] - before["statements"], counts["commits"] - before["commits"], sent))
            await eventually(lambda: asyncio.sleep(0, True))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="also on this PostgreSQL database (migrated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bot.db"
        upgrade_sync(url)
        targets = [("SQLite", url)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
        for name, target in targets:
            print(f"{name}:\n{'step':<28} {'statements':>10} {'commits':>8} {'Bot API calls':>14}")
            for step, statements, commits, calls in asyncio.run(walk(target)):
                print(f"{step:<28} {statements:>10} {commits:>8} {calls:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
