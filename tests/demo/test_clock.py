"""The demo's clock: real time plus the time machine's jumps, never backwards."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.demo.clock import ShiftedClock


def test_it_starts_at_real_time_and_keeps_flowing():
    clock = ShiftedClock()
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)
    assert clock.offset == timedelta(0)


def test_a_jump_lands_on_the_instant_and_time_flows_on_from_there():
    clock = ShiftedClock()
    target = clock.now() + timedelta(days=3, hours=2)
    arrived = clock.jump_to(target)
    assert target <= arrived < target + timedelta(seconds=5)
    assert timedelta(days=3, hours=2) - timedelta(seconds=5) < clock.offset <= timedelta(days=3, hours=2)


def test_a_jump_into_the_past_leaves_the_clock_where_it_is():
    clock = ShiftedClock()
    clock.jump_to(clock.now() + timedelta(days=1))
    offset = clock.offset
    clock.jump_to(clock.now() - timedelta(hours=5))
    assert clock.offset == offset


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError):
        ShiftedClock().jump_to(datetime(2030, 1, 1))
