"""Bot API objects the fake server answers with, built from what it recorded."""

from __future__ import annotations

from typing import Any

from bot.fakeapi.records import SentMessage


def message_object(
    message: SentMessage,
    chat: dict,
    bot_user: dict,
    edit_date: int,
    reply_to_message: dict | None = None,
) -> dict:
    """The Message object Telegram returns for a message the bot sent."""
    result: dict[str, Any] = {
        "message_id": message.message_id,
        "date": message.date,
        "chat": chat,
        "from": bot_user,
    }
    is_text = message.kind == "text"
    if message.text is not None:
        result["text" if is_text else "caption"] = message.text
    if message.entities:
        result["entities" if is_text else "caption_entities"] = message.entities
    size = len(message.file_bytes or b"")
    unique = f"u-{message.file_id}"
    if message.kind == "photo":
        result["photo"] = [
            {"file_id": message.file_id, "file_unique_id": unique, "width": 1, "height": 1,
             "file_size": size}
        ]
    elif message.kind == "document":
        result["document"] = {
            "file_id": message.file_id, "file_unique_id": unique, "file_name": message.filename,
            "mime_type": message.mime_type, "file_size": size,
        }
    if message.reply_markup and "inline_keyboard" in message.reply_markup:
        result["reply_markup"] = message.reply_markup  # Telegram echoes inline keyboards only
    if message.edited:
        result["edit_date"] = edit_date
    if reply_to_message is not None:
        result["reply_to_message"] = reply_to_message
    return result


def membership_change(chat: dict, user: dict, bot_user: dict, date: int, old: str, new: str):
    """A my_chat_member update payload: the bot's status in a private chat changes."""

    def member(status: str) -> dict:
        state: dict[str, Any] = {"status": status, "user": bot_user}
        if status == "kicked":
            state["until_date"] = 0
        return state

    return {
        "chat": chat,
        "from": user,
        "date": date,
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }
