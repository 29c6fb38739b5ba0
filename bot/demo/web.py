"""The chat page's HTTP side, on the same aiohttp server as the demo's Bot API.

The page reads one chat at a time (`GET /api/state`), hears that something changed through
server-sent events (`/api/events`), and acts as the person it shows (`POST /api/...`). Actions
take JSON bodies only: a plain cross-site form cannot post here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.demo.people import PEOPLE
from bot.demo.timemachine import TravelRefused
from bot.fakeapi import SentMessage

STATIC = Path(__file__).with_name("static")
KEEPALIVE_EVERY = 15.0

DemoGetter = Callable[[], Any]  # returns the running Demo (built after the server starts)


def add_routes(app: web.Application, demo: DemoGetter) -> None:
    page = _Page(demo)
    app.router.add_get("/", page.index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/state", page.state)
    app.router.add_get("/api/events", page.events)
    app.router.add_get("/api/file/{chat_id}/{message_id}", page.file)
    app.router.add_post("/api/send", page.action(_send))
    app.router.add_post("/api/press", page.action(_press))
    app.router.add_post("/api/location", page.action(_location))
    app.router.add_post("/api/time", page.action(_time))
    app.router.add_post("/api/enrol", page.action(_enrol))
    app.router.add_post("/api/fill", page.action(_fill))


class BadInput(Exception):
    pass


class _Page:
    def __init__(self, demo: DemoGetter) -> None:
        self.demo = demo

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def state(self, request: web.Request) -> web.Response:
        demo = self.demo()
        try:
            user_id = _int(request.query.get("user"), "user")
            user = _known(demo, user_id)
        except BadInput as exc:
            return _refuse(str(exc))
        bot_messages = [_bot_message(m) for m in user.messages if not m.deleted]
        user_messages = [_user_message(m) for m in demo.server.user_messages(user.chat_id)]
        toasts = [a.text for a in demo.server.answered_callbacks if a.user_id == user_id and a.text]
        body = {
            "version": demo.version,
            "busy": demo.busy,
            "now": demo.clock.now().isoformat(),
            "shifted_days": round(demo.clock.offset.total_seconds() / 86400, 1),
            "people": [await _person(demo, p) for p in PEOPLE],
            "user": user_id,
            "messages": sorted(bot_messages + user_messages, key=lambda m: m["id"]),
            "menu": demo.server.menu_for(user.chat_id),
            "toasts": toasts,
            "database_url": demo.database_url,
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    async def events(self, request: web.Request) -> web.StreamResponse:
        """A "change" event whenever a message, a button answer or the clock changes."""
        demo = self.demo()
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        sent, quiet = None, 0.0
        while True:
            seen = _signature(demo)
            if seen != sent:
                await response.write(f"event: change\ndata: {json.dumps(seen[0])}\n\n".encode())
                sent, quiet = seen, 0.0
            elif quiet >= KEEPALIVE_EVERY:
                await response.write(b": still here\n\n")
                quiet = 0.0
            await demo.server.wait_for_change(0.25)
            quiet += 0.25

    async def file(self, request: web.Request) -> web.Response:
        demo = self.demo()
        chat_id = _int(request.match_info["chat_id"], "chat")
        message = demo.server.message(chat_id, _int(request.match_info["message_id"], "message"))
        if message is None or message.deleted or message.file_bytes is None:
            raise web.HTTPNotFound(text="No such file.")
        name = re.sub(r"[^A-Za-z0-9._-]", "_", message.filename or f"{message.kind}-{message.message_id}")
        if message.kind == "photo":
            content_type = message.mime_type or _image_type(message.file_bytes)
            disposition = f'inline; filename="{name}"'
        else:
            content_type = message.mime_type or "application/octet-stream"
            disposition = f'attachment; filename="{name}"'
        return web.Response(
            body=message.file_bytes, content_type=content_type,
            headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
        )

    def action(self, do: Callable[[Any, dict], Awaitable[str | None]]):
        async def handle(request: web.Request) -> web.Response:
            demo = self.demo()
            if request.content_type != "application/json":
                return _refuse("Send JSON.", 415)
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise BadInput("Send a JSON object.")
                _known(demo, _int(body.get("user"), "user"))
                note = await do(demo, body)
            except (ValueError, BadInput, TravelRefused) as exc:
                return _refuse(str(exc) or "That did not work.")
            except (TimeoutError, AssertionError):  # the fake Bot API's waits end in AssertionError
                return _refuse("The bot took too long to answer; see the chat.", 504)
            demo.touch()
            return web.json_response({"ok": True, "note": note})

        return handle


# ---- actions ---------------------------------------------------------------------------------


async def _send(demo, body: dict) -> None:
    text = body.get("text")
    if not isinstance(text, str):
        raise BadInput("Type a message first.")
    await demo.send(body["user"], text)


async def _press(demo, body: dict) -> None:
    data = body.get("data")
    if not isinstance(data, str):
        raise BadInput("Which button?")
    await demo.press(body["user"], _int(body.get("message_id"), "message"), data)


async def _location(demo, body: dict) -> None:
    try:
        latitude, longitude = float(body["latitude"]), float(body["longitude"])
    except (KeyError, TypeError, ValueError):
        raise BadInput("Pick a city.") from None
    await demo.share_location(body["user"], latitude, longitude)


async def _time(demo, body: dict) -> str:
    machine, user_id, where = demo.time_machine, body["user"], body.get("to")
    if where == "next":
        trip = await machine.to_next_delivery(user_id)
    elif where == "morning":
        trip = await machine.to_next_morning(user_id)
    elif where == "day":
        trip = await machine.to_day(user_id, _int(body.get("day"), "day"))
    else:
        raise BadInput("Jump to what? (next, morning or day)")
    subscriber = await machine.subscriber(user_id)
    return trip.describe(subscriber.timezone if subscriber else "UTC")


async def _enrol(demo, body: dict) -> str:
    return await demo.quick_enrol(body["user"])


async def _fill(demo, body: dict) -> str:
    if demo.busy:
        raise BadInput("Still busy with the last fill; wait for it to finish.")
    return await demo.fill(body["user"])


# ---- shapes ----------------------------------------------------------------------------------


async def _person(demo, who) -> dict:
    snapshot = await demo.runtime.subscriptions.get(who.user_id)
    found: dict[str, Any] = {
        "id": who.user_id, "name": who.name, "about": who.about, "operator": who.operator,
        "zone": who.zone, "time": who.time, "messages": len(demo.server.messages(who.user_id)),
        "status": None,
    }
    if snapshot is not None:
        found.update(
            status=snapshot.status, day=snapshot.program_day, awaiting=snapshot.awaiting,
            subscriber_zone=snapshot.timezone, delivery_time=f"{snapshot.delivery_time:%H:%M}",
            next_delivery=snapshot.next_delivery_at.isoformat() if snapshot.next_delivery_at else None,
        )
    return found


def _bot_message(message: SentMessage) -> dict:
    markup = message.reply_markup or {}
    keyboard = None
    if "keyboard" in markup:
        keyboard = {
            "rows": [[_reply_button(b) for b in row] for row in markup["keyboard"]],
            "one_time": bool(markup.get("one_time_keyboard")),
            "placeholder": markup.get("input_field_placeholder"),
        }
    has_file = message.file_bytes is not None
    return {
        "id": message.message_id, "from": "bot", "kind": message.kind, "date": message.date,
        "text": message.text or "", "entities": message.entities, "edited": message.edited,
        "inline": [[_inline_button(b) for b in row] for row in message.inline_keyboard],
        "keyboard": keyboard, "remove_keyboard": bool(markup.get("remove_keyboard")),
        "file": f"/api/file/{message.chat_id}/{message.message_id}" if has_file else None,
        "filename": message.filename, "size": len(message.file_bytes or b""),
    }


def _inline_button(button: dict) -> dict:
    url = button.get("url")
    return {"text": button.get("text", ""), "data": button.get("callback_data"),
            "url": url if isinstance(url, str) and url.startswith(("https://", "http://")) else None}


def _reply_button(button: Any) -> dict:
    if isinstance(button, str):
        return {"text": button, "location": False}
    return {"text": button.get("text", ""), "location": bool(button.get("request_location"))}


def _user_message(message: dict) -> dict:
    found = {"id": message["message_id"], "from": "user", "kind": "text", "date": message["date"],
             "text": message.get("text", ""), "entities": message.get("entities", [])}
    if "location" in message:
        found.update(kind="location", location=message["location"])
    return found


def _signature(demo) -> tuple:
    messages = demo.server.messages()
    edits = sum(len(m.history) + m.deleted for m in messages)
    pending = len(demo.server.pending_updates)
    return (demo.version, len(messages), edits, len(demo.server.answered_callbacks), pending, demo.busy)


def _image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "application/octet-stream"


def _known(demo, user_id: int):
    if user_id not in demo.users:
        raise BadInput("There is nobody with that id in this demo.")
    return demo.users[user_id]


def _int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise BadInput(f"Give a whole number for {what}.")
    try:
        return int(str(value))
    except ValueError:
        raise BadInput(f"Give a whole number for {what}.") from None


def _refuse(message: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)
