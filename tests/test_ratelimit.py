"""SEND_RATE_LIMIT end to end: a drip to many subscribers never puts more than the limit into
any sliding second at a server that enforces it, and a subscriber's own command is answered
promptly while the bulk send is still going."""

from __future__ import annotations

import asyncio

from sqlalchemy import insert

from bot.storage.models import Subscriber
from tests.e2e import running_bot
from tests.fakebot import FakeBotApi, FakeUser
from tests.test_drip_support import day_of

RATE = 10
DUE = 25


async def test_bulk_sends_keep_the_ceiling_and_replies_jump_the_queue(database_url, clock, content, settings_for):
    async with FakeBotApi(clock=clock, rate_limit_per_second=RATE) as server:  # 429 above RATE
        settings = settings_for(server, database_url, send_rate_limit=RATE)
        async with running_bot(settings, content, clock, server) as bot:
            users = [FakeUser(server, 5000 + n, f"S{n}", clock=clock) for n in range(DUE)]
            now = clock.now()
            async with bot.runtime.deps.sessions.begin() as session:  # all due at this instant
                await session.execute(insert(Subscriber), [
                    dict(telegram_user_id=u.id, chat_id=u.id, status="active", blocked=False, timezone="UTC",
                         delivery_minute=8 * 60, program_day=4, consented_at=now, next_delivery_at=now,
                         created_at=now, updated_at=now)
                    for u in users
                ])
            asker = FakeUser(server, 5999, "Asker", clock=clock)

            sweep = asyncio.create_task(bot.sweep())
            await server.wait_for_messages(users[RATE].id, 1)  # the second second's sends are going
            [help_reply] = await asker.replies_after(asker.command("/help"))
            assert await sweep == DUE

    assert "/pause" in help_reply.text
    # The order of the sends, not a stopwatch: the reply went out after the bulk had started and
    # ahead of bulk sends that were already waiting.
    order = [record.chat_id for record in server.sends_log]
    assert RATE < order.index(asker.id) < DUE
    assert server.max_sends_in_any_window(1.0) <= RATE
    assert len(server.sends_log) == DUE + 1  # no send was refused (429) and retried
    assert all([day_of(m) for m in u.messages] == [5] for u in users)
