"""Benchmark: the drip's own send path, and its memory, against the fake Bot API.

Run: ``.venv/bin/python bench/bench_send_path.py [--due 2000] [--memory 2000,10000]`` (a few
minutes: the memory runs are traced, which is slow).

Throughput: N subscribers are due at once on SQLite; one sweep claims, renders, sends (to the fake
server, with the rate limiter lifted) and confirms every one of them; it prints messages per
second. Telegram allows about 30 bulk messages a second, so the bot's own path must be far above
that: the script exits 1 below `FLOOR`.

Memory: the same sweep under tracemalloc for two subscriber counts; the peak must not grow with
the number of subscribers (the sweep holds one batch at a time), so the script exits 1 if the
larger run's peak is more than `MEMORY_SLACK` times the smaller one's.

The fake server runs in a child process, so its memory (it keeps every message) and its CPU are
not counted as the bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.clock import FakeClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.content.loader import default_content_dir, load_content  # noqa: E402
from bot.storage.db import create_engine, upgrade_sync  # noqa: E402
from bot.storage.models import Subscriber  # noqa: E402

# messages/s: over three times Telegram's 30/s even on a small shared machine. Measured on a busy
# 2-vCPU box: ~200/s with the bot process CPU-bound at ~5 ms a message, ~3.3 ms of which is
# python-telegram-bot + httpx itself (a bare Bot.send_message loop); claims and confirms are
# batched, so the database is a small share.
FLOOR = 100.0
MEMORY_SLACK = 1.5
NOW = datetime(2027, 1, 4, 6, 0, tzinfo=timezone.utc)
FIRST_ID = 10_000_000


def serve(count: int, pipe) -> None:
    """The child process: a fake Bot API that knows `count` users."""
    from tests.fakebot import FakeBotApi

    async def main() -> None:
        async with FakeBotApi(clock=FakeClock(NOW)) as server:
            for user_id in range(FIRST_ID, FIRST_ID + count):
                server.register_user({"id": user_id, "is_bot": False, "first_name": "B"})
            pipe.send((server.token, server.base_url))
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # until told to stop
            pipe.send(len(server.messages()))

    asyncio.run(main())


async def seed(url: str, count: int) -> None:
    engine = create_engine(url)
    rows = [
        dict(
            telegram_user_id=user_id, chat_id=user_id, status="active", blocked=False, timezone="UTC",
            delivery_minute=8 * 60, program_day=3, next_delivery_at=NOW, created_at=NOW, updated_at=NOW,
        )
        for user_id in range(FIRST_ID, FIRST_ID + count)
    ]
    async with engine.begin() as connection:
        for start in range(0, count, 1000):
            await connection.execute(insert(Subscriber), rows[start : start + 1000])
    await engine.dispose()


async def sweep_once(settings: Settings, *, traced: bool) -> tuple[int, float, int]:
    """Start the real application, lift the rate limit, run one sweep: (sent, seconds, peak)."""
    from tests.e2e import running_bot

    content = load_content(default_content_dir())
    async with running_bot(settings, content, FakeClock(NOW), None) as bot:
        for job in bot.application.job_queue.jobs():
            job.schedule_removal()  # the heartbeat would put the configured rate back
        bot.application.bot.rate_limiter.window.set_rate(1_000_000)
        if traced:
            tracemalloc.start()
            tracemalloc.reset_peak()
            baseline = tracemalloc.get_traced_memory()[0]
        started, cpu = time.perf_counter(), time.process_time()
        sent = await bot.sweep()
        elapsed = time.perf_counter() - started
        print(f"  (bot process CPU: {time.process_time() - cpu:.2f} s for {sent} messages)")
        peak = 0
        if traced:
            peak = tracemalloc.get_traced_memory()[1] - baseline
            tracemalloc.stop()
    return sent, elapsed, peak


def run(count: int, *, traced: bool) -> tuple[int, float, int, int]:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(count, child), daemon=True)
    server.start()
    token, base_url = parent.recv()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        upgrade_sync(url)
        asyncio.run(seed(url, count))
        settings = Settings(
            _env_file=None, telegram_bot_token=token, telegram_api_base_url=base_url, database_url=url,
            send_rate_limit=1000,
        )
        sent, elapsed, peak = asyncio.run(sweep_once(settings, traced=traced))
    parent.send("stop")
    received = parent.recv()
    server.join(5)
    return sent, elapsed, peak, received


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--due", type=int, default=2000)
    parser.add_argument("--memory", default="2000,10000", help="two subscriber counts, e.g. 2000,10000")
    args = parser.parse_args()
    ok = True

    sent, elapsed, _, received = run(args.due, traced=False)
    rate = sent / elapsed
    print(f"send path: {sent} due, {received} messages received in {elapsed:.2f} s = {rate:.0f} messages/s")
    if sent != args.due or received != args.due or rate < FLOOR:
        print(f"FAIL: expected {args.due} messages at >= {FLOOR:.0f}/s")
        ok = False

    small, large = (int(n) for n in args.memory.split(","))
    peaks = {}
    for count in (small, large):
        sent, elapsed, peak, _ = run(count, traced=True)
        peaks[count] = peak
        print(f"memory: {count} due -> sweep peak {peak / 1e6:.1f} MB above baseline ({sent} sent, traced, {elapsed:.1f} s)")
    if peaks[large] > MEMORY_SLACK * peaks[small]:
        print(f"FAIL: the sweep's peak grew from {peaks[small]} to {peaks[large]} bytes")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
