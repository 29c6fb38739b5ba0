"""The database schema: SQLAlchemy 2 declarative models, shared by SQLite and PostgreSQL.

Every table that holds something about a subscriber references `subscribers.id` with
`ON DELETE CASCADE`, so `/forget` is one DELETE and nothing is left behind.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TypedText(TypeDecorator[str]):
    """Text a person typed. PostgreSQL refuses the NUL character in text (SQLite keeps it), and no
    message needs it, so it is dropped on the way in: the same input stores the same on both."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return value.replace("\x00", "") if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _subscriber_fk() -> ForeignKey:
    return ForeignKey("subscribers.id", ondelete="CASCADE")


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str | None] = mapped_column(String(255))
    # enrolling -> active <-> paused; stopped (unsubscribed); completed (after Day 30)
    status: Mapped[str] = mapped_column(String(16), default="enrolling")
    # Blocked is orthogonal to status: unblocking returns them to whatever they were doing.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which typed answer the bot is waiting for: consent, timezone or time.
    awaiting: Mapped[str | None] = mapped_column(String(16))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    delivery_minute: Mapped[int] = mapped_column(Integer, default=8 * 60)
    program_day: Mapped[int] = mapped_column(Integer, default=0)  # last day delivered
    last_delivered_local_date: Mapped[date | None] = mapped_column(Date)
    next_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retest_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The unit of their lab's vitamin D results (ng/mL or nmol/L): asked once, changed by typing one.
    level_unit: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    """The ledger: one row per subscriber and item (`day:7`, `completion`, `retest`, `broadcast:3`).

    A row is claimed before the send and confirmed after it; `lease_until` bounds how long a claim
    whose outcome is unknown (the process died mid-send) blocks a retry, and `claimed_by` names
    the process that holds it, so its claims are released as soon as it is known to be gone.
    Statuses: `bot.services.ledger.Status`.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "item", name="uq_deliveries_subscriber_item"),
        Index("ix_deliveries_broadcast_pending", "broadcast_id", "status"),
        Index("ix_deliveries_status_owner", "status", "claimed_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(_subscriber_fk())
    item: Mapped[str] = mapped_column(String(32))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    # pending, claimed, sent, failed (tried again later), parked (given up), blocked, skipped
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(32))  # the worker id of the claiming process
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(255))


# What the parsers refuse, the database refuses too (bot/domain/levels.py: plausible_*); rows an
# older version stored before these existed are kept, and readers skip them.
CHECKIN_CHECKS = {
    "score_0_to_10": "score >= 0 AND score <= 10",
    "date_since_1900": "local_date >= '1900-01-01'",
}
RESULT_CHECKS = {
    "plausible_value": "value_ng_ml >= 1 AND value_ng_ml <= 250",
    "positive_original": "original_value > 0",
    "known_unit": "original_unit IN ('ng/mL', 'nmol/L')",
    "taken_since_1900": "taken_on >= '1900-01-01'",
}


class CheckIn(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "local_date", name="uq_checkins_day"),
        *(CheckConstraint(sql, name=name) for name, sql in CHECKIN_CHECKS.items()),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(_subscriber_fk())
    local_date: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(TypedText())
    program_day: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VitaminDResult(Base):
    __tablename__ = "vitamin_d_results"
    __table_args__ = tuple(CheckConstraint(sql, name=name) for name, sql in RESULT_CHECKS.items())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(_subscriber_fk(), index=True)
    taken_on: Mapped[date] = mapped_column(Date)
    value_ng_ml: Mapped[float] = mapped_column(Float)
    original_value: Mapped[float] = mapped_column(Float)
    original_unit: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(512))
    # The text as it was when queued: editing the file later changes nothing in flight.
    markdown: Mapped[str] = mapped_column(Text)
    # queued (recipients not fixed yet), sending, done, cancelled
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    requested_by: Mapped[int | None] = mapped_column(BigInteger)  # operator's chat, for the summary
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary_sent: Mapped[bool] = mapped_column(Boolean, default=False)


class UnansweredQuestion(Base):
    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(_subscriber_fk(), index=True)
    text: Mapped[str] = mapped_column(TypedText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "unanswered" ("I'm not sure") or "low_confidence" (answered, but only just); the entry it
    # came closest to, so operators know where a new example question belongs.
    kind: Mapped[str] = mapped_column(String(16), default="unanswered", server_default="unanswered")
    closest_entry: Mapped[str | None] = mapped_column(String(64))


class RedFlagEvent(Base):
    """A red flag was seen. Only which flag and when: never the message itself."""

    __tablename__ = "red_flag_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(_subscriber_fk(), index=True)
    flag_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportMade(Base):
    """A /report PDF was made. Only when, tied to nobody, so operators' count survives /forget."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Worker(Base):
    """A running bot process; live workers share SEND_RATE_LIMIT between them."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())

