"""The token appears in no output at all: not when Telegram rejects it at start-up, not in a
traceback (typer's pretty exceptions would print every local variable, settings included), in
neither log format."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import pytest

from bot.content.loader import default_content_dir
from bot.content.trained import cache_folder

pytestmark = pytest.mark.slow  # starts processes: python3 dev.py test -m "not slow" skips it

SECRET = "AAHsecret-part-that-must-never-show_0123456789"


async def vitd_bot_run(cwd, **env: str) -> tuple[int, str]:
    """`vitd-bot run` in a process of its own (the fake Bot API keeps answering meanwhile)."""
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "CONTENT_DIR": str(default_content_dir()),
            "XDG_CACHE_HOME": str(cache_folder().parent)}  # the FAQ classifier's kept weights
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env={**base, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, output.decode()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_rejected_token_is_reported_without_the_token(server, tmp_path, log_format):
    code, output = await vitd_bot_run(
        tmp_path, TELEGRAM_BOT_TOKEN=f"123456:{SECRET}", TELEGRAM_API_BASE_URL=server.base_url,
        LOG_FORMAT=log_format, LOG_LEVEL="DEBUG", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
    )
    assert code == 1
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in output
    assert SECRET not in output and "123456:" not in output


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_crash_at_start_up_prints_no_token_and_no_locals(server, tmp_path, log_format):
    unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/nowhere"
    server.token = f"123456:{SECRET}"
    code, output = await vitd_bot_run(
        tmp_path, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_BASE_URL=server.base_url,
        LOG_FORMAT=log_format, DATABASE_URL=unreachable,
    )
    assert code == 1
    assert "the bot stopped" in output and "Traceback" in output  # the cause is there to read
    assert SECRET not in output
    assert "─ locals ─" not in output and "telegram_bot_token" not in output
