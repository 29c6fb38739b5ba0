"""`vitd-bot demo`: the real bot, unchanged, against a Bot API inside this process, with a chat
page on the same loopback port, a throwaway SQLite database and a clock the page can move on.

    async with running_demo(port=8080) as demo:   # port 0: any free port
        print(demo.url, demo.database_url)
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from bot.config import Settings, load_settings
from bot.content.loader import load_content
from bot.demo.clock import ShiftedClock
from bot.demo.people import OPERATOR_ID, PEOPLE, person
from bot.demo.session import Demo
from bot.fakeapi import FakeBotApi, FakeUser
from bot.telegram.app import build_application

DEMO_ARTICLE = "demo-rehearsal"
DEMO_ARTICLE_TEXT = (
    "---\n"
    'title: "Rehearsal: how an article reaches every subscriber"\n'
    "summary: An article that exists only in the demo, so that an operator can try /broadcast.\n"
    "---\n"
    "This is what a broadcast looks like to a subscriber. Operators write their own articles in "
    "`content/articles/<slug>.md` (a title, an optional summary and link, then the text), check them "
    "with `vitd-bot content check`, and send them with `/broadcast <slug>`.\n"
)


def demo_content(source: Path, scratch: Path) -> Path:
    """The configured content folder, plus one article the demo can always broadcast: the sample
    articles are a title and a summary until an operator adds their text or link, and a broadcast
    of such an article is refused."""
    folder = scratch / "content"
    shutil.copytree(source, folder)
    (folder / "articles" / f"{DEMO_ARTICLE}.md").write_text(DEMO_ARTICLE_TEXT, encoding="utf-8")
    return folder


def demo_settings(server: FakeBotApi, database_url: str, scratch: Path) -> Settings:
    """The environment's settings (CONTENT_DIR, SEND_RATE_LIMIT, logging), with the Bot API, the
    database, the content copy and the operators the demo's own."""
    configured = load_settings(telegram_bot_token=server.token)
    return load_settings(
        content_dir=demo_content(configured.content_dir, scratch),
        telegram_bot_token=server.token,
        telegram_api_base_url=server.base_url,
        database_url=database_url,
        operator_ids=frozenset({OPERATOR_ID}),
        bot_mode="polling",
    )


@asynccontextmanager
async def running_demo(
    port: int = 8080, folder: Path | None = None, database_url: str | None = None
) -> AsyncIterator[Demo]:
    """Start the page, the Bot API and the bot; stop them all on exit. The database is a SQLite
    file in ``folder`` (default: a temporary directory removed on exit), or ``database_url``."""
    from bot.demo.web import add_routes

    with tempfile.TemporaryDirectory(prefix="vitd-demo-") as scratch:
        database = Path(folder or scratch) / "demo.db"
        clock = ShiftedClock()
        holder: list[Demo] = []
        server = FakeBotApi(
            clock=clock, port=port, bot_username="vitd_demo_bot", bot_name="Vitamin D · Back Pain",
            extra_routes=lambda app: add_routes(app, lambda: holder[0]),
        )
        await server.start()
        try:
            url = database_url or f"sqlite+aiosqlite:///{database}"
            demo = Demo(server, clock, demo_settings(server, url, Path(scratch)))
            holder.append(demo)
            for who in PEOPLE:
                demo.users[who.user_id] = FakeUser(server, who.user_id, who.name, clock=clock)
            content = load_content(demo.settings.content_dir)
            demo.application = build_application(demo.settings, content, clock=clock)
            async with _polling(demo.application):
                yield demo
        finally:
            await server.stop()


@asynccontextmanager
async def _polling(application: Application) -> AsyncIterator[None]:
    """The same start-up and shutdown as `vitd-bot run` in polling mode, minus the signals."""
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    try:
        await application.start()
        await application.updater.start_polling(poll_interval=0, allowed_updates=Update.ALL_TYPES)  # type: ignore[union-attr]
        yield
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)  # type: ignore[misc]


async def serve_demo(port: int, stop: asyncio.Event | None = None, announce=print) -> None:
    """Run until SIGINT/SIGTERM (or ``stop``), printing where to look."""
    import signal

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_demo(port) as demo:
        announce(f"Demo running: open {demo.url}")
        announce(f"DATABASE_URL={demo.database_url}")
        announce("  (for the CLI while it runs, e.g. DATABASE_URL=... vitd-bot stats)")
        operator = person(OPERATOR_ID)
        name = operator.name if operator else "the operator"
        announce(f"Operator: {name} (id {OPERATOR_ID}, in OPERATOR_IDS). Ctrl+C stops the demo.")
        await stop.wait()
