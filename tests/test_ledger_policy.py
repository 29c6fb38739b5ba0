"""The ledger's one retry policy, as pure rules: what each send outcome means, how long a round
waits, when an item is parked, and that an unknown outcome is resent at most once per claim."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.services.ledger import POLICY, Verdict, classify
from bot.services.ports import SendOutcome

LEASE = timedelta(minutes=5)


@pytest.mark.parametrize("outcome, verdict", [
    (SendOutcome("sent", message_id=1), Verdict.SENT),
    (SendOutcome("blocked", error="Forbidden: bot was blocked by the user"), Verdict.BLOCKED),
    (SendOutcome("failed", error="TimedOut: Timed out"), Verdict.UNKNOWN),
    (SendOutcome("failed", error="NetworkError: httpx.RemoteProtocolError: Server disconnected"), Verdict.UNKNOWN),
    (SendOutcome("failed", error="NetworkError: httpx.ReadError: "), Verdict.UNKNOWN),
    (SendOutcome("failed", error="TimedOut: Pool timeout: All connections in the connection pool are occupied"),
     Verdict.RETRY),
    (SendOutcome("failed", error="NetworkError: Bad Gateway"), Verdict.RETRY),
    (SendOutcome("failed", error="NetworkError: httpx.ConnectError: All connection attempts failed"), Verdict.RETRY),
    (SendOutcome("failed", error="RetryAfter: Flood control exceeded"), Verdict.RETRY),
    (SendOutcome("failed", error="Bad Request: can't parse entities"), Verdict.REFUSED),
    (SendOutcome("failed", error="build failed: ValueError: a vitamin D result must be positive"), Verdict.REFUSED),
    (SendOutcome("failed", error="released: not started"), Verdict.RELEASED),
])
def test_what_an_outcome_means(outcome, verdict):
    assert classify(outcome) is verdict


def test_rounds_wait_longer_each_time_up_to_an_hour_and_then_park():
    delays = [POLICY.round_delay(n, LEASE) for n in range(1, POLICY.park_after + 2)]
    assert delays[0] == timedelta(minutes=2) and delays[1] == timedelta(minutes=4)
    assert all(a < b for a, b in zip(delays, delays[1:]) if b < POLICY.max_round_delay)
    assert max(delays) == POLICY.max_round_delay
    assert not POLICY.parks(POLICY.park_after - 1) and POLICY.parks(POLICY.park_after)


class Script:
    """A messenger whose sends end as scripted."""

    def __init__(self, *outcomes: SendOutcome) -> None:
        self.outcomes, self.calls = list(outcomes), 0

    async def __call__(self) -> SendOutcome:
        self.calls += 1
        return self.outcomes.pop(0)


FAST = type(POLICY)(first_wait=0.001, max_wait=0.002)
GATEWAY = SendOutcome("failed", error="NetworkError: Bad Gateway")
TIMEOUT = SendOutcome("failed", error="TimedOut: Timed out")
SENT = SendOutcome("sent", message_id=7)
REFUSED = SendOutcome("failed", error="Bad Request: odd")


@pytest.mark.parametrize("script, calls, final", [
    ((GATEWAY, GATEWAY, SENT), 3, SENT),  # surely not delivered: tried again at once
    ((GATEWAY,) * 5, FAST.attempts_per_claim, GATEWAY),  # until the attempts are spent
    ((TIMEOUT, SENT), 2, SENT),  # may have arrived: one more send ...
    ((TIMEOUT, TIMEOUT, SENT), 2, TIMEOUT),  # ... and no more in this claim
    ((REFUSED, SENT), 1, REFUSED),  # Telegram's final answer: the next round decides
])
async def test_retries_in_one_claim(script, calls, final):
    send = Script(*script)
    retrying = FAST.retrying(time.monotonic() + 60, lambda: False)
    assert await retrying(send) == final
    assert send.calls == calls


async def test_no_retry_once_the_process_is_stopping():
    send = Script(GATEWAY, SENT)
    assert await FAST.retrying(time.monotonic() + 60, lambda: True)(send) == GATEWAY
    assert send.calls == 1
