#!/usr/bin/env python3
"""The two set-up commands, needing nothing but Python 3.11+:

    python3 dev.py run     # creates .venv, installs the bot, runs it (SQLite by default)
    python3 dev.py test    # creates .venv, installs the bot and its test tools, runs every test
    python3 dev.py demo    # the bot in your browser (http://127.0.0.1:8080), no Telegram token
    python3 dev.py bench   # the performance figures, each with its goal (--small: CI sizes)
    python3 dev.py lint    # the static checks CI runs: ruff, import contracts, dead code, types

Anything after the command is passed on (`python3 dev.py test -k drip`, `python3 dev.py run --help`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
DEFAULT_TEST_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def ensure_environment() -> None:
    """Create the virtual environment and (re)install when pyproject.toml has changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    if not (BIN / "python").exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        print("Installing dependencies ...", flush=True)
        pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
        stamp.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "demo", "bench", "lint"):
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "lint":
        return subprocess.call(["bash", str(ROOT / ".ci" / "lint")], cwd=ROOT)
    if command in ("run", "demo"):
        return subprocess.call([str(BIN / "vitd-bot"), command, *rest], cwd=ROOT)
    env = dict(os.environ)
    env.setdefault("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES)
    if command == "bench":
        return subprocess.call([str(BIN / "python"), str(ROOT / "bench" / "run.py"), *rest], cwd=ROOT, env=env)
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
