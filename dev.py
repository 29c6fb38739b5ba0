#!/usr/bin/env python3
"""The two set-up commands, needing nothing but Python 3.11+:

    python3 dev.py run     # creates .venv, installs the bot, runs it (SQLite by default)
    python3 dev.py test    # creates .venv, installs the bot and its test tools, runs every test
                           # (in parallel, then the tests marked `serial` alone: see run_tests)
    python3 dev.py demo    # the bot in your browser (http://127.0.0.1:8080), no Telegram token
    python3 dev.py bench   # the performance figures, each with its goal (--small: CI sizes)
    python3 dev.py lint    # the static checks CI runs: ruff, import contracts, dead code, types

Anything after the command is passed on (`python3 dev.py test -k drip`, `python3 dev.py run --help`).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
DEFAULT_TEST_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# pytest-xdist workers for the parallel pass; `-n N` on the command line (or TEST_WORKERS) wins.
TEST_WORKERS = os.environ.get("TEST_WORKERS", "2")  # 4 cost 58% more CPU than 2, and more time, on 2 cores
SERIAL_WORKERS = "2"  # the serial tests side by side, without the parallel pass's load
SUMMARY = re.compile(r"\b(passed|failed|errors?|skipped|deselected|no tests ran)\b.* in [0-9.]+s")


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
    if command == "test":
        # Compiled modules kept between runs, inside .venv (the working tree stays clean), even
        # where PYTHONDONTWRITEBYTECODE is set: without them each pytest worker rewrote every
        # test module's asserts (collection 7.1 s -> 4.0 s) and each bot process a test starts
        # compiled the bot again.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.setdefault("PYTHONPYCACHEPREFIX", str(VENV / "pycache"))
    if command == "bench":
        return subprocess.call([str(BIN / "python"), str(ROOT / "bench" / "run.py"), *rest], cwd=ROOT, env=env)
    return run_tests(rest, env)


def take_option(args: list[str], short: str, long: str) -> tuple[list[str], str | None]:
    """The arguments without `short VALUE` (or `shortVALUE`, `long VALUE`, `long=VALUE`), and the
    last VALUE given, as pytest takes it."""
    kept, value, i = [], None, 0
    while i < len(args):
        if args[i] in (short, long) and i + 1 < len(args):
            value, i = args[i + 1], i + 2
            continue
        if args[i].startswith(long + "="):
            value = args[i][len(long) + 1:]
        elif args[i].startswith(short) and not args[i].startswith("--") and len(args[i]) > len(short):
            value = args[i][len(short):]
        else:
            kept.append(args[i])
        i += 1
    return kept, value


def run_tests(args: list[str], env: dict[str, str]) -> int:
    """Two pytest passes: every test not marked `serial` on pytest-xdist workers, then the
    `serial` ones (processes racing a kill or a deadline) apart from that load: two at a time, as
    they mostly wait on their bots (4:03 one by one, 2:27 two at a time, on 2 idle cores). A `-m`
    given applies to both.
    Prints each pass's summary at the end; fails if either pass failed."""
    kept, expression = take_option(args, "-m", "--markexpr")
    kept, workers = take_option(kept, "-n", "--numprocesses")
    scope = f"({expression}) and " if expression else ""
    if workers is None and ("-s" in kept or "--capture=no" in kept):
        workers = "0"  # output shown as it comes, as the docs promise: xdist's workers would swallow it
    if sys.stdout.isatty() and not any(a.startswith("--color") for a in kept):
        kept.append("--color=yes")  # pytest's output is piped through here
    passes = [
        ("parallel", ["-n", workers or TEST_WORKERS, "-m", f"{scope}not serial", *kept]),
        ("serial", [*(["-p", "no:xdist"] if workers == "0" else ["-n", SERIAL_WORKERS]), "-m", f"{scope}serial", *kept]),
    ]
    results = []
    for name, pass_args in passes:
        print(f"dev.py test: {name} pass: pytest {' '.join(pass_args)}", flush=True)
        code, summary = run_pytest(pass_args, env)
        results.append((name, code, summary))
    print()
    for name, code, summary in results:
        print(f"dev.py test: {name} pass: {summary or 'no summary'} (exit {code})")
    codes = [code for _, code, _ in results]
    if all(code == 5 for code in codes):  # pytest's "no tests collected", in both passes
        return 5
    return max((code for code in codes if code != 5), default=0)


def run_pytest(args: list[str], env: dict[str, str]) -> tuple[int, str | None]:
    """pytest's exit code and its last summary line; its output goes on to ours as it comes."""
    summary = None
    with subprocess.Popen([str(BIN / "python"), "-m", "pytest", *args], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as pytest:
        assert pytest.stdout is not None
        for line in pytest.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if SUMMARY.search(line):
                summary = re.sub(r"\x1b\[[0-9;]*m|^=+ | =+$", "", line.strip())
    return pytest.returncode, summary


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
