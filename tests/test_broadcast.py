"""Broadcasts end to end, in process: the operator's /broadcast preview and buttons, exactly-once
delivery to every active subscriber, blocked and failing recipients, the shared rate, and the
unknown-command reply for everyone who is not an operator. On SQLite and PostgreSQL.

The seeding helpers here are shared with the crash, CLI and stats tests.
"""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from collections import Counter
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content.loader import default_content_dir, load_content
from bot.storage.models import Broadcast, Subscriber
from tests.conftest import OPERATOR_ID
from tests.e2e import eventually, running_bot

SLUG = "burning-feet-at-night"
OTHER_SLUG = "early-warning-signs-you-ignore"


def sendable_content_dir(folder: Path) -> Path:
    """A copy of the real content where the two test articles have a URL: the shipped samples
    (a title and a summary only) are refused for broadcast until an operator adds one."""
    shutil.copytree(default_content_dir(), folder)
    for slug in (SLUG, OTHER_SLUG):
        path = folder / "articles" / f"{slug}.md"
        path.write_text(path.read_text().replace("---\n", f"---\nurl: https://example.org/{slug}\n", 1))
    return folder


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    return load_content(sendable_content_dir(tmp_path_factory.mktemp("broadcast") / "content"))


async def seed(sessions, server, ids, *, status="active", blocked=False, program_day=3, now=None):
    """Subscribers straight into the database (enrolling 500 through the chat would be slow),
    each known to the fake server as a private chat."""
    from datetime import datetime

    now = now or datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        session.add_all([
            Subscriber(
                telegram_user_id=i, chat_id=i, first_name=f"S{i}", status=status, blocked=blocked,
                consented_at=now, program_day=program_day, created_at=now, updated_at=now,
            )
            for i in ids
        ])
    for i in ids:
        server.register_user({"id": i, "is_bot": False, "first_name": f"S{i}"})


def received(server, ids) -> Counter:
    """How many messages each of `ids` got."""
    wanted = set(ids)
    return Counter(m.chat_id for m in server.messages() if m.chat_id in wanted)


async def broadcast_row(sessions, broadcast_id: int) -> Broadcast:
    async with sessions() as session:
        return await session.get(Broadcast, broadcast_id)


async def ask_to_broadcast(operator, slug: str):
    """/broadcast <slug> as the operator: returns (preview message, confirmation message)."""
    await operator.command(f"/broadcast {slug}")
    intro, preview, confirm = await operator.replies(3)
    assert "Preview" in intro.text
    return preview, confirm


def draft_id(confirm) -> int:
    return int(confirm.button(confirm.buttons[0])["callback_data"].rsplit(":", 1)[1])


@pytest.fixture
async def live_bot(server, database_url, clock, content, settings_for):
    """The application with its broadcast job on (every 0.2 s), as in production."""
    async with running_bot(settings_for(server, database_url), content, clock, server, broadcast_interval=0.2) as harness:
        yield harness


async def test_a_broadcast_reaches_500_subscribers_exactly_once(live_bot, server):
    sessions = live_bot.runtime.deps.sessions
    audience = range(10_001, 10_501)
    await seed(sessions, server, audience)
    await seed(sessions, server, range(11_001, 11_004), status="stopped")
    await seed(sessions, server, range(11_101, 11_103), blocked=True)
    await seed(sessions, server, range(11_201, 11_203), status="enrolling")
    outsiders = [*range(11_001, 11_004), *range(11_101, 11_103), *range(11_201, 11_203)]
    operator = live_bot.user(OPERATOR_ID, "Olga")

    preview, confirm = await ask_to_broadcast(operator, SLUG)
    assert operator.buttons(confirm) == ["Send to 500", "Cancel"]
    assert received(server, audience) == Counter()  # a preview sends nothing
    await operator.press("Send to 500")
    started = await operator.next_reply()
    assert "500" in started.text
    summary = await operator.next_reply(timeout=20)

    assert "500 sent, 0 blocked, 0 failed" in summary.text
    assert received(server, audience) == Counter({i: 1 for i in audience})
    assert received(server, outsiders) == Counter()
    article = [m for m in server.messages() if m.chat_id in set(audience)]
    # Exactly as previewed: same text, same formatting.
    assert {(m.text, str(m.entities)) for m in article} == {(preview.text, str(preview.entities))}
    assert operator.buttons(confirm) == []  # the Send button went away when pressed

    await operator.press("Recipients CSV")
    document = await operator.next_reply()
    rows = list(csv.DictReader(io.StringIO(document.file_bytes.decode())))
    assert sorted(int(r["telegram_user_id"]) for r in rows) == list(audience)
    assert {r["status"] for r in rows} == {"sent"}
    await operator.no_reply(0.5)  # the summary comes once, not on every run of the job


async def test_blocked_recipients_are_skipped_and_counted(bot, server):
    sessions = bot.runtime.deps.sessions
    audience = list(range(20_001, 20_013))
    await seed(sessions, server, audience)
    await seed(sessions, server, [20_100], blocked=True)  # known to have blocked: not a recipient
    operator = bot.user(OPERATOR_ID, "Olga")
    _, confirm = await ask_to_broadcast(operator, SLUG)
    assert operator.buttons(confirm) == ["Send to 12", "Cancel"]
    await operator.press("Send to 12")
    await operator.next_reply()

    forbidden = audience[:2]  # Telegram answers 403 when their turn comes
    for chat_id in forbidden:
        server.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=chat_id)
    leaver = audience[2]  # blocks after the recipients were fixed: the bot hears of it first
    server.block(leaver)

    async def leaver_marked():
        async with sessions() as session:
            return (await session.execute(select(Subscriber.blocked).where(Subscriber.telegram_user_id == leaver))).scalar_one()

    assert await eventually(leaver_marked)
    [progress] = await bot.runtime.broadcasts.run_once()

    assert (progress.sent, progress.blocked, progress.failed, progress.recipients) == (9, 3, 0, 12)
    assert received(server, audience) == Counter({i: 1 for i in audience[3:]})
    assert not [r for r in server.sends_log if r.chat_id in (leaver, 20_100)]  # never even tried
    async with sessions() as session:
        blocked = set((await session.execute(select(Subscriber.telegram_user_id).where(Subscriber.blocked))).scalars())
    assert blocked == {*forbidden, leaver, 20_100}
    csv_rows = list(csv.DictReader(io.StringIO((await bot.runtime.broadcasts.recipients_csv(progress.id)).decode())))
    assert Counter(r["status"] for r in csv_rows) == Counter({"sent": 9, "blocked": 3})
    _, confirm = await ask_to_broadcast(operator, OTHER_SLUG)  # the next one leaves them out
    assert operator.buttons(confirm) == ["Send to 9", "Cancel"]


async def test_a_failed_send_is_retried_later_and_arrives_once(bot, server):
    sessions = bot.runtime.deps.sessions
    audience = list(range(21_001, 21_006))
    await seed(sessions, server, audience)
    operator = bot.user(OPERATOR_ID, "Olga")
    _, confirm = await ask_to_broadcast(operator, SLUG)
    await operator.press("Send to 5")
    await operator.next_reply()
    # An error that is neither "blocked" nor a network hiccup the ledger retries on the spot.
    server.fail_next("sendMessage", 409, "Conflict: something unexpected", chat_id=audience[0])

    assert await bot.runtime.broadcasts.run_once() == []  # one recipient still to go: not done
    assert received(server, audience) == Counter({i: 1 for i in audience[1:]})
    assert await bot.runtime.broadcasts.run_once() == []  # it waits before trying again
    bot.clock.advance(bot.runtime.ledger.policy.round_delay(1, bot.runtime.ledger.lease) + timedelta(seconds=1))
    [progress] = await bot.runtime.broadcasts.run_once()
    assert (progress.sent, progress.failed, progress.status) == (5, 0, "done")
    assert received(server, audience) == Counter({i: 1 for i in audience})


async def test_two_broadcasts_at_once_share_the_rate(server, database_url, clock, content, settings_for):
    settings = settings_for(server, database_url, send_rate_limit=20)
    async with running_bot(settings, content, clock, server) as bot:
        sessions = bot.runtime.deps.sessions
        audience = list(range(22_001, 22_021))
        await seed(sessions, server, audience)
        operator = bot.user(OPERATOR_ID, "Olga")
        first_preview, _ = await ask_to_broadcast(operator, SLUG)
        await operator.press("Send to 20")
        await operator.next_reply()
        second_preview, _ = await ask_to_broadcast(operator, OTHER_SLUG)
        await operator.press("Send to 20")
        await operator.next_reply()

        finished = await bot.runtime.broadcasts.run_once()

    assert sorted(p.sent for p in finished) == [20, 20]
    assert received(server, audience) == Counter({i: 2 for i in audience})
    assert server.max_sends_in_any_window(1.0) <= 20
    texts = [m.text for m in server.messages() if m.chat_id in set(audience)]
    assert {texts.count(first_preview.text), texts.count(second_preview.text)} == {20}
    # Interleaved: the second does not wait for the first to finish.
    assert second_preview.text in texts[:15] and first_preview.text in texts[-15:]
    span = [r.at for r in server.sends_log if r.chat_id in set(audience)]
    assert span[-1] - span[0] >= (40 - 20) / 20 - 0.1  # the limit held back the bulk


async def test_non_operators_get_the_unknown_command_reply(bot, server):
    sessions = bot.runtime.deps.sessions
    audience = list(range(23_001, 23_004))
    await seed(sessions, server, audience)
    stranger = bot.user(23_001, "Sneaky")  # a subscriber, but not an operator
    [unknown] = await stranger.replies_after(stranger.command("/frobnicate"))
    operator = bot.user(OPERATOR_ID, "Olga")
    _, confirm = await ask_to_broadcast(operator, SLUG)
    broadcast_id = draft_id(confirm)

    for command in (f"/broadcast {SLUG}", "/broadcast", "/stats"):
        [answer] = await stranger.replies_after(stranger.command(command))
        assert (answer.text, answer.buttons) == (unknown.text, unknown.buttons), command
    for data in (f"bc:send:{broadcast_id}", f"bcsv:{broadcast_id}", f"bc:cancel:{broadcast_id}"):
        stranger.mark_read()
        query = await stranger.press_data(data)
        answer = await stranger.next_reply()
        assert (answer.text, answer.buttons) == (unknown.text, unknown.buttons), data
        assert stranger.answer_to(query) is not None  # the button stops spinning

    assert (await broadcast_row(sessions, broadcast_id)).status == "draft"
    await bot.runtime.broadcasts.run_once()
    assert received(server, audience[1:]) == Counter()
    await stranger.no_reply(0.2)
    await operator.press("Send to 3")  # the operator's own button still works
    assert "Sending to 3" in (await operator.next_reply()).text


async def test_unknown_slug_cancel_and_a_second_press(bot, server):
    sessions = bot.runtime.deps.sessions
    audience = list(range(24_001, 24_004))
    await seed(sessions, server, audience)
    operator = bot.user(OPERATOR_ID, "Olga")
    [answer] = await operator.replies_after(operator.command("/broadcast no-such-article"))
    assert "no-such-article" in answer.text
    for slug in (SLUG, OTHER_SLUG, "anxiety-without-a-trigger", "poor-appetite-but-constant-fatigue"):
        assert slug in answer.text
    [answer] = await operator.replies_after(operator.command("/broadcast ../../etc/passwd"))
    assert "There is no article" in answer.text and SLUG in answer.text
    [usage] = await operator.replies_after(operator.command("/broadcast"))
    assert "/broadcast" in usage.text and SLUG in usage.text

    _, confirm = await ask_to_broadcast(operator, SLUG)
    cancelled_id = draft_id(confirm)
    await operator.press("Cancel")
    assert "nothing was sent" in (await operator.next_reply()).text.lower()
    assert operator.buttons(confirm) == []
    await operator.press_data(f"bc:send:{cancelled_id}", confirm)  # a stale or forged Send
    assert "already sent or cancelled" in (await operator.next_reply()).text
    assert await bot.runtime.broadcasts.run_once() == []
    assert received(server, audience) == Counter()

    _, confirm = await ask_to_broadcast(operator, SLUG)
    sent_id = draft_id(confirm)
    await operator.press("Send to 3")
    await operator.next_reply()
    await operator.press_data(f"bc:send:{sent_id}", confirm)  # pressed twice
    assert "already sent or cancelled" in (await operator.next_reply()).text
    await bot.runtime.broadcasts.run_once()
    assert received(server, audience) == Counter({i: 1 for i in audience})


async def test_the_text_is_fixed_when_previewed(server, database_url, clock, content, settings_for, tmp_path):
    """Editing the file after the preview changes nothing in flight; a file added after start-up
    is found without a restart."""
    folder = tmp_path / "content"
    (folder / "articles").mkdir(parents=True)
    article = folder / "articles" / "fresh-news.md"
    article.write_text('---\ntitle: "Fresh news"\n---\nThe original body.\n')
    settings = settings_for(server, database_url, content_dir=folder)
    async with running_bot(settings, content, clock, server) as bot:
        audience = [25_001, 25_002]
        await seed(bot.runtime.deps.sessions, server, audience)
        operator = bot.user(OPERATOR_ID, "Olga")
        preview, _ = await ask_to_broadcast(operator, "fresh-news")
        article.write_text('---\ntitle: "Changed"\n---\nAn edited body.\n')
        await operator.press("Send to 2")
        await operator.next_reply()
        await bot.runtime.broadcasts.run_once()
        article.write_text("---\nsummary: no title\n---\n")
        [problems] = await operator.replies_after(operator.command("/broadcast fresh-news"))

    assert "original body" in preview.text
    assert [m.text for m in server.messages() if m.chat_id in audience] == [preview.text] * 2
    assert "title" in problems.text and "fresh-news" in problems.text


async def test_a_failed_claim_of_the_next_batch_leaves_nothing_claimed(bot, server):
    """The database goes away as the next batch is claimed, while a send of the first batch is
    under way (its request hangs): that send is still seen through and recorded. Cancelled, its
    row would sit claimed by this live process, which nobody else takes claims from, until its
    lease ran out (minutes)."""
    from sqlalchemy import event

    from bot.storage.models import Delivery

    sessions = bot.runtime.deps.sessions
    audience = list(range(21_101, 21_106))
    await seed(sessions, server, audience)
    operator = bot.user(OPERATOR_ID, "Olga")
    await ask_to_broadcast(operator, SLUG)
    await operator.press("Send to 5")
    await operator.next_reply()
    bot.runtime.broadcasts.batch = 2
    server.hang_next("sendMessage", chat_id=audience[1], record=True)  # arrives; no answer
    claims = {"seen": 0}

    def second_claim_fails(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT deliveries.") and "JOIN subscribers" in statement:
            claims["seen"] += 1
            if claims["seen"] == 2:
                raise ConnectionResetError("the server went away during the claim")

    engine = bot.application.bot_data.engine.sync_engine
    event.listen(engine, "before_cursor_execute", second_claim_fails)
    try:
        run = asyncio.ensure_future(bot.runtime.broadcasts.run_once())
        await server.wait_until_hung()

        async def next_claim_failed() -> bool:
            return claims["seen"] == 2

        assert await eventually(next_claim_failed)
        assert not run.done()  # the hung send is still under way after the claim failed ...
        server.drop_hung()  # ... and ends now, its answer lost, not after the 5 s read timeout
        with pytest.raises(Exception, match="went away"):
            await run
    finally:
        event.remove(engine, "before_cursor_execute", second_claim_fails)
    assert claims["seen"] == 2

    async def nothing_claimed() -> bool:
        async with sessions() as session:
            statuses = (await session.execute(select(Delivery.status).where(Delivery.broadcast_id.is_not(None)))).scalars()
            return "claimed" not in set(statuses)

    assert await eventually(nothing_claimed, timeout=3.0)  # not after the lease (300 s)
    bot.clock.advance(bot.runtime.ledger.policy.round_delay(1, bot.runtime.ledger.lease) + timedelta(seconds=1))
    [progress] = await bot.runtime.broadcasts.run_once()
    assert (progress.sent, progress.status) == (5, "done")
    got = received(server, audience)
    assert set(got) == set(audience) and all(n == 1 for i, n in got.items() if i != audience[1])
