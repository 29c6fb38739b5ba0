"""The operator's command-line tools, over the same services the bot uses."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import typer

from bot.clock import SystemClock
from bot.config import Settings
from bot.content.loader import ContentError, load_article
from bot.content.models import Content
from bot.content.program import article_markdown, preview_text, why_not_sendable
from bot.services import stats as stats_service
from bot.services.broadcasts import BroadcastService
from bot.services.context import Deps
from bot.services.export import ExportService
from bot.services.tracking import NotEnrolled
from bot.storage.db import create_engine, session_factory, upgrade

BAR_WIDTH = 30


@asynccontextmanager
async def _deps(settings: Settings, content: Content | None):
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        yield Deps(settings=settings, clock=SystemClock(), sessions=session_factory(engine), content=content)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def queue_broadcast(settings: Settings, content: Content, target: str, yes: bool) -> None:
    path = Path(target)
    if target.endswith(".md") or path.is_file():
        try:
            article = load_article(path)
        except (ContentError, OSError) as exc:
            typer.echo(f"{target}: {exc}", err=True)
            raise typer.Exit(1) from exc
    elif target in content.articles:
        article = content.articles[target]
    else:
        typer.echo(f"No article '{target}'. Available: {', '.join(sorted(content.articles)) or 'none'}", err=True)
        raise typer.Exit(1)
    refusal = why_not_sendable(article)
    if refusal is not None:
        typer.echo(f"Not queued: {refusal}", err=True)
        raise typer.Exit(1)
    async with _deps(settings, content) as deps:
        service = BroadcastService(deps)
        audience = await service.audience_size()
        typer.echo(preview_text(article_markdown(article)))
        typer.echo(f"\nAudience: {audience} active subscriber{'s' if audience != 1 else ''}.")
        if not yes and not typer.confirm("Queue this broadcast?", default=False):
            typer.echo("Nothing queued.")
            raise typer.Exit(1)
        created = await service.create(article, requested_by=None, status="queued")
        typer.echo(f"Queued broadcast #{created.id} ({article.slug}); the running bot will deliver it.")


async def broadcast_status(settings: Settings) -> None:
    async with _deps(settings, None) as deps:
        rows = await BroadcastService(deps).all_progress()
    if not rows:
        typer.echo("No broadcasts yet.")
        return
    for p in rows:
        total = p.recipients or 0
        share = p.done_count / total if total else (1.0 if p.status == "done" else 0.0)
        filled = round(share * BAR_WIDTH)
        typer.echo(
            f"#{p.id} {p.slug} [{p.status}] {'█' * filled}{'░' * (BAR_WIDTH - filled)} {share:4.0%} "
            f"{p.done_count}/{total} (sent {p.sent}, blocked {p.blocked}, failed {p.failed}, pending {p.pending})"
        )


async def print_stats(settings: Settings, content: Content) -> None:
    async with _deps(settings, content) as deps:
        typer.echo(stats_service.render(await stats_service.collect(deps)))


async def write_export(settings: Settings, content: Content, telegram_id: int, folder: Path) -> None:
    """For an operator answering a data request: the same files the subscriber's /export sends."""
    async with _deps(settings, content) as deps:
        try:
            files = await ExportService(deps).files(telegram_id)
        except NotEnrolled:
            typer.echo(f"Nothing is stored about Telegram user {telegram_id}.", err=True)
            raise typer.Exit(1) from None
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        path = folder / file.filename
        path.write_bytes(file.data)
        typer.echo(f"Wrote {path}")


async def print_questions(settings: Settings, limit: int) -> None:
    from bot.services.questions import question_groups, render_groups

    async with _deps(settings, None) as deps:
        async with deps.sessions() as session:
            groups = await question_groups(session, limit=limit)
    typer.echo(
        f"Unanswered and low-confidence questions, grouped by similarity ({len(groups)} groups; "
        "count, closest FAQ entry, up to three examples). Add good ones to that entry's examples "
        "in content/faq.yaml."
    )
    for line in render_groups(groups):
        typer.echo(line)
