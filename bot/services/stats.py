"""How the program is doing, for operators: one snapshot, rendered for Telegram and the shell."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_, select

from bot.domain.levels import classify, plausible_ng_ml
from bot.services.broadcasts import BroadcastService, Progress
from bot.services.context import Deps
from bot.services.questions import QuestionGroup, question_groups, render_groups
from bot.storage.db import long_statements
from bot.storage.models import CheckIn, Delivery, RedFlagEvent, ReportMade, Subscriber, VitaminDResult


@dataclass(frozen=True)
class Stats:
    by_status: dict[str, int]
    by_day: dict[int, int]  # active or paused subscribers at each program day
    left_by_day: dict[int, int]  # stopped or blocked before completing, by the last day they got
    checkins_per_day: list[tuple[str, int]]  # the last 14 local dates with check-ins
    pain_first_week: float | None  # average over program days 1-7
    pain_latest_week: float | None  # average over the latest 7 days
    bands: dict[str, int]  # latest result of each subscriber, by band label
    top_unanswered: list[QuestionGroup]  # unanswered and low-confidence questions, grouped
    red_flags: dict[str, int]
    broadcasts: list[Progress]
    reports_made: int = 0  # /report PDFs, all time (counted anonymously, so /forget keeps them)
    parked: list[tuple[str, int]] = field(default_factory=list)  # deliveries given up after the last retry, by reason


async def collect(deps: Deps) -> Stats:
    with long_statements():  # aggregates over every subscriber's rows
        return await _collect(deps)


async def _collect(deps: Deps) -> Stats:
    now = deps.clock.now()
    async with deps.sessions() as session:
        async def rows(query):
            return (await session.execute(query)).all()

        by_status: Counter[str] = Counter()
        for status, blocked, n in await rows(
            select(Subscriber.status, Subscriber.blocked, func.count()).group_by(Subscriber.status, Subscriber.blocked)
        ):
            by_status["blocked" if blocked else status] += n
        by_day = dict(await rows(
            select(Subscriber.program_day, func.count())
            .where(Subscriber.status.in_(("active", "paused")), Subscriber.blocked.is_(False))
            .group_by(Subscriber.program_day).order_by(Subscriber.program_day)
        ))
        left_by_day = dict(await rows(
            select(Subscriber.program_day, func.count())
            .where(or_(Subscriber.status == "stopped", Subscriber.blocked.is_(True)), Subscriber.completed_at.is_(None))
            .group_by(Subscriber.program_day).order_by(Subscriber.program_day)
        ))
        per_day = await rows(
            select(CheckIn.local_date, func.count()).group_by(CheckIn.local_date)
            .order_by(CheckIn.local_date.desc()).limit(14)
        )
        first = (await session.execute(select(func.avg(CheckIn.score)).where(CheckIn.program_day.between(1, 7)))).scalar()
        since = (now - timedelta(days=7)).date()
        latest = (await session.execute(select(func.avg(CheckIn.score)).where(CheckIn.local_date > since))).scalar()
        latest_ids = select(func.max(VitaminDResult.id)).group_by(VitaminDResult.subscriber_id)
        values = (await session.execute(select(VitaminDResult.value_ng_ml).where(VitaminDResult.id.in_(latest_ids)))).scalars()
        bands = Counter(classify(v, deps.content.bands).label for v in values if plausible_ng_ml(v))
        unanswered = await question_groups(session, limit=5)
        red_flags = dict(await rows(select(RedFlagEvent.flag_id, func.count()).group_by(RedFlagEvent.flag_id)))
        reports_made = (await session.execute(select(func.count()).select_from(ReportMade))).scalar_one()
        parked = await rows(
            select(Delivery.error, func.count()).where(Delivery.status == "parked")
            .group_by(Delivery.error).order_by(func.count().desc()).limit(5)
        )
    in_flight = await BroadcastService(deps).all_progress(limit=50, in_flight=True)
    return Stats(
        dict(by_status), by_day, left_by_day, [(d.isoformat(), n) for d, n in reversed(per_day)],
        _round(first), _round(latest), dict(bands), unanswered, red_flags, in_flight,
        reports_made, [(reason or "unknown", n) for reason, n in parked],
    )


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


def render(stats: Stats) -> str:
    """Plain text that reads well in Telegram and in a terminal."""
    def pairs(d) -> str:
        return ", ".join(f"{k}: {v}" for k, v in d.items()) or "none"

    lines = [
        "Subscribers by status: " + pairs(stats.by_status),
        "Active/paused by program day: " + pairs({f"day {k}": v for k, v in stats.by_day.items()}),
        "Left (stopped or blocked) at program day: " + pairs({f"day {k}": v for k, v in stats.left_by_day.items()}),
        "Check-ins per day (latest 14 days): " + (", ".join(f"{d}: {n}" for d, n in stats.checkins_per_day) or "none"),
        "Average pain, program days 1-7: " + _fmt(stats.pain_first_week) + "; latest 7 days: " + _fmt(stats.pain_latest_week),
        "Latest vitamin D result per subscriber, by band: " + pairs(stats.bands),
        "Red flags: " + (pairs(stats.red_flags) + f" (total {sum(stats.red_flags.values())})" if stats.red_flags else "none"),
        f"Reports made (/report): {stats.reports_made}",
        "Unanswered and low-confidence questions, grouped (vitd-bot questions shows more):",
    ]
    lines += render_groups(stats.top_unanswered)
    lines.append("Broadcasts in flight:")
    lines += [
        f"  #{p.id} {p.slug} [{p.status}]: {p.done_count}/{p.recipients} ({p.sent} sent, {p.blocked} blocked, {p.failed} failed)"
        for p in stats.broadcasts
    ] or ["  none"]
    lines.append(f"Parked deliveries (given up after retries): {sum(n for _, n in stats.parked)}")
    lines += [f"  {n}× {reason[:120]}" for reason, n in stats.parked]
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"
