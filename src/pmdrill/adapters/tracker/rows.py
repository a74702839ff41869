"""Rows to records and back: the columns selected for each record type, and bulk conversion of results.

A history lists thousands of attempts, so they are converted in bulk: one JSON parse for all their rows.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Text, cast, literal_column, select, type_coerce

from pmdrill.adapters.tracker.models import ATTEMPTS, MOCKS
from pmdrill.core.coach.records import Attempt, MockQuestion, MockRecord

# rows are selected in the records' field order, so that Attempt(*values) builds them without a dict each
ATTEMPT_FIELDS = tuple(f.name for f in fields(Attempt))
MOCK_FIELDS = tuple(f.name for f in fields(MockRecord))
MOCK_COLUMNS = tuple(MOCKS.c[name] for name in MOCK_FIELDS)
_JSON_FIELDS = ("dimensions", "flags", "topics", "provenance", "detail")
# what a light listing leaves out (the bulky text: answers, full verdicts), with what it puts instead
_HEAVY: dict[str, str] = {"answer": "''", "prompt_text": "NULL", "provenance": "'{}'", "detail": "'{}'"}


class AttemptReader:
    """The attempt columns to select on one backend, and the conversion of the rows they return."""

    def __init__(self, dialect: str) -> None:
        self.columns = tuple(_column(name, dialect) for name in ATTEMPT_FIELDS)
        self.light_columns = tuple(literal_column(_HEAVY[name]).label(name) if name in _HEAVY else column
                                   for name, column in zip(ATTEMPT_FIELDS, self.columns, strict=True))
        self._json = tuple(ATTEMPT_FIELDS.index(name) for name in _JSON_FIELDS)
        # SQLite hands back its stored text; fromisoformat (in C) beats SQLAlchemy's regex parse per row
        self._text_time = ATTEMPT_FIELDS.index("submitted_at") if dialect == "sqlite" else None

    def select(self, *, light: bool = False) -> Select[Any]:
        """All columns; or, ``light``, all but the answers and full verdicts (for progress and plans)."""
        return select(*(self.light_columns if light else self.columns))

    def fetch(self, conn: Connection, query: Select[Any]) -> list[Attempt]:
        """Run ``query`` (built from ``select()``) and convert its rows."""
        with collector_paused():
            return self.records(conn.execute(query).all())

    def records(self, rows: Sequence[Sequence[Any]]) -> list[Attempt]:
        if not rows:
            return []
        a, b, c, d, e = self._json
        parsed = json.loads("[" + ",".join(f"[{r[a]},{r[b]},{r[c]},{r[d]},{r[e]}]" for r in rows) + "]")
        at = self._text_time
        out = []
        for row, decoded in zip(rows, parsed, strict=True):
            values = list(row)
            values[a], values[b], values[c], values[d], values[e] = decoded
            if at is not None:
                moment = dt.datetime.fromisoformat(values[at])
                values[at] = (moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None
                              else moment.astimezone(dt.UTC))
            out.append(Attempt(*values))
        return out


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while records are built in bulk (none of them is cyclic).

    Building 10,000 attempts allocates some 100,000 containers, and the collector rescans the growing
    heap many times on the way: pausing it halves the time to list, export or import a history.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _column(name: str, dialect: str) -> ColumnElement[Any]:
    column = ATTEMPTS.c[name]
    if name in _JSON_FIELDS:
        # the stored JSON text, parsed in records(); PostgreSQL's driver would otherwise parse each value
        return (cast(column, Text) if dialect == "postgresql" else type_coerce(column, Text)).label(name)
    if name == "submitted_at" and dialect == "sqlite":
        return type_coerce(column, Text).label(name)
    return column


def attempt_values(attempt: Attempt) -> dict[str, Any]:
    """The column values of a new attempt row (all its fields but the id the database assigns)."""
    return {name: getattr(attempt, name) for name in ATTEMPT_FIELDS if name != "id"}


def mock_values(mock: MockRecord) -> dict[str, Any]:
    values = {name: getattr(mock, name) for name in MOCK_FIELDS if name != "id"}
    values["questions"] = [q.to_dict() for q in mock.questions]
    return values


def mock_record(row: Sequence[Any]) -> MockRecord:
    record = MockRecord(*row)
    record.questions = [MockQuestion(**q) for q in record.questions]  # type: ignore[arg-type]
    return record
