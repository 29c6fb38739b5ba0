"""What a ledger row (`deliveries.item`) is for, as one typed value.

The stored keys are `day:N` (a program day), `completion`, `retest` and `broadcast:ID`; they are
parsed and written here and nowhere else. The strings never change: existing rows (and anyone
reading the table) rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    DAY = "day"
    COMPLETION = "completion"
    RETEST = "retest"
    BROADCAST = "broadcast"


_NUMBERED = (Kind.DAY, Kind.BROADCAST)


@dataclass(frozen=True, slots=True)
class Item:
    kind: Kind
    number: int | None = None  # the program day, or the broadcast's id

    def __post_init__(self) -> None:
        if (self.number is not None) != (self.kind in _NUMBERED):
            raise ValueError(f"a {self.kind} item {'needs' if self.kind in _NUMBERED else 'takes no'} number")

    @classmethod
    def day(cls, number: int) -> Item:
        return cls(Kind.DAY, number)

    @classmethod
    def broadcast(cls, broadcast_id: int) -> Item:
        return cls(Kind.BROADCAST, broadcast_id)

    @classmethod
    def parse(cls, key: str) -> Item:
        """The item a stored key names; ValueError for anything else."""
        name, separator, number = key.partition(":")
        kind = Kind(name)
        if not separator:
            return cls(kind)
        if not number.isdigit():
            raise ValueError(f"not an item key: {key!r}")
        return cls(kind, int(number))

    @property
    def program_day(self) -> int | None:
        """The day of a program-day item; None for every other kind."""
        return self.number if self.kind == Kind.DAY else None

    def __str__(self) -> str:
        return self.kind.value if self.number is None else f"{self.kind.value}:{self.number}"


COMPLETION = Item(Kind.COMPLETION)
RETEST = Item(Kind.RETEST)
