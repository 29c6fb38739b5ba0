"""What the services need from the outside world, as small interfaces.

Services decide *what* to send and record it; `bot.telegram.messenger` implements `Messenger` over
python-telegram-bot, so the services never import Telegram types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Button = tuple[str, str]  # (label, callback data), or (label, https:// URL) for a link button
Keyboard = Sequence[Sequence[Button]]


@dataclass(frozen=True)
class SendOutcome:
    """How a send ended. `retry` failures are tried again later; `blocked` stops all sends."""

    status: Literal["sent", "blocked", "failed"]
    message_id: int | None = None
    error: str | None = None
    retry: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "sent"


class Messenger(Protocol):
    async def send_markdown(
        self, chat_id: int, markdown: str, *, keyboard: Keyboard | None = None, bulk: bool = False
    ) -> SendOutcome:
        """Render Markdown for Telegram and send it (split if long; keyboard on the last piece).

        `bulk` sends (drip, broadcasts) share the configured rate limit; replies to a
        subscriber's own command do not wait behind them.
        """

    def bulk_in_flight(self) -> int:
        """How many bulk sends should be under way to keep the rate busy: the rate times the
        time a send takes to be answered, with room to spare (Little's law). More would only
        queue in the rate limiter and lengthen every turn of the event loop."""
