"""Failure injection for the fake Bot API: scripted errors, requests that never get an answer,
and Telegram's flood control (a sliding one-second window, not an average)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class FailRule:
    method: str  # lower-case Bot API method name
    status: int
    description: str
    retry_after: int | None
    chat_id: int | None
    remaining: int

    @classmethod
    def build(
        cls,
        method: str,
        status: int,
        description: str | None,
        retry_after: int | None,
        chat_id: int | None,
        count: int,
    ) -> FailRule:
        if count < 1:
            raise ValueError("count must be at least 1")
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after or 1}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, "Error")
        if status == 429 and retry_after is None:
            retry_after = 1
        return cls(method.lower(), status, description, retry_after, chat_id, count)

    def matches(self, method: str, chat_id: int | None) -> bool:
        return self.method == method and (self.chat_id is None or self.chat_id == chat_id)


@dataclass
class HangRule:
    method: str
    chat_id: int | None
    record: bool  # True: the message is delivered, only the answer never comes

    def matches(self, method: str, chat_id: int | None) -> bool:
        return self.method == method and (self.chat_id is None or self.chat_id == chat_id)


@dataclass(frozen=True)
class HungRequest:
    method: str
    chat_id: int | None
    recorded_message_id: int | None


def take_rule(rules: list, method: str, chat_id: int | None):
    """The first rule for this request, consumed (FailRule counts down), or None."""
    for rule in rules:
        if rule.matches(method, chat_id):
            if isinstance(rule, FailRule):
                rule.remaining -= 1
                if rule.remaining == 0:
                    rules.remove(rule)
            else:
                rules.remove(rule)
            return rule
    return None


class SlidingWindow:
    """Counts arrivals in the last ``seconds``; every arrival counts, refused or not."""

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds
        self._arrivals: deque[float] = deque()

    def arrive(self, now: float) -> int:
        """Record an arrival at ``now``; return how many arrived in the window ending now."""
        self._arrivals.append(now)
        while self._arrivals and self._arrivals[0] <= now - self.seconds:
            self._arrivals.popleft()
        return len(self._arrivals)


def max_in_any_window(times: list[float], seconds: float) -> int:
    """The largest number of ``times`` inside any half-open window of length ``seconds``."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best
