"""One subscriber's item that cannot be built or sent never holds back anyone else's.

The regression: a Day 7 weekly summary raised inside the claim, the whole batch rolled back, and
every sweep failed on the same batch. Here the drip runs with a message builder that fails for
one subscriber (as the weekly summary did): the others get Day 7 in the same sweep; the one item
is tried again after the policy's pause and, after its last round, parked with its reason, which
/stats and the logs show. A recipient whom Telegram refuses every time is parked the same way.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.services.delivery import DeliveryService
from bot.services.messages import build_item
from bot.storage.models import Subscriber
from tests.conftest import OPERATOR_ID
from tests.test_broadcast import seed
from tests.test_drip_support import day_of, ledger

pytestmark = pytest.mark.faults
EVERYONE = list(range(41_001, 41_011))
BROKEN, REFUSED = EVERYONE[3], EVERYONE[6]


def builder_failing_for(chat_id: int):
    async def build(session, content, subscriber, item, now):
        if subscriber.chat_id == chat_id:
            raise ValueError("a vitamin D result must be positive")
        return await build_item(session, content, subscriber, item, now)

    return build


async def test_a_failing_item_fails_alone_and_is_parked_with_its_reason(bot, caplog):
    rt = bot.runtime
    await seed(rt.deps.sessions, bot.server, EVERYONE, program_day=6, now=bot.clock.now())
    async with rt.deps.sessions.begin() as session:
        await session.execute(update(Subscriber).values(next_delivery_at=bot.clock.now()))
    drip = DeliveryService(rt.deps, rt.messenger, rt.ledger, build=builder_failing_for(BROKEN))
    bot.server.fail_next("sendMessage", 400, "Bad Request: message is odd", chat_id=REFUSED, count=100)

    assert await drip.sweep() == len(EVERYONE) - 2
    for chat in EVERYONE:
        days = [day_of(m) for m in bot.server.messages(chat)]
        assert days == ([] if chat in (BROKEN, REFUSED) else [7])
    assert (await ledger(bot, BROKEN))["day:7"].status == "failed"
    assert "build failed: ValueError" in (await ledger(bot, BROKEN))["day:7"].error

    policy, rounds = rt.ledger.policy, 1
    with caplog.at_level(logging.ERROR, logger="bot.services.ledger"):
        while rounds < policy.park_after:
            bot.clock.advance(policy.round_delay(rounds, rt.ledger.lease) + timedelta(seconds=1))
            assert await drip.sweep() == 0
            rounds += 1
    for chat in (BROKEN, REFUSED):
        row = (await ledger(bot, chat))["day:7"]
        assert (row.status, row.attempts) == ("parked", policy.park_after)
    assert (await ledger(bot, BROKEN))["day:7"].error.startswith("build failed: ValueError")
    assert "Message is odd" in (await ledger(bot, REFUSED))["day:7"].error
    assert sum("parked day:7" in r.getMessage() for r in caplog.records) == 2
    # Parked: nobody sweeps it again, and the others' program goes on.
    bot.clock.advance(timedelta(days=1, hours=2))  # past everyone's next 08:00
    assert await drip.sweep() == len(EVERYONE) - 2

    operator = bot.user(OPERATOR_ID, "Olga")
    [stats] = await operator.replies_after(operator.command("/stats"))
    assert "Parked deliveries (given up after retries): 2" in stats.text
    assert "build failed: ValueError: a vitamin D result must be positive" in stats.text
