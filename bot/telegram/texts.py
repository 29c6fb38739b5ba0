"""Replies that more than one handler (or a handler and a job) sends."""

from __future__ import annotations

from bot.content.program import plain
from bot.services.broadcasts import Progress

UNKNOWN_COMMAND = "Sorry, I don't know that command. /help shows what I can do."


def not_enrolled(program_length: int) -> str:
    return f"You're not enrolled yet. Send /start to begin the {program_length}-day program."


def summary_text(progress: Progress) -> str:
    """To the operator who started a broadcast, once it is done."""
    skipped = f", {progress.skipped} unsubscribed meanwhile" if progress.skipped else ""
    return (
        f"Broadcast #{progress.id} **{plain(progress.title)}** is done: {progress.sent} sent, "
        f"{progress.blocked} blocked, {progress.failed} failed{skipped} (of {progress.recipients})."
    )
