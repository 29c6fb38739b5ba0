"""What the fault suite shares: real bot processes (`python -m bot run`) against a fake Bot API in
the test's event loop, subscribers and a broadcast seeded straight into the database, and counting
per chat what arrived, what the ledger confirmed, and what was in flight at a kill.

Subscribers are seeded due for Day 4 now (real time: the processes use the system clock), and a
broadcast to the same people is queued, so a run is a drip and a broadcast at once.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.storage.db import create_engine, session_factory
from bot.storage.models import Broadcast, Delivery, Subscriber, Worker
from tests.fakebot import FakeBotApi
from tests.fakebot.params import ApiError
from tests.fakebot.server import _Hung
from tests.faults.sockets import WatchedBotApi, socket_ports
from tests.test_broadcast_crash import kill
from tests.test_broadcast_crash import start_bot as start_bot_logging_to

ARTICLE_TITLE = "Fault suite article"
DAY = 4


def bot_environment(server: FakeBotApi, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "OPERATOR_", "SEND_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_BASE_URL=server.base_url, DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


async def start_bot(env: dict[str, str], folder: Path) -> asyncio.subprocess.Process:
    """`python -m bot run` in ``folder``, its output appended to ``folder/bot.log``."""
    return await start_bot_logging_to(env, folder, folder / "bot.log")


async def terminate(process: asyncio.subprocess.Process) -> float:
    """SIGTERM, as every deploy does; returns how long the process took to exit."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    await process.wait()
    return time.monotonic() - started


async def seed(database_url: str, server: FakeBotApi, ids: list[int], *, broadcast: bool = True,
               drip: bool = True) -> None:
    now = datetime.now(UTC)
    rows = [
        dict(telegram_user_id=i, chat_id=i, first_name="Sub", status="active", blocked=False, consented_at=now,
             timezone="UTC", delivery_minute=8 * 60, program_day=DAY - 1,
             next_delivery_at=now - timedelta(minutes=1) if drip else None, created_at=now, updated_at=now)
        for i in ids
    ]
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for start in range(0, len(rows), 5000):
                await connection.execute(insert(Subscriber), rows[start:start + 5000])
            if broadcast:  # queued as `vitd-bot broadcast` does: the running bot fixes the audience
                await connection.execute(insert(Broadcast), [dict(
                    slug="fault-suite", title=ARTICLE_TITLE, markdown=f"**{ARTICLE_TITLE}**\n\nA few words.",
                    status="queued", recipients=0, created_at=now, summary_sent=False,
                )])
    finally:
        await engine.dispose()
    for i in ids:
        server.register_user({"id": i, "is_bot": False, "first_name": "Sub"})


def is_day(message) -> bool:
    return (message.text or "").startswith(f"Day {DAY} of 30")


def is_article(message) -> bool:
    return ARTICLE_TITLE in (message.text or "")


@dataclass
class Tally:
    """Per chat: how many Day 4s and articles arrived."""

    days: Counter
    articles: Counter

    @classmethod
    def of(cls, server: FakeBotApi, ids) -> Tally:
        wanted = set(ids)
        days, articles = Counter(), Counter()
        for message in server.messages():
            if message.chat_id in wanted:
                if is_day(message):
                    days[message.chat_id] += 1
                elif is_article(message):
                    articles[message.chat_id] += 1
        return cls(days, articles)

    @property
    def total(self) -> int:
        """Messages received, duplicates included."""
        return sum(self.days.values()) + sum(self.articles.values())

    @property
    def delivered(self) -> int:
        """Day 4s and articles that arrived at least once."""
        return len(self.days) + len(self.articles)

    def complete(self, ids) -> bool:
        return all(self.days[i] and self.articles[i] for i in ids)


async def confirmed(sessions) -> tuple[set[int], set[int]]:
    """Chats whose Day 4, and whose article, the ledger records as sent."""
    async with sessions() as session:
        rows = (await session.execute(
            select(Subscriber.chat_id, Delivery.item).join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.status == "sent")
        )).all()
    return {c for c, item in rows if item == f"day:{DAY}"}, {c for c, item in rows if item.startswith("broadcast:")}


def item_of(message) -> tuple[str, int] | None:
    """("day", chat) for a Day 4, ("article", chat) for the article, None for anything else."""
    if is_day(message):
        return "day", message.chat_id
    if is_article(message):
        return "article", message.chat_id
    return None


async def kill_noting_ports(process: asyncio.subprocess.Process) -> set[int]:
    """SIGKILL, first freezing the process (SIGSTOP) to read the ports of its connections: the
    fake Bot API knows which requests came on them."""
    process.send_signal(signal.SIGSTOP)
    ports = socket_ports(process.pid)
    await kill(process)
    return ports


@dataclass
class Ledgerwatch:
    """Snapshot at each kill (or database restart): the Day 4s and articles that arrived at the
    fake Telegram, from the killed process's connections (or from anyone's), without being
    confirmed in the ledger. Those requests were in flight: their answers were never acted on,
    and they are the only ones allowed to arrive twice."""

    sessions: object
    server: WatchedBotApi
    ids: list[int]
    in_flight: list[set[tuple[str, int]]] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)  # messages arrived at each snapshot

    async def snapshot(self, ports: set[int] | None = None) -> int:
        messages = self.server.messages()
        days, articles = await confirmed(self.sessions)
        wanted = set(self.ids)
        arrived = {
            item for m in messages
            if (item := item_of(m)) and m.chat_id in wanted
            and (ports is None or self.server.sent_on.get((m.chat_id, m.message_id)) in ports)
        }
        self.in_flight.append({(kind, chat) for kind, chat in arrived if chat not in (days if kind == "day" else articles)})
        self.marks.append(len(messages))
        return len(self.in_flight[-1])

    def check(self, tally: Tally) -> dict[str, object]:
        """Lost must be 0. Each copy beyond the first is owed to a kill before it at which that
        item was in flight, each (kill, item) owing at most one copy: so the duplicates of a kill
        never outnumber its requests in flight."""
        lost = [i for i in self.ids if not tally.days[i] or not tally.articles[i]]
        assert not lost, f"lost: {lost[:10]}"
        owed = [set(s) for s in self.in_flight]
        per_kill = [0] * len(owed)
        seen: set[tuple[str, int]] = set()
        wanted = set(self.ids)
        for index, message in enumerate(self.server.messages()):
            item = item_of(message)
            if item is None or message.chat_id not in wanted:
                continue
            if item not in seen:
                seen.add(item)
                continue
            kill_ = next((k for k in reversed(range(len(owed))) if self.marks[k] <= index and item in owed[k]), None)
            assert kill_ is not None, f"{item} arrived twice but was not in flight at a kill before"
            owed[kill_].discard(item)
            per_kill[kill_] += 1
        return dict(
            lost=len(lost),
            duplicate_days=sum(n - 1 for n in tally.days.values()),
            duplicate_articles=sum(n - 1 for n in tally.articles.values()),
            in_flight_at_kills=sum(map(len, self.in_flight)),
            per_kill=", ".join(f"{d}/{len(f)}" for d, f in zip(per_kill, self.in_flight, strict=True)),
        )


def sessions_for(database_url: str):
    engine = create_engine(database_url)
    return engine, session_factory(engine)


async def wait_for(check, timeout: float, what: str, log: Path | None = None, interval: float = 0.05, sessions=None):
    """Poll ``check`` until it is true; on time-out fail with the log's tail and (given
    ``sessions``) the ledger's state, to tell a stall from slowness."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            state = await ledger_state(sessions) if sessions is not None else ""
            raise AssertionError(f"timed out waiting for {what}\n{state}\n{tail}")
        await asyncio.sleep(interval)


async def ledger_state(sessions) -> str:
    async with sessions() as session:
        rows = (await session.execute(
            select(Delivery.status, Delivery.claimed_by, func.count(), func.max(Delivery.lease_until))
            .group_by(Delivery.status, Delivery.claimed_by)
        )).all()
        workers = (await session.execute(select(Worker.id, Worker.heartbeat_at))).all()
    return f"ledger (status, claimed_by, count, lease): {rows}\nworkers: {workers}"


class ChaosBotApi(WatchedBotApi):
    """The fake Bot API with a share of sends failing as Telegram and networks do: 429, 5xx,
    timeouts (the answer never comes, whether or not the message arrived) and connection resets
    (before or after the message arrived). Records which chats may rightly see a message twice:
    those whose message arrived but whose answer was lost."""

    KINDS = ("429", "500", "502", "timeout-before", "timeout-after", "reset-before", "reset-after")

    def __init__(self, *, failure_rate: float = 0.1, hang_for: float = 6.0, seed: int = 11, **kwargs) -> None:
        super().__init__(**kwargs)
        self.failure_rate = failure_rate
        self.hang_for = hang_for  # longer than PTB's read timeout (5 s)
        self.random = random.Random(seed)
        self.injected: Counter = Counter()
        self.answer_lost_after_arrival: Counter = Counter()
        self.faulty = True

    async def _send(self, name: str, params, handler):
        if not self.faulty or self.random.random() >= self.failure_rate:
            return await super()._send(name, params, handler)
        kind = self.random.choice(self.KINDS)
        self.injected[kind] += 1
        chat_id = params.chat_id()
        if kind == "429":
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if kind in ("500", "502"):
            raise ApiError(int(kind), "Internal Server Error" if kind == "500" else "Bad Gateway")
        if kind.endswith("after"):
            await super()._send(name, params, handler)  # the message arrives ...
            self.answer_lost_after_arrival[chat_id] += 1
        if kind.startswith("timeout"):
            await asyncio.sleep(self.hang_for)  # ... and no answer comes in time
        raise _Hung  # the connection is dropped without an answer

