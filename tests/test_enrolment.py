"""Enrolment end to end, as a subscriber does it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, func, select

from bot.storage.models import Subscriber
from tests.e2e import eventually


async def count_subscribers(bot) -> int:
    async with bot.runtime.deps.sessions() as session:
        return (await session.execute(select(func.count()).select_from(Subscriber))).scalar_one()


async def stored(bot, user_id: int) -> Subscriber | None:
    async with bot.runtime.deps.sessions() as session:
        return (await session.execute(select(Subscriber).where(Subscriber.telegram_user_id == user_id))).scalar_one_or_none()


async def test_enrolment_through_buttons_delivers_day_one(bot):
    alice = bot.user(1001, "Alice")
    await alice.command("/start")
    consent = await alice.next_reply()
    assert "educational purposes only" in consent.text
    assert alice.buttons(consent) == ["✅ I agree", "No, thanks"]
    await alice.press("✅ I agree")
    zone_question, location = await alice.replies(2)
    assert "time zone" in zone_question.text.lower()
    assert {"London", "Berlin", "New York", "UTC"} <= set(alice.buttons(zone_question))
    await alice.press("Berlin")
    confirmed, time_question = await alice.replies(2)
    assert "Time zone set to" in confirmed.text and "Europe/Berlin" in confirmed.text
    assert "07:00" in alice.buttons(time_question)
    await alice.press("07:00")
    done, day1 = await alice.replies(2)
    assert "all set" in done.text.lower()
    assert day1.text.startswith("Day 1 of 30")
    assert "10" in alice.buttons(day1) and "0" in alice.buttons(day1)
    async def day_one_recorded():
        subscriber = await stored(bot, 1001)
        return subscriber if subscriber.program_day == 1 else None

    subscriber = await eventually(day_one_recorded)
    assert subscriber is not None and subscriber.status == "active"
    assert subscriber.delivery_minute == 7 * 60 and subscriber.first_name == "Alice"


async def test_enrolment_through_typed_answers(bot):
    bob = bot.user(1002, "Bob")
    day1 = await bot.enrol(bob, zone_text="america/new york", time_text="7:30 pm")
    assert day1.text.startswith("Day 1 of 30")
    subscriber = await stored(bot, 1002)
    assert subscriber.timezone == "America/New_York"
    assert subscriber.delivery_minute == 19 * 60 + 30


async def test_enrolment_through_a_shared_location(bot):
    carla = bot.user(1003, "Carla")
    await carla.command("/start")
    await carla.next_reply()
    await carla.press("✅ I agree")
    await carla.replies(2)
    await carla.share_location(52.52, 13.405)  # Berlin
    confirmed, _ = await carla.replies(2)
    assert "Europe/Berlin" in confirmed.text
    assert (await stored(bot, 1003)).timezone == "Europe/Berlin"


async def test_invalid_zone_and_time_get_a_clear_error_and_change_nothing(bot):
    dan = bot.user(1004, "Dan")
    await dan.command("/start")
    await dan.next_reply()
    await dan.press("✅ I agree")
    await dan.replies(2)
    await dan.send("Mars/Olympus")
    error = await dan.next_reply()
    assert "/timezone" in error.text or "Europe/Berlin" in error.text
    subscriber = await stored(bot, 1004)
    assert subscriber.timezone == "UTC" and subscriber.awaiting == "timezone"
    await dan.send("UTC+2")
    await dan.replies(2)
    await dan.send("25:99")
    error = await dan.next_reply()
    assert "07:30" in error.text
    subscriber = await stored(bot, 1004)
    assert subscriber.status == "enrolling" and subscriber.delivery_minute == 8 * 60


async def test_declining_consent_stores_nothing(bot):
    eve = bot.user(1005, "Eve")
    await eve.command("/start")
    await eve.next_reply()
    await eve.press("No, thanks")
    answer = await eve.next_reply()
    assert "/start" in answer.text
    assert await count_subscribers(bot) == 0
    await eve.command("/start")  # and they can be asked again
    again = await eve.next_reply()
    assert eve.buttons(again) == ["✅ I agree", "No, thanks"]


async def test_start_twice_keeps_one_subscriber(bot):
    fay = bot.user(1006, "Fay")
    await bot.enrol(fay)
    await fay.command("/start")
    reply = await fay.next_reply()
    assert "already enrolled" in reply.text
    assert await count_subscribers(bot) == 1
    assert len([m for m in fay.messages if m.text and m.text.startswith("Day 1 of 30")]) == 1


async def test_stop_then_start_resumes(bot):
    gus = bot.user(1007, "Gus")
    await bot.enrol(gus)
    await gus.command("/stop")
    assert "unsubscribed" in (await gus.next_reply()).text
    assert (await stored(bot, 1007)).status == "stopped"
    await bot.advance(timedelta(days=2))
    assert [m for m in gus.unread if m.text.startswith("Day")] == []
    await gus.command("/start")
    welcome, day2 = await gus.replies(2)
    assert "Welcome back" in welcome.text
    assert day2.text.startswith("Day 2 of 30")
    assert (await stored(bot, 1007)).status == "active"


async def test_the_command_menu_is_published(bot):
    commands = [c["command"] for c in bot.server.commands_for("default")]
    for name in ("start", "pain", "level", "progress", "help", "stop", "faq", "export", "report", "forget"):
        assert name in commands
    assert "broadcast" not in commands  # operators get theirs in their own chat's menu


async def test_each_usual_enrolment_step_is_one_statement(bot):
    """/start for someone new, consent and the zone: one statement each on the subscriber's row
    (a conditional INSERT or UPDATE ... RETURNING), not a read, then an ORM write."""
    user_id = 1107
    seen: list[str] = []

    def about_this_user(_conn, _cursor, statement, parameters, _context, _many):
        values = parameters.values() if isinstance(parameters, dict) else parameters
        if user_id in tuple(values or ()):
            seen.append(statement.split()[0].upper())

    engine = bot.application.bot_data.engine.sync_engine
    event.listen(engine, "before_cursor_execute", about_this_user)
    try:
        eve = bot.user(user_id, "Eve")
        steps = [(lambda: eve.command("/start"), 1), (lambda: eve.press("✅ I agree"), 2), (lambda: eve.press("Berlin"), 2)]
        counts = []
        for act, replies in steps:
            seen.clear()
            await act()
            await eve.replies(replies)
            counts.append(list(seen))
    finally:
        event.remove(engine, "before_cursor_execute", about_this_user)
    assert counts == [["INSERT"], ["UPDATE"], ["UPDATE"]]
    subscriber = await stored(bot, user_id)
    assert (subscriber.status, subscriber.awaiting, subscriber.timezone) == ("enrolling", "time", "Europe/Berlin")
    assert subscriber.first_name == "Eve" and subscriber.consented_at is not None


async def test_steps_out_of_turn_take_the_general_way(bot):
    """A zone typed before consent, a second consent after the zone, a /start of someone enrolled:
    the one-statement steps leave these to the general path, which answers as before."""
    zed = bot.user(1108, "Zed")
    await zed.command("/start")
    await zed.next_reply()
    await zed.command("/timezone Europe/Paris")  # consent first: the zone is not taken yet
    await zed.next_reply()
    subscriber = await stored(bot, 1108)
    assert (subscriber.awaiting, subscriber.timezone) == ("consent", "UTC")
    await zed.press("✅ I agree")
    await zed.replies(2)
    await zed.command("/start")  # enrolled this far: asked the zone again, still one row
    await zed.next_reply()
    assert await count_subscribers(bot) == 1
    subscriber = await stored(bot, 1108)
    assert (subscriber.status, subscriber.awaiting) == ("enrolling", "timezone")
