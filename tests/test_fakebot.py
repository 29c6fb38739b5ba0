"""The fake Bot API and FakeUser, driven by the real python-telegram-bot Bot and Application."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.clock import FakeClock
from tests.e2e import eventually
from tests.fakebot import FakeBotApi, FakeUser, application_builder, bot_for, polling
from tests.fakebot.faults import SlidingWindow, max_in_any_window

pytestmark = pytest.mark.filterwarnings(
    # PTB itself warns while building RetryAfter (int vs timedelta); nothing to act on here.
    "ignore::telegram.warnings.PTBDeprecationWarning"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ALICE = 1001


def seconds(period: int | timedelta) -> float:
    return period.total_seconds() if isinstance(period, timedelta) else period


@pytest.fixture
async def server():
    async with FakeBotApi() as running:
        yield running


@pytest.fixture
async def bot(server):
    async with bot_for(server) as client:
        yield client


@pytest.fixture
def alice(server) -> FakeUser:
    return FakeUser(server, ALICE, "Alice", username="alice")


def demo_application(server: FakeBotApi, seen: list):
    """Echo, /pain with arguments, a button and its callback, locations, membership changes."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        await update.message.reply_text(f"echo: {update.message.text}")

    async def pain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Confirm", callback_data="pain:ok")]])
        await update.message.reply_text(f"pain {context.args}", reply_markup=markup)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        await update.callback_query.answer("saved")
        await update.callback_query.edit_message_text(f"done: {update.callback_query.data}")

    async def located(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        location = update.message.location
        await update.message.reply_text(f"at {location.latitude},{location.longitude}")

    async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    app = application_builder(server).build()
    app.add_handler(CommandHandler("pain", pain))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.LOCATION, located))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    return app


# ---- through a running Application ---------------------------------------------------------


async def test_text_update_reaches_handler_and_reply_is_recorded(server, alice):
    clock = FakeClock(datetime(2026, 3, 1, 7, 30, tzinfo=UTC))
    alice.clock = clock
    seen: list[Update] = []
    async with polling(demo_application(server, seen)):
        [reply] = await alice.replies_after(alice.send("hello there"))
    assert reply.text == "echo: hello there"
    assert reply.kind == "text" and reply.chat_id == ALICE
    assert seen[0].effective_user.first_name == "Alice"
    assert seen[0].message.date == clock.now()
    assert server.pending_updates == []  # confirmed through the next offset


async def test_command_carries_bot_command_entity_and_args(server, alice):
    seen: list[Update] = []
    async with polling(demo_application(server, seen)):
        reply = (await alice.replies_after(alice.command("/pain 6 stiff")))[0]
    assert reply.text == "pain ['6', 'stiff']"
    assert seen[0].message.entities[0].type == MessageEntity.BOT_COMMAND
    assert alice.buttons(reply) == ["Confirm"]


async def test_button_press_round_trips(server, alice):
    seen: list[Update] = []
    async with polling(demo_application(server, seen)):
        [question] = await alice.replies_after(alice.command("/pain 3"))
        query_id = await alice.press("Confirm")
        while not question.edited:
            await asyncio.wait_for(server.wait_for_change(1.0), 2)
    assert question.text == "done: pain:ok"
    assert question.history[0].text == "pain ['3']"
    assert question.buttons == []  # an edit without reply_markup drops the keyboard
    answer = alice.answer_to(query_id)
    assert answer is not None and answer.text == "saved" and answer.data == "pain:ok"
    assert seen[-1].callback_query.message.message_id == question.message_id


async def test_pressing_a_missing_button_lists_the_buttons_shown(server, alice):
    async with polling(demo_application(server, [])):
        await alice.replies_after(alice.command("/pain 3"))
        with pytest.raises(AssertionError, match=r"(?i)'Nope'.*\['Confirm'\]"):
            await alice.press("Nope")


async def test_location_reaches_handler(server, alice):
    async with polling(demo_application(server, [])):
        [reply] = await alice.replies_after(alice.share_location(52.52, 13.405))
    assert reply.text == "at 52.52,13.405"


async def test_block_and_unblock_queue_my_chat_member_updates(server, alice):
    seen: list[Update] = []
    async with polling(demo_application(server, seen)):
        alice.block_bot()
        alice.unblock_bot()

        async def both_seen() -> bool:
            return len([u for u in seen if u.my_chat_member]) == 2

        await eventually(both_seen)
    changes = [u.my_chat_member for u in seen if u.my_chat_member]
    assert [(c.old_chat_member.status, c.new_chat_member.status) for c in changes] == [
        ("member", "kicked"),
        ("kicked", "member"),
    ]
    assert changes[0].chat.id == ALICE


async def test_reply_keyboard_tap_sends_the_label(server, alice, bot):
    seen: list[Update] = []
    async with polling(demo_application(server, seen)):
        keyboard = ReplyKeyboardMarkup([[KeyboardButton("08:00"), KeyboardButton("09:00")]])
        await bot.send_message(ALICE, "When?", reply_markup=keyboard)
        with pytest.raises(AssertionError, match="(?i)07:00"):
            await alice.reply_keyboard_tap("07:00")
        alice.mark_read()
        [reply] = await alice.replies_after(alice.reply_keyboard_tap("09:00"))
    assert reply.text == "echo: 09:00"


# ---- with a plain Bot ----------------------------------------------------------------------


async def test_photo_and_document_upload_keep_bytes_name_and_caption(server, alice, bot):
    await bot.send_photo(ALICE, io.BytesIO(PNG), caption="*Pain* chart", parse_mode="MarkdownV2")
    sent = await bot.send_document(ALICE, b"date,pain\n2026-03-01,6\n", filename="export.csv")
    photo, document = alice.messages
    assert photo.kind == "photo" and photo.photo_bytes == PNG
    assert photo.caption == "Pain chart" and photo.entities[0]["type"] == "bold"
    assert document.document_bytes == b"date,pain\n2026-03-01,6\n"
    assert document.filename == "export.csv" and document.photo_bytes is None
    assert sent.document.file_name == "export.csv"
    resent = await bot.send_photo(ALICE, photo.file_id)  # by file_id: same bytes, no upload
    assert alice.last.photo_bytes == PNG and resent.photo[0].file_id == photo.file_id
    with pytest.raises(BadRequest, match="(?i)type of file mismatch"):
        await bot.send_photo(ALICE, sent.document.file_id)


async def test_photo_that_is_not_an_image_is_refused(server, alice, bot):
    with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ALICE, b"not an image")
    assert alice.messages == []


async def test_blocked_user_gets_forbidden(server, alice, bot):
    alice.block_bot()
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(ALICE, "hello")
    alice.unblock_bot()
    await bot.send_message(ALICE, "welcome back")
    assert [m.text for m in alice.messages] == ["welcome back"]


async def test_unknown_chat_is_not_found(bot):
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "hello")


async def test_fail_next_answers_429_with_retry_after_then_recovers(server, alice, bot):
    server.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(ALICE, "one")
    assert seconds(raised.value.retry_after) == 7
    await bot.send_message(ALICE, "two")
    assert [m.text for m in alice.messages] == ["two"]


async def test_fail_next_for_one_chat_leaves_others_alone(server, alice, bot):
    bob = FakeUser(server, 2002, "Bob")
    server.fail_next("sendMessage", 500, "Internal Server Error", chat_id=bob.id, count=2)
    await bot.send_message(ALICE, "a")
    for _ in range(2):
        with pytest.raises(NetworkError, match="(?i)Internal Server Error"):
            await bot.send_message(bob.id, "b")
    await bot.send_message(bob.id, "b")
    assert [m.text for m in server.messages()] == ["a", "b"]


async def test_entities_outside_the_text_in_utf16_units_are_refused(server, alice, bot):
    text = "👍 ok"  # the emoji is two UTF-16 units: the text is 5 long
    await bot.send_message(ALICE, text, entities=[MessageEntity("bold", 3, 2)])
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(ALICE, text, entities=[MessageEntity("bold", 3, 3)])
    assert len(alice.messages) == 1


async def test_parse_modes_are_checked_and_rendered(server, alice, bot):
    await bot.send_message(ALICE, "<b>Day 1</b> of 30 &amp; more", parse_mode="HTML")
    assert alice.last.text == "Day 1 of 30 & more"
    assert alice.last.entities == [{"type": "bold", "offset": 0, "length": 5}]
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(ALICE, "Day 1 of 30.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(ALICE, "<b>unclosed", parse_mode="HTML")


async def test_text_and_caption_limits(server, alice, bot):
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(ALICE, "   ")
    await bot.send_message(ALICE, "👍" * 2048)  # exactly 4096 UTF-16 units
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(ALICE, "👍" * 2048 + "x")
    await bot.send_photo(ALICE, PNG, caption="c" * 1024)
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_photo(ALICE, PNG, caption="c" * 1025)
    assert len(alice.messages) == 2


async def test_callback_data_over_64_bytes_is_refused(alice, bot):
    await bot.send_message(ALICE, "ok", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("x", callback_data="é" * 32)]]))  # 64 bytes
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE, "no", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("x", callback_data="é" * 32 + "a")]]))


async def test_reply_to_unknown_message_is_refused(alice, bot):
    original = await bot.send_message(ALICE, "first")
    await bot.send_message(ALICE, "second", reply_parameters=ReplyParameters(original.message_id))
    assert alice.last.reply_to_message_id == original.message_id
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(ALICE, "third", reply_to_message_id=4242)


async def test_edits_keep_history_and_refuse_no_op_or_missing(alice, bot):
    sent = await bot.send_message(ALICE, "v1")
    await bot.edit_message_text("v2", chat_id=ALICE, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("v2", chat_id=ALICE, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("v3", chat_id=ALICE, message_id=999)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="b")]])
    await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=markup)
    assert [v.text for v in alice.last.history] == ["v1", "v2"]
    assert alice.last.text == "v2" and alice.last.buttons == ["b"]


async def test_answering_a_callback_twice_is_refused(server, alice, bot):
    await bot.send_message(ALICE, "q", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Yes", callback_data="yes")]]))
    query_id = await alice.press("Yes")
    with pytest.raises(BadRequest, match="(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    await bot.answer_callback_query(query_id, text="noted")
    with pytest.raises(BadRequest, match="(?i)query ID is invalid"):
        await bot.answer_callback_query(query_id)
    assert alice.answer_to(query_id).text == "noted"


async def test_commands_webhook_and_misc_methods(server, alice, bot):
    from telegram import BotCommand

    await bot.set_my_commands([BotCommand("pain", "Log back pain 0-10")])
    assert server.commands == [{"command": "pain", "description": "Log back pain 0-10"}]
    assert [c.command for c in await bot.get_my_commands()] == ["pain"]
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    await bot.send_chat_action(ALICE, "typing")
    assert server.chat_actions == [(ALICE, "typing")]
    sent = await bot.send_message(ALICE, "temp")
    await bot.delete_message(ALICE, sent.message_id)
    assert alice.last.deleted
    await bot.set_webhook("https://example.test/hook")
    assert server.webhook["url"] == "https://example.test/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()
    await bot.set_my_description("A 30-day program")
    assert server.bot_settings == [{"description": "A 30-day program"}]


async def test_unknown_method_is_404_in_telegram_shape(server, bot):
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTeleportation", api_kwargs={"chat_id": ALICE})
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{server.base_url}{server.token}/sendTeleportation")
        wrong_token = await client.post(f"{server.base_url}1:wrong/getMe")
    assert answer.status_code == 404
    assert answer.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert wrong_token.status_code == 401


async def test_raw_requests_json_body_and_refused_parameters(server, alice):
    url = f"{server.base_url}{server.token}"
    async with httpx.AsyncClient() as client:
        as_json = await client.post(f"{url}/sendMessage", json={"chat_id": ALICE, "text": "hi"})
        bad_markup = await client.post(
            f"{url}/sendMessage", data={"chat_id": ALICE, "text": "x", "reply_markup": "{oops"}
        )
        bad_chat = await client.post(f"{url}/sendMessage", data={"chat_id": "abc", "text": "x"})
        text_button = await client.post(f"{url}/sendMessage", data={
            "chat_id": ALICE, "text": "x", "reply_markup": '{"inline_keyboard": [[{"text": "t"}]]}'
        })
    assert as_json.json()["result"]["text"] == "hi"
    assert bad_markup.status_code == 400 and "can't parse" in bad_markup.json()["description"]
    assert bad_chat.json()["description"] == "Bad Request: chat not found"
    assert "Text buttons are unallowed" in text_button.json()["description"]
    assert [m.text for m in alice.messages] == ["hi"]


async def test_sliding_window_rate_limit_answers_429_to_a_burst(server, alice, bot):
    server.rate_limit_per_second = 5
    results = await asyncio.gather(
        *(bot.send_message(ALICE, f"m{i}") for i in range(8)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, RetryAfter)]
    assert len(refused) == 3 and seconds(refused[0].retry_after) == 1
    assert len(alice.messages) == 5
    assert server.max_sends_in_any_window(1.0) == 8  # attempts count, refused or not
    assert {(r.method, r.chat_id) for r in server.sends_log} == {("sendMessage", ALICE)}


async def test_latency_delays_each_send(server, alice, bot):
    server.latency = 0.2
    started = time.monotonic()
    await bot.send_message(ALICE, "slow")
    assert time.monotonic() - started >= 0.2
    assert alice.last.received_at >= started


@pytest.mark.parametrize("record", [True, False])
async def test_hang_next_never_answers_and_records_only_if_asked(server, alice, bot, record):
    server.hang_next("sendMessage", chat_id=ALICE, record=record)
    sending = asyncio.create_task(bot.send_message(ALICE, "in flight"))
    [hung] = await server.wait_until_hung()
    assert not sending.done()
    assert [m.text for m in alice.messages] == (["in flight"] if record else [])
    assert (hung.recorded_message_id is not None) == record
    await server.stop()
    with pytest.raises(NetworkError):  # at once: wait_for's bound is the assertion, no stopwatch
        await asyncio.wait_for(sending, 2)


async def test_long_poll_returns_as_soon_as_an_update_is_queued(server, alice, bot):
    polling_task = asyncio.create_task(bot.get_updates(timeout=10))
    await server.wait_for_poll()
    await alice.send("hi")
    [update] = await asyncio.wait_for(polling_task, 2)  # well inside the poll's 10 s
    assert update.message.text == "hi"
    assert len(await bot.get_updates(offset=update.update_id)) == 1  # not yet confirmed
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert server.pending_updates == []


async def test_get_updates_honours_limit_and_allowed_updates(server, alice, bot):
    for text in ("a", "b", "c"):
        await alice.send(text)
    alice.block_bot()
    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two] == ["a", "b"]
    only_membership = await bot.get_updates(allowed_updates=["my_chat_member"])
    assert [u.my_chat_member.new_chat_member.status for u in only_membership] == ["kicked"]


async def test_stop_is_fast_with_a_long_poll_pending():
    server = FakeBotApi()
    await server.start()
    async with bot_for(server) as client:
        polling_task = asyncio.create_task(client.get_updates(timeout=30))
        await server.wait_for_poll()
        await server.stop()
        assert await asyncio.wait_for(polling_task, 1) == ()  # well inside the poll's 30 s


async def test_a_second_poller_terminates_the_first(server, bot):
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await server.wait_for_poll()
    async with bot_for(server) as other:
        await other.get_updates(timeout=0)
    with pytest.raises(Conflict, match="(?i)terminated by other getUpdates"):
        await asyncio.wait_for(first, 1)


# ---- reading helpers -----------------------------------------------------------------------


async def test_next_reply_reads_in_order_and_timeout_names_what_arrived(server, alice, bot):
    for text in ("one", "two"):
        await bot.send_message(ALICE, text)
    assert (await alice.next_reply()).text == "one"
    assert (await alice.next_reply()).text == "two"
    with pytest.raises(AssertionError, match=r"(?is)expected 3 messages.*got 2.*'one'"):
        await alice.next_reply(timeout=0.05)
    await alice.no_reply(within=0.05)
    await bot.send_message(ALICE, "three")
    with pytest.raises(AssertionError, match="(?i)three"):
        await alice.no_reply(within=0.05)


async def test_replies_after_skips_older_messages(server, alice, bot):
    await bot.send_message(ALICE, "old")

    async def act():
        await bot.send_message(ALICE, "new")

    assert [m.text for m in await alice.replies_after(act)] == ["new"]


@pytest.mark.parametrize("text", ["pain 6", "/ 6", "/", "/pain-x 6", "/" + "a" * 33])
async def test_command_refuses_text_that_is_not_a_command(alice, text):
    with pytest.raises(ValueError, match="not a command"):
        await alice.command(text)


async def test_commands_get_an_entity_and_plain_slashes_do_not(server, alice):
    await alice.command("/pain@vitd_test_bot 4")
    await alice.send("/ just a slash")
    first, second = (u["message"] for u in server.pending_updates)
    assert first["entities"] == [{"type": "bot_command", "offset": 0, "length": 19}]
    assert "entities" not in second


def test_sliding_window_counts_arrivals_in_the_last_second():
    window = SlidingWindow(1.0)
    assert [window.arrive(t) for t in (0.0, 0.5, 0.99, 1.0, 1.6, 2.0)] == [1, 2, 3, 3, 3, 2]
    assert max_in_any_window([0.0, 0.5, 0.99, 1.0, 1.6], 1.0) == 3
    assert max_in_any_window([0.0, 1.0, 2.0], 1.0) == 1
    assert max_in_any_window([], 1.0) == 0
