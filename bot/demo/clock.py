"""The demo's clock: real time plus however far the time machine has jumped ahead.

Time keeps flowing between jumps, so messages get real timestamps; it never goes backwards, because
nothing in production ever sees that either.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ShiftedClock:
    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def jump_to(self, instant: datetime) -> datetime:
        """Move to ``instant`` (aware), or stay put if that is not in the future."""
        if instant.tzinfo is None:
            raise ValueError("jump_to needs an aware datetime")
        self._offset += max(instant - self.now(), timedelta(0))
        return self.now()
