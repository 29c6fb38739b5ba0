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

from sqlalchemy import insert, select

from bot.storage.db import create_engine, session_factory
from bot.storage.models import Broadcast, Delivery, Subscriber
from tests.fakebot import FakeBotApi
from tests.fakebot.params import ApiError
from tests.fakebot.server import _Hung
from tests.test_broadcast_crash import kill  # noqa: F401 - the fault tests import it from here
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


@dataclass
class Ledgerwatch:
    """What arrived at the fake Telegram without being confirmed in the ledger, snapshot after
    each kill: the requests in flight then, the only ones allowed to arrive twice."""

    sessions: object
    server: FakeBotApi
    ids: list[int]
    in_flight_days: list[set[int]] = field(default_factory=list)
    in_flight_articles: list[set[int]] = field(default_factory=list)

    async def snapshot(self) -> tuple[int, int]:
        tally = Tally.of(self.server, self.ids)
        days, articles = await confirmed(self.sessions)
        self.in_flight_days.append(set(tally.days) - days)
        self.in_flight_articles.append(set(tally.articles) - articles)
        return len(self.in_flight_days[-1]), len(self.in_flight_articles[-1])

    def check(self, tally: Tally) -> dict[str, int]:
        """Lost must be 0; a duplicate only for a request in flight at a kill, at most once per kill."""
        lost = [i for i in self.ids if not tally.days[i] or not tally.articles[i]]
        assert not lost, f"lost: {lost[:10]}"
        for counts, in_flight in ((tally.days, self.in_flight_days), (tally.articles, self.in_flight_articles)):
            for chat, n in counts.items():
                allowed = 1 + sum(chat in s for s in in_flight)
                assert n <= allowed, f"chat {chat} got {n} copies, {allowed - 1} in flight at a kill"
        return dict(
            lost=len(lost),
            duplicate_days=sum(n - 1 for n in tally.days.values()),
            duplicate_articles=sum(n - 1 for n in tally.articles.values()),
            in_flight_at_kills=sum(map(len, self.in_flight_days)) + sum(map(len, self.in_flight_articles)),
        )


def sessions_for(database_url: str):
    engine = create_engine(database_url)
    return engine, session_factory(engine)


async def wait_for(check, timeout: float, what: str, log: Path | None = None, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        await asyncio.sleep(interval)


class ChaosBotApi(FakeBotApi):
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


class PollWatch(FakeBotApi):
    """Counts getUpdates long polls open at the same moment: two means two processes poll."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.open_polls = 0
        self.max_open_polls = 0
        self.polls = 0

    async def _get_updates(self, params):
        self.open_polls += 1
        self.polls += 1
        self.max_open_polls = max(self.max_open_polls, self.open_polls)
        try:
            return await super()._get_updates(params)
        finally:
            self.open_polls -= 1

    def reset_watch(self) -> None:
        self.max_open_polls = self.open_polls
        self.polls = 0
