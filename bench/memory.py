"""Resident memory of the bot with whatever subscribers the database holds (bench figure f).

Run by bench/run.py in a fresh process, so nothing another figure allocated is counted:
starts the application as `vitd-bot run` does, runs one sweep (the due subscribers get their
day), and prints one JSON line: resident set now, its peak, and how many were sent.

    python bench/memory.py DATABASE_URL TOKEN BASE_URL
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fakeapi import NOW  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.content.loader import default_content_dir, load_content  # noqa: E402


def status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


async def main(url: str, token: str, base_url: str) -> dict:
    from tests.e2e import running_bot

    settings = Settings(
        _env_file=None, telegram_bot_token=token, telegram_api_base_url=base_url, database_url=url,
        send_rate_limit=1000, log_level="WARNING",
    )
    async with running_bot(settings, load_content(default_content_dir()), FakeClock(NOW), None) as bot:
        sent = await bot.sweep()
        gc.collect()
        return {"rss": status("VmRSS"), "hwm": status("VmHWM"), "sent": sent}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:4]))))
