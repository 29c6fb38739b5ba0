"""The subscriber state machine: what each state allows, and what /start does in it."""

import pytest

from bot.domain.state import Action, StartOutcome, Status, Step, allowed, enrolment_step, may, start_outcome


def test_the_stored_strings_are_the_values():
    assert [s.value for s in Status] == ["enrolling", "active", "paused", "stopped", "completed"]
    assert [s.value for s in Step] == ["consent", "timezone", "time"]
    assert Status("paused") is Status.PAUSED and Status.ACTIVE == "active"


@pytest.mark.parametrize(
    ("awaiting", "step", "outcome"),
    [
        ("consent", Step.CONSENT, StartOutcome.ASK_CONSENT),
        ("timezone", Step.TIMEZONE, StartOutcome.ASK_TIMEZONE),
        ("time", Step.TIME, StartOutcome.ASK_TIME),
        (None, Step.CONSENT, StartOutcome.ASK_CONSENT),  # no step stored: start again at consent
        ("garbage", Step.CONSENT, StartOutcome.ASK_CONSENT),
    ],
)
def test_enrolment_continues_at_its_step(awaiting, step, outcome):
    assert enrolment_step("enrolling", awaiting) == step
    assert start_outcome("enrolling", awaiting) == outcome


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("active", StartOutcome.ACTIVE),
        ("paused", StartOutcome.PAUSED),
        ("completed", StartOutcome.COMPLETED),
        ("stopped", StartOutcome.RESUMED),
    ],
)
def test_start_after_enrolment(status, outcome):
    # A bare /timezone or /time leaves a step in `awaiting` outside enrolment: it is no enrolment.
    for awaiting in (None, "timezone", "time"):
        assert enrolment_step(status, awaiting) is None
        assert start_outcome(status, awaiting) == outcome


def test_pause_only_when_active_and_resume_only_when_paused():
    assert [s for s in Status if may(s, None, Action.PAUSE)] == [Status.ACTIVE]
    assert [s for s in Status if may(s, None, Action.RESUME)] == [Status.PAUSED]


def test_stop_from_everywhere_but_stopped():
    assert [s for s in Status if may(s, "consent", Action.STOP)] == [
        Status.ENROLLING, Status.ACTIVE, Status.PAUSED, Status.COMPLETED,
    ]


def test_enrolment_answers_come_in_order():
    assert allowed("enrolling", "consent") == {Action.CONSENT, Action.STOP}
    assert allowed("enrolling", "timezone") == {Action.SET_TIMEZONE, Action.STOP}
    # While the time is asked, the zone may still be corrected.
    assert allowed("enrolling", "time") == {Action.SET_TIMEZONE, Action.SET_TIME, Action.STOP}
    assert not may("enrolling", "consent", Action.SET_TIMEZONE)
    assert not may("enrolling", "timezone", Action.SET_TIME)


def test_settings_any_time_after_enrolment():
    for status in ("active", "paused", "completed", "stopped"):
        assert may(status, None, Action.SET_TIMEZONE) and may(status, None, Action.SET_TIME)
        assert not may(status, None, Action.CONSENT)


def test_an_unknown_status_allows_nothing():
    assert allowed("archived", None) == frozenset()
    assert start_outcome("archived", None) == StartOutcome.ACTIVE
