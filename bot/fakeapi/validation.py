"""The checks Telegram applies to what a bot sends: text and caption limits, entities and parse
modes, keyboards, uploaded images and bot commands. Each refusal is an ``ApiError`` with
Telegram's own description."""

from __future__ import annotations

import re
from typing import cast

from bot.fakeapi.markup import MarkupError, check_entities, parse_text, utf16_len
from bot.fakeapi.params import ApiError, Params, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
_BUTTON_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def formatted(text: str, entities: object, parse_mode: str | None) -> tuple[str, list[dict]]:
    """Plain text and entities; explicit entities win over parse_mode, as in the Bot API."""
    try:
        if entities is not None:
            check_entities(text, entities)
            return text, list(cast(list[dict], entities))  # check_entities has checked the shape
        return parse_text(text, parse_mode)
    except MarkupError as exc:
        raise bad_request(str(exc)) from None


def message_text(params: Params) -> tuple[str, list[dict]]:
    raw = params.str("text") or ""
    if not raw.strip():
        raise bad_request("message text is empty")
    text, entities = formatted(raw, params.json("entities"), params.str("parse_mode"))
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def caption(params: Params) -> tuple[str | None, list[dict]]:
    raw = params.str("caption")
    if raw is None:
        return None, []
    text, entities = formatted(raw, params.json("caption_entities"), params.str("parse_mode"))
    if utf16_len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return text, entities


def reply_markup(params: Params, inline_only: bool = False) -> dict | None:
    markup = params.json("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif inline_only:
        raise bad_request("only inline keyboards can be used here")
    elif "keyboard" in markup:
        _check_rows(markup["keyboard"], "reply keyboard")
        for row in markup["keyboard"]:
            for button in row:
                label = button if isinstance(button, str) else button.get("text")
                if not isinstance(label, str) or not label:
                    raise bad_request("can't parse keyboard button: text must be non-empty")
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_rows(rows: object, what: str) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f"can't parse {what}: rows must be arrays of buttons")


def _check_inline_keyboard(rows: object) -> None:
    _check_rows(rows, "inline keyboard")
    for row in cast(list[list], rows):  # _check_rows has checked the shape
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: text is required")
            if not any(key in button for key in _BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not (
                isinstance(data, str) and 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
            ):
                raise bad_request("BUTTON_DATA_INVALID")


def check_image(content: bytes) -> None:
    if not content:
        raise bad_request("file must be non-empty")
    if not content.startswith(_IMAGE_MAGIC):
        raise bad_request("IMAGE_PROCESS_FAILED")


def bot_commands(commands: object) -> list[dict]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return commands


__all__ = [
    "ApiError", "bot_commands", "caption", "check_image", "formatted", "message_text",
    "reply_markup",
]
