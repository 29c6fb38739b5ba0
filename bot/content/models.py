"""Typed content: what the content folder holds once loaded and validated.

The files are written by operators (see content/README.md); the loader turns them into these
objects and refuses anything that does not fit. Nothing here does I/O.
"""

from __future__ import annotations

from pydantic import Field

# The entries the pure rules read (the FAQ matcher, the red-flag detector) are defined in domain,
# which imports nothing of ours; the content is made of them all the same.
from bot.domain.entries import FaqEntry, RedFlag, SmallTalk
from bot.domain.entries import Strict as _Strict

PROGRAM_LENGTH = 30  # the days a content folder must have (SPEC.md); the bot asks `Content.program_length`
MIN_FAQ_EXAMPLES = 15  # fewer and the matcher cannot learn how people really ask


class Section(_Strict):
    """One section of the source article, in the article's order (``order`` starts at 1)."""

    id: str
    order: int
    title: str
    body: str  # Markdown


class Reread(_Strict):
    """A passage worth re-reading, word for word from a section, on a day without a reading."""

    section: str  # the Section id it comes from
    passage: str  # Markdown, exactly as in the section


class ProgramDay(_Strict):
    day: int = Field(ge=1, le=PROGRAM_LENGTH)
    title: str
    task: str  # Markdown: the one concrete thing to do today, taken from the protocol
    sections: list[str] = []  # Section ids to read today
    reread: Reread | None = None  # on a day without sections
    exercise: bool = False  # strengthening or posture work: the stop rule is shown
    checkin_prompt: str


class CheckinNotes(_Strict):
    """The personal line before a day's check-in prompt, from what the subscriber reported.
    ``rising`` and ``falling`` may use {first} and {last}: the scores the trend went between."""

    first: str
    missed_yesterday: str
    rising: str
    falling: str


class Band(_Strict):
    """A vitamin D band, with its edges in ng/mL and the nmol/L edges labs print for it.
    ``None`` bounds are open-ended; inclusiveness is the same in both units."""

    id: str
    label: str
    lower: float | None = None
    lower_inclusive: bool = True
    upper: float | None = None
    upper_inclusive: bool = False
    lower_nmol: float | None = None
    upper_nmol: float | None = None
    meaning: str  # what the article says about this band (Markdown)
    advice: str | None = None  # what to do with a result in this band; content check requires it

    def edges(self, unit: str = "ng/mL") -> tuple[float | None, float | None]:
        return (self.lower, self.upper) if unit == "ng/mL" else (self.lower_nmol, self.upper_nmol)

    def contains(self, value: float, unit: str = "ng/mL") -> bool:
        lower, upper = self.edges(unit)
        if lower is not None:
            if value < lower or (value == lower and not self.lower_inclusive):
                return False
        if upper is not None:
            if value > upper or (value == upper and not self.upper_inclusive):
                return False
        return True


class Safety(_Strict):
    disclaimer: str
    consent_prompt: str
    warning_signs: str  # the list of signs: once after consent, in /help, for "what if ...?"
    # Questions answered with ``warning_signs`` ("when should I see a doctor?"), matched like
    # red-flag phrases; they come before the FAQ.
    signs_questions: list[str] = []
    # Named groups of words that red-flag phrases use as {name}, e.g. every way to say "groin".
    red_flag_words: dict[str, list[str]] = {}
    red_flags: list[RedFlag]
    emergency_reply: str  # a red flag of level "emergency"
    prompt_reply: str  # a red flag of level "prompt"
    exercise_stop_rule: str  # under the task of every exercise day
    severe_pain_reply: str  # three check-ins of 9-10 in a row
    completion: str  # after Day 30, before the personal summary
    retest_reminder: str  # some weeks after the first result; no timeline is the article's

    def reply_for(self, flag: RedFlag) -> str:
        return self.emergency_reply if flag.level == "emergency" else self.prompt_reply


class Article(_Strict):
    """A broadcast article: ``content/articles/<slug>.md``."""

    slug: str
    title: str
    summary: str | None = None
    url: str | None = None
    body: str = ""  # Markdown, may be empty


class SignModelData(_Strict):
    """The red-flag classifier's weights (content/redflag_classifier.json), built by
    scripts/train_redflags.py from the training sets; see bot/domain/signclass.py."""

    trained_on: str  # digest of the training files and the feature code it was built from
    labels: list[str]  # "none", then red-flag ids
    vocabulary: list[str]
    word_weights: list[list[float]]
    embedding_weights: list[list[float]]
    bias: list[float]
    embedding_scale: float
    threshold: float = Field(gt=0, le=1)


class Content(_Strict):
    sections: list[Section]
    days: list[ProgramDay]
    checkin_notes: CheckinNotes | None = None
    faq: list[FaqEntry]
    smalltalk: list[SmallTalk] = []
    bands: list[Band]
    safety: Safety
    articles: dict[str, Article] = {}
    sign_model: SignModelData | None = None  # without it, red flags are found by the phrases alone

    @property
    def program_length(self) -> int:
        """How many days the program has: every "Day N of M", the schedule and the texts use it."""
        return len(self.days)

    def day(self, number: int) -> ProgramDay:
        return self.days[number - 1]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def faq_entry(self, entry_id: str) -> FaqEntry | None:
        return next((e for e in self.faq if e.id == entry_id), None)
