"""The drip as a pipeline: the next batch is claimed while one is being sent, so one slow send
never holds back the subscribers after it (the sweep used to send a batch, wait for its slowest
answer, and only then claim the next)."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import update

from bot.storage.models import Subscriber
from tests.e2e import eventually
from tests.test_broadcast import received, seed
from tests.test_drip_support import day_of


async def test_a_send_still_unanswered_holds_back_nobody_after_it(bot):
    rt = bot.runtime
    everyone = list(range(62_001, 62_001 + rt.delivery.batch + 20))  # two batches
    await seed(rt.deps.sessions, bot.server, everyone, now=bot.clock.now())
    async with rt.deps.sessions.begin() as session:
        await session.execute(update(Subscriber).values(next_delivery_at=bot.clock.now()))
    bot.server.hang_next("sendMessage")  # the first send of the first batch is never answered

    sweep = asyncio.create_task(bot.sweep())
    [hung] = await bot.server.wait_until_hung()
    others = [chat for chat in everyone if chat != hung.chat_id]
    try:
        async def all_the_others_have_day_4() -> bool:
            return len(received(bot.server, others)) == len(others)

        assert await eventually(all_the_others_have_day_4, timeout=20), "the next batch waited for the slowest send"
    finally:
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
    assert all(day_of(m) == 4 for m in bot.server.messages() if m.chat_id in set(others))
    assert set(received(bot.server, others).values()) == {1}



async def test_more_unanswered_sends_than_the_window_hold_back_nobody(bot):
    """Hung requests stop counting against the sends in flight once they are overdue, so the rest
    of the drip goes on long before their read timeout (5 s) ends them."""
    rt = bot.runtime
    window = rt.messenger.bulk_in_flight()
    everyone = list(range(63_001, 63_001 + 40))
    await seed(rt.deps.sessions, bot.server, everyone, now=bot.clock.now())
    async with rt.deps.sessions.begin() as session:
        await session.execute(update(Subscriber).values(next_delivery_at=bot.clock.now()))
    for _ in range(window + 2):
        bot.server.hang_next("sendMessage")  # more hung requests than the window holds

    sweep = asyncio.create_task(bot.sweep())
    try:
        hung = {request.chat_id for request in await bot.server.wait_until_hung(window + 2, timeout=4)}
        others = [chat for chat in everyone if chat not in hung]

        async def all_the_others_have_day_4() -> bool:
            return len(received(bot.server, others)) == len(others)

        # Well inside the read timeout: nobody waited for the hung requests to end.
        assert await eventually(all_the_others_have_day_4, timeout=4), "the drip waited for the hung requests"
    finally:
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
    assert set(received(bot.server, others).values()) == {1}
