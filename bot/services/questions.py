"""Free text from a subscriber: a red flag first (safety before everything), then the FAQ.

Red flags, unanswered and low-confidence questions are recorded for operators; for a red flag only
which flag and when, never the message itself. Questions are kept (the consent text says so) so
that operators can read what people really ask, grouped by similarity (`/stats`,
`vitd-bot questions`), and add it to the FAQ's example questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import FaqEntry, RedFlag, SmallTalk
from bot.content.readers import readers_of
from bot.domain.calendar import local_date
from bot.domain.text import fold
from bot.services.context import Deps
from bot.storage.models import RedFlagEvent, UnansweredQuestion
from bot.storage.repositories import CheckIns, Subscribers

MAX_STORED_QUESTION = 500
LOW_CONFIDENCE = 0.65  # an answer below this similarity is shown to operators as well
SAME_GROUP = 75  # rapidfuzz token_set_ratio above which two questions are one group
GROUPED_LATEST = 1000  # how many recent questions the grouping reads


@dataclass(frozen=True)
class Reply:
    kind: Literal["red_flag", "answer", "referral", "smalltalk", "unsure"]
    red_flag: RedFlag | None = None
    entry: FaqEntry | None = None
    smalltalk: SmallTalk | None = None
    suggestions: tuple[FaqEntry, ...] = ()
    referral: str | None = None


@dataclass
class QuestionGroup:
    count: int
    examples: list[str] = field(default_factory=list)
    closest: str | None = None
    low_confidence: int = 0  # of ``count``, how many got an answer all the same


class QuestionService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.matcher, self.red_flags, self.signs_questions = readers_of(deps.content)

    def red_flag_in(self, text: str) -> RedFlag | None:
        return self.red_flags.detect(text)

    def sign_asked_about(self, text: str) -> RedFlag | None:
        """A red-flag sign asked about, not reported ("what if I can't pee?"), or a question
        for the warning signs themselves ("when should I see a doctor?")."""
        return (
            self.red_flags.mention(text) or self.signs_questions.detect(text) or self.signs_questions.mention(text)
        )

    async def check_note(self, user_id: int, text: str | None) -> RedFlag | None:
        """A note on /pain or /level: a red flag in it is counted and returned."""
        flag = self.red_flag_in(text) if text else None
        if flag is not None:
            await self.record_red_flag(user_id, flag)
        return flag

    async def record_red_flag(self, user_id: int, flag: RedFlag) -> None:
        # Counted even for someone not enrolled: only the flag and the time, tied to nobody.
        await self._store(
            user_id, lambda sid, now: RedFlagEvent(subscriber_id=sid, flag_id=flag.id, created_at=now), anonymous=True
        )

    async def ask(self, user_id: int, text: str) -> Reply:
        flag = self.red_flag_in(text)
        if flag is not None:
            await self.record_red_flag(user_id, flag)
            return Reply("red_flag", red_flag=flag)
        match = self.matcher.match(text)
        question = text.strip()[:MAX_STORED_QUESTION]
        if match.kind == "answer" and match.entry is not None:
            if match.score < LOW_CONFIDENCE:
                await self._keep(user_id, question, "low_confidence", match.entry.id)
            return Reply("answer", entry=match.entry, suggestions=match.suggestions)
        if match.kind == "referral":
            return Reply("referral", referral=match.referral)
        if match.kind == "smalltalk":
            return Reply("smalltalk", smalltalk=match.smalltalk)
        suggestions = match.suggestions or tuple(self.deps.content.faq[:3])
        await self._keep(user_id, question, "unanswered", suggestions[0].id if suggestions else None)
        return Reply("unsure", suggestions=suggestions)

    async def awaits_pain_score(self, user_id: int) -> bool:
        """Did today's program message (with its check-in prompt) arrive, with no check-in yet?"""
        async with self.deps.sessions() as session:
            subscriber = await Subscribers(session).by_user(user_id)
            if subscriber is None or subscriber.consented_at is None:
                return False
            today: date = local_date(self.deps.clock.now(), subscriber.timezone)
            if subscriber.last_delivered_local_date != today:
                return False
            return await CheckIns(session).on(subscriber.id, today) is None

    async def _keep(self, user_id: int, question: str, kind: str, closest: str | None) -> None:
        await self._store(
            user_id,
            lambda sid, now: UnansweredQuestion(
                subscriber_id=sid, text=question, created_at=now, kind=kind, closest_entry=closest
            ),
        )

    async def _store(self, user_id: int, make, anonymous: bool = False) -> None:
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            subscriber = await Subscribers(session).by_user(user_id)
            # Tied to a subscriber only after consent, so /forget finds and deletes it.
            if subscriber is not None and subscriber.consented_at is not None:
                session.add(make(subscriber.id, now))
            elif anonymous:
                session.add(make(None, now))


async def question_groups(session: AsyncSession, limit: int = 10) -> list[QuestionGroup]:
    """Unanswered and low-confidence questions, similar ones together, biggest group first."""
    rows = (await session.execute(
        select(UnansweredQuestion.text, UnansweredQuestion.kind, UnansweredQuestion.closest_entry)
        .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
        .limit(GROUPED_LATEST)
    )).all()
    return group_questions([(text, kind, closest) for text, kind, closest in rows])[:limit]


def group_questions(rows: list[tuple[str, str, str | None]]) -> list[QuestionGroup]:
    """Greedy grouping: a question joins the first group whose first question reads alike."""
    groups: list[tuple[str, QuestionGroup]] = []
    for text, kind, closest in rows:
        folded = " ".join(fold(text).split())
        group = next((g for key, g in groups if folded == key or fuzz.token_set_ratio(folded, key) >= SAME_GROUP), None)
        if group is None:
            group = QuestionGroup(0, closest=closest)
            groups.append((folded, group))
        group.count += 1
        group.low_confidence += kind == "low_confidence"
        if len(group.examples) < 3 and folded not in {" ".join(fold(e).split()) for e in group.examples}:
            group.examples.append(text)
    return sorted((group for _, group in groups), key=lambda g: -g.count)


def render_groups(groups: list[QuestionGroup]) -> list[str]:
    """Plain-text lines for /stats and `vitd-bot questions`."""
    lines = []
    for group in groups:
        shown = " | ".join(example[:80] for example in group.examples)
        notes = [f"closest FAQ: {group.closest}"] if group.closest else []
        if group.low_confidence:
            notes.append(f"{group.low_confidence} answered with low confidence")
        lines.append(f"  {group.count}× {shown}" + (f" ({'; '.join(notes)})" if notes else ""))
    return lines or ["  none"]
