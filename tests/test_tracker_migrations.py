"""Opening histories of every age and state: created at head, upgraded from 0001, newer, foreign or damaged.

A history that cannot be opened is refused with TrackerError and left byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from pmdrill.adapters.tracker import open_tracker
from pmdrill.adapters.tracker.connect import WRITE_OPTION, make_engine, parse_url, vet_sqlite_file
from pmdrill.adapters.tracker.migrate import alembic_config, read_revision, script_revisions, upgrade
from pmdrill.adapters.tracker.migrations import HEAD, REVISIONS
from pmdrill.adapters.tracker.models import Base
from pmdrill.errors import TrackerError
from tracker_fixtures import BACKENDS, Backend, backends, make_attempt, run_python


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from backends(request, tmp_path)


def raw_engine(url: str) -> Engine:
    """An engine on the history without the tracker's checks: to build old or odd histories by hand."""
    target = parse_url(url)
    if target.path is not None:
        vet_sqlite_file(target.path)
    return make_engine(target)


def sqlite_file(url: str) -> Path:
    path = parse_url(url).path
    assert path is not None
    return path


def test_the_revision_list_matches_the_scripts() -> None:
    assert script_revisions() == REVISIONS == ("0001", "0002")
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD]


def test_a_new_history_is_created_at_head_matching_the_models(backend: Backend) -> None:
    url = backend.new_url()
    backend.open(url).close()
    engine = raw_engine(url)
    try:
        with engine.connect() as conn:
            tables, revision = read_revision(conn)
            assert revision == HEAD
            assert tables >= {"attempts", "mocks", "review_cards", "review_progress", "prefs"}
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def _insert_at_0001(engine: Engine, sqlite: bool) -> None:
    def moment(text_utc: str) -> str:
        return text_utc if sqlite else text_utc + "+00:00"

    attempts = [
        {"uid": "u-old-1", "user": "local", "item_id": "sql:q1", "kind": "sql", "title": "Old one",
         "answer": "SELECT 1", "dialect": "duckdb", "passed": True, "score": 87.5,
         "dimensions": '{"sql": 90.25}',
         "flags": "[]", "topics": '["joins"]', "hints_used": 1, "seconds": 61.5,
         "submitted_at": moment("2025-11-02 08:15:00.000250"), "mock_id": "m-old", "source": "mock",
         "prompt_text": None, "provenance": '{"bank": "v1"}', "detail": '{"rows": 3}'},
        {"uid": "u-old-2", "user": "local", "item_id": "case:c1", "kind": "case", "title": "Old case",
         "answer": "Because…", "dialect": None, "passed": False, "score": 40.0, "dimensions": "{}",
         "flags": '[{"code": "X", "message": "m", "evidence": null}]', "topics": "[]", "hints_used": 0,
         "seconds": None, "submitted_at": moment("2025-11-02 09:00:00.000000"), "mock_id": None,
         "source": "cli", "prompt_text": "paste", "provenance": "{}", "detail": "{}"},
    ]
    mock = {"uid": "m-old", "user": "local", "seed": 7, "focus": "sql", "minutes": 30,
            "questions": '[{"id": "sql:q1", "kind": "sql", "title": "Old one", "minutes": 30, "slot": "SQL", '
                         '"answer_file": "1.sql", "why": ""}]',
            "started_at": moment("2025-11-02 08:00:00.000000"), "status": "finished",
            "ended_at": moment("2025-11-02 08:31:00.000000"), "debrief": '{"verdict": "lean hire"}'}
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        upgrade(conn, "0001")
        for table, rows in (("attempts", attempts), ("mocks", [mock])):
            quoted = ", ".join('"' + name + '"' for name in rows[0])  # "user" is reserved in PostgreSQL
            marks = ", ".join(":" + name for name in rows[0])
            conn.execute(text(f"INSERT INTO {table} ({quoted}) VALUES ({marks})"), rows)


def test_a_history_at_0001_upgrades_to_head_with_its_data(backend: Backend) -> None:
    url = backend.new_url()
    engine = raw_engine(url)
    try:
        _insert_at_0001(engine, backend.is_sqlite)
        with engine.connect() as conn:
            assert read_revision(conn) == (frozenset({"alembic_version", "attempts", "mocks"}), "0001")
    finally:
        engine.dispose()

    tracker = backend.open(url)
    old = tracker.attempts()
    assert [(a.id, a.uid, a.score, a.passed, a.seconds) for a in old] == [
        (1, "u-old-1", 87.5, True, 61.5), (2, "u-old-2", 40.0, False, None)]
    assert old[0].submitted_at == dt.datetime(2025, 11, 2, 8, 15, 0, 250, tzinfo=dt.UTC)
    assert (old[0].dimensions, old[0].topics, old[0].detail, old[0].mock_id) == ({"sql": 90.25}, ["joins"],
                                                                                 {"rows": 3}, "m-old")
    assert old[1].flags == [{"code": "X", "message": "m", "evidence": None}] and old[1].answer == "Because…"
    mock = tracker.mock("m-old")
    assert (mock.status, mock.debrief, mock.questions[0].answer_file) == (
        "finished", {"verdict": "lean hire"}, "1.sql")
    assert mock.ended_at == dt.datetime(2025, 11, 2, 8, 31, tzinfo=dt.UTC)
    # the tables 0002 added work, and the ledger carries on after the old rows
    tracker.save_review_state({"sql:q1": {"due": "2025-11-05"}}, 2)
    tracker.set_pref("dialect", "duckdb")
    assert tracker.record(make_attempt(3)).id == 3
    tracker.close()
    again = backend.open(url)
    assert (again.count(), again.review_state(), again.get_pref("dialect")) == (
        3, ({"sql:q1": {"due": "2025-11-05"}}, 2), "duckdb")


def _stamp(url: str, revision: str) -> None:
    engine = raw_engine(url)
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :rev"), {"rev": revision})
    finally:
        engine.dispose()


def test_an_up_to_date_history_opens_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    with Backend("sqlite", tmp_path) as made:
        made.open(url).record(make_attempt(1))
    probe = ("import sys; from pmdrill.adapters.tracker import open_tracker; "
             "t = open_tracker(sys.argv[1]); print(t.count(), 'alembic' in sys.modules)")
    done = run_python(probe, url)
    assert (done.returncode, done.stdout, done.stderr) == (0, "1 False\n", "")


def test_a_history_from_a_newer_pmdrill_is_refused_untouched(backend: Backend) -> None:
    url = backend.new_url()
    with backend.open(url) as tracker:
        tracker.record(make_attempt(1))
    _stamp(url, "0099_future")
    before = sqlite_file(url).read_bytes() if backend.is_sqlite else b""
    newer = r"written by a newer pmdrill \(schema 0099_future\); upgrade pmdrill to open it"
    with pytest.raises(TrackerError, match=newer):
        backend.open(url)
    if backend.is_sqlite:
        assert sqlite_file(url).read_bytes() == before
    _stamp(url, HEAD)
    assert backend.open(url).count() == 1


def _refused_untouched(path: Path, match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(TrackerError, match=match) as caught:
        open_tracker(f"sqlite:///{path}")
    assert "left untouched" in str(caught.value)
    assert path.read_bytes() == before
    assert not path.with_name(path.name + "-wal").exists()


def test_random_bytes_are_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "tracker.sqlite3"
    path.write_bytes(os.urandom(64 * 1024))
    _refused_untouched(path, "not an SQLite database")
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(64 * 1024))
    _refused_untouched(path, "damaged|not an SQLite database")


def _real_history(tmp_path: Path, rows: int = 300) -> Path:
    path = tmp_path / "tracker.sqlite3"
    with Backend("sqlite", tmp_path) as made:
        tracker = made.open(f"sqlite:///{path}")
        for i in range(rows):
            tracker.record(make_attempt(i))
    assert not path.with_name(path.name + "-wal").exists()  # closing folded the log back in
    return path


@pytest.mark.parametrize(("keep", "reason"), [(0.5, "truncated"), (4096 + 100, "truncated"),
                                              (50, "not an SQLite database")],
                         ids=["half", "one-page-and-a-bit", "50-bytes"])
def test_a_truncated_history_is_refused_untouched(tmp_path: Path, keep: float, reason: str) -> None:
    path = _real_history(tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole[: int(len(whole) * keep) if keep < 1 else int(keep)])
    _refused_untouched(path, reason)


def test_a_damaged_old_history_is_not_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    engine = raw_engine(url)
    try:
        _insert_at_0001(engine, sqlite=True)
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
            columns = ("item_id, kind, title, answer, passed, score, dimensions, flags, topics, hints_used, "
                       "submitted_at, source, provenance, detail")
            conn.execute(text(f"INSERT INTO attempts (uid, {columns}) SELECT uid || :n, {columns} "
                              "FROM attempts WHERE uid = 'u-old-2'"), [{"n": str(n)} for n in range(400)])
    finally:
        engine.dispose()
    path = sqlite_file(url)
    with sqlite3.connect(path) as con:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        # the UNIQUE(uid) constraint's index is SQLite's own (sql IS NULL)
        index_root = con.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'attempts' "
                                 "AND type = 'index' AND sql IS NULL").fetchone()[0]
    con.close()
    data = bytearray(path.read_bytes())
    start = (index_root - 1) * page_size
    data[start:start + page_size] = b"\xff" * page_size  # scribble over the uid index's root page
    path.write_bytes(bytes(data))
    _refused_untouched(path, "damaged")


def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE notes (body TEXT)")
        con.execute("INSERT INTO notes VALUES ('mine')")
    con.close()
    _refused_untouched(path, "not a pmdrill practice history")


def test_an_empty_file_becomes_a_history(tmp_path: Path) -> None:
    path = tmp_path / "tracker.sqlite3"
    path.touch()
    with Backend("sqlite", tmp_path) as made:
        tracker = made.open(f"sqlite:///{path}")
        assert tracker.record(make_attempt(1)).id == 1
