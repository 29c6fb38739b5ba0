"""Free text from a subscriber: a red flag first (safety before everything), then the FAQ.

Red flags and unanswered questions are recorded for operators; for a red flag only which flag
and when, never the message itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.content.models import FaqEntry, RedFlag, SmallTalk
from bot.domain.matching import FaqMatcher
from bot.domain.redflags import RedFlagDetector
from bot.services.context import Deps
from bot.storage.models import RedFlagEvent, UnansweredQuestion
from bot.storage.repositories import Subscribers

MAX_STORED_QUESTION = 500


@dataclass(frozen=True)
class Reply:
    kind: Literal["red_flag", "answer", "smalltalk", "unsure"]
    red_flag: RedFlag | None = None
    entry: FaqEntry | None = None
    smalltalk: SmallTalk | None = None
    suggestions: tuple[FaqEntry, ...] = ()


class QuestionService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.matcher = FaqMatcher(deps.content.faq, deps.content.smalltalk)
        self.red_flags = RedFlagDetector(deps.content.safety.red_flags, deps.content.safety.red_flag_words)
        signs = RedFlag(id="signs-question", label="asks for the warning signs", level="prompt",
                        phrases=deps.content.safety.signs_questions)
        self.signs_questions = RedFlagDetector([signs] if signs.phrases else [], deps.content.safety.red_flag_words)

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
        if match.kind == "answer":
            return Reply("answer", entry=match.entry, suggestions=match.suggestions)
        if match.kind == "smalltalk":
            return Reply("smalltalk", smalltalk=match.smalltalk)
        question = text.strip()[:MAX_STORED_QUESTION]
        await self._store(user_id, lambda sid, now: UnansweredQuestion(subscriber_id=sid, text=question, created_at=now))
        return Reply("unsure", suggestions=match.suggestions or tuple(self.deps.content.faq[:3]))

    async def _store(self, user_id: int, make, anonymous: bool = False) -> None:
        now = self.deps.clock.now()
        async with self.deps.sessions.begin() as session:
            subscriber = await Subscribers(session).by_user(user_id)
            # Tied to a subscriber only after consent, so /forget finds and deletes it.
            if subscriber is not None and subscriber.consented_at is not None:
                session.add(make(subscriber.id, now))
            elif anonymous:
                session.add(make(None, now))
