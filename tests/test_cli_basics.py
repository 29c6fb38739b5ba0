"""The `vitd-bot` command through its real entry point: running without a token, migrations,
the content check and the program preview."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.loader import default_content_dir
from bot.content.trained import cache_folder

pytestmark = pytest.mark.slow  # starts processes: python3 dev.py test -m "not slow" skips it


def vitd_bot(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    # A home of its own, but the FAQ classifier's kept weights shared: training them again in
    # every process cost 2-10 s a command.
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "XDG_CACHE_HOME": str(cache_folder().parent)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env={**base, **(env or {})},
        capture_output=True, text=True, timeout=120,
    )


def test_run_without_a_token_says_so_in_one_line(tmp_path):
    result = vitd_bot("run", cwd=tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_run_reads_the_token_from_a_dot_env_file_and_refuses_bad_settings(tmp_path):
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=1:abc\nSEND_RATE_LIMIT=-3\n")
    result = vitd_bot("run", cwd=tmp_path)
    assert result.returncode != 0
    assert "SEND_RATE_LIMIT" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_creates_the_sqlite_database_and_its_folder(tmp_path):
    result = vitd_bot("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "bot.db").is_file()


def test_preview_prints_a_day_as_the_subscriber_receives_it(tmp_path):
    result = vitd_bot("preview", "--day", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Day 3 of 30"
    assert "**" not in result.stdout  # rendered, not raw Markdown


def test_preview_all_prints_every_day_in_order(tmp_path):
    result = vitd_bot("preview", "--all", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    starts = [line for line in result.stdout.splitlines() if line.startswith("Day ") and line.endswith(" of 30")]
    assert starts == [f"Day {n} of 30" for n in range(1, 31)]


def test_preview_refuses_a_day_outside_the_program(tmp_path):
    result = vitd_bot("preview", "--day", "31", cwd=tmp_path)
    assert result.returncode == 1 and "between 1 and 30" in result.stderr


def test_content_check_passes_on_the_real_content_and_fails_with_file_and_line(tmp_path):
    real = vitd_bot("content", "check", cwd=tmp_path)
    failing = [line for line in real.stdout.splitlines() if ": warning: " not in line and "content is valid" not in line]
    assert failing == [] and real.returncode == 0, real.stdout
    broken = tmp_path / "content"
    shutil.copytree(default_content_dir(), broken)
    program = broken / "program.yaml"
    program.write_text(program.read_text().replace("day: 5\n", "day: 4\n", 1))
    result = vitd_bot("content", "check", str(broken), cwd=tmp_path)
    assert result.returncode == 1
    assert "program.yaml:" in result.stdout and "day 4" in result.stdout and "day 5 is missing" in result.stdout


def test_the_bot_refuses_to_start_on_invalid_content(tmp_path):
    broken = tmp_path / "content"
    shutil.copytree(default_content_dir(), broken)
    (broken / "bands.yaml").write_text("bands: [")
    result = vitd_bot("run", cwd=tmp_path, env={"TELEGRAM_BOT_TOKEN": "1:abc", "CONTENT_DIR": str(broken)})
    assert result.returncode == 1
    assert "bands.yaml" in result.stderr and "Traceback" not in result.stderr
