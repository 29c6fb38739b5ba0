"""Typed content: what the content folder holds once loaded and validated.

The files are written by operators (see content/README.md); the loader turns them into these
objects and refuses anything that does not fit. Nothing here does I/O.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PROGRAM_LENGTH = 30
MIN_FAQ_EXAMPLES = 15  # fewer and the matcher cannot learn how people really ask


class _Strict(BaseModel):
    # An unknown field in a content file is a typo until proven otherwise.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Section(_Strict):
    """One section of the source article, in the article's order (``order`` starts at 1)."""

    id: str
    order: int
    title: str
    body: str  # Markdown


class ProgramDay(_Strict):
    day: int = Field(ge=1, le=PROGRAM_LENGTH)
    title: str
    task: str  # Markdown: the one concrete thing to do today, taken from the protocol
    sections: list[str] = []  # Section ids to read today
    checkin_prompt: str


class FaqEntry(_Strict):
    id: str
    question: str
    answer: str  # Markdown, in the article's own words
    examples: list[str] = []  # ways people ask it (at least MIN_FAQ_EXAMPLES, checked on load)
    keywords: list[str] = []  # words, phrases and synonyms people use for this question
    source: str | None = None  # the Section id the answer comes from


class SmallTalk(_Strict):
    """Greetings, thanks and the like: a short friendly reply, never an FAQ answer."""

    id: str
    phrases: list[str]
    reply: str


class Band(_Strict):
    """A vitamin D band in ng/mL. ``None`` bounds are open-ended."""

    id: str
    label: str
    lower: float | None = None
    lower_inclusive: bool = True
    upper: float | None = None
    upper_inclusive: bool = False
    meaning: str  # what the article says about this band (Markdown)
    advice: str | None = None  # a safety message shown with results in this band (e.g. >100)

    def contains(self, value_ng_ml: float) -> bool:
        if self.lower is not None:
            if value_ng_ml < self.lower or (value_ng_ml == self.lower and not self.lower_inclusive):
                return False
        if self.upper is not None:
            if value_ng_ml > self.upper or (value_ng_ml == self.upper and not self.upper_inclusive):
                return False
        return True


class RedFlag(_Strict):
    id: str
    label: str  # what it is, for operators' counts
    phrases: list[str]  # how people say it; matched tolerant of case, plurals and small typos


class Safety(_Strict):
    disclaimer: str
    consent_prompt: str
    red_flags: list[RedFlag]
    urgent_reply: str
    severe_pain_reply: str  # three check-ins of 9-10 in a row
    completion: str  # after Day 30, before the personal summary
    retest_reminder: str  # 8-12 weeks after the first result


class Article(_Strict):
    """A broadcast article: ``content/articles/<slug>.md``."""

    slug: str
    title: str
    summary: str | None = None
    url: str | None = None
    body: str = ""  # Markdown, may be empty


class Content(_Strict):
    sections: list[Section]
    days: list[ProgramDay]
    faq: list[FaqEntry]
    smalltalk: list[SmallTalk] = []
    bands: list[Band]
    safety: Safety
    articles: dict[str, Article] = {}

    def day(self, number: int) -> ProgramDay:
        return self.days[number - 1]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def faq_entry(self, entry_id: str) -> FaqEntry | None:
        return next((e for e in self.faq if e.id == entry_id), None)
