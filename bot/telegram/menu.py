"""The commands as people see them: name, usage and description for /help and Telegram's menu.
Data only, apart from the callbacks (bot/telegram/commands.py pairs each name with its handler),
so /help can list them without importing the handlers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandInfo:
    name: str
    usage: str  # as shown in /help
    description: str
    operator: bool = False


MENU: tuple[CommandInfo, ...] = (
    CommandInfo("start", "/start", "enrol, or pick up where you left off"),
    CommandInfo("today", "/today", "today's program material again"),
    CommandInfo("pain", "/pain 6 [note] [yesterday]", "how your back feels, 0-10"),
    CommandInfo("level", "/level 24 ng/mL or /level 60 nmol/L [date]", "add a vitamin D blood result"),
    CommandInfo("progress", "/progress", "your chart and summary"),
    CommandInfo("history", "/history", "your check-ins and results"),
    CommandInfo("faq", "/faq", "questions I can answer"),
    CommandInfo("timezone", "/timezone Europe/Berlin", "change your time zone"),
    CommandInfo("time", "/time 07:30", "change your delivery time"),
    CommandInfo("pause", "/pause", "pause daily messages"),
    CommandInfo("resume", "/resume", "continue where you paused"),
    CommandInfo("report", "/report [name]", "a one-page PDF for your clinician"),
    CommandInfo("export", "/export", "download your data (CSV)"),
    CommandInfo("forget", "/forget", "delete all your data"),
    CommandInfo("stop", "/stop", "unsubscribe"),
    CommandInfo("help", "/help", "what I do, and the disclaimer"),
    CommandInfo("broadcast", "/broadcast <slug>", "preview and send an article", operator=True),
    CommandInfo("stats", "/stats", "how the program is doing", operator=True),
)


def help_lines(operator: bool) -> list[str]:
    # "<slug>" would be read as an HTML tag and vanish: such usages are shown as code.
    return [
        f"{f'`{c.usage}`' if '<' in c.usage else c.usage} — {c.description}"
        for c in MENU if operator or not c.operator
    ]
