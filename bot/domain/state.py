"""A subscriber's state: their status, the enrolment step (``awaiting``) and what they may do next.

The values are the strings stored in ``subscribers.status`` and ``subscribers.awaiting`` (a
``StrEnum`` compares equal to its string, so rows written before these types exist read the same).
``awaiting`` names the typed answer the bot waits for: during enrolment the next question, and
outside it a time zone or a time asked for by a bare ``/timezone`` or ``/time``.

    enrolling(consent) -> enrolling(timezone) -> enrolling(time) -> active
    active <-> paused;  active -> completed (after Day 30);  any -> stopped;  stopped -> /start
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    ENROLLING = "enrolling"
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"
    COMPLETED = "completed"


class Step(StrEnum):
    """The typed answer the bot waits for."""

    CONSENT = "consent"
    TIMEZONE = "timezone"
    TIME = "time"


class Action(StrEnum):
    """What a subscriber asks for that depends on their state."""

    CONSENT = "consent"
    SET_TIMEZONE = "set_timezone"
    SET_TIME = "set_time"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


class StartOutcome(StrEnum):
    """What ``/start`` does for a subscriber in a given state."""

    ASK_CONSENT = "ask_consent"
    ASK_TIMEZONE = "ask_timezone"
    ASK_TIME = "ask_time"
    ACTIVE = "active"
    PAUSED = "paused"
    RESUMED = "resumed"
    COMPLETED = "completed"


_ASK = {Step.CONSENT: StartOutcome.ASK_CONSENT, Step.TIMEZONE: StartOutcome.ASK_TIMEZONE, Step.TIME: StartOutcome.ASK_TIME}

_STATUS_ALLOWS: dict[Status, frozenset[Action]] = {
    Status.ACTIVE: frozenset({Action.SET_TIMEZONE, Action.SET_TIME, Action.PAUSE, Action.STOP}),
    Status.PAUSED: frozenset({Action.SET_TIMEZONE, Action.SET_TIME, Action.RESUME, Action.STOP}),
    Status.COMPLETED: frozenset({Action.SET_TIMEZONE, Action.SET_TIME, Action.STOP}),
    Status.STOPPED: frozenset({Action.SET_TIMEZONE, Action.SET_TIME}),
}
_STEP_ALLOWS: dict[Step, frozenset[Action]] = {
    Step.CONSENT: frozenset({Action.CONSENT, Action.STOP}),
    Step.TIMEZONE: frozenset({Action.SET_TIMEZONE, Action.STOP}),
    Step.TIME: frozenset({Action.SET_TIMEZONE, Action.SET_TIME, Action.STOP}),
}


def enrolment_step(status: str, awaiting: str | None) -> Step | None:
    """The enrolment question still to answer; None once enrolled. A row enrolling without a
    step (never written by this code) starts again at consent."""
    if status != Status.ENROLLING:
        return None
    return Step(awaiting) if awaiting is not None and awaiting in Step._value2member_map_ else Step.CONSENT


def allowed(status: str, awaiting: str | None) -> frozenset[Action]:
    """What a subscriber in this state may do next. During enrolment only the current question
    (a time zone may be corrected while the time is asked) and stopping; afterwards the settings
    any time, pause only when active, resume only when paused."""
    step = enrolment_step(status, awaiting)
    if step is not None:
        return _STEP_ALLOWS[step]
    known = status in Status._value2member_map_
    return _STATUS_ALLOWS.get(Status(status), frozenset()) if known else frozenset()


def may(status: str, awaiting: str | None, action: Action) -> bool:
    return action in allowed(status, awaiting)


def start_outcome(status: str, awaiting: str | None) -> StartOutcome:
    """What ``/start`` does for an existing subscriber (``stopped`` comes back: RESUMED)."""
    step = enrolment_step(status, awaiting)
    if step is not None:
        return _ASK[step]
    if status == Status.STOPPED:
        return StartOutcome.RESUMED
    # An unknown status (none is written; the database refuses them) is treated as enrolled.
    return StartOutcome(status) if status in StartOutcome._value2member_map_ else StartOutcome.ACTIVE
