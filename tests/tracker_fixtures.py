"""Tracker test helpers: fresh histories on each backend (an SQLite file, a PostgreSQL schema) and records.

Each test module declares ``backend`` as a fixture over ``BACKENDS`` whose body is ``backends``.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from pmdrill.adapters.tracker import Tracker, open_tracker
from pmdrill.core.coach.records import Attempt, MockQuestion, MockRecord

T0 = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


class Backend:
    """Fresh, empty histories on one backend; everything opened or created is closed or dropped after."""

    def __init__(self, name: str, folder: Path, server_url: str | None = None) -> None:
        self.name = name
        self.folder = folder
        self.server_url = server_url
        self._opened: list[Tracker] = []
        self._schemas: list[str] = []
        self._made = 0

    @property
    def is_sqlite(self) -> bool:
        return self.name == "sqlite"

    def new_url(self) -> str:
        """The URL of a history that does not exist yet."""
        self._made += 1
        if self.is_sqlite:
            return f"sqlite:///{self.folder / f'history-{self._made}' / 'tracker.sqlite3'}"
        assert self.server_url is not None
        name = f"pmtr_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.server_url, autocommit=True) as con:
            con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        self._schemas.append(name)
        return f"{self.server_url}?options=-csearch_path%3D{name}"

    def open(self, url: str | None = None, *, user: str = "local") -> Tracker:
        tracker = open_tracker(url or self.new_url(), user=user)
        self._opened.append(tracker)
        return tracker

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        for tracker in self._opened:
            tracker.close()
        if self._schemas:
            assert self.server_url is not None
            with psycopg.connect(self.server_url, autocommit=True) as con:
                for name in self._schemas:
                    con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


# the parameters of each test module's ``backend`` fixture, which delegates to ``backends``
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def backends(request: pytest.FixtureRequest, folder: Path) -> Iterator[Backend]:
    """The body of a ``backend`` fixture: the same test on an SQLite file and on a PostgreSQL schema."""
    server = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with Backend(request.param, folder, server) as made:
        yield made


def make_attempt(i: int, **changes: Any) -> Attempt:
    """A varied attempt: awkward floats, microseconds, unicode and nested JSON, so round trips are tested."""
    fields: dict[str, Any] = dict(
        item_id=f"sql:q{i % 7}", kind=("sql", "case", "est")[i % 3], title=f"Question {i} — ünïcode",
        answer=f"SELECT {i} AS n -- ‘quoted’ \"and\" newline\n", passed=i % 2 == 0,
        score=(i * 0.1 + 0.2) % 100,
        submitted_at=T0 + dt.timedelta(minutes=i, microseconds=i * 7),
        dimensions={"clarity": i / 3, "rigour": 1e-7 * i}, topics=["joins", "window"][: i % 3],
        flags=[{"code": "F1", "message": "fan-out", "evidence": {"rows": [i, None, 2.5]}}] if i % 4 == 0
        else [],
        dialect="duckdb" if i % 3 == 0 else None, hints_used=i % 3, seconds=None if i % 5 == 0 else i * 1.25,
        source="cli", prompt_text=None if i % 2 else f"reference {i}",
        provenance={"bank": "v3", "seed": i}, detail={"verdict": {"rows": i, "ok": True, "ratio": 1 / 7}},
    )
    fields.update(changes)
    return Attempt(**fields)


def make_mock(i: int, **changes: Any) -> MockRecord:
    questions = [MockQuestion(id=f"sql:q{j}", kind="sql", title=f"Q{j}", minutes=10 + j, slot="SQL",
                              answer_file=f"{j}.sql", why="weak on joins" if j else "")
                 for j in range(3)]
    fields: dict[str, Any] = dict(uid=f"m-{i:04d}", seed=2**40 + i, focus="mixed", minutes=45,
                                  questions=questions, started_at=T0 + dt.timedelta(hours=i))
    fields.update(changes)
    return MockRecord(**fields)


def run_python(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (the test venv's) with ``args`` as sys.argv[1:]."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)
