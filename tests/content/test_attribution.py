"""Faithful claims: `content check` rejects what a text attributes to the article when the article
does not say it, and accepts honest text (rules in bot/content/attribution.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.attribution import Article, claims_not_in, quotes_not_in, sentences_not_in_source
from bot.content.loader import check_content, load_content
from tests.content.test_broken_content import _edit, _line_of

ARTICLE = Article([
    "Correcting Vitamin D Deficiency Safely\nCorrection requires consistency rather than quick fixes.\n\n"
    "Key approaches include:\n\n- Regular sunlight exposure\n- Appropriate supplementation under guidance\n\n"
    "Monitoring ensures safety and effectiveness.",
    "Frequently Asked Questions\nHow soon can pain improve?\nMany people notice improvement within 4–8 weeks.",
])


@pytest.mark.parametrize(
    "text",
    [
        'The article says "Monitoring ensures safety and effectiveness."',
        "It says “correction requires CONSISTENCY rather than   quick fixes”.",  # case, spaces, curly quotes
        'As the article puts it, "many people notice improvement within 4-8 weeks"',  # dash folded
        'Tap "I agree" to start.',  # two words: a button, not a quote
        "The article says monitoring ensures safety and effectiveness.",
        "The article lists regular sunlight exposure and appropriate supplementation under guidance.",
        "The article says many people notice improvement within 4–8 weeks: keep going with the program.",
        "Ask your clinician when to retest.",  # not attributed to the article
    ],
)
def test_honest_text_passes(text):
    assert quotes_not_in(ARTICLE, text) == [] and claims_not_in(ARTICLE, text) == []


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ('The article says "retest your vitamin D after 8–12 weeks".', ()),
        ("The article says retest after 8–12 weeks.", ("retest", "12")),
        ("According to the article, vitamin D cures back pain.", ("cures",)),
        ("The article recommends 2000 IU a day.", ("2000",)),
        ("The article calls regular sunlight exposure and daily walks essential.", ("daily", "walks", "essential")),
    ],
)
def test_unbacked_attributions_are_found(text, missing):
    found = quotes_not_in(ARTICLE, text) + claims_not_in(ARTICLE, text)
    assert len(found) == 1
    assert set(missing) <= set(found[0].missing)


def test_an_faq_sentence_must_come_from_its_source_section():
    section = "How soon can pain improve? Many people notice improvement within 4–8 weeks."
    answer = (
        "Many people notice improvement within 4–8 weeks.\n\n"
        "Correction requires consistency rather than quick fixes.\n\n"
        "Send /pain every day so you can see it."
    )
    [found] = sentences_not_in_source(ARTICLE, section, answer)
    assert found.text == "Correction requires consistency rather than quick fixes."
    assert {"correction", "consistency", "quick", "fixes"} <= set(found.missing)


def test_content_check_names_file_line_and_what_is_not_in_the_article(content_dir: Path) -> None:
    bands = content_dir / "bands.yaml"
    _edit(bands, "      Well above the range", "      The article says retest after 12 weeks. Well above the range")
    [problem] = [p for p in check_content(content_dir) if p.file == "content/bands.yaml"]
    assert problem.kind == "claim" and problem.fails_check
    assert "band 'high' meaning" in problem.message and "retest" in problem.message and "12" in problem.message
    assert problem.line == _line_of(bands, "The article says retest") - 1  # the field's line
    load_content(content_dir)  # a claim fails the check but does not stop the bot


def test_an_faq_source_finding_names_the_entry(content_dir: Path) -> None:
    faq = content_dir / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    start = text.index("  - id: how-soon")
    faq.write_text(text[:start] + (
        "  - id: test-entry\n    question: Is this a test?\n    answer: Vitamin D receptors are present in muscle cells.\n"
        "    source: testing\n\n"
    ) + text[start:], encoding="utf-8")
    [problem] = [p for p in check_content(content_dir) if "test-entry" in p.message and "source" in p.message]
    assert "FAQ entry 'test-entry' (source 'testing')" in problem.message
    assert "receptors" in problem.message and problem.line == _line_of(faq, "Vitamin D receptors are present")
