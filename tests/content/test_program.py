"""What a subscriber receives on each day, and how broadcast articles and other texts render."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.content.models import PROGRAM_LENGTH, Article, Content
from bot.content.program import (
    article_markdown,
    article_message,
    day_markdown,
    plain,
    preview_text,
    why_not_sendable,
)
from bot.content.render import CAPTION_LIMIT, MESSAGE_LIMIT, render, render_caption, utf16_len
from bot.services.schedule import next_item


def _fits(markdown: str, limit: int = MESSAGE_LIMIT) -> None:
    messages = render(markdown, limit)
    assert messages
    for message in messages:
        size = utf16_len(message.text)
        assert size <= limit
        assert all(e.length > 0 and e.offset + e.length <= size for e in message.entities)


@pytest.mark.parametrize("number", range(1, PROGRAM_LENGTH + 1))
def test_each_day_starts_with_day_n_of_30_and_fits_telegram(content: Content, number: int) -> None:
    markdown = day_markdown(content, number)
    assert markdown.splitlines()[0] == f"Day {number} of 30"
    _fits(markdown)


def test_a_day_shows_title_task_reading_then_check_in(content: Content) -> None:
    day = content.day(13)
    text = preview_text(day_markdown(content, 13))
    section = content.section(day.sections[0])
    positions = [
        text.index(day.title),
        text.index("Today's task"),
        text.index(f"Today's reading: {section.title}"),
        text.index("Deficient: below 20 ng/mL"),
        text.index("Check-in"),
        text.index("/pain"),
    ]
    assert positions == sorted(positions)


def test_each_section_is_shown_on_the_day_it_is_read_and_no_other(content: Content) -> None:
    texts = {n: preview_text(day_markdown(content, n)) for n in range(1, PROGRAM_LENGTH + 1)}
    for section in content.sections:
        heading = f"Today's reading: {section.title}"
        days = [n for n, text in texts.items() if heading in text]
        assert days == [next(d.day for d in content.days if section.id in d.sections)], section.id


def test_a_day_without_reading_has_no_reading_heading(content: Content) -> None:
    quiet = next(d.day for d in content.days if not d.sections)
    assert "Today's reading" not in day_markdown(content, quiet)


def test_day_numbers_outside_the_program_are_refused(content: Content) -> None:
    for number in (0, 31, -1):
        with pytest.raises(ValueError):
            day_markdown(content, number)


@pytest.mark.parametrize("title", ["Final Thoughts & Disclaimer", "a_b *c* [d](e) `f` <g> #h \\i", "**not bold**"])
def test_titles_show_exactly_as_written(title: str) -> None:
    [message] = render(f"**{plain(title)}**")
    assert message.text == title
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, utf16_len(title))]


def test_an_article_shows_bold_title_italic_summary_body_and_a_read_the_article_button() -> None:
    article = Article(slug="s", title="Sun & you", summary="A short note", url="https://example.org/a(1)", body="Body **text**.")
    text, keyboard = article_message(article_markdown(article))
    [message] = render(text)
    assert message.text == "Sun & you\n\nA short note\n\nBody text."
    kinds = [(e.type, message.text[e.offset : e.offset + e.length]) for e in message.entities]
    assert kinds == [("bold", "Sun & you"), ("italic", "A short note"), ("bold", "text")]
    assert keyboard == [[("Read the article", "https://example.org/a(1)")]]
    assert preview_text(article_markdown(article)).endswith("[Read the article → https://example.org/a(1)]")


def test_an_article_with_neither_body_nor_url_is_not_sendable_and_titles_are_never_cut() -> None:
    title = "Anxiety Without a Trigger: Could It Be a Magnesium Deficiency After All, or Something Else Entirely?" * 2
    teaser = Article(slug="teaser", title=title, summary="Only a subtitle")
    assert "neither a body nor a `url`" in why_not_sendable(teaser)
    assert why_not_sendable(teaser.model_copy(update={"url": "https://example.org/x"})) is None
    assert why_not_sendable(teaser.model_copy(update={"body": "Some text."})) is None
    assert article_message(article_markdown(teaser)) == (article_markdown(teaser), None)
    assert render(article_markdown(teaser))[0].text.startswith(title)


def test_an_article_whose_summary_repeats_its_title_shows_it_once() -> None:
    article = Article(slug="s", title="Poor Appetite but Constant Fatigue", summary="Poor appetite but constant fatigue ")
    assert preview_text(article_markdown(article)) == "Poor Appetite but Constant Fatigue"


def test_every_other_text_fits_in_one_message_and_short_ones_in_a_caption(content: Content) -> None:
    safety = content.safety
    texts = [safety.disclaimer, safety.consent_prompt, safety.emergency_reply, safety.prompt_reply]
    texts += [safety.warning_signs, safety.severe_pain_reply]
    texts += [safety.completion, safety.retest_reminder]
    texts += [band.meaning for band in content.bands] + [band.advice for band in content.bands if band.advice]
    texts += [entry.answer for entry in content.faq] + [reply.reply for reply in content.smalltalk]
    texts += [article_markdown(article) for article in content.articles.values()]
    for text in texts:
        assert len(render(text)) == 1, text
        _fits(text)
    for text in texts:
        if utf16_len(render(text)[0].text) <= CAPTION_LIMIT:
            assert len(render_caption(text)) == 1


def test_the_program_length_is_the_contents_number_of_days(content: Content) -> None:
    assert content.program_length == PROGRAM_LENGTH
    shorter = content.model_copy(update={"days": content.days[:12]})
    assert preview_text(day_markdown(shorter, 3)).startswith("Day 3 of 12")
    with pytest.raises(ValueError):
        day_markdown(shorter, 13)
    after_last = SimpleNamespace(program_day=12, completed_at=None, retest_reminded_at=None)
    assert next_item(after_last, shorter.program_length) == "completion"
