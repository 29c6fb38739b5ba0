"""The services' `Messenger`, over python-telegram-bot: renders Markdown to text + entities
(nothing to escape, nothing to break), splits long texts, and turns Telegram's errors into
outcomes the services understand."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ExtBot

from bot.content.render import render, render_caption, render_plain
from bot.metrics import count_send
from bot.services.ports import Keyboard, SendOutcome
from bot.telegram.ratelimit import MIN_IN_FLIGHT, BulkRateLimiter

log = logging.getLogger(__name__)
NO_PREVIEW = '{"is_disabled": true}'
GONE = ("chat not found", "user is deactivated", "bot was kicked", "have no rights to send")


def inline_keyboard(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    try:
        return _markup(keyboard)  # a keyboard of tuples is its own key
    except TypeError:  # lists are not hashable
        return _markup(tuple(tuple((label, data) for label, data in row) for row in keyboard))


@lru_cache(maxsize=256)
def _markup(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup:
    # Telegram objects are immutable, so one markup serves every message with these buttons.
    return InlineKeyboardMarkup([[_button(label, data) for label, data in row] for row in rows])


def _button(label: str, data: str) -> InlineKeyboardButton:
    # A web address opens a page (an article's "Read the article"); anything else is callback data.
    if data.startswith(("https://", "http://")):
        return InlineKeyboardButton(label, url=data)
    return InlineKeyboardButton(label, callback_data=data)


@lru_cache(maxsize=256)
def _markup_json(markup) -> str:
    return markup.to_json()


def _reply_markup_json(markup) -> str | None:
    """The keyboard as the JSON Telegram receives. PTB would serialise the objects again for every
    send; the drip sends the same 0-10 keyboard to everyone, and the enrolment the same reply
    keyboards to each newcomer, so each is serialised once (keyboards are immutable)."""
    if markup is None:
        return None
    try:
        return _markup_json(markup)
    except TypeError:  # one that cannot be a key
        return markup.to_json()


# A bulk send renders the same day or article for every recipient, and replies repeat their texts
# too: each distinct text is rendered once (pieces are immutable, so sharing them is safe).
_render_shared = lru_cache(maxsize=256)(render)


class MessengerBot(ExtBot):
    """The application's `telegram.Bot`, with one more method: `send_text`."""

    async def send_text(self, chat_id: int, text: str, *, api_kwargs: dict, rate_limit_args: dict | None = None) -> dict:
        """`sendMessage`, answered with Telegram's JSON result as it came. `send_message` parses
        the whole answer back into objects, entities and keyboard included, which was an eighth
        of the drip's CPU (PERFORMANCE.md); a bulk send needs the message id only, a reply a
        `Message` of id, date and chat (`_message`). Errors are PTB's, as ever. The keyboard
        arrives as JSON, so PTB's arbitrary callback data (unused here) does not apply."""
        return await self._post(
            "sendMessage", {"chat_id": chat_id, "text": text},
            api_kwargs=self._merge_api_rl_kwargs(api_kwargs, rate_limit_args),
        )


    async def remove_inline_keyboard(self, chat_id: int, message_id: int) -> object:
        """`editMessageReplyMarkup` without a keyboard, answered with Telegram's JSON as it came:
        PTB's `edit_message_reply_markup` parses the whole edited message back (its text,
        entities and keyboard), which nobody reads. Errors are PTB's, as ever."""
        return await self._post("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})


def _message(bot: ExtBot[Any], result: dict) -> Message:
    chat = result["chat"]
    message = Message(result["message_id"], datetime.fromtimestamp(result["date"], tz=UTC), Chat(chat["id"], chat["type"]))
    message.set_bot(bot)
    return message


class TelegramMessenger:
    """Every request that puts something in a chat goes through here (texts, photos, documents,
    edits), so /metrics counts them all. Answering a button press (a toast) is not a message and
    stays with the handlers."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot  # an ExtBot: its rate_limit_args reach the bulk rate limiter

    async def send_markdown(
        self, chat_id: int, markdown: str, *, keyboard: Keyboard | None = None, bulk: bool = False
    ) -> SendOutcome:
        return await self._attempt(chat_id, markdown, keyboard, bulk)

    def bulk_in_flight(self) -> int:
        limiter = self.bot.rate_limiter
        return limiter.window.bulk_in_flight() if isinstance(limiter, BulkRateLimiter) else MIN_IN_FLIGHT

    async def _attempt(self, chat_id: int, markdown: str, keyboard: Keyboard | None, bulk: bool) -> SendOutcome:
        try:
            # Straight to the answer's JSON: a bulk send needs the message id, not a `Message`.
            answer = await _counted(bulk, self._post_pieces(chat_id, _render_shared(markdown), inline_keyboard(keyboard), bulk))
        except Forbidden as exc:
            return SendOutcome("blocked", error=exc.message[:255])
        except BadRequest as exc:
            if any(reason in exc.message.lower() for reason in GONE):
                return SendOutcome("blocked", error=exc.message[:255])
            log.error("Telegram refused a message: %s", exc.message)
            return SendOutcome("failed", error=exc.message[:255], retry=True)
        except TelegramError as exc:
            return SendOutcome("failed", error=f"{type(exc).__name__}: {exc.message}"[:255], retry=True)
        return SendOutcome("sent", message_id=answer["message_id"] if isinstance(answer, dict) else answer.message_id)

    async def send(
        self, chat_id: int, markdown: str, *, keyboard: Keyboard | InlineKeyboardMarkup | None = None,
        bulk: bool = False, reply_markup=None,
    ) -> Message:
        """Send Markdown as one or more messages; raises Telegram's errors. The keyboard goes on
        the last piece, where the subscriber's thumb is."""
        markup = reply_markup if reply_markup is not None else (
            keyboard if isinstance(keyboard, InlineKeyboardMarkup) else inline_keyboard(keyboard)
        )
        return await _counted(bulk, self._send_pieces(chat_id, _render_shared(markdown), markup, bulk))

    async def reply(
        self, chat_id: int, markdown: str, *, keyboard: Keyboard | InlineKeyboardMarkup | None = None,
        reply_markup=None,
    ) -> None:
        """`send` for a handler's reply, which never reads the message back: no `Message` is made
        of the answer (a handful per update, PERFORMANCE.md). Raises Telegram's errors."""
        markup = reply_markup if reply_markup is not None else (
            keyboard if isinstance(keyboard, InlineKeyboardMarkup) else inline_keyboard(keyboard)
        )
        await _counted(False, self._post_pieces(chat_id, _render_shared(markdown), markup, False))

    async def send_plain(self, chat_id: int, text: str) -> Message:
        """Text exactly as it is, with no Markdown read in it (the operators' /stats)."""
        return await _counted(False, self._send_pieces(chat_id, render_plain(text), None, False))

    async def send_photo(self, chat_id: int, photo: bytes, filename: str, caption: str) -> Message:
        """A picture with Markdown under it: what fits a caption goes there, the rest follows."""
        first, *rest = render_caption(caption)
        message = await _counted(False, self.bot.send_photo(
            chat_id, InputFile(photo, filename=filename),
            caption=first.text, caption_entities=list(first.entities) or None,
        ))
        if rest:
            await _counted(False, self._send_pieces(chat_id, rest, None, False))
        return message

    async def send_document(
        self, chat_id: int, data: bytes, filename: str, *, caption: str | None = None, keyboard: Keyboard | None = None
    ) -> Message:
        """A file, with an optional Markdown caption (one that fits: 1,024 characters)."""
        rendered = render_caption(caption)[0] if caption else None
        return await _counted(False, self.bot.send_document(
            chat_id, InputFile(data, filename=filename),
            caption=rendered.text if rendered else None,
            caption_entities=(list(rendered.entities) or None) if rendered else None,
            reply_markup=inline_keyboard(keyboard),
        ))

    async def remove_buttons(self, query: CallbackQuery) -> None:
        """Take the buttons off the message a press came from. A stale or forged press may point at
        a message without buttons (or one too old to edit): Telegram's refusal changes nothing then."""
        message = query.message
        try:
            if isinstance(self.bot, MessengerBot) and isinstance(message, Message):
                await _counted(False, self.bot.remove_inline_keyboard(message.chat.id, message.message_id))
            else:  # an inline-mode message, or one too old to be shown: PTB's own way
                await _counted(False, query.edit_message_reply_markup(None))
        except BadRequest:
            pass

    async def _send_pieces(self, chat_id: int, pieces, markup, bulk: bool) -> Message:
        answer = await self._post_pieces(chat_id, pieces, markup, bulk)
        return _message(self.bot, answer) if isinstance(answer, dict) else answer

    async def _post_pieces(self, chat_id: int, pieces, markup, bulk: bool) -> Message | dict:
        # Entities, keyboard and preview go as ready JSON (PTB's api_kwargs): rendered once per
        # text, not converted from objects on every send (PERFORMANCE.md).
        markup_json = _reply_markup_json(markup)
        send = self.bot.send_text if isinstance(self.bot, MessengerBot) else self.bot.send_message
        message: Message | dict | None = None
        for index, piece in enumerate(pieces):
            message = await send(
                chat_id, piece.text, api_kwargs=_extra(piece, markup_json if index == len(pieces) - 1 else None),
                rate_limit_args={"bulk": True} if bulk else None,
            )
        assert message is not None, "render() returns at least one piece"
        return message


def _extra(piece, markup_json: str | None) -> dict:
    extra = {"link_preview_options": NO_PREVIEW}
    if piece.entities:
        extra["entities"] = piece.entities_json
    if markup_json is not None:
        extra["reply_markup"] = markup_json
    return extra


async def _counted(bulk: bool, sending):
    """Await a send, counting its outcome for /metrics; Telegram's errors pass through."""
    try:
        result = await sending
    except Forbidden:
        count_send(bulk, "blocked")
        raise
    except TelegramError:
        count_send(bulk, "failed")
        raise
    count_send(bulk, "sent")
    return result
