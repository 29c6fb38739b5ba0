"""Shared by the hardening tests: raw updates of kinds FakeUser does not send, everything stored,
and waiting until the bot has handled every update it was given."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select

from bot.storage.models import Base
from tests.e2e import BotHarness, eventually
from tests.fakebot import FakeBotApi, FakeUser

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")
NOT_COMPARED = {"workers"}  # heartbeats change on their own


def text_content(text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if command := _COMMAND.match(text):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group(0))}]
    return content


def group_chat(server: FakeBotApi, chat_id: int, title: str = "Back pain club", kind: str = "group") -> dict:
    """A group (or channel) the bot is in; registered with the fake server so it can write there."""
    server.register_user({"id": chat_id, "is_bot": False, "first_name": title})
    return {"id": chat_id, "type": kind, "title": title}


def say_in(server: FakeBotApi, chat: dict, user: FakeUser | None, text: str, kind: str = "message") -> dict:
    """``user`` writes ``text`` in ``chat`` (a group, or a channel post with ``user`` None)."""
    message = {
        "message_id": server.next_message_id(chat["id"]),
        "chat": chat,
        "date": server.now_timestamp(),
        **text_content(text),
    }
    if user is not None:
        message["from"] = user.user
    server.queue_update(kind, message)
    return message


def press_in_group(server: FakeBotApi, user: FakeUser, message, data: str, kind: str = "supergroup") -> str:
    """``user`` presses a button with ``data`` on the bot's ``message`` in a group; returns the
    query id. (FakeBotApi.open_callback_query would show the group as a private chat.)"""
    query_id = f"group-{uuid.uuid4().hex[:8]}"
    server._open_callbacks[query_id] = (user.id, data)  # so that the bot can answer it
    shown = {**server._as_api(message), "chat": {"id": message.chat_id, "type": kind, "title": "Club"}}
    server.queue_update("callback_query", {
        "id": query_id, "from": user.user, "chat_instance": f"ci-{message.chat_id}", "data": data, "message": shown,
    })
    return query_id


def edit(server: FakeBotApi, message: dict, text: str) -> None:
    """The user edits a message they sent earlier."""
    edited = {**message, **text_content(text), "edit_date": server.now_timestamp()}
    if "entities" not in text_content(text):
        edited.pop("entities", None)
    server.queue_update("edited_message", edited)


async def drained(bot: BotHarness, timeout: float = 10.0) -> bool:
    """Every queued update fetched and handled (nothing pending, nothing running)."""

    async def idle():
        return not bot.server.pending_updates and bot.application.update_processor.current_concurrent_updates == 0

    # Twice in a row, so an update fetched between the two reads is not missed.
    return await eventually(idle, timeout) and await eventually(idle, timeout)


async def everything(bot: BotHarness) -> dict[str, list[tuple]]:
    """Every row of every table, as plain values."""
    out = {}
    async with bot.runtime.deps.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            rows = (await session.execute(select(table).order_by(*table.primary_key.columns))).all()
            out[table.name] = [tuple(row) for row in rows]
    return out
