"""Telegram's text rules, checked the way the Bot API checks them: lengths and entity offsets in
UTF-16 code units, and the MarkdownV2 and HTML parse modes turned into plain text plus entities.

The parsers follow the Bot API documentation ("Formatting options") closely enough to refuse what
Telegram refuses (unescaped reserved characters, unclosed or crossed entities, unknown tags), so a
bot that renders markup badly fails in tests instead of in production.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
        "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote",
        "code", "pre", "text_link", "text_mention", "custom_emoji",
    }
)


class MarkupError(ValueError):
    """The text cannot be parsed; the message is Telegram's description after "Bad Request: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_entities(text: str, entities: object) -> None:
    """Refuse entities that are not well-formed or fall outside ``text`` (in UTF-16 units)."""
    if not isinstance(entities, list):
        raise MarkupError("can't parse entities: entities must be an array")
    size = utf16_len(text)
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("type") not in ENTITY_TYPES:
            raise MarkupError(f"can't parse entities: unsupported entity {entity!r}")
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise MarkupError("can't parse entities: offset and length must be integers")
        if offset < 0 or length <= 0 or offset + length > size:
            raise MarkupError(
                f"can't parse entities: entity {entity['type']} at {offset}+{length} "
                f"is outside the text of length {size}"
            )
        if entity["type"] == "text_link" and not entity.get("url"):
            raise MarkupError("can't parse entities: text_link without url")


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    """Plain text and entities for ``text`` sent with ``parse_mode`` (None: text as is)."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "markdownv2":
        return _MarkdownV2(text).parse()
    if mode == "html":
        return _Html(text).parse()
    if mode == "markdown":
        # Legacy mode: only checked for balance, which is where it usually breaks.
        return _MarkdownV2(text, legacy=True).parse()
    raise MarkupError(f"unsupported parse_mode {parse_mode!r}")


@dataclass
class _Open:
    kind: str
    start: int
    source_at: int
    attrs: dict = field(default_factory=dict)


class _Builder:
    """Collects output characters and entities, tracking the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.position = 0
        self.entities: list[dict] = []

    def emit(self, chars: str) -> None:
        self.parts.append(chars)
        self.position += utf16_len(chars)

    def close(self, opened: _Open, **extra: object) -> None:
        length = self.position - opened.start
        if length > 0:  # Telegram silently drops empty entities
            self.entities.append(
                {"type": opened.kind, "offset": opened.start, "length": length, **extra}
            )

    def result(self) -> tuple[str, list[dict]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


_MD_TOGGLES = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_MD_RESERVED = set("_*[]()~`>#+-=|{}.!")
_UNESCAPED = "Character '{}' is reserved and must be escaped with the preceding '\\'"


class _MarkdownV2:
    def __init__(self, source: str, legacy: bool = False) -> None:
        self.src = source
        self.legacy = legacy
        self.out = _Builder()
        self.stack: list[_Open] = []
        self.i = 0

    def _byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def _fail(self, message: str) -> MarkupError:
        return MarkupError(f"can't parse entities: {message}")

    def parse(self) -> tuple[str, list[dict]]:
        src = self.src
        quote: _Open | None = None
        line_start = True
        while self.i < len(src):
            c = src[self.i]
            if line_start and not self.legacy:
                line_start = False
                if c == ">":
                    quote = quote or _Open("blockquote", self.out.position, self.i)
                    self.i += 1
                    continue
                if quote is not None:
                    # The quote ended on the previous line; its newline is not part of it.
                    self.out.position -= 1
                    self.out.close(quote)
                    self.out.position += 1
                    quote = None
            if c == "\n":
                line_start = True
                self.out.emit(c)
                self.i += 1
            elif c == "\\" and not self.legacy:
                self._escape()
            elif c == "`":
                self._code()
            elif c == "]" and self.stack and self.stack[-1].kind in ("text_link", "custom_emoji"):
                self._link_end()
            elif c == "[" or (c == "!" and src.startswith("![", self.i) and not self.legacy):
                kind = "text_link" if c == "[" else "custom_emoji"
                self.stack.append(_Open(kind, self.out.position, self.i))
                self.i += 1 if c == "[" else 2
            elif self._toggle():
                pass
            elif c in _MD_RESERVED and not self.legacy:
                raise self._fail(_UNESCAPED.format(c))
            else:
                self.out.emit(c)
                self.i += 1
        if self.stack:
            opened = self.stack[-1]
            name = opened.kind.replace("_", " ").title().replace(" ", "")
            offset = self._byte_offset(opened.source_at)
            raise self._fail(f"Can't find end of {name} entity at byte offset {offset}")
        if quote is not None:
            self.out.close(quote)
        return self.out.result()

    def _escape(self) -> None:
        nxt = self.src[self.i + 1 : self.i + 2]
        if nxt and 1 <= ord(nxt) <= 126:
            self.out.emit(nxt)
            self.i += 2
        else:  # like Telegram: a backslash before nothing or non-ASCII is a plain backslash
            self.out.emit("\\")
            self.i += 1

    def _toggle(self) -> bool:
        src, i = self.src, self.i
        if self.legacy:
            token = src[i] if src[i] in "*_" else None
        elif src.startswith("__", i) or src.startswith("||", i):
            token = src[i : i + 2]
        else:
            token = src[i] if src[i] in "*_~" else None
        if token is None:
            return False
        kind = _MD_TOGGLES[token]
        if self.stack and self.stack[-1].kind == kind:
            self.out.close(self.stack.pop())
        else:
            self.stack.append(_Open(kind, self.out.position, i))
        self.i += len(token)
        return True

    def _code(self) -> None:
        src = self.src
        is_pre = src.startswith("```", self.i)
        fence = "```" if is_pre else "`"
        start_at = self.i
        self.i += len(fence)
        language = ""
        if is_pre:
            newline = src.find("\n", self.i)
            first_line = src[self.i : newline] if newline != -1 else ""
            if newline != -1 and first_line and " " not in first_line and "`" not in first_line:
                language = first_line
                self.i = newline + 1
        opened = _Open("pre" if is_pre else "code", self.out.position, start_at)
        while True:
            if self.i >= len(src):
                kind = "Pre" if is_pre else "Code"
                raise self._fail(
                    f"Can't find end of {kind} entity at byte offset {self._byte_offset(start_at)}"
                )
            if src.startswith(fence, self.i):
                self.i += len(fence)
                break
            if src[self.i] == "\\" and not self.legacy:
                self._escape()
            else:
                self.out.emit(src[self.i])
                self.i += 1
        self.out.close(opened, **({"language": language} if language else {}))

    def _link_end(self) -> None:
        opened = self.stack.pop()
        self.i += 1
        if not self.src.startswith("(", self.i):
            # Telegram then takes the text itself as the URL; a fake cannot tell a valid one.
            return
        self.i += 1
        url: list[str] = []
        while True:
            if self.i >= len(self.src):
                raise self._fail("Can't find end of a URL")
            c = self.src[self.i]
            if c == ")":
                self.i += 1
                break
            if c == "\\" and not self.legacy:
                url.append(self.src[self.i + 1 : self.i + 2])
                self.i += 2
            else:
                url.append(c)
                self.i += 1
        target = "".join(url)
        if opened.kind == "custom_emoji":
            emoji_id = target.partition("tg://emoji?id=")[2]
            if not emoji_id:
                raise self._fail("Custom emoji URL must have an emoji identifier")
            self.out.close(opened, custom_emoji_id=emoji_id)
        else:
            self.out.close(opened, url=target)


_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_START_TAG = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z][a-zA-Z0-9-]*"
    r"(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z][a-zA-Z0-9-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
_END_TAG = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


class _Html:
    def __init__(self, source: str) -> None:
        self.src = source
        self.out = _Builder()
        self.stack: list[_Open] = []

    def _fail(self, message: str) -> MarkupError:
        return MarkupError(f"can't parse entities: {message}")

    def _byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def parse(self) -> tuple[str, list[dict]]:
        src, i = self.src, 0
        while i < len(src):
            c = src[i]
            if c == "<":
                i = self._end_tag(i) if src.startswith("</", i) else self._start_tag(i)
            elif c == "&" and (ref := _CHAR_REF.match(src, i)):
                self.out.emit(html.unescape(ref.group(0)))
                i = ref.end()
            else:
                # A bare "&" or ">" is tolerated by Telegram; a bare "<" is not (handled above).
                self.out.emit(c)
                i += 1
        if self.stack:
            raise self._fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].attrs["tag"]}"'
            )
        return self.out.result()

    def _start_tag(self, i: int) -> int:
        match = _START_TAG.match(self.src, i)
        if not match:
            raise self._fail(f"Unsupported start tag at byte offset {self._byte_offset(i)}")
        tag = match.group(1).lower()
        if tag not in _HTML_TAGS:
            raise self._fail(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset(i)}')
        attrs = {
            name.lower(): html.unescape(value.strip("\"'")) if value else ""
            for name, value in _ATTR.findall(match.group(2) or "")
        }
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise self._fail('Tag "span" must have class "tg-spoiler"')
        self.stack.append(_Open(_HTML_TAGS[tag], self.out.position, i, {"tag": tag, **attrs}))
        return match.end()

    def _end_tag(self, i: int) -> int:
        match = _END_TAG.match(self.src, i)
        if not match:
            raise self._fail(f"Unexpected end tag at byte offset {self._byte_offset(i)}")
        tag = match.group(1).lower()
        if not self.stack or self.stack[-1].attrs["tag"] != tag:
            expected = f'"</{self.stack[-1].attrs["tag"]}>"' if self.stack else "no end tag"
            raise self._fail(
                f'Unmatched end tag at byte offset {self._byte_offset(i)}, '
                f'expected {expected}, found "</{tag}>"'
            )
        opened = self.stack.pop()
        if opened.kind == "text_link":
            if opened.attrs.get("href"):
                self.out.close(opened, url=opened.attrs["href"])
        elif opened.kind == "custom_emoji":
            if not opened.attrs.get("emoji-id"):
                raise self._fail('Tag "tg-emoji" must have attribute "emoji-id"')
            self.out.close(opened, custom_emoji_id=opened.attrs["emoji-id"])
        elif opened.kind == "code" and self.stack and self.stack[-1].kind == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            language = opened.attrs.get("class", "").removeprefix("language-")
            if language:
                self.stack[-1].attrs["language"] = language
        elif opened.kind == "pre" and opened.attrs.get("language"):
            self.out.close(opened, language=opened.attrs["language"])
        elif opened.kind == "blockquote" and "expandable" in opened.attrs:
            opened.kind = "expandable_blockquote"
            self.out.close(opened)
        else:
            self.out.close(opened)
        return match.end()
