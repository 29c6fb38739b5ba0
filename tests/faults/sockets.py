"""Which process a request to the fake Bot API came from: the server sees the client's port, and
Linux's /proc says which process holds a socket on that port. With it the suite tells the
requests a killed process had in flight from a live one's, and which process polls Telegram."""

from __future__ import annotations

import os
import time
from contextvars import ContextVar
from pathlib import Path

from aiohttp import web

from tests.fakebot import FakeBotApi

_peer_port: ContextVar[int | None] = ContextVar("peer_port", default=None)


def socket_ports(pid: int) -> set[int]:
    """The local ports of a process's TCP sockets (its fds name socket inodes; /proc/net/tcp maps
    inodes to ports). Empty once the process is gone."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                link = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        ports = set()
        for table in ("tcp", "tcp6"):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return ports
    except (FileNotFoundError, ProcessLookupError):
        return set()


class WatchedBotApi(FakeBotApi):
    """The fake Bot API noting the client's port for every message it stores, and which of the
    processes in ``bot_pids`` started each getUpdates poll. ``poll_cap`` shortens long polls (an
    empty answer before the timeout is one the client must take anyway), so a process that still
    polls shows within that many seconds."""

    def __init__(self, *, poll_cap: float | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.poll_cap = poll_cap
        self.sent_on: dict[tuple[int, int], int | None] = {}
        self.bot_pids: list[int] = []
        self.polls: list[tuple[float, int | None]] = []  # (time.monotonic(), pid)

    async def _handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        _peer_port.set(peer[1] if peer else None)
        return await super()._handle(request)

    def _store(self, message) -> None:
        self.sent_on[(message.chat_id, message.message_id)] = _peer_port.get()
        super()._store(message)

    async def _get_updates(self, params):
        port = _peer_port.get()
        pid = next((p for p in self.bot_pids if port in socket_ports(p)), None)
        self.polls.append((time.monotonic(), pid))
        if self.poll_cap is not None:
            params.values["timeout"] = min(params.float("timeout", 0.0) or 0.0, self.poll_cap)
        return await super()._get_updates(params)

    def pollers_since(self, started: float) -> set[int | None]:
        """The processes that started a getUpdates poll since ``started`` (time.monotonic())."""
        return {pid for at, pid in self.polls if at >= started}

