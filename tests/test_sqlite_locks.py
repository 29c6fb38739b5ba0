"""Another process writing to the bot's SQLite file (an operator's command, a second tool) holds
its write lock for a while. The bot runs its statements on the event loop's thread, so this is
where it could freeze for everyone: it must not. Whoever needs no write is answered at once; a
write that meets the lock waits for it off the event loop, and is saved when the lock comes free."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import make_url, select

from bot.storage.models import CheckIn
from tests.conftest import empty_database
from tests.e2e import running_bot


@pytest.fixture
def sqlite_url(request, tmp_path):
    return empty_database(request, "sqlite", tmp_path)


async def test_a_write_lock_held_elsewhere_holds_up_only_the_write_that_needs_it(
    sqlite_url, server, clock, content, settings_for
):
    url = sqlite_url
    async with running_bot(settings_for(server, url), content, clock, server) as bot:
        ann, bob = bot.user(3101, "Ann"), bot.user(3102, "Bob")
        await bot.enrol(ann)
        other = sqlite3.connect(make_url(url).database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the other process's write lock
        try:
            ann.mark_read()
            await ann.command("/pain 6")  # a write: it waits for the lock
            for _ in range(3):  # everyone else is answered meanwhile, as often as they ask
                bob.mark_read()
                await bob.command("/help")
                assert "/start" in (await bob.next_reply(timeout=3)).text
            await ann.no_reply(within=0.3)  # still waiting, and nothing was lost or refused
        finally:
            other.rollback()
            other.close()
        saved = await ann.next_reply(timeout=10)
        assert "6" in saved.text
        async with bot.runtime.deps.sessions() as session:
            scores = (await session.execute(select(CheckIn.score))).scalars().all()
        assert scores == [6]
