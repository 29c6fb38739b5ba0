"""The services' shared dependencies, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.content.models import Content


@dataclass
class Deps:
    settings: Settings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    content: Content
