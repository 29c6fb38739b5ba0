"""Who is in the demo: a few subscribers living in different zones, and one operator.

The zone and time are suggestions shown on the page (each person still enrols through the bot's
own buttons); ``quick enrol`` answers with them as typed text, like a subscriber would.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    zone: str  # what they would type when asked for a time zone
    time: str  # and for a delivery time
    operator: bool = False

    @property
    def about(self) -> str:
        role = "operator" if self.operator else "subscriber"
        return f"{role} · {self.zone} · {self.time}"


OPERATOR_ID = 700001
PEOPLE: tuple[Person, ...] = (
    Person(100001, "Anna", "Europe/Berlin", "07:30"),
    Person(100002, "Ben", "America/New_York", "08:00"),
    Person(100003, "Chiara", "Asia/Tokyo", "06:30"),
    Person(OPERATOR_ID, "Olga", "Europe/London", "09:00", operator=True),
)


def person(user_id: int) -> Person | None:
    return next((p for p in PEOPLE if p.user_id == user_id), None)
