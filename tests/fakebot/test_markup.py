"""The fake Bot API's MarkdownV2 / HTML parsers and entity checks: what they accept and refuse.

The bot sends text with entities, never a parse mode; the parsers stay so that a mistaken
parse_mode fails as Telegram would. Property tests that only exercised the parsers against
escaping helpers the bot does not use were removed (issue 15)."""

from __future__ import annotations

import pytest

from tests.fakebot.markup import MarkupError, check_entities, parse_text, utf16_len


def md(source: str) -> tuple[str, list[dict]]:
    return parse_text(source, "MarkdownV2")


def test_utf16_len_counts_astral_characters_twice():
    assert utf16_len("a👍é") == 4


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("*bold* _it_", "bold it", [("bold", 0, 4), ("italic", 5, 2)]),
        ("__under__ ~gone~ ||secret||", "under gone secret",
         [("underline", 0, 5), ("strikethrough", 6, 4), ("spoiler", 11, 6)]),
        ("*bold _both_*", "bold both", [("bold", 0, 9), ("italic", 5, 4)]),
        ("👍 *x*", "👍 x", [("bold", 3, 1)]),
        ("`a_b*c` done\\.", "a_b*c done.", [("code", 0, 5)]),
        ("```py\nx = 1\n```", "x = 1\n", [("pre", 0, 6)]),
        ("[site](https://e.test/a_(b\\))", "site", [("text_link", 0, 4)]),
        ("30\\-50 ng/mL\\!", "30-50 ng/mL!", []),
        (">quoted\\.\n>more\nafter", "quoted.\nmore\nafter", [("blockquote", 0, 12)]),
        ("**", "", []),  # empty entities are dropped, as Telegram does
        ("[text] alone", "text alone", []),  # Telegram uses the text as URL if it is one
        ("end \\", "end \\", []),  # a backslash before nothing stays a backslash
        ("\\é", "\\é", []),
    ],
)
def test_markdown_v2_accepts_and_renders(source, text, entities):
    plain, found = md(source)
    assert plain == text
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_markdown_v2_keeps_link_url_and_pre_language():
    _, [link] = md("[a](https://e.test/x\\)y)")
    assert link["url"] == "https://e.test/x)y"
    _, [pre] = md("```python\nprint()\n```")
    assert pre["language"] == "python"


@pytest.mark.parametrize(
    "source",
    [
        "Day 1 of 30.",  # reserved '.'
        "30-50",  # reserved '-'
        "*unclosed bold",
        "_italic *crossed_ bold*",
        "`unclosed code",
        "```\nunclosed pre",
        "[text](https://unclosed",
        "a | b",
        "___*heading*___",  # "__" is read greedily: underline opens again instead of italic ending
        "(parenthesis)",
    ],
)
def test_markdown_v2_refuses(source):
    with pytest.raises(MarkupError, match="can't parse entities"):
        md(source)


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("<b>Day 1</b> of 30", "Day 1 of 30", [("bold", 0, 5)]),
        ("<i>a <u>b</u></i>", "a b", [("italic", 0, 3), ("underline", 2, 1)]),
        ("<strong>x</strong><em>y</em><s>z</s>", "xyz",
         [("bold", 0, 1), ("italic", 1, 1), ("strikethrough", 2, 1)]),
        ('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>', "st",
         [("spoiler", 0, 1), ("spoiler", 1, 1)]),
        ("a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#128077;", 'a < b && c > d "q" 👍', []),
        ("AT&T > 5", "AT&T > 5", []),  # Telegram tolerates a bare & and >
        ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
    ],
)
def test_html_accepts_and_renders(source, text, entities):
    plain, found = parse_text(source, "HTML")
    assert plain == text
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_html_keeps_link_url_and_pre_language():
    _, found = parse_text('<a href="https://e.test/?a=1&amp;b=2">x</a>', "HTML")
    assert found == [{"type": "text_link", "offset": 0, "length": 1,
                      "url": "https://e.test/?a=1&b=2"}]
    _, found = parse_text('<pre><code class="language-python">x</code></pre>', "HTML")
    assert found == [{"type": "pre", "offset": 0, "length": 1, "language": "python"}]


@pytest.mark.parametrize(
    "source",
    [
        "<b>unclosed",
        "<b>crossed <i>tags</b></i>",
        "closing only</b>",
        "<div>unsupported</div>",
        "pain < 5",
        "<span>no spoiler class</span>",
        "<b",
    ],
)
def test_html_refuses(source):
    with pytest.raises(MarkupError, match="can't parse entities"):
        parse_text(source, "HTML")


def test_unknown_parse_mode_is_refused():
    with pytest.raises(MarkupError):
        parse_text("x", "BBCode")


def test_plain_text_passes_through_untouched():
    assert parse_text("Day 1 of 30. (a) *b*", None) == ("Day 1 of 30. (a) *b*", [])


@pytest.mark.parametrize(
    "entities",
    [
        [{"type": "bold", "offset": 0, "length": 6}],  # past the end
        [{"type": "bold", "offset": -1, "length": 2}],
        [{"type": "bold", "offset": 0, "length": 0}],
        [{"type": "sparkly", "offset": 0, "length": 1}],
        [{"type": "bold", "offset": "0", "length": 1}],
        [{"type": "text_link", "offset": 0, "length": 1}],  # no url
        {"type": "bold"},  # not a list
    ],
)
def test_check_entities_refuses(entities):
    with pytest.raises(MarkupError, match="can't parse entities"):
        check_entities("👍 ok", entities)


def test_check_entities_accepts_entities_within_utf16_length():
    check_entities("👍 ok", [{"type": "bold", "offset": 0, "length": 5},
                            {"type": "text_link", "offset": 3, "length": 2, "url": "https://e"}])
