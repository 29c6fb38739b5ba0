"""Logging: plain or JSON lines. Never the token, never subscribers' message text.

httpx logs every request URL at INFO, and Bot API URLs contain the token, so it is held at WARNING;
python-telegram-bot logs whole updates at DEBUG, so it is held at INFO even when LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

QUIET = ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio", "sqlalchemy", "alembic")
# python-telegram-bot logs whole updates (what subscribers wrote) at DEBUG: never below INFO.
NEVER_DEBUG = ("telegram",)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text or record.exc_info:
            entry["exception"] = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
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
            if record.exc_info and not record.exc_text:
                # Exceptions quote URLs and tokens too (PTB's InvalidToken does): the traceback
                # is formatted here, masked, and kept as the text the formatters print.
                record.exc_text = logging.Formatter().formatException(record.exc_info)
                record.exc_info = None
            if record.exc_text and self.token in record.exc_text:
                record.exc_text = record.exc_text.replace(self.token, "<token>")
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
