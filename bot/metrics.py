"""Prometheus metrics (served on /metrics in webhook mode). Counters only count; nothing here
holds message text or user ids."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry()

SENDS = Counter(
    "vitd_messages_total", "Messages the bot tried to send, by lane and outcome",
    ["lane", "outcome"], registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "vitd_queue_depth", "Deliveries due now plus broadcast recipients still pending", registry=REGISTRY
)
SWEEP_LAG = Gauge(
    "vitd_sweep_lag_seconds", "How overdue the oldest due delivery is (0 when none is due)", registry=REGISTRY
)


def count_send(bulk: bool, outcome: str) -> None:
    SENDS.labels("bulk" if bulk else "reply", outcome).inc()

THROTTLED = Counter(
    "vitd_updates_throttled_total", "Updates dropped because their chat sent faster than it was answered",
    registry=REGISTRY,
)
HANDLER_ERRORS = Counter(
    "vitd_update_errors_total", "Updates whose handling raised an error (see the logs)", registry=REGISTRY
)


def count_throttled() -> None:
    THROTTLED.inc()


UNKNOWN_OUTCOMES = Counter(
    "vitd_send_unknown_total",
    "Bulk sends whose request left but whose answer never came (read timeout, reset): they may have arrived",
    registry=REGISTRY,
)
PARKED = Counter(
    "vitd_deliveries_parked_total", "Deliveries given up after the retry policy's last round", registry=REGISTRY
)


def count_unknown_outcome() -> None:
    UNKNOWN_OUTCOMES.inc()


def count_parked() -> None:
    PARKED.inc()
