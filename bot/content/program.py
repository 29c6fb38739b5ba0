"""What a subscriber receives: a program day, the whole program, a broadcast article, as Markdown.

These are the single source of the message layout, shared by delivery, ``/today`` and
``vitd-bot preview``; ``render`` turns the Markdown into Telegram messages.
"""

from __future__ import annotations

import re

from bot.content.models import Article, Content
from bot.content.render import render

# Titles are plain text written by operators; escaping keeps a stray * or _ from formatting.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>#~|&!])")


def plain(text: str) -> str:
    """Markdown that shows ``text`` exactly as written."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def day_markdown(content: Content, day: int, checkin_note: str | None = None) -> str:
    """Day ``day`` as sent: ``Day N of M``, title, task (and the stop rule on an exercise day),
    the reading or a passage worth re-reading, the check-in prompt (after ``checkin_note``, the
    subscriber's own line, if any)."""
    if not 1 <= day <= content.program_length:
        raise ValueError(f"day must be between 1 and {content.program_length}, not {day}")
    program_day = content.day(day)
    parts = [
        f"Day {day} of {content.program_length}\n**{plain(program_day.title)}**",
        f"🎯 _Today's task_\n{program_day.task.strip()}",
    ]
    if program_day.exercise:
        parts.append(content.safety.exercise_stop_rule.strip())
    sections = sorted((content.section(i) for i in program_day.sections), key=lambda s: s.order)
    for section in sections:
        parts.append(f"📖 _Today's reading:_ **{plain(section.title)}**")
        parts.append(section.body.strip())
    if program_day.reread is not None:
        title = content.section(program_day.reread.section).title
        parts.append(f"📖 _Worth re-reading, from the article's section_ **{plain(title)}**")
        parts.append(program_day.reread.passage.strip())
    prompt = program_day.checkin_prompt.strip()
    parts.append(f"💬 _Check-in_\n{checkin_note.strip()} {prompt}" if checkin_note else f"💬 _Check-in_\n{prompt}")
    return "\n\n".join(parts)


READ_THE_ARTICLE = "Read the article"
# The last paragraph of an article's Markdown when it has a URL: sent as a button under the message.
_READ_LINK = re.compile(r"\n\n\[" + READ_THE_ARTICLE + r"\]\(<(https?://[^>\s]+)>\)\Z")


def article_markdown(article: Article) -> str:
    """A broadcast article: bold title (whole, never cut), summary, body, then its URL as the
    "Read the article" link that ``article_message`` turns into a button. The broadcast stores
    this text, so what is sent never changes with the file."""
    parts = [f"**{plain(article.title)}**"]
    # Some articles' subtitle repeats the title; saying it twice reads like a mistake.
    if article.summary and _normalised(article.summary) != _normalised(article.title):
        parts.append(f"_{plain(article.summary.strip())}_")
    if article.body.strip():
        parts.append(article.body.strip())
    if article.url:
        parts.append(f"[{READ_THE_ARTICLE}](<{article.url}>)")
    return "\n\n".join(parts)


def article_message(markdown: str) -> tuple[str, list[list[tuple[str, str]]] | None]:
    """An article's stored Markdown as sent: the text, and the "Read the article" button (a URL
    button) if the article has a URL. Broadcasts and every preview send exactly this."""
    match = _READ_LINK.search(markdown)
    if match is None:
        return markdown, None
    return markdown[: match.start()], [[(READ_THE_ARTICLE, match.group(1))]]


def why_not_sendable(article: Article) -> str | None:
    """Why a broadcast of this article would be refused: a title and a summary alone are a
    teaser with nothing behind it."""
    if not article.body.strip() and not article.url:
        return (
            f"“{article.title}” has neither a body nor a `url`, so subscribers would get a headline "
            f"with nothing to read. Add the text under the front matter of articles/{article.slug}.md, "
            "or a `url:` line in its front matter (shown as a “Read the article” button)."
        )
    return None


def preview_text(markdown: str) -> str:
    """What the subscriber sees, as plain text: each message's text, separated by a blank line;
    an article's button is shown as [Read the article → URL]."""
    text, keyboard = article_message(markdown)
    shown = "\n\n".join(message.text for message in render(text))
    if keyboard:
        shown += f"\n\n[{keyboard[0][0][0]} → {keyboard[0][0][1]}]"
    return shown


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()
