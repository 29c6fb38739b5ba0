"""The content's entries that the pure rules read: FAQ entries and small talk (the matcher) and
red flags (the detector). They live here so that `bot.domain` imports nothing of ours; the content
model (`bot.content.models`) is built of them and validates them like the rest of a content file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # An unknown field in a content file is a typo until proven otherwise.
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaqEntry(Strict):
    id: str
    question: str
    answer: str  # Markdown, in the article's own words
    examples: list[str] = []  # ways people ask it (at least MIN_FAQ_EXAMPLES, checked on load)
    keywords: list[str] = []  # words, phrases and synonyms people use for this question
    source: str | None = None  # the Section id the answer comes from


class SmallTalk(Strict):
    """Greetings, thanks and the like: a short friendly reply, never an FAQ answer."""

    id: str
    phrases: list[str]
    reply: str


class RedFlag(Strict):
    id: str
    label: str  # what it is, for operators' counts
    # emergency: seek emergency care now; prompt: see a doctor promptly (SPEC.md, Health safety)
    level: Literal["emergency", "prompt"]
    phrases: list[str]  # how people say it; matched tolerant of case, plurals and small typos
