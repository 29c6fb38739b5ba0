"""/report: a one-page PDF a subscriber can hand to their clinician.

The data is gathered in one read-only session; the chart and the PDF are drawn in a thread (they
are slow and blocking, like /progress); a made report is counted, tied to nobody."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bot.content.models import Content, RedFlag
from bot.domain.calendar import local_date
from bot.domain.levels import classify
from bot.domain.progress import LevelPoint, PainPoint
from bot.domain.report import WeekRow, weekly_rows
from bot.services.chart import BandShade
from bot.services.context import Deps
from bot.services.progress_data import band_shades, load_points
from bot.services.tracking import NotEnrolled
from bot.storage.models import RedFlagEvent, ReportMade
from bot.storage.repositories import CheckIns, Results, Subscribers

# What the subscriber was told when a red flag was seen. The content has one reply today (seek
# care now); a flag's `level`, once the content names one, picks the matching wording.
LEVEL_LABELS = {
    "emergency": "Emergency: seek care now",
    "prompt": "See a doctor promptly",
    "soon": "See a doctor promptly",
}
DEFAULT_LEVEL = "Seek medical care now"


class NothingToReport(Exception):
    """Neither a check-in nor a result yet: there is nothing for a clinician to read."""


class UnprintableName(Exception):
    """The name asked for has characters the report's font cannot show (e.g. Chinese)."""

    def __init__(self, characters: str) -> None:
        super().__init__(characters)
        self.characters = characters


@dataclass(frozen=True)
class ResultRow:
    taken_on: date
    value: float  # as the lab reported it
    unit: str
    value_ng_ml: float
    band: str


@dataclass(frozen=True)
class NoteRow:
    day: date
    score: int
    note: str


@dataclass(frozen=True)
class RedFlagRow:
    day: date
    level: str
    sign: str  # the content's name for the sign, never the subscriber's words


@dataclass(frozen=True)
class ReportData:
    name: str | None
    made_on: date
    zone: str
    started_on: date | None
    completed_on: date | None
    program_day: int
    program_length: int
    status: str
    pain: list[PainPoint]
    levels: list[LevelPoint]
    bands: tuple[BandShade, ...]
    results: list[ResultRow]
    weeks: list[WeekRow]
    notes: list[NoteRow]  # oldest first
    red_flags: list[RedFlagRow]  # oldest first
    disclaimer: str  # plain text


@dataclass(frozen=True)
class Report:
    pdf: bytes
    filename: str
    name: str | None


class ReportService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def make(self, user_id: int, *, name: str | None = None, without_name: bool = False) -> Report:
        """The report, with ``name`` on it, or the Telegram first name, or no name at all."""
        from bot.services.report_pdf import render_report_pdf, unprintable  # fpdf2 loads only when needed

        data = await self.gather(user_id, name=name, without_name=without_name)
        if name and (missing := unprintable(name)):
            raise UnprintableName(missing)
        pdf = await asyncio.to_thread(render_report_pdf, data)
        async with self.deps.sessions.begin() as session:
            session.add(ReportMade(created_at=self.deps.clock.now()))
        return Report(pdf, f"vitamin-d-back-pain-report-{data.made_on.isoformat()}.pdf", data.name)

    async def gather(self, user_id: int, *, name: str | None = None, without_name: bool = False) -> ReportData:
        now = self.deps.clock.now()
        content = self.deps.content
        async with self.deps.sessions() as session:
            subscriber = await Subscribers(session).by_user(user_id)
            if subscriber is None or subscriber.consented_at is None:
                raise NotEnrolled
            pain, levels = await load_points(session, subscriber.id)
            if not pain and not levels:
                raise NothingToReport
            checkins = await CheckIns(session).for_subscriber(subscriber.id)
            results = await Results(session).for_subscriber(subscriber.id)
            events = (await session.execute(
                select(RedFlagEvent).where(RedFlagEvent.subscriber_id == subscriber.id).order_by(RedFlagEvent.created_at)
            )).scalars().all()
        zone = subscriber.timezone
        started = local_date(subscriber.consented_at, zone)
        flags = {flag.id: flag for flag in content.safety.red_flags}
        return ReportData(
            name=None if without_name else (name or _printable_name(subscriber.first_name)),
            made_on=local_date(now, zone),
            zone=zone,
            started_on=started,
            completed_on=local_date(subscriber.completed_at, zone) if subscriber.completed_at else None,
            program_day=subscriber.program_day,
            program_length=len(content.days),
            status=subscriber.status,
            pain=pain,
            levels=levels,
            bands=band_shades(content.bands),
            results=[_result_row(r.taken_on, r.original_value, r.original_unit, r.value_ng_ml, content) for r in results],
            weeks=weekly_rows(pain, started, started),
            notes=[NoteRow(c.local_date, c.score, " ".join(c.note.split())) for c in checkins if c.note and c.note.strip()],
            red_flags=[_flag_row(e.flag_id, flags.get(e.flag_id), local_date(e.created_at, zone)) for e in events],
            disclaimer=plain_text(content.safety.disclaimer),
        )


def _printable_name(first_name: str | None) -> str | None:
    """The Telegram first name without what the font cannot show; None if no letter is left."""
    from bot.services.report_pdf import unprintable

    name = first_name or ""
    for character in unprintable(name):
        name = name.replace(character, "")
    name = " ".join(name.split())
    return name if any(ch.isalpha() for ch in name) else None


def _result_row(taken_on: date, value: float, unit: str, value_ng_ml: float, content: Content) -> ResultRow:
    try:
        band = classify(value_ng_ml, content.bands).label
    except ValueError:  # a gap in the content's bands must not stop the report
        band = ""
    return ResultRow(taken_on, value, unit, value_ng_ml, band)


def _flag_row(flag_id: str, flag: RedFlag | None, day: date) -> RedFlagRow:
    level = getattr(flag, "level", None)
    return RedFlagRow(day, LEVEL_LABELS.get(str(level), DEFAULT_LEVEL), flag.label if flag else flag_id)


def plain_text(markdown: str) -> str:
    """Content Markdown as it reads on paper: no emphasis markers, one line."""
    text = re.sub(r"\*\*|__", "", markdown)
    text = re.sub(r"(?<!\w)_(\S[^_]*\S|\S)_(?!\w)", r"\1", text)
    return " ".join(text.split())
