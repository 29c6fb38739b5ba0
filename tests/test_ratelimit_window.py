"""The sliding window behind SEND_RATE_LIMIT, on a hand-moved clock: at most `rate` sends in any
second counted from their answers, a send under way holds its slot, a slot is released once."""

from __future__ import annotations

import pytest

from bot.telegram.ratelimit import MAX_IN_FLIGHT, MIN_IN_FLIGHT, ROUND_TRIP_PERIOD, SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def fill(window: SlidingWindow, count: int):
    return [await window.acquire(urgent=True) for _ in range(count)]


async def test_a_full_window_waits_for_the_oldest_answer_plus_a_second(clock):
    window = SlidingWindow(3, margin=0.0, clock=clock)
    slots = await fill(window, 3)
    assert window._wait(clock.now) > 0  # three under way: no fourth
    for offset, slot in zip((0.0, 0.2, 0.4), slots):
        clock.now = 100.0 + offset
        window.release(slot)
    clock.now = 100.5
    assert window._wait(clock.now) == pytest.approx(0.5)  # the first answer was at 100.0
    clock.now = 100.9999
    assert window._wait(clock.now) == pytest.approx(0.001)  # almost: look again in a moment
    clock.now = 101.0
    assert window._wait(clock.now) == 0  # a second after the answer, as Telegram counts
    await window.acquire(urgent=True)
    assert window._wait(clock.now) == pytest.approx(0.2)  # the second answer is next


async def test_a_send_under_way_holds_its_slot_however_long_it_takes(clock):
    window = SlidingWindow(2, margin=0.0, clock=clock)
    slow, fast = await fill(window, 2)
    window.release(fast)
    clock.now += 60
    assert window._wait(clock.now) == 0  # the fast one's second is long over
    await window.acquire(urgent=True)
    assert window._wait(clock.now) == 0.01  # the slow one still holds a slot: look again soon
    window.release(slow)
    assert window._wait(clock.now) > 0.9  # and its second starts only now


async def test_releasing_twice_frees_one_slot(clock):
    window = SlidingWindow(2, margin=0.0, clock=clock)
    first, _second = await fill(window, 2)
    window.release(first)
    window.release(first)
    clock.now += 0.5
    assert window._wait(clock.now) > 0  # one answered in this second, one under way: still full


async def test_the_margin_delays_the_next_slot(clock):
    window = SlidingWindow(1, margin=0.05, clock=clock)
    window.release(await window.acquire(urgent=True))
    clock.now += 1.0
    assert window._wait(clock.now) == pytest.approx(0.05)


async def test_a_rate_below_one_stretches_the_window(clock):
    window = SlidingWindow(0.5, margin=0.0, clock=clock)
    window.release(await window.acquire(urgent=True))
    clock.now += 1.5
    assert window._wait(clock.now) == pytest.approx(0.5)  # one send per two seconds


async def test_lowering_the_rate_applies_to_the_next_send(clock):
    window = SlidingWindow(10, margin=0.0, clock=clock)
    for slot in await fill(window, 5):
        window.release(slot)
    window.set_rate(5)
    assert window._wait(clock.now) > 0
    window.set_rate(6)
    assert window._wait(clock.now) == 0


@pytest.mark.parametrize("rate, expected", [(1000, 1000), (2.9, 2), (1, 1)])
async def test_capacity_is_the_rate_rounded_down(clock, rate, expected):
    window = SlidingWindow(rate, margin=0.0, clock=clock)
    await fill(window, expected)
    assert window._wait(clock.now) > 0


async def test_bulk_sends_are_paced_one_per_interval(clock):
    window = SlidingWindow(10, margin=0.0, clock=clock)
    window.release(await window.acquire())
    assert window._next_bulk - clock.now == pytest.approx(0.1)  # the next bulk send waits 1/rate
    clock.now += 0.1
    window.release(await window.acquire())
    assert window._next_bulk - clock.now == pytest.approx(0.1)


async def test_after_a_pause_a_short_burst_goes_at_once(clock):
    window = SlidingWindow(1000, margin=0.0, clock=clock)
    clock.now += 5
    for _ in range(window.burst):  # 50 at 1,000/s: the loop may wake late, and must catch up
        assert window._next_bulk <= clock.now + 1e-6
        await window.acquire()
    assert window._next_bulk > clock.now  # then one per millisecond again


async def test_replies_are_not_paced(clock):
    window = SlidingWindow(10, margin=0.0, clock=clock)
    await window.acquire()
    for _ in range(5):
        await window.acquire(urgent=True)  # a reply takes any free slot at once
    assert window._next_bulk - clock.now == pytest.approx(0.1)  # and leaves the bulk pace alone


async def test_a_send_a_little_late_keeps_the_beat(clock):
    # The event loop woke the sender 5 ms late: the next send is still due on the beat, so the
    # lateness does not add up send after send (at 30/s it cost most of a message a second).
    window = SlidingWindow(10, margin=0.0, clock=clock)
    window.release(await window.acquire())
    beat = window._next_bulk
    clock.now = beat + 0.005
    window.release(await window.acquire())
    assert window._next_bulk == pytest.approx(beat + 0.1)


async def test_sends_in_flight_are_the_rate_times_the_shortest_round_trip(clock):
    window = SlidingWindow(1000, margin=0.0, clock=clock)
    assert window.bulk_in_flight() == 8  # nothing answered yet: 8 ms of sending at the rate
    for took in (0.200, 0.040, 0.300):  # queueing made two of them slow; 40 ms is the round trip
        slot = await window.acquire(urgent=True)
        clock.now += took
        window.release(slot)
    assert window.round_trip == pytest.approx(0.040)
    assert 60 <= window.bulk_in_flight() <= 61  # 1,000/s x 40 ms x 1.5, rounded up
    clock.now += 2 * ROUND_TRIP_PERIOD + 0.01  # two periods later the slow past is forgotten
    slot = await window.acquire(urgent=True)
    clock.now += 0.001
    window.release(slot)
    assert window.round_trip == pytest.approx(0.001)
    assert window.bulk_in_flight() == 8
    window.set_rate(30)
    assert window.bulk_in_flight() == MIN_IN_FLIGHT  # 2 at 30/s: broadcasts take turns
    window.set_rate(1_000_000)  # 1,500 would only queue: bounded
    assert window.bulk_in_flight() == MAX_IN_FLIGHT
