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


async def due_for_day_4(bot, everyone: list[int]) -> None:
    rt = bot.runtime
    await seed(rt.deps.sessions, bot.server, everyone, now=bot.clock.now())
    async with rt.deps.sessions.begin() as session:
        await session.execute(update(Subscriber).values(next_delivery_at=bot.clock.now()))


async def others_get_day_4_while_hung(bot, everyone: list[int], hung_count: int, timeout: float) -> None:
    """Sweep while `hung_count` requests hang unanswered: everyone else gets Day 4 once, in time."""
    sweep = asyncio.create_task(bot.sweep())
    try:
        hung = {request.chat_id for request in await bot.server.wait_until_hung(hung_count, timeout=4)}
        others = [chat for chat in everyone if chat not in hung]

        async def all_the_others_have_day_4() -> bool:
            return len(received(bot.server, others)) == len(others)

        assert await eventually(all_the_others_have_day_4, timeout=timeout), "the drip waited for the hung requests"
    finally:
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
    assert all(day_of(m) == 4 for m in bot.server.messages() if m.chat_id in set(others))
    assert set(received(bot.server, others).values()) == {1}


async def test_a_send_still_unanswered_holds_back_nobody_after_it(bot):
    everyone = list(range(62_001, 62_001 + bot.runtime.delivery.batch + 20))  # two batches
    await due_for_day_4(bot, everyone)
    bot.server.hang_next("sendMessage")  # the first send of the first batch is never answered
    await others_get_day_4_while_hung(bot, everyone, 1, timeout=20)


async def test_more_unanswered_sends_than_the_window_hold_back_nobody(bot):
    """Hung requests stop counting against the sends in flight once they are overdue, so the rest
    of the drip goes on long before their read timeout (5 s) ends them."""
    everyone = list(range(63_001, 63_001 + 40))
    await due_for_day_4(bot, everyone)
    hung = bot.runtime.messenger.bulk_in_flight() + 2  # more hung requests than the window holds
    for _ in range(hung):
        bot.server.hang_next("sendMessage")
    await others_get_day_4_while_hung(bot, everyone, hung, timeout=4)  # well inside the read timeout
