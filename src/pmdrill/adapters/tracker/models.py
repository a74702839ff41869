"""The tracker's tables as SQLAlchemy 2 declarative models: attempts, mocks, review state and prefs.

Column names equal the field names of core.coach.records, so rows convert to records positionally.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# fixed constraint names, so that migrations, models and both databases agree on them
NAMING = {"ix": "ix_%(table_name)s_%(column_0_N_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
          "pk": "pk_%(table_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s"}
DEFAULT_USER = "local"


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zone type and would hand back naive values, so the UTC wall time is stored
    (as sortable text) and the zone is put back on read; PostgreSQL stores timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"the tracker stores timezone-aware datetimes only, got naive {value!r}")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AttemptRow(Base):
    """One graded answer; append-only, so ``id`` only grows (the review watermark relies on it)."""

    __tablename__ = "attempts"
    __table_args__ = (Index(None, "user", "submitted_at"), Index(None, "user", "item_id"),
                      Index(None, "mock_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(Text, unique=True)
    user: Mapped[str] = mapped_column(Text, server_default=DEFAULT_USER)
    item_id: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    dialect: Mapped[str | None] = mapped_column(Text)
    passed: Mapped[bool] = mapped_column()
    score: Mapped[float] = mapped_column(Float)
    dimensions: Mapped[dict[str, float]] = mapped_column(JSON)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    topics: Mapped[list[str]] = mapped_column(JSON)
    hints_used: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column(Float)
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    mock_id: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    prompt_text: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class MockRow(Base):
    """A mock round: its questions as JSON and, once finished, its debrief."""

    __tablename__ = "mocks"
    __table_args__ = (Index(None, "user", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(Text, unique=True)
    user: Mapped[str] = mapped_column(Text, server_default=DEFAULT_USER)
    seed: Mapped[int] = mapped_column(BigInteger)  # seeds may exceed PostgreSQL's int4
    focus: Mapped[str] = mapped_column(Text)
    minutes: Mapped[int] = mapped_column(Integer)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(Text)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # none_as_null: a missing debrief is SQL NULL, not the JSON text 'null'
    debrief: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class ReviewCardRow(Base):
    """One spaced-repetition card's state, as the coach's scheduler left it."""

    __tablename__ = "review_cards"

    user: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ReviewProgressRow(Base):
    """The id of the last attempt folded into a user's cards: attempts after it are still to apply."""

    __tablename__ = "review_progress"

    user: Mapped[str] = mapped_column(Text, primary_key=True)
    last_attempt_id: Mapped[int] = mapped_column(Integer, server_default="0")


class PrefRow(Base):
    """A user's preference: any JSON value under a key."""

    __tablename__ = "prefs"

    user: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


# the tables, for Core statements: the tracker reads and writes rows in bulk, not ORM objects one by one
ATTEMPTS = cast(Table, AttemptRow.__table__)
MOCKS = cast(Table, MockRow.__table__)
REVIEW_CARDS = cast(Table, ReviewCardRow.__table__)
REVIEW_PROGRESS = cast(Table, ReviewProgressRow.__table__)
PREFS = cast(Table, PrefRow.__table__)
