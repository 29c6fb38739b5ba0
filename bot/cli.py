"""The `vitd-bot` command: run the bot, and the operators' tools on the same database."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import NoReturn

import typer

from bot.config import ConfigError, Settings, load_settings

# Pretty exceptions print every local variable of every frame: the settings, and so the token.
app = typer.Typer(
    help="The 30-day vitamin D and back pain program, as a Telegram bot.", no_args_is_help=True,
    add_completion=False, pretty_exceptions_enable=False, pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
content_app = typer.Typer(help="The content folder.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable; keeps type checkers calm


def _content(settings: Settings, *, readers: bool = False):
    """The content folder, or exit 1 saying what is wrong. `readers`: also build the FAQ matcher
    and the red-flag detectors (the bot does; the operators' commands answer nobody)."""
    from bot.content.loader import ContentError, load_content

    try:
        return load_content(settings.content_dir, readers=readers)
    except ContentError as exc:
        _fail(f"The content folder {settings.content_dir} has problems; the bot will not start:\n{exc}")


@app.command()
def run() -> None:
    """Start the bot (long polling, or a webhook server with BOT_MODE=webhook)."""
    from telegram.error import InvalidToken

    from bot.logs import setup_logging
    from bot.telegram.runner import run_bot

    settings = _settings()
    try:
        token = settings.token
    except ConfigError as exc:
        _fail(str(exc))
    setup_logging(settings.log_format, settings.log_level, token)
    content = _content(settings, readers=True)
    try:
        run_bot(settings, content)
    except InvalidToken:  # its message quotes the token
        _fail("Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather.")
    except Exception as exc:  # noqa: BLE001 - tracebacks quote URLs, and Bot API URLs hold the token
        logging.getLogger("bot").critical("the bot stopped: %s", type(exc).__name__, exc_info=exc)
        raise typer.Exit(1) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations."""
    from bot.storage.db import upgrade_sync

    settings = _settings()
    upgrade_sync(settings.database_url)
    typer.echo("Database is up to date.")


@content_app.command("check")
def content_check(folder: Path | None = typer.Argument(None, help="defaults to CONTENT_DIR")) -> None:
    """Validate the content folder; print every problem and exit 1 if there is any (warnings
    are printed and do not fail)."""
    from bot.content.loader import check_content

    folder = folder or _settings().content_dir
    problems = check_content(folder)
    for problem in problems:
        typer.echo(str(problem))
    failing = [p for p in problems if p.fails_check]
    if failing:
        _fail(f"{len(failing)} problem{'s' if len(failing) != 1 else ''} in {folder}")
    warnings = len(problems) - len(failing)
    typer.echo(f"{folder}: content is valid" + (f" ({warnings} warning{'s' if warnings != 1 else ''})." if warnings else "."))


@app.command()
def preview(
    day: int | None = typer.Option(None, "--day", help="the program day to show, from 1"),
    all_days: bool = typer.Option(False, "--all", help="the whole program"),
) -> None:
    """Print exactly what a subscriber receives on a day (or on every day)."""
    from bot.content.program import day_markdown, preview_text

    content = _content(_settings())
    if all_days:
        typer.echo("\n\n---\n\n".join(preview_text(day_markdown(content, d.day)) for d in content.days))
    elif day is not None:
        if not 1 <= day <= len(content.days):
            _fail(f"--day must be between 1 and {len(content.days)}")
        typer.echo(preview_text(day_markdown(content, day)))
    else:
        _fail("Say which: --day N or --all")


@app.command()
def broadcast(
    target: str | None = typer.Argument(None, help="an article slug, or the path to a .md file"),
    yes: bool = typer.Option(False, "--yes", "-y", help="queue without asking"),
    status: bool = typer.Option(False, "--status", help="show the progress of recent broadcasts"),
) -> None:
    """Queue an article for broadcast; the running bot delivers it."""
    from bot.cli_operator import broadcast_status, queue_broadcast

    settings = _settings()
    if status:
        asyncio.run(broadcast_status(settings))
        return
    if not target:
        _fail("Give an article slug or a path to a .md file (or --status).")
    asyncio.run(queue_broadcast(settings, _content(settings), target, yes))


@app.command()
def stats() -> None:
    """How the program is doing: subscribers, drop-off, check-ins, pain, results, questions."""
    from bot.cli_operator import print_stats

    settings = _settings()
    asyncio.run(print_stats(settings, _content(settings)))


@app.command()
def export(
    telegram_id: int = typer.Argument(..., help="the subscriber's Telegram user id"),
    out: Path | None = typer.Option(None, "--out", help="folder to write to (default: ./export-<telegram id>)"),
) -> None:
    """Write a subscriber's data (checkins.csv, results.csv, all-data.csv), as /export sends it."""
    from bot.cli_operator import write_export

    settings = _settings()
    asyncio.run(write_export(settings, _content(settings), telegram_id, out or Path(f"export-{telegram_id}")))


@app.command()
def demo(
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="the page's port on 127.0.0.1 (0: any free port)"),
) -> None:
    """Try the bot without Telegram: a chat page with a time machine at http://127.0.0.1:PORT/."""
    from bot.demo.app import serve_demo
    from bot.logs import setup_logging

    settings = _settings()
    setup_logging(settings.log_format, os.environ.get("LOG_LEVEL", "WARNING"), None)
    try:
        asyncio.run(serve_demo(port, announce=lambda line: typer.echo(line)))
    except ConfigError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"The demo could not start on 127.0.0.1:{port}: {exc.strerror or exc}. Try --port with another number.")


@app.command()
def questions(limit: int = typer.Option(30, "--limit", "-n", help="how many groups to show")) -> None:
    """Unanswered and low-confidence questions, grouped by similarity, with the closest FAQ entry."""
    from bot.cli_operator import print_questions

    asyncio.run(print_questions(_settings(), limit))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
