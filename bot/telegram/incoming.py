"""Incoming updates, lightened before python-telegram-bot parses them.

A button press arrives with the whole message the button was under: for a program day, its
text, its entities and its keyboard. PTB turns all of it into objects (a `Message`, each
`MessageEntity`, the keyboard's every button) on every press, a tenth of the CPU an enrolment
costs (docs/PERFORMANCE.md). The bot only ever reads which message it was (to take its buttons
off) and the chat it is in, so the pressed message keeps those fields and loses the rest before
parsing. Everything else in an update is parsed as it came. Long polling (`UpdatesRequest`) and
the webhook (`bot.telegram.webhook`) both go through `lighten`.
"""

from __future__ import annotations

from typing import Any

from telegram._utils.types import JSONDict

from bot.telegram.request import AiohttpRequest

# What a pressed message keeps: enough for PTB to make a `Message` (not an inaccessible one,
# which it makes when `date` is 0) of the right chat and thread.
PRESSED_MESSAGE_KEEPS = ("message_id", "date", "chat", "message_thread_id", "is_topic_message")


def lighten(update: Any) -> Any:
    """The update with its pressed message cut to `PRESSED_MESSAGE_KEEPS`; anything that is not
    shaped like an update is returned as it came, for PTB to judge."""
    query = update.get("callback_query") if isinstance(update, dict) else None
    if isinstance(query, dict) and isinstance(message := query.get("message"), dict):
        query["message"] = {key: message[key] for key in PRESSED_MESSAGE_KEEPS if key in message}
    return update


class UpdatesRequest(AiohttpRequest):
    """The long-polling connection's request: `getUpdates` answers are lightened as they are read."""

    __slots__ = ()

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        answer = AiohttpRequest.parse_json_payload(payload)
        result = answer.get("result") if isinstance(answer, dict) else None
        if isinstance(result, list):
            for update in result:
                lighten(update)
        return answer
