"""The bot works in private chats only (SPEC.md, Health safety): in a group it says once that it
works in private chat, with a link there, and does nothing else; a group update never re-points a
subscriber's chat; channel posts are ignored; an edited message does not run a command again."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.repositories import Subscribers
from bot.telegram.gate import private_chat_notice
from tests.hardening.helpers import drained, edit, everything, group_chat, press_in_group, say_in

GROUP = -100_555


async def test_a_group_gets_one_notice_and_nothing_else(bot):
    alice = bot.user(4001, "Alice")
    await bot.enrol(alice)
    await drained(bot)
    before = await everything(bot)
    group = group_chat(bot.server, GROUP)
    for text in ("/start", "/level 24", "/pain 6 stiff", "/history", "/progress", "/export", "/forget",
                 "/timezone Europe/Berlin", "/help", "my back hurts, what should I do?"):
        say_in(bot.server, group, alice, text)
    await drained(bot)

    [notice] = bot.server.messages(GROUP)  # once, however many commands
    assert notice.text == private_chat_notice("vitd_test_bot")
    assert "https://t.me/vitd_test_bot" in notice.text and "private chat" in notice.text
    assert await everything(bot) == before  # nothing stored, nothing changed
    assert alice.unread == []  # and nothing went to her private chat either

    # Her chat is still her own: the next day arrives there, not in the group.
    assert await bot.advance(timedelta(days=1, hours=2)) == 1  # 08:00 the next morning
    [day2] = await alice.replies(1)
    assert day2.text.startswith("Day 2 of 30")
    assert len(bot.server.messages(GROUP)) == 1


async def test_a_button_pressed_in_a_group_stores_nothing(bot):
    alice = bot.user(4002, "Alice")
    await bot.enrol(alice)
    say_in(bot.server, group_chat(bot.server, GROUP), alice, "/pain 7")
    await drained(bot)
    before = await everything(bot)
    [notice] = bot.server.messages(GROUP)
    # Forged presses on the bot's message in the group (it never puts buttons there).
    presses = [press_in_group(bot.server, alice, notice, data) for data in ("pain:7", "forget:yes", "consent:yes")]
    await drained(bot)
    assert await everything(bot) == before
    for query_id in presses:
        answer = alice.answer_to(query_id)
        assert answer is not None and "private chat" in answer.text
    assert bot.server.messages(GROUP) == [notice]
    assert alice.unread == []


async def test_the_notice_comes_again_only_after_an_hour(bot):
    bob = bot.user(4003, "Bob")
    group = group_chat(bot.server, GROUP)
    say_in(bot.server, group, bob, "/start")
    await drained(bot)
    bot.clock.advance(timedelta(minutes=59))
    say_in(bot.server, group, bob, "/start")
    await drained(bot)
    assert len(bot.server.messages(GROUP)) == 1
    bot.clock.advance(timedelta(minutes=2))
    say_in(bot.server, group, bob, "/help")
    await drained(bot)
    assert len(bot.server.messages(GROUP)) == 2
    async with bot.runtime.deps.sessions() as session:
        assert await Subscribers(session).by_user(bob.id) is None  # /start in a group enrols no one


async def test_channel_posts_and_being_added_to_a_group_are_ignored(bot):
    channel = group_chat(bot.server, -100_777, "News", kind="channel")
    say_in(bot.server, channel, None, "/start", kind="channel_post")
    say_in(bot.server, channel, None, "/level 24", kind="channel_post")
    carol = bot.user(4004, "Carol")
    bot.server.queue_update("my_chat_member", {
        "chat": {"id": GROUP, "type": "group", "title": "Club"}, "from": carol.user,
        "date": bot.server.now_timestamp(),
        "old_chat_member": {"status": "left", "user": bot.server.bot_user},
        "new_chat_member": {"status": "member", "user": bot.server.bot_user},
    })
    await drained(bot)
    assert bot.server.messages() == []
    assert all(not rows for rows in (await everything(bot)).values())


async def test_an_edited_message_does_not_run_the_command_again(bot):
    dora = bot.user(4005, "Dora")
    await bot.enrol(dora)
    [saved] = await dora.replies_after(dora.command("/pain 3"))
    assert "3/10" in saved.text
    await drained(bot)
    before = await everything(bot)
    sent = next(m for m in reversed(bot.server._user_messages.values()) if m.get("text") == "/pain 3")
    edit(bot.server, sent, "/pain 9")
    edit(bot.server, sent, "/forget")
    edit(bot.server, sent, "what is vitamin D?")
    await drained(bot)
    await dora.no_reply(within=0.2)
    assert await everything(bot) == before
