"""The fake Bot API for the benchmarks, in a process of its own, driven over a pipe.

The server is tests/fakebot's `FakeBotApi`, with a per-chat index of sent messages: the test
server finds a chat's messages by scanning every message, which is fine for a test and quadratic
for a drip of 20,000. Subscribers' actions (latency probes, enrolments) run here too, so the time
they measure is what a subscriber would see: from the update being queued to the reply arriving.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime

from bot.clock import FakeClock
from tests.fakebot import FakeBotApi, FakeUser
from tests.fakebot.faults import SlidingWindow

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


class IndexedFakeBotApi(FakeBotApi):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._by_chat: dict[int, list] = defaultdict(list)
        self._chat_events: dict[int, asyncio.Event] = {}
        self.refused = 0  # 429 answers

    def _store(self, message) -> None:
        self._messages.append(message)
        self._by_key[(message.chat_id, message.message_id)] = message
        self._by_chat[message.chat_id].append(message)
        if (event := self._chat_events.pop(message.chat_id, None)) is not None:
            event.set()

    def messages(self, chat_id: int | None = None) -> list:
        return list(self._messages) if chat_id is None else list(self._by_chat.get(chat_id, ()))

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self._by_chat.get(chat_id, ())) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"chat {chat_id}: expected {count} messages within {timeout} s")
            event = self._chat_events.setdefault(chat_id, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass
        return list(self._by_chat[chat_id])

    async def _send(self, name, params, handler):
        try:
            return await super()._send(name, params, handler)
        except Exception as exc:
            if getattr(exc, "status", None) == 429:
                self.refused += 1
            raise

    def reset(self) -> None:
        self._messages.clear()
        self._by_chat.clear()
        self._by_key.clear()
        self.sends_log.clear()
        self.requests.clear()
        self._window = SlidingWindow(1.0)  # the last figure's sends must not count against this one
        self.refused = 0


class Prober:
    """A subscriber who sends `/pain 5` again and again and times each reply."""

    def __init__(self, server: IndexedFakeBotApi, user_id: int, pause: float) -> None:
        self.user = FakeUser(server, user_id, "Probe", clock=server.clock)
        self.pause = pause
        self.latencies: list[float] = []
        self.stopped = False
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        # Also a flag, not only the cancel: Python 3.11's wait_for can swallow a cancellation
        # that lands as the reply arrives, and the probe then ran on (once a PostgreSQL drip's
        # bench hung in probe_stop).
        while not self.stopped:
            self.user.mark_read()
            started = time.perf_counter()
            await self.user.command(os.environ.get("BENCH_PROBE_COMMAND", "/pain 5"))
            await self.user.next_reply(timeout=30)
            self.latencies.append(time.perf_counter() - started)
            await asyncio.sleep(self.pause)

    async def stop(self) -> list[float]:
        self.stopped = True
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass
        return self.latencies


async def enrol(server: IndexedFakeBotApi, user_id: int) -> None:
    """/start, consent, zone, time, and Day 1: the steps of tests.e2e.BotHarness.enrol."""
    user = FakeUser(server, user_id, "New", clock=server.clock)
    await user.command("/start")
    await user.next_reply(timeout=60)
    await user.press("✅ I agree")
    await user.replies(2, timeout=60)
    await user.press("UTC")
    await user.replies(2, timeout=60)
    await user.press("08:00")
    _, day1 = await user.replies(2, timeout=60)
    if not day1.text.startswith("Day 1 of 30"):
        raise AssertionError(f"user {user_id}: expected Day 1, got {day1.text[:40]!r}")


async def enrol_many(server: IndexedFakeBotApi, first_id: int, count: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(user_id: int) -> None:
        async with gate:
            await enrol(server, user_id)

    started = time.perf_counter()
    await asyncio.gather(*(one(first_id + n) for n in range(count)))
    return time.perf_counter() - started


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        value = values[0] if values else float("nan")
        return {"p50": value, "p95": value, "p99": value, "n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "n": len(values)}


def serve(pipe) -> None:
    """The child process: answers commands from the pipe until told to stop."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with IndexedFakeBotApi(clock=FakeClock(NOW)) as server:
            pipe.send((server.token, server.base_url))
            prober: Prober | None = None
            while True:
                command, args = await loop.run_in_executor(None, pipe.recv)
                try:
                    if command == "stop":
                        pipe.send(None)
                        return
                    elif command == "register":
                        first, count = args
                        for user_id in range(first, first + count):
                            server.register_user({"id": user_id, "is_bot": False, "first_name": "B"})
                        reply = count
                    elif command == "reset":
                        server.reset()
                        server.rate_limit_per_second = args
                        reply = None
                    elif command == "sends":
                        times = [record.at for record in server.sends_log]
                        reply = {"messages": len(server._messages), "refused": server.refused, "times": times}
                    elif command == "arrivals":  # when sends to chats first .. first + count - 1 arrived
                        first, count = args
                        reply = [r.at for r in server.sends_log if first <= (r.chat_id or 0) < first + count]
                    elif command == "received":  # messages to chats first .. first + count - 1
                        first, count = args
                        reply = sum(len(server._by_chat.get(chat, ())) for chat in range(first, first + count))
                    elif command == "probe_start":
                        user_id, pause = args
                        prober = Prober(server, user_id, pause)
                        reply = None
                    elif command == "probe_stop":
                        reply = percentiles(await prober.stop()) if prober else percentiles([])
                        prober = None
                    elif command == "enrol":
                        reply = await enrol_many(server, *args)
                    else:
                        raise ValueError(f"unknown command {command!r}")
                except Exception as exc:  # the parent reports it and fails the run
                    reply = exc
                pipe.send(reply)

    asyncio.run(main())
