"""`python3 dev.py bench`: the performance figures of issue 14, one line each with its goal.

The fake Bot API (tests/fakebot, see bench/fakeapi.py) runs as a separate process, so its CPU is
not the bot's; the bot runs here, built exactly as `vitd-bot run` builds it (bot.telegram.app).
Figures are reported, never asserted: a figure below its goal prints FAIL and the run still
exits 0. An error (a message lost or sent twice, a crash) exits 1.

    python3 dev.py bench                 # the sizes of the issue (several minutes)
    python3 dev.py bench --small         # CI: small sizes, under a minute
    python3 dev.py bench --only a,b      # some figures; sizes: --drip, --send, --enrol, ...
    python3 dev.py bench --profile DIR   # also write pyinstrument profiles of the drip,
                                         # the enrolment and replies during the drip
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import faulthandler
import json
import multiprocessing
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, text  # noqa: E402

from bench.fakeapi import NOW, serve  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.content.loader import default_content_dir, load_content  # noqa: E402
from bot.storage.db import create_engine, upgrade_sync  # noqa: E402
from bot.storage.models import Subscriber  # noqa: E402

DRIP_FIRST = 10_000_000  # subscribers due in the drip and the sweep
PROBE_ID = 9_000_001  # the subscriber timing replies
ENROL_FIRST = 20_000_000  # new users enrolling
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass
class Sizes:
    send: int = 3000
    drip: int = 20_000
    limited: int = 300
    enrol: int = 500
    memory: int = 100_000
    sweep: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    sweep_due: int = 1000


SMALL = Sizes(send=600, drip=2000, limited=90, enrol=60, memory=10_000, sweep=(1_000, 10_000, 100_000), sweep_due=300)


class BenchError(Exception):
    """Something went wrong that is not a slow figure: the run exits 1."""


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def figure(self, name: str, value: str, goal: str, ok: bool | None) -> None:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[ok]
        line = f"{name:<44} {value:<40} goal {goal:<22} {verdict}"
        self.lines.append(line)
        print(line, flush=True)

    def note(self, message: str) -> None:
        print(f"    {message}", flush=True)


# ---- the fake Bot API, in its own process -----------------------------------------------------


class FakeApi:
    def __init__(self) -> None:
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(target=serve, args=(child,), daemon=True)
        self.process.start()
        self.token, self.base_url = self.pipe.recv()

    def call(self, command: str, args=None):
        self.pipe.send((command, args))
        reply = self.pipe.recv()
        if isinstance(reply, Exception):
            raise BenchError(f"fake Bot API: {command}: {reply}")
        return reply

    async def acall(self, command: str, args=None):
        """The same, without stopping the bot's event loop while the fake works."""
        return await asyncio.to_thread(self.call, command, args)

    def close(self) -> None:
        try:
            self.call("stop")
        finally:
            self.process.join(5)
            if self.process.is_alive():
                self.process.terminate()


# ---- databases -------------------------------------------------------------------------------


@contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        upgrade_sync(url)
        yield url


@contextmanager
def postgres_database(admin_url: str):
    import asyncpg

    name = f"vitd_bench_{uuid.uuid4().hex[:8]}"
    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade_sync(url)
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def empty(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        for table in ("deliveries", "checkins", "vitamin_d_results", "workers", "subscribers"):
            await connection.execute(text(f"DELETE FROM {table}"))
    await engine.dispose()


async def seed(url: str, count: int, due: int, *, probe: bool = True) -> None:
    """`count` active subscribers on Day 3 (ids from DRIP_FIRST), the first `due` of them due now,
    the others tomorrow; and the probe subscriber, not due."""
    later = NOW + timedelta(days=1)
    engine = create_engine(url)
    async with engine.begin() as connection:
        if url.startswith("postgresql") and count > 5000:
            # generate_series: a million rows in seconds, which row-by-row inserts are not.
            await connection.execute(
                text(
                    "INSERT INTO subscribers (telegram_user_id, chat_id, status, blocked, timezone, "
                    "delivery_minute, program_day, next_delivery_at, created_at, updated_at) "
                    "SELECT n, n, 'active', false, 'UTC', 480, 3, "
                    "CASE WHEN n < CAST(:due_end AS bigint) THEN CAST(:now AS timestamptz) ELSE CAST(:later AS timestamptz) END, "
                    "CAST(:now AS timestamptz), CAST(:now AS timestamptz) "
                    "FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n"
                ),
                {"first": DRIP_FIRST, "due_end": DRIP_FIRST + due, "last": DRIP_FIRST + count - 1, "now": NOW, "later": later},
            )
        else:
            for start in range(0, count, 5000):
                rows = [
                    _row(user_id, NOW if user_id < DRIP_FIRST + due else later)
                    for user_id in range(DRIP_FIRST + start, DRIP_FIRST + min(count, start + 5000))
                ]
                await connection.execute(insert(Subscriber), rows)
        if probe:
            await connection.execute(insert(Subscriber), [_row(PROBE_ID, later)])
        if url.startswith("postgresql"):
            await connection.execute(text("ANALYZE subscribers"))
    await engine.dispose()


async def due_again(url: str, due: int) -> None:
    """The same subscribers due once more, as before the last sweep."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM deliveries"))
        await connection.execute(
            text("UPDATE subscribers SET next_delivery_at = :now, program_day = 3, last_delivered_local_date = NULL WHERE telegram_user_id >= :first AND telegram_user_id < :end"),
            {"now": NOW, "first": DRIP_FIRST, "end": DRIP_FIRST + due},
        )
    await engine.dispose()


def _row(user_id: int, next_delivery_at) -> dict:
    return dict(
        telegram_user_id=user_id, chat_id=user_id, status="active", blocked=False, timezone="UTC",
        delivery_minute=8 * 60, program_day=3, next_delivery_at=next_delivery_at, created_at=NOW, updated_at=NOW,
    )


# ---- the bot -----------------------------------------------------------------------------------


def settings(api: FakeApi, url: str, rate: float) -> Settings:
    return Settings(
        _env_file=None, telegram_bot_token=api.token, telegram_api_base_url=api.base_url, database_url=url,
        send_rate_limit=rate, log_level="WARNING",
    )


@asynccontextmanager
async def running(api: FakeApi, url: str, rate: float = 1000):
    """The real application, polling the fake; the periodic jobs are the bench's to run."""
    from tests.e2e import running_bot

    async with running_bot(settings(api, url, rate), content(), FakeClock(NOW), None) as bot:
        yield bot


@contextmanager
def profiled(folder: Path | None, name: str):
    if folder is None:
        yield
        return
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        folder.mkdir(parents=True, exist_ok=True)
        session = profiler.last_session
        flat = ConsoleRenderer(flat=True, time="percent_of_total", show_all=False).render(session)
        (folder / f"{name}.txt").write_text(flat)
        (folder / f"{name}.tree.txt").write_text(ConsoleRenderer(show_all=False).render(session))
        (folder / f"{name}.libraries.txt").write_text(by_library(session))
        session.save(str(folder / f"{name}.pyisession"))  # `pyinstrument --load` reads it again


def by_library(session) -> str:
    """Self time per library (telegram, aiohttp, sqlalchemy, bot/..., ...): where the CPU goes.
    Built-in calls count for the library that made them; waiting in epoll is idle time."""
    totals: dict[str, float] = {}
    stack = [(session.root_frame(), "?")]
    while stack:
        frame, caller = stack.pop()
        path = frame.file_path or ""
        if frame.function == "poll" and "built-in" in path or "epoll" in (frame.function or ""):
            library = "(idle: waiting in epoll)"
        elif "site-packages/" in path:
            library = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/bot/" in path:
            library = "bot/" + path.split("/bot/", 1)[1].rsplit("/", 1)[0].split("/")[0]
        elif "/lib/python3" in path:
            library = "python stdlib"
        else:  # [self] time, built-ins: the caller's
            library = caller
        totals[library] = totals.get(library, 0.0) + frame.total_self_time
        stack.extend((child, library) for child in frame.children)
    overall = sum(totals.values()) or 1.0
    rows = sorted(totals.items(), key=lambda item: -item[1])[:15]
    return "\n".join(f"{100 * t / overall:5.1f}%  {name}" for name, t in rows) + "\n"


# ---- (a) the bare send path --------------------------------------------------------------------


async def send_loop(api: FakeApi, request, count: int, concurrency: int = 32) -> float:
    from telegram import Bot

    bot = Bot(api.token, base_url=api.base_url, request=request)
    queue = iter(range(count))
    async with bot:
        async def worker() -> None:
            for n in queue:
                await bot.send_message(DRIP_FIRST + n % 1000, "Day 4 of 30: a short message")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - started)


def figure_send_path(report: Report, api: FakeApi, sizes: Sizes, rounds: int) -> None:
    from telegram.request import HTTPXRequest

    from bot.telegram.request import AiohttpRequest

    best = {"httpx": 0.0, "aiohttp": 0.0}
    for _ in range(rounds):  # interleaved, so a busy moment on the machine hits both
        api.call("reset", None)
        best["httpx"] = max(best["httpx"], asyncio.run(send_loop(api, HTTPXRequest(), sizes.send)))
        api.call("reset", None)
        best["aiohttp"] = max(best["aiohttp"], asyncio.run(send_loop(api, AiohttpRequest(), sizes.send)))
    ratio = best["aiohttp"] / best["httpx"]
    report.figure("(a) PTB send_message, default httpx", f"{best['httpx']:.0f} msg/s", "(reference)", None)
    report.figure("(a) PTB send_message, ours (aiohttp)", f"{best['aiohttp']:.0f} msg/s = {ratio:.1f}x httpx", ">= 2.5x httpx", ratio >= 2.5)


# ---- (b) the drip, and (d) replies during it ---------------------------------------------------


def time_updates(application) -> list[float]:
    """Seconds each update spends in the bot (from PTB handing it over to its handler's end)."""
    spent: list[float] = []
    process = application.process_update

    async def timed(update) -> None:
        started = time.perf_counter()
        try:
            await process(update)
        finally:
            spent.append(time.perf_counter() - started)

    application.process_update = timed
    return spent


async def drip(api: FakeApi, url: str, due: int, profile: Path | None, engine_name: str) -> dict:
    from bench.fakeapi import percentiles

    async with running(api, url) as bot:
        in_bot = time_updates(bot.application)
        await api.acall("probe_start", (PROBE_ID, 0.05))
        await asyncio.sleep(2.0)
        idle = await api.acall("probe_stop")
        idle["bot"] = percentiles(in_bot)
        in_bot.clear()
        await api.acall("probe_start", (PROBE_ID, 0.05))
        engine = bot.application.bot_data.engine
        claims = time_claims(bot.runtime.delivery)
        with count_statements(engine) as statements, profiled(profile, f"drip-{engine_name}"), loop_lag() as lag:
            started, cpu = time.perf_counter(), time.process_time()
            sent = await bot.sweep()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        during = await api.acall("probe_stop")
        during["bot"] = percentiles(in_bot)
        window = bot.application.bot.rate_limiter.window
        sizing = {"in_flight": window.bulk_in_flight(), "round_trip": window.round_trip}
    return {
        "sent": sent, "elapsed": elapsed, "cpu": cpu, "idle": idle, "during": during, "statements": statements,
        "claims": claims, "sizing": sizing, "lag": percentiles(lag),
    }


@contextmanager
def loop_lag():
    """How late the event loop wakes a task that sleeps 5 ms, again and again: each await of a
    reply's handler waits about this long (a long synchronous stretch shows as a long lag)."""
    lags: list[float] = []

    async def watch() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - started - 0.005)

    task = asyncio.get_running_loop().create_task(watch())
    try:
        yield lags
    finally:
        task.cancel()


def time_claims(delivery) -> list[float]:
    """Seconds each claim batch took (the next batch is claimed while one is sent). (The engine's
    private `_claim`; if the engine changes, the figure is simply not shown.)"""
    spent: list[float] = []
    claim = getattr(delivery, "_claim", None)
    if claim is None:
        return spent

    async def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return await claim(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    delivery._claim = timed
    return spent


@contextmanager
def count_statements(engine):
    """Database round trips (statements and commits) made while the block runs."""
    counts = {"statements": 0, "commits": 0, "kinds": {}}

    def on_execute(_conn, _cursor, statement: str, *_args) -> None:
        counts["statements"] += 1
        words = statement.split(None, 4)
        table = words[2] if words[0] in ("INSERT", "DELETE") else words[1] if words[0] == "UPDATE" else ""
        kind = f"{words[0]} {table}".strip()
        counts["kinds"][kind] = counts["kinds"].get(kind, 0) + 1

    def on_commit(*_args) -> None:
        counts["commits"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    event.listen(engine.sync_engine, "commit", on_commit)
    try:
        yield counts
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)
        event.remove(engine.sync_engine, "commit", on_commit)


def figure_drip(report: Report, api: FakeApi, url: str, engine_name: str, sizes: Sizes, profile: Path | None) -> None:
    asyncio.run(empty(url))
    asyncio.run(seed(url, sizes.drip, sizes.drip))
    api.call("reset", None)
    result = asyncio.run(drip(api, url, sizes.drip, profile, engine_name))
    received = api.call("received", (DRIP_FIRST, sizes.drip))
    arrivals = sorted(api.call("arrivals", (DRIP_FIRST, sizes.drip)))
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:]) if later - earlier > 0.02]
    if result["sent"] != sizes.drip or received != sizes.drip:
        raise BenchError(f"drip on {engine_name}: {sizes.drip} due, {result['sent']} sent, {received} received")
    rate = result["sent"] / result["elapsed"]
    per = result["statements"]
    report.figure(
        f"(b) drip of {sizes.drip:,} due, {engine_name}", f"{rate:.0f} msg/s ({result['elapsed']:.1f} s)", ">= 900 msg/s", rate >= 900,
    )
    report.note(
        f"bot CPU {1000 * result['cpu'] / result['sent']:.2f} ms/message; database: "
        f"{per['statements'] / result['sent']:.2f} statements and {per['commits'] / result['sent']:.3f} commits per message"
    )
    kinds = sorted(per["kinds"].items(), key=lambda item: -item[1])[:4]
    report.note("statements: " + ", ".join(f"{count} x {kind}" for kind, count in kinds))
    claims, lag = result["claims"], result["lag"]
    report.note(f"event loop lag: p50 {1000 * lag['p50']:.1f} / p95 {1000 * lag['p95']:.1f} / p99 {1000 * lag['p99']:.1f} ms")
    report.note(
        f"sending stood still {len(gaps)} times for over 20 ms, {sum(gaps):.1f} s in all; "
        f"{len(claims)} claim batches took {sum(claims):.1f} s, each while the one before was sent; "
        f"sends in flight at the end {result['sizing']['in_flight']} (round trip {1000 * result['sizing']['round_trip']:.1f} ms)"
    )
    for label, stats, goal in (("idle", result["idle"], None), ("during (b)", result["during"], 0.150)):
        value = f"p50 {1000 * stats['p50']:.0f} / p95 {1000 * stats['p95']:.0f} / p99 {1000 * stats['p99']:.0f} ms (n={stats['n']})"
        ok = None if goal is None else stats["p95"] <= goal
        report.figure(f"(d) reply to /pain 5, {label}, {engine_name}", value, "p95 <= 150 ms" if goal else "(reference)", ok)
        inside = stats["bot"]
        report.note(f"of which inside the bot's handler: p50 {1000 * inside['p50']:.0f} / p95 {1000 * inside['p95']:.0f} / p99 {1000 * inside['p99']:.0f} ms")


# ---- (c) a 30/s limit against a fake that refuses the 31st message in any second --------------


async def limited(api: FakeApi, url: str, count: int) -> int:
    async with running(api, url, rate=30) as bot:
        return await bot.sweep()


def figure_limit(report: Report, api: FakeApi, url: str, sizes: Sizes) -> None:
    asyncio.run(empty(url))
    asyncio.run(seed(url, sizes.limited, sizes.limited))
    api.call("reset", 30)
    sent = asyncio.run(limited(api, url, sizes.limited))
    sends = api.call("sends")
    api.call("reset", None)
    times = sorted(sends["times"])
    if sent != sizes.limited or sends["messages"] != sizes.limited:
        raise BenchError(f"30/s drip: {sizes.limited} due, {sent} sent, {sends['messages']} received")
    # Bulk sends are paced (one per 1/rate s), so the rate is simply first to last.
    rate = (len(times) - 1) / (times[-1] - times[0])
    ok = rate >= 29 and sends["refused"] == 0
    report.figure(f"(c) SEND_RATE_LIMIT=30, {sizes.limited} due", f"{rate:.1f} msg/s, {sends['refused']} x 429", ">= 29/s, 0 x 429", ok)


# ---- (e) enrolment -----------------------------------------------------------------------------


async def enrolment(api: FakeApi, url: str, count: int, first: int, profile: Path | None, engine_name: str) -> float:
    async with running(api, url) as bot:
        engine = bot.application.bot_data.engine
        with count_statements(engine) as statements, profiled(profile, f"enrolment-{engine_name}"):
            cpu, threads = time.process_time(), thread_cpu()
            elapsed = await api.acall("enrol", (first, count, 100))
            cpu, threads = time.process_time() - cpu, cpu_by_thread(threads, thread_cpu())
        calls = await python_calls(api, first + count, min(count, CALLS_SAMPLE), profile and profile / f"enrolment-{engine_name}.pstats")
        return elapsed, cpu, statements, threads, calls


CALLS_SAMPLE = 100  # enrolments counted under cProfile after the timed run


async def python_calls(api: FakeApi, first: int, count: int, save_to: Path | None = None) -> float:
    """Python function calls per enrolment in this process, counted by cProfile over `count` more
    enrolments after the timed ones (a coroutine counts once per resumption). Unlike CPU time it
    does not move with the machine's load, so runs on different days compare: the CPU figures of
    this machine have varied by 2x between sessions (PERFORMANCE.md). With `--profile` the counts
    are saved too (`python3 -m pstats FILE`), to see where the calls are."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        await api.acall("enrol", (first, count, 100))
    finally:
        profile.disable()
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        profile.dump_stats(save_to)
    return pstats.Stats(profile).total_calls / count


def thread_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds so far of each of this process's threads (Linux /proc), by native id."""
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for tid in os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ():
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended
        found[int(tid)] = (names.get(int(tid), "other"), (int(fields[11]) + int(fields[12])) / ticks)
    return found


def cpu_by_thread(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds between two `thread_cpu` readings, grouped: the event loop's thread, aiosqlite's
    connection threads, and the rest (thread pools)."""
    main = threading.main_thread().native_id
    groups: dict[str, float] = {}
    for tid, (name, seconds) in after.items():
        group = "event loop" if tid == main else "aiosqlite" if "connection_worker" in name else "other threads"
        groups[group] = groups.get(group, 0.0) + seconds - before.get(tid, (name, 0.0))[1]
    return groups


def figure_enrolment(report: Report, api: FakeApi, url: str, engine_name: str, sizes: Sizes, profile: Path | None) -> None:
    asyncio.run(empty(url))
    api.call("reset", None)
    first = ENROL_FIRST + (0 if engine_name == "SQLite" else 1_000_000)
    elapsed, cpu, statements, threads, calls = asyncio.run(enrolment(api, url, sizes.enrol, first, profile, engine_name))
    rate = sizes.enrol / elapsed
    report.figure(f"(e) enrolment of {sizes.enrol}, {engine_name}", f"{rate:.0f} subscribers/s ({elapsed:.1f} s)", ">= 100/s", rate >= 100)
    report.note(
        f"bot CPU {1000 * cpu / sizes.enrol:.1f} ms per enrolment (4 updates, 7 messages, Day 1); database: "
        f"{statements['statements'] / sizes.enrol:.1f} statements, {statements['commits'] / sizes.enrol:.1f} commits per enrolment"
    )
    report.note(f"Python calls per enrolment (cProfile, {min(sizes.enrol, CALLS_SAMPLE)} more enrolments): {calls:,.0f}")
    if threads:
        shares = ", ".join(f"{name} {1000 * seconds / sizes.enrol:.1f}" for name, seconds in sorted(threads.items()))
        report.note(f"bot CPU by thread, ms per enrolment: {shares}")


# ---- (f) resident memory -----------------------------------------------------------------------


def figure_memory(report: Report, api: FakeApi, sizes: Sizes) -> None:
    results = {}
    for count in (0, sizes.memory):
        with sqlite_database() as url:
            due = count // 100
            if count:
                asyncio.run(seed(url, count, due))
            output = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "memory.py"), url, api.token, api.base_url],
                capture_output=True, text=True, timeout=600,
            )
            if output.returncode != 0:
                raise BenchError(f"memory probe with {count} subscribers failed:\n{output.stderr[-2000:]}")
            results[count] = json.loads(output.stdout.strip().splitlines()[-1])
            if results[count]["sent"] != due:
                raise BenchError(f"memory probe: {due} due, {results[count]['sent']} sent")
    api.call("reset", None)
    base, big = results[0], results[sizes.memory]
    # The peak, not the resident set at the end: the kernel may have reclaimed cold pages by then
    # (this machine runs DAMON reclaim), which would flatter the larger run.
    growth = (big["hwm"] - base["hwm"]) / 2**20
    report.figure("(f) resident memory, 0 subscribers", f"peak {base['hwm'] / 2**20:.0f} MB (now {base['rss'] / 2**20:.0f})", "(reference)", None)
    report.figure(
        f"(f) resident memory, {sizes.memory:,} subscribers", f"peak {big['hwm'] / 2**20:.0f} MB (now {big['rss'] / 2**20:.0f}), {growth:+.0f} MB",
        "growth <= 40 MB", growth <= 40,
    )


# ---- (g) sweep cost per due subscriber as the table grows --------------------------------------


async def sweep_cost(api: FakeApi, url: str) -> tuple[float, int, list[str]]:
    claims: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "SKIP LOCKED" in statement and "subscribers" in statement and not claims:
            claims.append((statement, parameters))

    async with running(api, url) as bot:
        bot.application.bot.rate_limiter.window.set_rate(1_000_000)  # the bot's cost, not the limit's
        for job in bot.application.job_queue.jobs():
            job.schedule_removal()  # the heartbeat would put the configured rate back
        engine = bot.application.bot_data.engine
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        started = time.perf_counter()
        sent = await bot.sweep()
        elapsed = time.perf_counter() - started
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        plan: list[str] = []
        if claims:
            statement, parameters = claims[0]
            async with engine.connect() as connection:
                rows = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
                plan = [row[0] for row in rows]
    return elapsed, sent, plan


def figure_sweep(report: Report, api: FakeApi, url: str, sizes: Sizes) -> None:
    costs = {}
    plan: list[str] = []
    for count in sizes.sweep:
        asyncio.run(empty(url))
        asyncio.run(seed(url, count, sizes.sweep_due))
        tries = []
        for attempt in range(2):  # the better of two: a cost, so a stall elsewhere on the machine should not count
            if attempt:
                asyncio.run(due_again(url, sizes.sweep_due))
            api.call("reset", None)
            elapsed, sent, plan = asyncio.run(sweep_cost(api, url))
            if sent != sizes.sweep_due:
                raise BenchError(f"sweep over {count}: {sizes.sweep_due} due, {sent} sent")
            tries.append(1000 * elapsed / sent)
        costs[count] = min(tries)
        report.figure(
            f"(g) sweep, {count:,} subscribers, PostgreSQL", f"{costs[count]:.2f} ms per due ({sent} due; runs {tries[0]:.2f}, {tries[1]:.2f})",
            "(flat)", None,
        )
    spread = max(costs.values()) / min(costs.values())
    uses_index = any("ix_subscribers_next_delivery_at" in line for line in plan)
    report.figure("(g) sweep cost, largest / smallest", f"{spread:.2f}x; claim uses the index: {'yes' if uses_index else 'NO'}", "<= 2x, index", spread <= 2 and uses_index)
    for line in plan:
        report.note(f"EXPLAIN: {line}")


# ---- main --------------------------------------------------------------------------------------


def parse(argv: list[str]) -> tuple[argparse.Namespace, Sizes]:
    parser = argparse.ArgumentParser(prog="dev.py bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="CI sizes: every figure, under a minute")
    parser.add_argument("--only", default="a,b,c,d,e,f,g", help="figures to run, e.g. a,b (d runs with b)")
    parser.add_argument("--send", type=int, help="(a) sends per transport")
    parser.add_argument("--drip", type=int, help="(b) due subscribers")
    parser.add_argument("--limited", type=int, help="(c) due subscribers at 30/s")
    parser.add_argument("--enrol", type=int, help="(e) users enrolling")
    parser.add_argument("--memory", type=int, help="(f) subscribers for the memory figure")
    parser.add_argument("--sweep", help="(g) subscriber counts, e.g. 10000,100000,1000000")
    parser.add_argument("--sweep-due", type=int, help="(g) due subscribers in each")
    parser.add_argument("--rounds", type=int, default=None, help="(a) interleaved rounds; the best counts")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (b, c, d, e)")
    parser.add_argument("--profile", type=Path, help="write pyinstrument profiles into this folder")
    parser.add_argument("--watchdog", type=float, default=None, help="seconds before a stuck run dumps its stacks and exits 1")
    args = parser.parse_args(argv)
    sizes = SMALL if args.small else Sizes()
    for name in ("send", "drip", "limited", "enrol", "memory", "sweep_due"):
        if getattr(args, name) is not None:
            setattr(sizes, name, getattr(args, name))
    if args.sweep:
        sizes.sweep = tuple(int(n) for n in args.sweep.split(","))
    if args.rounds is None:
        args.rounds = 1 if args.small else 2
    if args.watchdog is None:
        args.watchdog = 600 if args.small else 3600
    return args, sizes


def main(argv: list[str]) -> int:
    args, sizes = parse(argv)
    wanted = set(args.only.split(","))
    report = Report()
    started = time.perf_counter()
    print(f"bench: {os.cpu_count()} cores, sizes {sizes}", flush=True)
    # A hung run is an error, not a slow figure: print where every thread is, and exit 1.
    faulthandler.dump_traceback_later(args.watchdog, exit=True)
    api = FakeApi()
    try:
        api.call("register", (DRIP_FIRST, max(sizes.drip, sizes.limited, sizes.send, sizes.sweep_due, sizes.memory // 100, 1000)))
        api.call("register", (PROBE_ID, 1))
        if "a" in wanted:
            figure_send_path(report, api, sizes, args.rounds)
        engines: list[tuple[str, object]] = [] if args.no_sqlite else [("SQLite", sqlite_database)]
        if not args.no_postgres:
            engines.append(("PostgreSQL", lambda: postgres_database(args.postgres)))
        for engine_name, database in engines:
            if not wanted & {"b", "d", "c", "e"}:
                break
            with database() as url:
                if wanted & {"b", "d"}:
                    figure_drip(report, api, url, engine_name, sizes, args.profile)
                if "c" in wanted and engine_name == "SQLite":
                    figure_limit(report, api, url, sizes)
                if "e" in wanted:
                    figure_enrolment(report, api, url, engine_name, sizes, args.profile)
        if "f" in wanted:
            figure_memory(report, api, sizes)
        if "g" in wanted and not args.no_postgres:
            with postgres_database(args.postgres) as url:
                figure_sweep(report, api, url, sizes)
    except BenchError as exc:
        print(f"ERROR: {exc}", flush=True)
        return 1
    finally:
        api.close()
        faulthandler.cancel_dump_traceback_later()
    failed = sum(line.endswith("FAIL") for line in report.lines)
    print(f"bench: {len(report.lines)} figures, {failed} below their goal, {time.perf_counter() - started:.0f} s", flush=True)
    return 0


_CONTENT = []


def content():
    if not _CONTENT:
        _CONTENT.append(load_content(default_content_dir()))
    return _CONTENT[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
