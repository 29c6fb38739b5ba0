"""What the fake Bot API remembers: the bot's messages, answered callbacks, send attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class SendRecord(NamedTuple):
    """One send attempt as it arrived (refused ones too): what rate-limit checks look at."""

    at: float  # time.monotonic() when the request arrived
    method: str
    chat_id: int | None


@dataclass(frozen=True)
class MessageVersion:
    """A message's content before an edit replaced it."""

    text: str | None
    entities: list[dict]
    reply_markup: dict | None
    edited_at: float


@dataclass
class SentMessage:
    """A message from the bot to a chat, as the user would see it (markup already parsed)."""

    chat_id: int
    message_id: int
    kind: str  # "text", "photo" or "document"
    text: str | None  # the text, or the caption of a photo/document
    entities: list[dict]
    reply_markup: dict | None
    received_at: float  # time.monotonic() when the request arrived
    date: int
    source_text: str | None = None  # text as sent, before parse_mode was applied
    parse_mode: str | None = None
    file_bytes: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    file_id: str | None = None
    reply_to_message_id: int | None = None
    disable_notification: bool = False
    link_preview_options: dict | None = None
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False

    @property
    def caption(self) -> str | None:
        return self.text if self.kind != "text" else None

    @property
    def photo_bytes(self) -> bytes | None:
        return self.file_bytes if self.kind == "photo" else None

    @property
    def document_bytes(self) -> bytes | None:
        return self.file_bytes if self.kind == "document" else None

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def inline_keyboard(self) -> list[list[dict]]:
        return (self.reply_markup or {}).get("inline_keyboard") or []

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline buttons, row by row."""
        return [button["text"] for row in self.inline_keyboard for button in row]

    @property
    def reply_keyboard(self) -> list[str]:
        """Labels of the reply keyboard this message shows (empty if none)."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b if isinstance(b, str) else b.get("text", "") for row in rows for b in row]

    def button(self, label: str) -> dict | None:
        for row in self.inline_keyboard:
            for button in row:
                if button.get("text") == label:
                    return button
        return None

    def __str__(self) -> str:
        return f"#{self.message_id} {self.kind}: {self.text!r} buttons={self.buttons}"


@dataclass(frozen=True)
class AnsweredCallback:
    """The bot's answerCallbackQuery for a query a FakeUser made by pressing a button."""

    callback_query_id: str
    user_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
