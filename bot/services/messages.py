"""The scheduled messages a subscriber receives: program days, the completion message, the
retest reminder. Text comes from content; the personal summaries from the progress module."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import Content
from bot.content.program import day_markdown
from bot.domain.calendar import local_date
from bot.domain.checkin_trend import checkin_situation
from bot.domain.items import COMPLETION, RETEST, Item
from bot.domain.progress import completion_summary_markdown, weekly_summary_markdown
from bot.services.ports import Keyboard
from bot.services.progress_data import load_points
from bot.storage.models import Subscriber
from bot.storage.repositories import CheckIns

WEEKLY_SUMMARY_DAYS = {7: 1, 14: 2, 21: 3, 28: 4}
CHECKINS = "prefetched check-ins"  # session.info key: subscriber id -> [(local date, score)]
DAY_TEXTS = 4096  # distinct (day, note) texts kept; notes vary with the scores they quote


class _DayTexts:
    """Each day's Markdown built once per content version (a new `Content` object) and check-in
    note, not once per subscriber: a drip sends the same few texts to thousands, and the same
    string object lets the messenger's render cache find it without comparing it char by char."""

    def __init__(self) -> None:
        self.content: Content | None = None
        self.texts: dict[tuple[int, str | None], str] = {}

    def get(self, content: Content, day: int, note: str | None) -> str:
        if content is not self.content or len(self.texts) >= DAY_TEXTS:
            self.content, self.texts = content, {}
        text = self.texts.get((day, note))
        if text is None:
            text = self.texts[(day, note)] = day_markdown(content, day, checkin_note=note)
        return text


_day_texts = _DayTexts()


# Tuples: one immutable keyboard, which the messenger turns into Telegram's markup once.
_PAIN_KEYBOARD: Keyboard = (
    tuple((str(n), f"pain:{n}") for n in range(0, 6)),
    tuple((str(n), f"pain:{n}") for n in range(6, 11)),
)


def pain_keyboard() -> Keyboard:
    """0-10 under each day's message; pressing a number is a check-in, like /pain."""
    return _PAIN_KEYBOARD


async def build_item(
    session: AsyncSession, content: Content, subscriber: Subscriber, item: str, now
) -> tuple[str, Keyboard | None]:
    parsed = Item.parse(item)
    if (day := parsed.program_day) is not None:
        note = await checkin_note(session, content, subscriber, local_date(now, subscriber.timezone))
        markdown = _day_texts.get(content, day, note)
        if day in WEEKLY_SUMMARY_DAYS:
            pain, levels = await load_points(session, subscriber.id)
            summary = weekly_summary_markdown(
                pain, levels, week=WEEKLY_SUMMARY_DAYS[day], today=local_date(now, subscriber.timezone)
            )
            markdown = f"{markdown}\n\n{summary}"
        return markdown, pain_keyboard()
    if parsed == COMPLETION:
        pain, levels = await load_points(session, subscriber.id)
        report = "For your next appointment, /report makes a one-page PDF of all this for your clinician."
        summary = completion_summary_markdown(pain, levels, content.program_length)
        return f"{content.safety.completion}\n\n{summary}\n\n{report}", None
    if parsed == RETEST:
        return content.safety.retest_reminder, None
    raise ValueError(f"unknown item {item!r}")


async def checkin_note(session: AsyncSession, content: Content, subscriber: Subscriber, today) -> str | None:
    """The subscriber's own line before the day's check-in prompt, from what they reported."""
    if content.checkin_notes is None:
        return None
    prefetched = session.info.get(CHECKINS)
    if prefetched is not None:
        checkins = prefetched.get(subscriber.id, [])
    else:
        checkins = [(c.local_date, c.score) for c in await CheckIns(session).for_subscriber(subscriber.id)]
    situation = checkin_situation(checkins, today)
    if situation is None:
        return None
    text = getattr(content.checkin_notes, situation.kind)
    return text.format(first=situation.first, last=situation.last) if situation.first is not None else text


async def prefetch_checkins(session: AsyncSession, content: Content, subscriber_ids: Sequence[int]) -> None:
    """Read the check-ins of a whole batch in one query, for the notes of its days (`build_item`
    in this session uses them instead of a query per subscriber)."""
    if content.checkin_notes is not None and subscriber_ids:
        session.info[CHECKINS] = await CheckIns(session).scores_of(subscriber_ids)
