"""``FakeBotApi``: a Telegram Bot API server on 127.0.0.1 for end-to-end tests and the demo.

It runs in the test's event loop, speaks real HTTP (python-telegram-bot talks to it through
``base_url``), keeps the updates users queue until the bot confirms them, records every message
the bot sends, and fails on request: blocked users, scripted errors, flood control, hung requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.fakeapi import validation
from bot.fakeapi.faults import (
    FailRule,
    HangRule,
    HungRequest,
    SlidingWindow,
    max_in_any_window,
    take_rule,
)
from bot.fakeapi.params import ApiError, Params, Upload, bad_request
from bot.fakeapi.records import AnsweredCallback, MessageVersion, SendRecord, SentMessage
from bot.fakeapi.shapes import membership_change, message_object
from bot.fakeapi.updates import Pulse, UpdateQueue

DEFAULT_TOKEN = "123456789:TEST-fake-bot-api-token"
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class FakeBotApi:
    """A fake Bot API. Use ``async with FakeBotApi() as server:`` and ``server.base_url``."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        clock: Clock | None = None,
        rate_limit_per_second: int | None = None,
        latency: float = 0.0,
        bot_username: str = "vitd_test_bot",
        bot_name: str = "VitD Test Bot",
        port: int = 0,
        extra_routes: Callable[[web.Application], None] | None = None,
    ) -> None:
        """``port`` 0 picks a free one; ``extra_routes`` adds pages to the same server (the demo)."""
        self.token = token
        self.clock = clock or SystemClock()
        self.rate_limit_per_second = rate_limit_per_second
        self.latency = latency
        self._wanted_port = port
        self._extra_routes = extra_routes
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.sends_log: list[SendRecord] = []
        self.requests: list[tuple[str, dict]] = []  # every call, for debugging
        self.answered_callbacks: list[AnsweredCallback] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.hung: list[HungRequest] = []
        self.commands: list[dict] | None = None
        self.webhook: dict | None = None
        self.bot_settings: list[dict] = []
        self._commands_by_scope: dict[tuple[str, str], list[dict]] = {}
        self._users: dict[int, dict] = {}
        self._blocked: set[int] = set()
        self._messages: list[SentMessage] = []
        self._by_key: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], dict] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self._files: dict[str, tuple[bytes, str | None, str | None]] = {}
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._open_callbacks: dict[str, tuple[int, str | None]] = {}
        self._updates = UpdateQueue()
        self._fail_rules: list[FailRule] = []
        self._hang_rules: list[HangRule] = []
        self._window = SlidingWindow(1.0)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = asyncio.Event()
        self._hung_released = asyncio.Event()  # set (and replaced) by drop_hung
        self._messages_pulse = Pulse()
        self._in_flight: set[object] = set()  # requests being answered, long polls apart
        self._methods: dict[str, Callable[..., Awaitable[Any]]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendchataction": self._send_chat_action,
            "deletemessage": self._delete_message,
            "close": self._ok,
            "logout": self._ok,
            # Profile settings a bot may push at startup: recorded in bot_settings, never checked.
            "setmydescription": self._record_setting,
            "setmyshortdescription": self._record_setting,
            "setmyname": self._record_setting,
            "setchatmenubutton": self._record_setting,
        }

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        if self._extra_routes is not None:
            self._extra_routes(app)
        # handler_cancellation: a long poll whose client went away must not linger.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.2
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._wanted_port))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        """Answer pending long polls, drop hung requests, close the port."""
        if self._runner is None:
            return
        self._stopping.set()
        self._updates.close()
        await asyncio.sleep(0)
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For python-telegram-bot's ``base_url`` (it appends the token)."""
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return f"http://127.0.0.1:{self._port}/bot"

    # ---- users and updates (used by FakeUser) ----------------------------------------------

    def register_user(self, user: dict) -> dict:
        """Make a private chat with this user known; returns the chat object."""
        self._users[user["id"]] = user
        self._message_ids.setdefault(user["id"], itertools.count(1))
        return self.chat(user["id"])

    def chat(self, chat_id: int) -> dict:
        user = self._users[chat_id]
        chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        if user.get("username"):
            chat["username"] = user["username"]
        return chat

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids[chat_id])

    def now_timestamp(self) -> int:
        return int(self.clock.now().timestamp())

    def queue_update(self, kind: str, payload: dict) -> int:
        """Queue an update of ``kind`` ("message", "callback_query", ...); returns its id."""
        if kind == "message":
            self._user_messages[(payload["chat"]["id"], payload["message_id"])] = payload
        return self._updates.push(kind, payload)

    def open_callback_query(self, user_id: int, message: SentMessage | None, data: str) -> str:
        """Queue a callback_query update as if the user pressed a button; returns its id."""
        query_id = f"cbq-{next(self._callback_ids)}"
        payload: dict[str, Any] = {
            "id": query_id,
            "from": self._users[user_id],
            "chat_instance": f"ci-{user_id}",
            "data": data,
        }
        if message is not None:
            payload["message"] = self._as_api(message)
        self._open_callbacks[query_id] = (user_id, data)
        self.queue_update("callback_query", payload)
        return query_id

    @property
    def pending_updates(self) -> list[dict]:
        """Updates queued and not yet confirmed by the bot (via a later offset)."""
        return self._updates.pending

    # ---- failure injection -----------------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends answer 403 and a my_chat_member update is queued."""
        self._blocked.add(chat_id)
        self._queue_membership(chat_id, "member", "kicked")

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)
        self._queue_membership(chat_id, "kicked", "member")

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | None = None,
        count: int = 1,
    ) -> None:
        """The next ``count`` calls of ``method`` (to ``chat_id``, if given) fail like this."""
        self._fail_rules.append(
            FailRule.build(method, status, description, retry_after, chat_id, count)
        )

    def hang_next(self, method: str, chat_id: int | None = None, record: bool = False) -> None:
        """The next call of ``method`` is never answered; ``record``: the message still arrives."""
        self._hang_rules.append(HangRule(method.lower(), chat_id, record))

    async def wait_until_hung(self, count: int = 1, timeout: float = 5.0) -> list[HungRequest]:
        """Wait until ``count`` requests are hanging (the bot is stuck in them)."""
        deadline = time.monotonic() + timeout
        while len(self.hung) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(f"expected {count} hung requests, got {self.hung}")
            await self._messages_pulse.wait(deadline - time.monotonic())
        return list(self.hung)

    # ---- introspection ---------------------------------------------------------------------

    def messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent (deleted ones too, flagged), oldest first."""
        return [m for m in self._messages if chat_id is None or m.chat_id == chat_id]

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        return self._by_key.get((chat_id, message_id))

    def user_messages(self, chat_id: int) -> list[dict]:
        """Messages the user sent in this chat (as queued in updates), oldest first."""
        found = [m for (chat, _), m in self._user_messages.items() if chat == chat_id]
        return sorted(found, key=lambda m: m["message_id"])

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    def max_sends_in_any_window(self, seconds: float = 1.0) -> int:
        return max_in_any_window([record.at for record in self.sends_log], seconds)

    def commands_for(self, scope_type: str = "default", language_code: str = "") -> list[dict]:
        key = (self._scope_key({"type": scope_type}), language_code)
        return self._commands_by_scope.get(key, [])

    def menu_for(self, chat_id: int) -> list[dict]:
        """The command menu a private chat shows: its own scope if set, else the default one."""
        own = self._commands_by_scope.get((self._scope_key({"type": "chat", "chat_id": chat_id}), ""))
        return own if own is not None else self.commands_for()

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Return once at least ``count`` messages went to ``chat_id``."""
        deadline = time.monotonic() + timeout
        while len(found := self.messages(chat_id)) < count:
            if time.monotonic() >= deadline:
                listing = "\n  ".join(str(m) for m in found) or "(none)"
                raise AssertionError(
                    f"expected {count} messages to chat {chat_id} within {timeout}s, "
                    f"got {len(found)}:\n  {listing}"
                )
            await self._messages_pulse.wait(deadline - time.monotonic())
        return found

    async def wait_for_requests_in_flight(self, timeout: float = 5.0) -> None:
        """Return once every request being answered now (long polls apart) has been answered, e.g.
        those a killed bot had sent: what reached the server is recorded by then. A request held
        by hang_next counts until the server stops."""
        waiting = set(self._in_flight)
        deadline = time.monotonic() + timeout
        while waiting & self._in_flight:
            if time.monotonic() >= deadline:
                raise AssertionError(f"{len(waiting & self._in_flight)} requests still unanswered after {timeout}s")
            await self._messages_pulse.wait(deadline - time.monotonic())

    async def wait_for_poll(self, timeout: float = 5.0) -> None:
        """Return once a getUpdates long poll is waiting here for an update."""
        await self._updates.wait_for_poll(timeout)

    async def wait_for_change(self, timeout: float) -> None:
        """Sleep until a message is sent or edited, or ``timeout`` passes."""
        await self._messages_pulse.wait(timeout)

    # ---- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"].lower()
        handler = self._methods.get(method)
        if handler is None:
            return _error(ApiError(404, "Not Found"))
        token = object()
        if method != "getupdates":
            self._in_flight.add(token)
        try:
            params = await Params.read(request)
            self.requests.append((request.match_info["method"], dict(params.values)))
            if method in SEND_METHODS:
                result = await self._send(request.match_info["method"], params, handler)
            else:
                result = await handler(params)
        except ApiError as exc:
            return _error(exc)
        except _Hung:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError from None
        finally:
            if token in self._in_flight:
                self._in_flight.discard(token)
                self._messages_pulse.fire()
        return web.json_response({"ok": True, "result": result})

    async def _ok(self, params: Params) -> bool:
        return True

    async def _record_setting(self, params: Params) -> bool:
        self.bot_settings.append(dict(params.values))
        return True

    async def _get_me(self, params: Params) -> dict:
        return self.bot_user

    # ---- getUpdates ------------------------------------------------------------------------

    async def _get_updates(self, params: Params) -> list[dict]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        return await self._updates.poll(
            offset=params.int("offset"),
            limit=min(max(params.int("limit", 100) or 100, 1), 100),
            timeout=max(params.float("timeout", 0.0) or 0.0, 0.0),
            allowed=params.json("allowed_updates"),
        )

    # ---- sending ---------------------------------------------------------------------------

    async def _send(self, name: str, params: Params, handler: Callable) -> dict:
        method, chat_id, now = name.lower(), params.chat_id(), time.monotonic()
        self.sends_log.append(SendRecord(now, name, chat_id))
        in_window = self._window.arrive(now)
        if self.rate_limit_per_second is not None and in_window > self.rate_limit_per_second:
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        rule = take_rule(self._fail_rules, method, chat_id)
        if rule is not None:
            raise ApiError(rule.status, rule.description, rule.retry_after)
        hang = take_rule(self._hang_rules, method, chat_id)
        if self.latency:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.latency)
        if hang is not None and not hang.record:
            await self._hang(name, chat_id, None)
        self._check_chat(chat_id)
        message: SentMessage = await handler(params, chat_id, now)
        self._store(message)
        if hang is not None:
            await self._hang(name, chat_id, message.message_id)
        return self._as_api(message)

    async def _hang(self, method: str, chat_id: int | None, message_id: int | None) -> None:
        self.hung.append(HungRequest(method, chat_id, message_id))
        self._messages_pulse.fire()
        released = asyncio.ensure_future(self._hung_released.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait((released, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            released.cancel()
            stopping.cancel()
        raise _Hung

    def drop_hung(self) -> None:
        """Drop the connection of every request hanging now, without an answer, as a network
        would (the client sees a disconnect at once instead of its read timeout); later requests
        hang as scripted."""
        self._hung_released.set()
        self._hung_released = asyncio.Event()

    def _check_chat(self, chat_id: int) -> None:
        if chat_id not in self._users:
            raise bad_request("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _new_message(self, chat_id: int, params: Params, received_at: float, **fields: Any):
        reply_to = self._reply_to(chat_id, params)
        preview = params.json("link_preview_options")
        if preview is None and params.has("disable_web_page_preview"):
            preview = {"is_disabled": params.bool("disable_web_page_preview")}
        return SentMessage(
            chat_id=chat_id,
            message_id=self.next_message_id(chat_id),
            received_at=received_at,
            date=self.now_timestamp(),
            parse_mode=params.str("parse_mode"),
            reply_markup=validation.reply_markup(params),
            reply_to_message_id=reply_to,
            disable_notification=params.bool("disable_notification"),
            link_preview_options=preview,
            **fields,
        )

    def _reply_to(self, chat_id: int, params: Params) -> int | None:
        reply = params.json("reply_parameters")
        if isinstance(reply, dict):
            message_id, lenient = reply.get("message_id"), reply.get("allow_sending_without_reply")
        else:
            message_id = params.int("reply_to_message_id")
            lenient = params.bool("allow_sending_without_reply")
        if message_id is None:
            return None
        key = (chat_id, int(message_id))
        if key not in self._by_key and key not in self._user_messages:
            if lenient:
                return None
            raise bad_request("message to be replied not found")
        return int(message_id)

    async def _send_message(self, params: Params, chat_id: int, received_at: float) -> SentMessage:
        text, entities = validation.message_text(params)
        return self._new_message(
            chat_id, params, received_at, kind="text", text=text, entities=entities,
            source_text=params.str("text"),
        )

    async def _send_photo(self, params: Params, chat_id: int, received_at: float) -> SentMessage:
        return self._send_file("photo", params, chat_id, received_at)

    async def _send_document(
        self, params: Params, chat_id: int, received_at: float
    ) -> SentMessage:
        return self._send_file("document", params, chat_id, received_at)

    def _send_file(
        self, kind: str, params: Params, chat_id: int, received_at: float
    ) -> SentMessage:
        content, filename, mime_type, file_id = self._file_from(kind, params)
        if kind == "photo" and content is not None:
            validation.check_image(content)
        text, entities = validation.caption(params)
        return self._new_message(
            chat_id, params, received_at, kind=kind, text=text, entities=entities,
            source_text=params.str("caption"), file_bytes=content, filename=filename,
            mime_type=mime_type, file_id=file_id,
        )

    def _file_from(self, kind: str, params: Params):
        upload: Upload | None = params.uploads.get(kind)
        reference = params.str(kind)
        if upload is None and reference and reference.startswith("attach://"):
            upload = params.uploads.get(reference.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            file_id = f"fake-{kind}-{next(self._file_ids)}"
            self._files[file_id] = (upload.content, upload.filename, upload.content_type)
            return upload.content, upload.filename, upload.content_type, file_id
        if not reference:
            raise bad_request(f"there is no {kind} in the request")
        if reference in self._files:
            if not reference.startswith(f"fake-{kind}-"):
                raise bad_request("type of file mismatch")
            content, filename, mime_type = self._files[reference]
            return content, filename, mime_type, reference
        if reference.startswith(("http://", "https://")):
            return None, reference.rsplit("/", 1)[-1], None, reference
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _store(self, message: SentMessage) -> None:
        self._messages.append(message)
        self._by_key[(message.chat_id, message.message_id)] = message
        self._messages_pulse.fire()

    # ---- editing, deleting -----------------------------------------------------------------

    def _message_to_change(self, params: Params, missing: str) -> SentMessage:
        if params.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake Bot API")
        chat_id = params.chat_id()
        self._check_chat(chat_id)
        message = self._by_key.get((chat_id, params.int("message_id") or 0))
        if message is None or message.deleted:
            raise bad_request(missing)
        return message

    def _apply_edit(self, message: SentMessage, text, entities, markup) -> dict:
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        message.history.append(
            MessageVersion(message.text, message.entities, message.reply_markup, time.monotonic())
        )
        message.text, message.entities, message.reply_markup = text, entities, markup
        self._messages_pulse.fire()
        return self._as_api(message)

    async def _edit_message_text(self, params: Params) -> dict:
        message = self._message_to_change(params, "message to edit not found")
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = validation.message_text(params)
        # Without reply_markup, Telegram removes the inline keyboard.
        markup = validation.reply_markup(params, inline_only=True)
        return self._apply_edit(message, text, entities, markup)

    async def _edit_message_reply_markup(self, params: Params) -> dict:
        message = self._message_to_change(params, "message to edit not found")
        markup = validation.reply_markup(params, inline_only=True)
        return self._apply_edit(message, message.text, message.entities, markup)

    async def _delete_message(self, params: Params) -> bool:
        message = self._message_to_change(params, "message to delete not found")
        message.deleted = True
        self._messages_pulse.fire()
        return True

    async def _send_chat_action(self, params: Params) -> bool:
        chat_id = params.chat_id()
        self._check_chat(chat_id)
        self.chat_actions.append((chat_id, params.str("action") or ""))
        return True

    # ---- callbacks, commands, webhook ------------------------------------------------------

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.str("callback_query_id") or ""
        if len(params.str("text") or "") > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        opened = self._open_callbacks.pop(query_id, None)
        if opened is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.answered_callbacks.append(
            AnsweredCallback(
                callback_query_id=query_id,
                user_id=opened[0],
                data=opened[1],
                text=params.str("text"),
                show_alert=params.bool("show_alert"),
                url=params.str("url"),
            )
        )
        self._messages_pulse.fire()
        return True

    @staticmethod
    def _scope_key(scope: object) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    async def _set_my_commands(self, params: Params) -> bool:
        commands = validation.bot_commands(params.json("commands"))
        key = (self._scope_key(params.json("scope")), params.str("language_code") or "")
        self._commands_by_scope[key] = commands
        self.commands = commands
        return True

    async def _get_my_commands(self, params: Params) -> list[dict]:
        key = (self._scope_key(params.json("scope")), params.str("language_code") or "")
        return self._commands_by_scope.get(key, [])

    async def _delete_my_commands(self, params: Params) -> bool:
        key = (self._scope_key(params.json("scope")), params.str("language_code") or "")
        self._commands_by_scope.pop(key, None)
        return True

    async def _set_webhook(self, params: Params) -> bool:
        url = params.str("url") or ""
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {
            "url": url,
            "secret_token": params.str("secret_token"),
            "allowed_updates": params.json("allowed_updates"),
            "max_connections": params.int("max_connections"),
        } if url else None
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    async def _get_webhook_info(self, params: Params) -> dict:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates.pending),
        }

    # ---- shapes ----------------------------------------------------------------------------

    def _queue_membership(self, chat_id: int, old: str, new: str) -> None:
        user, chat, date = self._users[chat_id], self.chat(chat_id), self.now_timestamp()
        self.queue_update(
            "my_chat_member", membership_change(chat, user, self.bot_user, date, old, new)
        )

    def _as_api(self, message: SentMessage, nested: bool = False) -> dict:
        replied = None
        if message.reply_to_message_id is not None and not nested:
            key = (message.chat_id, message.reply_to_message_id)
            original = self._by_key.get(key)
            replied = self._as_api(original, nested=True) if original else self._user_messages[key]
        return message_object(
            message, self.chat(message.chat_id), self.bot_user, self.now_timestamp(), replied
        )


class _Hung(Exception):
    """A hung request's server is stopping: drop the connection without an answer."""


def _error(exc: ApiError) -> web.Response:
    return web.json_response(exc.payload(), status=exc.status)
