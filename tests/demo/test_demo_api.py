"""The demo's page API, driven in-process: enrolment by buttons, the time machine, the sample
check-ins, the operator, and what the page refuses. (The browser tests drive the same page.)"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.demo.app import running_demo
from bot.demo.people import OPERATOR_ID

ANNA, BEN, CHIARA = 100001, 100002, 100003


@pytest.fixture
async def demo(tmp_path):
    async with _demo(tmp_path) as running:
        yield running


@pytest.fixture
async def demo_on_each_engine(tmp_path, database_url):
    """The time machine's own queries, on SQLite and PostgreSQL (the demo itself uses SQLite)."""
    async with _demo(tmp_path, database_url) as running:
        yield running


@asynccontextmanager
async def _demo(folder, database_url=None):
    async with running_demo(port=0, folder=folder, database_url=database_url) as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=30) as client:
            running.client = client
            yield running


async def state(demo, user: int) -> dict:
    response = await demo.client.get("/api/state", params={"user": user})
    assert response.status_code == 200, response.text
    return response.json()


async def post(demo, path: str, **body) -> httpx.Response:
    return await demo.client.post(f"/api/{path}", json=body)


async def until(demo, user: int, check, timeout: float = 10.0) -> dict:
    """The chat's state once ``check(state)`` holds; waits on the Bot API's changes."""
    deadline = time.monotonic() + timeout
    while True:
        found = await state(demo, user)
        if check(found):
            return found
        if time.monotonic() > deadline:
            texts = [m["text"][:60] for m in found["messages"]]
            raise AssertionError(f"not reached within {timeout}s; chat: {texts}")
        await demo.server.wait_for_change(0.2)


def bot_texts(found: dict) -> list[str]:
    return [m["text"] for m in found["messages"] if m["from"] == "bot"]


def days(found: dict) -> list[str]:
    return [t.split("\n", 1)[0] for t in bot_texts(found) if t.startswith("Day ")]


def button(found: dict, prefix: str) -> tuple[int, str]:
    """(message id, callback data) of the newest inline button whose data starts with prefix."""
    for message in reversed(found["messages"]):
        for row in message.get("inline") or []:
            for b in row:
                if (b["data"] or "").startswith(prefix):
                    return message["id"], b["data"]
    raise AssertionError(f"no button {prefix!r} shown")


def buttons(state: dict) -> list[dict]:
    return [b for m in state["messages"] for r in m.get("inline") or [] for b in r]


async def press(demo, user: int, found: dict, prefix: str) -> None:
    message_id, data = button(found, prefix)
    response = await post(demo, "press", user=user, message_id=message_id, data=data)
    assert response.status_code == 200, response.text


async def enrol_by_buttons(demo, user: int, zone: str, at: str) -> dict:
    assert (await post(demo, "send", user=user, text="/start")).status_code == 200
    found = await until(demo, user, lambda s: any("consent:yes" == b["data"] for b in buttons(s)))
    await press(demo, user, found, "consent:yes")
    found = await until(demo, user, lambda s: any(b["data"] == f"tz:{zone}" for b in buttons(s)))
    await press(demo, user, found, f"tz:{zone}")
    found = await until(demo, user, lambda s: any(b["data"] == f"time:{at}" for b in buttons(s)))
    await press(demo, user, found, f"time:{at}")
    return await until(demo, user, lambda s: days(s) == ["Day 1 of 30"])


async def test_enrolling_by_buttons_brings_day_1_and_the_next_delivery_brings_day_2_at_local_morning(demo):
    found = await enrol_by_buttons(demo, ANNA, "Europe/Berlin", "07:00")
    assert found["people"][0]["status"] == "active"
    assert "Day 1 of 30" in found["messages"][-1]["text"]

    response = await post(demo, "time", user=ANNA, to="next")
    assert response.status_code == 200, response.text
    assert "07:00 (Europe/Berlin)" in response.json()["note"]
    found = await state(demo, ANNA)
    assert days(found) == ["Day 1 of 30", "Day 2 of 30"]
    day2 = next(m for m in found["messages"] if m["text"].startswith("Day 2 of 30"))
    sent_at = datetime.fromtimestamp(day2["date"], ZoneInfo("Europe/Berlin"))
    assert (sent_at.hour, sent_at.minute) == (7, 0)


async def test_going_to_a_day_delivers_each_day_between_once_on_its_own_local_morning(demo_on_each_engine):
    demo = demo_on_each_engine
    response = await post(demo, "enrol", user=BEN)
    assert response.status_code == 200, response.text
    response = await post(demo, "time", user=BEN, to="day", day=5)
    assert response.status_code == 200, response.text
    found = await state(demo, BEN)
    assert days(found) == [f"Day {n} of 30" for n in range(1, 6)]
    new_york = ZoneInfo("America/New_York")
    later = [m for m in found["messages"] if m["text"].startswith("Day ") and not m["text"].startswith("Day 1 ")]
    stamps = [datetime.fromtimestamp(m["date"], new_york) for m in later]
    assert [(s.hour, s.minute) for s in stamps] == [(8, 0)] * 4
    assert len({s.date() for s in stamps}) == 4
    assert found["people"][1]["day"] == 5


async def test_the_time_machine_refuses_what_it_cannot_do_and_moves_nothing(demo_on_each_engine):
    demo = demo_on_each_engine
    for body in ({"to": "next"}, {"to": "day", "day": 3}):
        response = await post(demo, "time", user=CHIARA, **body)
        assert response.status_code == 400 and "Enrol first" in response.json()["error"]
    await post(demo, "enrol", user=CHIARA)
    before = await state(demo, CHIARA)
    for body, words in (
        ({"to": "day", "day": 0}, "from 1 to 30"),
        ({"to": "day", "day": 31}, "from 1 to 30"),
        ({"to": "day", "day": "soon"}, "whole number"),
        ({"to": "day", "day": 1}, "already arrived"),
        ({"to": "yesterday"}, "Jump to what"),
    ):
        response = await post(demo, "time", user=CHIARA, **body)
        assert response.status_code == 400, (body, response.text)
        assert words in response.json()["error"]
    after = await state(demo, CHIARA)
    assert after["shifted_days"] == before["shifted_days"] == 0
    assert days(after) == days(before) == ["Day 1 of 30"]


async def test_the_page_refuses_bad_actions_and_queues_nothing(demo):
    await post(demo, "enrol", user=ANNA)
    found = await state(demo, ANNA)
    day1 = next(m for m in found["messages"] if m["text"].startswith("Day 1 of 30"))
    pending, answered = len(demo.server.pending_updates), len(demo.server.answered_callbacks)
    refused = [
        await demo.client.post("/api/send", content="text=/start", headers={"Content-Type": "application/x-www-form-urlencoded"}),
        await post(demo, "send", user=424242, text="/start"),
        await post(demo, "send", user=ANNA, text="   "),
        await post(demo, "send", user=ANNA, text=None),
        await post(demo, "send", user=ANNA, text="x" * 4097),
        await post(demo, "press", user=ANNA, message_id=day1["id"], data="pain:11"),
        await post(demo, "press", user=ANNA, message_id=99999, data="pain:3"),
        await post(demo, "press", user=ANNA, message_id="first", data="pain:3"),
        await post(demo, "location", user=ANNA, latitude=200, longitude=0),
        await post(demo, "location", user=ANNA, latitude="north"),
        await post(demo, "fill", user=CHIARA),
        await post(demo, "enrol", user=ANNA),
    ]
    assert [r.status_code for r in refused] == [415] + [400] * 11
    assert all(r.json()["error"] for r in refused)
    assert (await demo.client.get("/api/state", params={"user": "x"})).status_code == 400
    assert (await demo.client.get("/api/file/100001/999")).status_code == 404
    assert len(demo.server.pending_updates) == pending
    assert len(demo.server.answered_callbacks) == answered
    assert len((await state(demo, ANNA))["messages"]) == len(found["messages"])


async def test_sample_check_ins_fill_four_weeks_that_the_summaries_and_progress_show(demo):
    await post(demo, "enrol", user=ANNA)
    response = await post(demo, "fill", user=ANNA)
    assert response.status_code == 200, response.text
    found = await state(demo, ANNA)
    assert days(found) == [f"Day {n} of 30" for n in range(1, 29)]
    checkins, results, page = [], [], 1
    while True:  # /history is paged
        history = await demo.runtime.tracking.history(ANNA, page=page)
        checkins += history.checkins
        results += history.results
        if page >= history.pages:
            break
        page += 1
    assert len(checkins) == 28 and len(results) == 2
    assert len({c.local_date for c in checkins}) == 28
    day28 = next(t for t in bot_texts(found) if t.startswith("Day 28 of 30"))
    assert "17 ng/mL" in day28 and "31 ng/mL" in day28  # the week-4 summary has the results
    again = await post(demo, "fill", user=ANNA)
    assert again.status_code == 400 and "past Day 28" in again.json()["error"]

    await post(demo, "send", user=ANNA, text="/progress")
    found = await until(demo, ANNA, lambda s: any(m["kind"] == "photo" for m in s["messages"]))
    photo = next(m for m in found["messages"] if m["kind"] == "photo")
    image = await demo.client.get(photo["file"])
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


async def test_an_operator_broadcast_reaches_the_enrolled_subscribers_only(demo):
    for user in (ANNA, BEN):
        assert (await post(demo, "enrol", user=user)).status_code == 200
    operator = await state(demo, OPERATOR_ID)
    assert "broadcast" in {c["command"] for c in operator["menu"]}
    assert "broadcast" not in {c["command"] for c in (await state(demo, ANNA))["menu"]}

    await post(demo, "send", user=OPERATOR_ID, text="/broadcast demo-rehearsal")
    found = await until(demo, OPERATOR_ID, lambda s: any(b["data"].startswith("bc:send:") for b in buttons(s) if b["data"]))
    await press(demo, OPERATOR_ID, found, "bc:send:")
    title = "Rehearsal: how an article reaches every subscriber"
    for user in (ANNA, BEN):
        await until(demo, user, lambda s: any(title in t for t in bot_texts(s)))
    await until(demo, OPERATOR_ID, lambda s: any("is done: 2 sent" in t for t in bot_texts(s)))
    assert (await state(demo, CHIARA))["messages"] == []


async def test_a_document_downloads_as_an_attachment(demo):
    await post(demo, "enrol", user=ANNA)
    await post(demo, "send", user=ANNA, text="/export")
    found = await until(demo, ANNA, lambda s: any(m["kind"] == "document" for m in s["messages"]))
    document = next(m for m in found["messages"] if m["kind"] == "document")
    response = await demo.client.get(document["file"])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.content == demo.server.message(ANNA, document["id"]).file_bytes


async def test_the_event_stream_announces_each_change(demo):
    async with demo.client.stream("GET", "/api/events") as events:
        lines = events.aiter_lines()
        first = await asyncio.wait_for(_next_event(lines), 10)  # the state as it is now
        await post(demo, "send", user=ANNA, text="/help")
        second = await asyncio.wait_for(_next_event(lines), 10)
        assert json.loads(second) > json.loads(first)  # the page's version moved on


async def _next_event(lines) -> str:
    async for line in lines:
        if line.startswith("data: "):
            return line.removeprefix("data: ")
    raise AssertionError("the stream ended")


async def test_next_morning_is_seven_tomorrow_in_the_persons_zone_and_brings_what_is_due(demo):
    await post(demo, "enrol", user=CHIARA)  # Tokyo, 06:30
    before = datetime.fromisoformat((await state(demo, CHIARA))["now"]).astimezone(ZoneInfo("Asia/Tokyo"))
    response = await post(demo, "time", user=CHIARA, to="morning")
    assert response.status_code == 200, response.text
    found = await state(demo, CHIARA)
    now = datetime.fromisoformat(found["now"]).astimezone(ZoneInfo("Asia/Tokyo"))
    assert now.date() == before.date() + timedelta(days=1)
    assert (now.hour, now.minute) == (7, 0)
    assert days(found) == ["Day 1 of 30", "Day 2 of 30"]  # 06:30 had come and gone
    assert "1 scheduled message delivered" in response.json()["note"]
