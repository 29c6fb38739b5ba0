"""Day 1 is claimed in the transaction that completes enrolment (issue 14, enrolment rate): still
one ledger row, sent once, whatever the subscriber taps again and whichever process sweeps.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import insert, select

from bot.services.delivery import DeliveryService
from bot.services.ledger import Ledger, Status
from bot.services.ports import SendOutcome
from bot.storage.models import Delivery
from tests.test_drip_support import confirmed_day, ledger, settled, stored, texts_starting


class CountingMessenger:
    """Another process's messenger: counts what it would send."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send_markdown(self, chat_id, markdown, *, keyboard=None, bulk=False) -> SendOutcome:
        self.sent.append(chat_id)
        return SendOutcome("sent", message_id=len(self.sent))

    def bulk_in_flight(self) -> int:
        return 8


async def enrolled_until_time(bot, user) -> None:
    await user.command("/start")
    await user.next_reply()
    await user.press("✅ I agree")
    await user.replies(2)
    await user.press("UTC")
    await user.replies(2)


async def test_day_one_is_one_ledger_row_sent_once_across_repeats(bot):
    ann = bot.user(2001, "Ann")
    await enrolled_until_time(bot, ann)
    await ann.press("08:00")
    done, day1 = await ann.replies(2)
    assert "all set" in done.text.lower() and day1.text.startswith("Day 1 of 30")
    await confirmed_day(bot, 2001, 1)
    rows = await ledger(bot, 2001)
    assert list(rows) == ["day:1"] and rows["day:1"].status == Status.SENT and rows["day:1"].attempts == 1
    # The time button again (its keyboard is still there), /start again, and a sweep: no Day 1 twice.
    await ann.press("08:00")
    assert "now arrives at" in (await ann.next_reply()).text
    await ann.command("/start")
    assert "already enrolled" in (await ann.next_reply()).text
    await settled(bot)
    assert await bot.advance(timedelta(minutes=5)) == 0
    assert len(texts_starting(ann, "Day 1 of 30")) == 1
    assert (await stored(bot, 2001)).program_day == 1


async def test_a_double_tap_of_the_time_button_sends_day_one_once(bot):
    ben = bot.user(2002, "Ben")
    await enrolled_until_time(bot, ben)
    await ben.press("08:00")
    await ben.press("08:00")  # before the first is answered: the chat's updates run in order
    await ben.replies(3)  # all set, Day 1, and "now arrives at" for the second tap
    await confirmed_day(bot, 2002, 1)
    await settled(bot)
    assert len(texts_starting(ben, "Day 1 of 30")) == 1
    assert list(await ledger(bot, 2002)) == ["day:1"]


async def test_a_ledger_row_already_there_is_not_sent_again(bot):
    """If the ledger already has Day 1 as sent (however it got there), completing enrolment does
    not send it again: the general path reads the row and advances instead."""
    cat = bot.user(2003, "Cat")
    await enrolled_until_time(bot, cat)
    subscriber = await stored(bot, 2003)
    async with bot.runtime.deps.sessions.begin() as session:
        await session.execute(insert(Delivery).values(
            subscriber_id=subscriber.id, item="day:1", status=Status.SENT, attempts=1,
            sent_at=bot.clock.now(), claimed_at=bot.clock.now(),
        ))
    await cat.press("08:00")
    assert "all set" in (await cat.next_reply()).text.lower()
    await confirmed_day(bot, 2003, 1)
    await settled(bot)
    assert texts_starting(cat, "Day 1 of 30") == []


async def test_another_process_never_takes_a_claimed_day_one(bot):
    """Claimed with the enrolment's last step: another process's sweep (another ledger owner)
    finds nothing due while this one sends; had this process died after the claim, the other
    releases the claim and sends Day 1 once."""
    other_messenger = CountingMessenger()
    other = DeliveryService(bot.runtime.deps, other_messenger, Ledger(bot.runtime.deps, other_messenger, owner="other"))
    dan = bot.user(2004, "Dan")
    await enrolled_until_time(bot, dan)
    # The step as the handler runs it, without the send: this process "dies" after the claim.
    settled_step = await bot.runtime.subscriptions.set_delivery_time(2004, time(8, 0))
    assert settled_step.completed and settled_step.day_one is not None
    assert await other.sweep() == 0 and other_messenger.sent == []
    rows = await ledger(bot, 2004)
    assert rows["day:1"].status == Status.CLAIMED and rows["day:1"].claimed_by == bot.runtime.ledger.owner
    assert await other.ledger.release_claims_of_the_dead(everyone_else=True) == 1
    assert await other.sweep() == 1 and other_messenger.sent == [2004]
    assert await other.sweep() == 0
    async with bot.runtime.deps.sessions() as session:
        row = (await session.execute(select(Delivery).where(Delivery.item == "day:1"))).scalar_one()
    assert row.status == Status.SENT and row.attempts == 2
    assert (await stored(bot, 2004)).program_day == 1


async def test_day_one_still_goes_when_the_all_set_reply_fails(bot):
    """The reply before Day 1 fails (Telegram answers 502 once): Day 1, claimed with the step, is
    still sent now, not left claimed until its lease ends."""
    eve = bot.user(2005, "Eve")
    await enrolled_until_time(bot, eve)
    bot.server.fail_next("sendMessage", 502, "Bad Gateway", chat_id=eve.id)
    await eve.press("08:00")
    day1 = await eve.next_reply()
    assert day1.text.startswith("Day 1 of 30")
    await confirmed_day(bot, 2005, 1)
    assert (await ledger(bot, 2005))["day:1"].status == Status.SENT
