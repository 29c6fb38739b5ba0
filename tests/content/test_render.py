"""Markdown to Telegram text + entities: formatting survives, limits hold, splits fall between paragraphs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.constants import MessageEntityType

from bot.content.render import CAPTION_LIMIT, MESSAGE_LIMIT, RenderedMessage, render, render_caption, utf16_len


def _formatted(message: RenderedMessage) -> list[tuple[str, str]]:
    """(type, covered text) for each entity, reading offsets as UTF-16 like Telegram does."""
    encoded = message.text.encode("utf-16-le")
    return [
        (e.type, encoded[2 * e.offset : 2 * (e.offset + e.length)].decode("utf-16-le")) for e in message.entities
    ]


def _squashed(text: str) -> str:
    return "".join(text.split())


def test_bold_italics_links_and_bullets_render_as_entities() -> None:
    [message] = render("Some **bold**, _italic_ and a [link](https://example.org/x).\n\n- one\n- two")
    assert message.text == "Some bold, italic and a link.\n\n• one\n• two"
    assert _formatted(message) == [("bold", "bold"), ("italic", "italic"), ("text_link", "link")]
    assert message.entities[2].url == "https://example.org/x"


def test_offsets_count_emoji_as_two_utf16_units() -> None:
    [message] = render("👍🏽 then **bold**")
    assert message.entities[0].offset == utf16_len("👍🏽 then ") == 10
    assert _formatted(message) == [("bold", "bold")]


def test_characters_that_would_need_escaping_arrive_as_written() -> None:
    [message] = render(r"1 < 2 & 3 > 2, a_b, x*y, \[brackets\], (parens), #hash, `tick` done.")
    assert message.text == "1 < 2 & 3 > 2, a_b, x*y, [brackets], (parens), #hash, tick done."


def test_links_telegram_would_refuse_become_plain_text() -> None:
    [message] = render("[relative](docs/page) [script](javascript:alert(1)) [ok](https://example.org)")
    assert message.text == "relative script ok"
    assert _formatted(message) == [("text_link", "ok")]


def test_empty_or_blank_markdown_renders_no_messages() -> None:
    assert render("") == []
    assert render("   \n\n  ") == []


def test_short_markdown_is_one_message() -> None:
    assert len(render("Hello.\n\nSecond paragraph.")) == 1


def test_long_markdown_splits_between_paragraphs_under_the_limit() -> None:
    paragraphs = [f"Paragraph {n}: " + "word " * 180 for n in range(12)]  # ~920 characters each
    messages = render("\n\n".join(paragraphs))
    assert len(messages) == 3
    assert all(utf16_len(m.text) <= MESSAGE_LIMIT for m in messages)
    for message in messages:  # each piece holds whole paragraphs only
        for chunk in message.text.split("\n\n"):
            assert chunk.startswith("Paragraph ") and chunk.endswith("word")
    assert _squashed("".join(m.text for m in messages)) == _squashed("".join(paragraphs))


def test_a_paragraph_longer_than_the_limit_splits_between_lines_then_words() -> None:
    lines = "\n".join(f"line {n} " + "x" * 50 for n in range(10))  # one paragraph of 10 lines
    messages = render(lines, limit=200)
    assert all(utf16_len(m.text) <= 200 for m in messages)
    assert all(m.text.startswith("line ") and m.text.endswith("x" * 50) for m in messages)
    words = render("word " * 100, limit=64)
    assert all(utf16_len(m.text) <= 64 for m in words)
    assert all(set(m.text.split()) == {"word"} for m in words)


def test_a_split_goes_around_a_bold_run_rather_than_through_it() -> None:
    strong = ("strong words " * 8).strip()
    markdown = "intro " * 5 + f"**{strong}**" + " outro" * 5
    messages = render(markdown, limit=120)
    assert all(utf16_len(m.text) <= 120 for m in messages)
    bold = [covered for m in messages for kind, covered in _formatted(m) if kind == "bold"]
    assert bold == [strong]


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    messages = render("a" * 250, limit=100)
    assert [len(m.text) for m in messages] == [100, 100, 50]


def test_emoji_count_double_against_the_limit() -> None:
    messages = render("😀" * 3000)
    assert [utf16_len(m.text) for m in messages] == [4096, 1904]


def test_caption_puts_at_most_1024_units_first_and_the_rest_in_messages() -> None:
    paragraphs = ["Paragraph " + "text " * 150 for _ in range(8)]  # ~760 characters each
    pieces = render_caption("\n\n".join(paragraphs))
    assert utf16_len(pieces[0].text) <= CAPTION_LIMIT
    assert all(utf16_len(p.text) <= MESSAGE_LIMIT for p in pieces[1:])
    assert len(pieces) == 3  # 1 paragraph in the caption, 5 + 2 in two messages


# --- property: whatever the Markdown, every piece is something Telegram accepts ---------------

_WORD = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), min_size=1, max_size=12),
    st.sampled_from(["vitamin", "D", "ng/mL", "25-hydroxy", "😀", "👍🏽", "🇩🇪", "Ж", "—", "a_b", "x*y", "#", ">"]),
    st.builds(lambda unit, count: unit * count, st.sampled_from(["a", "😀", "xy👍🏽"]), st.integers(70, 400)),  # long words
)
_PHRASE = st.lists(_WORD, min_size=1, max_size=8).map(" ".join)
_INLINE = st.one_of(
    _PHRASE,
    _PHRASE.map(lambda t: f"**{t}**"),
    _PHRASE.map(lambda t: f"_{t}_"),
    st.tuples(_PHRASE, st.sampled_from(["https://example.org/a?b=1", "tg://user?id=1", "foo/bar"])).map(
        lambda p: f"[{p[0]}]({p[1]})"
    ),
)
_PARAGRAPH = st.one_of(
    st.lists(_INLINE, min_size=1, max_size=6).map(" ".join),
    st.lists(st.lists(_INLINE, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=6).map(
        lambda items: "\n".join(f"- {item}" for item in items)
    ),
)
_MARKDOWN = st.lists(_PARAGRAPH, min_size=1, max_size=8).map("\n\n".join)
_ENTITY_TYPES = {str(t) for t in MessageEntityType}


def _assert_acceptable(pieces: list[RenderedMessage], limits: list[int]) -> None:
    for piece, limit in zip(pieces, limits):
        assert piece.text.strip() and piece.text == piece.text.strip()
        size = utf16_len(piece.text)
        assert size <= limit
        for entity in piece.entities:
            assert entity.type in _ENTITY_TYPES
            assert entity.length > 0 and entity.offset >= 0
            assert entity.offset + entity.length <= size
            if entity.type == "text_link":
                assert entity.url.startswith(("https://", "tg://"))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown=_MARKDOWN, limit=st.sampled_from([64, 300, CAPTION_LIMIT]))
def test_every_piece_fits_and_every_entity_lies_inside_it(markdown: str, limit: int) -> None:
    pieces = render(markdown, limit)
    _assert_acceptable(pieces, [limit] * len(pieces))
    [whole] = render(markdown, limit=10**9)
    # Nothing lost, nothing repeated: the pieces are the whole text, cut only at whitespace or hard cuts.
    assert _squashed("".join(p.text for p in pieces)) == _squashed(whole.text)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown=_MARKDOWN)
def test_every_caption_piece_fits(markdown: str) -> None:
    pieces = render_caption(markdown)
    _assert_acceptable(pieces, [CAPTION_LIMIT] + [MESSAGE_LIMIT] * (len(pieces) - 1))


def test_markup_with_no_visible_text_is_shown_as_written_not_dropped() -> None:
    assert [p.text for p in render(">")] == [">"]
    assert render("") == [] and render("   \n") == []
