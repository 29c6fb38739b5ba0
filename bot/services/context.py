"""The services' shared dependencies, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.content.models import Content
from bot.storage.db import Sessions


@dataclass
class Deps:
    settings: Settings
    clock: Clock
    sessions: Sessions
    content: Content
