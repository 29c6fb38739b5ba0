"""Logging: plain or JSON lines. Never the token, never subscribers' message text.

httpx logs every request URL at INFO, and Bot API URLs contain the token, so it is held at WARNING;
python-telegram-bot logs whole updates at DEBUG, so it is held at INFO even when LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

QUIET = ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio", "sqlalchemy", "alembic")
# python-telegram-bot logs whole updates (what subscribers wrote) at DEBUG: never below INFO.
NEVER_DEBUG = ("telegram",)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RedactToken(logging.Filter):
    """A last line of defence: a token that reaches a log line anyway is masked."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg, record.args = message.replace(self.token, "<token>"), None
        return True


def setup_logging(fmt: str = "text", level: str = "INFO", token: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactToken(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in NEVER_DEBUG:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
