"""Markdown to Telegram messages: plain text plus entities, split to fit Telegram's limits.

telegramify-markdown does the parsing; we send its entities instead of a parse mode, so there is
nothing to escape and nothing an odd character can break. Telegram counts lengths and offsets in
UTF-16 code units, so every measure here does too.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from urllib.parse import urlsplit

import telegramify_markdown
from telegram import MessageEntity
from telegramify_markdown import MessageEntity as ParsedEntity
from telegramify_markdown import RenderConfig

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

# Preferred places to split, best first: between paragraphs, between lines, between words.
_SEPARATORS = ("\n\n", "\n", " ")

_CONFIG = RenderConfig.isolated()  # our own symbols, untouched by anyone changing the global config
_CONFIG.markdown_symbol.unordered_list_item = "•"


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    entities: tuple[MessageEntity, ...]

    @cached_property
    def entities_json(self) -> str:
        """The entities as Bot API JSON, built once per rendered piece (bulk sends reuse pieces)."""
        return json.dumps([entity.to_dict() for entity in self.entities], separators=(",", ":"))


def render(markdown: str, limit: int = MESSAGE_LIMIT) -> list[RenderedMessage]:
    """Render Markdown into as many messages as it takes, each at most ``limit`` UTF-16 units."""
    return _render(markdown, limit, limit)


def render_caption(markdown: str) -> list[RenderedMessage]:
    """Like ``render``, but the first piece fits a caption (1,024); the rest are plain messages."""
    return _render(markdown, CAPTION_LIMIT, MESSAGE_LIMIT)


def render_plain(text: str, limit: int = MESSAGE_LIMIT) -> list[RenderedMessage]:
    """Text shown exactly as it is (no Markdown read in it), split like ``render``."""
    return [RenderedMessage(text[start:end], ()) for start, end, _ in _pieces(text, _Utf16Index(text), [], limit, limit)]


def utf16_len(text: str) -> int:
    return telegramify_markdown.utf16_len(text)


def _render(markdown: str, first_limit: int, later_limit: int) -> list[RenderedMessage]:
    if first_limit < 1 or later_limit < 1:
        raise ValueError("a message limit must be positive")
    text, parsed = telegramify_markdown.convert(markdown, latex_escape=False, config=_CONFIG)
    if not text.strip() and markdown.strip():
        # Markup with no visible text (a lone ">" or "---"): show what was written rather than
        # dropping it, since Telegram refuses an empty message.
        text, parsed = markdown.strip(), []
    units = _Utf16Index(text)
    spans = sorted(
        ((units.to_index(e.offset), units.to_index(e.offset + e.length), e) for e in parsed if _acceptable(e)),
        key=lambda span: span[0],
    )
    messages = []
    for start, end, overlapping in _pieces(text, units, spans, first_limit, later_limit):
        entities = []
        for span_start, span_end, entity in overlapping:
            clipped_start, clipped_end = max(span_start, start), min(span_end, end)
            if clipped_end > clipped_start:
                entities.append(
                    _telegram_entity(
                        entity,
                        offset=units.at(clipped_start) - units.at(start),
                        length=units.at(clipped_end) - units.at(clipped_start),
                    )
                )
        messages.append(RenderedMessage(text[start:end], tuple(entities)))
    return messages


def _acceptable(entity: ParsedEntity) -> bool:
    """Telegram rejects a text link whose URL it cannot open; such a link is kept as plain text."""
    if entity.length <= 0:
        return False
    if entity.type != "text_link":
        return True
    url = urlsplit(entity.url or "")
    if url.scheme in ("http", "https"):
        return bool(url.netloc)
    return url.scheme == "tg"


def _telegram_entity(entity: ParsedEntity, offset: int, length: int) -> MessageEntity:
    return MessageEntity(
        type=entity.type,
        offset=offset,
        length=length,
        url=entity.url,
        language=entity.language,
        custom_emoji_id=entity.custom_emoji_id,
    )


class _Utf16Index:
    """Converts between Python string indices and UTF-16 offsets."""

    def __init__(self, text: str) -> None:
        self._offsets: Sequence[int]
        if text.isascii():
            self._offsets = range(len(text) + 1)
        else:
            self._offsets = [0, *accumulate(2 if ord(char) > 0xFFFF else 1 for char in text)]

    def at(self, index: int) -> int:
        return self._offsets[index]

    def to_index(self, offset: int) -> int:
        # An offset inside a surrogate pair cannot come from a well-formed entity; round down.
        return bisect_right(self._offsets, offset) - 1

    def furthest(self, start: int, limit: int) -> int:
        """The largest index ``end`` such that text[start:end] fits in ``limit`` units."""
        return bisect_right(self._offsets, self._offsets[start] + limit) - 1


def _pieces(text, units, spans, first_limit, later_limit):
    """Yield (start, end, entity spans that may overlap it) for each piece: trimmed, non-empty, fitting."""
    start, taken, active, first = 0, 0, [], True
    while True:
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text):
            return
        furthest = units.furthest(start, first_limit if first else later_limit)
        first = False
        # Only spans touching this stretch of text matter; the list stays as short as the nesting.
        while taken < len(spans) and spans[taken][0] <= furthest:
            active.append(spans[taken])
            taken += 1
        active = [span for span in active if span[1] > start]
        end = _cut(text, start, furthest, active)
        trimmed = end
        while text[trimmed - 1].isspace():
            trimmed -= 1
        yield start, trimmed, active
        start = end


def _cut(text: str, start: int, furthest: int, spans) -> int:
    if furthest >= len(text):
        return len(text)
    # A split inside a bold run or a link would leave each half formatted on its own; avoid it
    # when any other boundary fits, and fall back to clipping only when none does.
    for keep_entities_whole in (True, False):
        for separator in _SEPARATORS:
            position = text.rfind(separator, start + 1, furthest + len(separator))
            while position > start:
                if not keep_entities_whole or not any(s < position < e for s, e, _ in spans):
                    if text[start:position].strip():
                        return position
                position = text.rfind(separator, start + 1, position)
    return max(furthest, start + 1)


_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain_text(text: str) -> str:
    """Markdown that shows what a person typed exactly as plain text: on one line, with every ASCII
    punctuation mark escaped (CommonMark allows that for all of them), so no emphasis, link, list,
    heading or code block can come out of it."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))
