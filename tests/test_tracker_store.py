"""The tracker's records on SQLite and PostgreSQL: attempts, filters, users, mocks, review state and prefs.

Every test runs on a fresh history of its own on both backends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from pmdrill.adapters.tracker import open_tracker
from pmdrill.errors import NotFoundError, TrackerError, UsageError
from tracker_fixtures import BACKENDS, T0, Backend, backends, make_attempt, make_mock


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from backends(request, tmp_path)


def test_record_then_list_returns_the_same_attempts_in_utc(backend: Backend) -> None:
    tracker = backend.open()
    plus_two = dt.timezone(dt.timedelta(hours=2))
    given = [make_attempt(i) for i in range(6)]
    given[1] = dataclasses.replace(given[1],
                                   submitted_at=dt.datetime(2026, 3, 1, 12, 0, 0, 5, tzinfo=plus_two))
    stored = [tracker.record(a) for a in given]

    assert [a.id for a in stored] == sorted(a.id for a in stored)
    assert {a.id for a in given} == {None} and {a.uid for a in given} == {""}  # record() returns copies
    assert all(len(a.uid) == 32 and int(a.uid, 16) >= 0 for a in stored)
    assert stored[1].submitted_at == dt.datetime(2026, 3, 1, 10, 0, 0, 5, tzinfo=dt.UTC)
    listed = tracker.attempts()
    assert listed == sorted(stored, key=lambda a: (a.submitted_at, a.id))
    for a in listed:
        assert a.submitted_at.utcoffset() == dt.timedelta(0)
    again = {a.id: a for a in listed}[stored[4].id]
    assert again.score == given[4].score and again.dimensions == {"clarity": 4 / 3, "rigour": 1e-7 * 4}
    assert again.flags == given[4].flags
    assert again.detail == {"verdict": {"rows": 4, "ok": True, "ratio": 1 / 7}}
    assert tracker.attempt(stored[0].id) == stored[0]
    assert tracker.count() == 6


def test_attempt_keeps_a_given_uid_and_refuses_a_naive_time(backend: Backend) -> None:
    tracker = backend.open()
    kept = tracker.record(make_attempt(1, uid="abc123"))
    assert kept.uid == "abc123" and tracker.attempt(kept.id).uid == "abc123"
    with pytest.raises(ValueError, match="timezone-aware"):
        tracker.record(make_attempt(2, submitted_at=dt.datetime(2026, 1, 1, 9, 0)))
    assert tracker.count() == 1


def test_filters_since_limit_and_order(backend: Backend) -> None:
    tracker = backend.open()
    stored = [tracker.record(make_attempt(i, mock_id="m-1" if i in (3, 4) else None)) for i in range(12)]
    by_time = sorted(stored, key=lambda a: (a.submitted_at, a.id))

    assert [a.id for a in tracker.attempts(item_id="sql:q2")] == [a.id for a in by_time
                                                                 if a.item_id == "sql:q2"]
    assert {a.kind for a in tracker.attempts(kind="case")} == {"case"}
    assert len(tracker.attempts(kind="case")) == 4
    assert [a.id for a in tracker.attempts(mock_id="m-1")] == [stored[3].id, stored[4].id]
    since = stored[8].submitted_at
    assert [a.id for a in tracker.attempts(since=since)] == [a.id for a in by_time[8:]]
    assert [a.id for a in tracker.attempts(since=since.astimezone(dt.timezone(dt.timedelta(hours=-5))))] \
        == [a.id for a in by_time[8:]]
    assert [a.id for a in tracker.attempts(limit=3)] == [a.id for a in by_time[:3]]
    assert [a.id for a in tracker.attempts(limit=3, newest_first=True)] == [a.id for a in by_time[::-1][:3]]
    assert tracker.attempts(item_id="sql:q1", kind="est") == [a for a in by_time
                                                              if a.item_id == "sql:q1" and a.kind == "est"]


def test_users_see_only_their_own_attempts(backend: Backend) -> None:
    url = backend.new_url()
    alice, bob = backend.open(url, user="alice"), backend.open(url, user="bob")
    mine = alice.record(make_attempt(1))            # left at the default user: the tracker's user's
    assert mine.user == "alice"
    bobs = bob.record(make_attempt(2, user="bob"))
    assert alice.attempt(mine.id) == mine
    with pytest.raises(NotFoundError, match=str(mine.id)):
        bob.attempt(mine.id)
    with pytest.raises(NotFoundError):
        alice.attempt(bobs.id + 1000)
    assert [a.id for a in alice.attempts()] == [mine.id]
    assert [a.id for a in alice.attempts(user="bob")] == [bobs.id]
    assert (alice.count(), bob.count(), alice.count(user="nobody")) == (1, 1, 0)


def test_mock_lifecycle(backend: Backend) -> None:
    url = backend.new_url()
    tracker = backend.open(url)
    assert tracker.running_mock() is None
    first = tracker.start_mock(make_mock(1))
    second = tracker.start_mock(make_mock(2, uid=""))
    assert second.uid.startswith("m-") and len(second.uid) == 14 and second.id != first.id
    assert tracker.running_mock() == second
    assert tracker.mock(first.uid) == first and first.questions[1].why == "weak on joins"
    assert first.seed == 2**40 + 1

    ended = T0 + dt.timedelta(hours=3, seconds=1.5)
    done = tracker.update_mock(second.uid, status="finished", ended_at=ended,
                               debrief={"verdict": "hire", "dimensions": {"sql": 81.5}})
    assert (done.status, done.ended_at, done.debrief) == ("finished", ended,
                                                          {"verdict": "hire", "dimensions": {"sql": 81.5}})
    assert tracker.mock(second.uid) == done
    assert tracker.running_mock() == first
    assert [m.uid for m in tracker.mocks()] == [second.uid, first.uid]
    tracker.update_mock(first.uid, status="abandoned")
    assert tracker.running_mock() is None and tracker.mock(first.uid).debrief is None

    with pytest.raises(NotFoundError):
        tracker.update_mock("m-missing", status="finished")
    with pytest.raises(UsageError, match="paused"):
        tracker.update_mock(first.uid, status="paused")
    with pytest.raises(NotFoundError):
        backend.open(url, user="someone").mock(first.uid)
    assert tracker.mock(first.uid).status == "abandoned"


def test_review_state_upserts_cards_and_the_watermark(backend: Backend) -> None:
    url = backend.new_url()
    tracker, other = backend.open(url), backend.open(url, user="other")
    assert tracker.review_state() == ({}, 0)
    tracker.save_review_state({"sql:q1": {"due": "2026-03-02", "stability": 1.5}, "sql:q2": {"due": None}}, 7)
    tracker.save_review_state({"sql:q2": {"due": "2026-03-09"}, "sql:q3": {}}, 9)
    assert tracker.review_state() == ({"sql:q1": {"due": "2026-03-02", "stability": 1.5},
                                       "sql:q2": {"due": "2026-03-09"}, "sql:q3": {}}, 9)
    tracker.save_review_state({}, 11)
    assert tracker.review_state()[1] == 11
    assert other.review_state() == ({}, 0)
    other.save_review_state({"k": {"n": 1}}, 2)
    assert tracker.review_state(user="other") == ({"k": {"n": 1}}, 2)
    assert len(tracker.review_state()[0]) == 3


def test_prefs_hold_json_values_per_user(backend: Backend) -> None:
    url = backend.new_url()
    tracker, other = backend.open(url), backend.open(url, user="other")
    assert tracker.get_pref("dialect") is None and tracker.get_pref("dialect", "duckdb") == "duckdb"
    values = {"dialect": "postgres", "goal": {"date": "2026-04-01", "hours": [1.5, 2]}, "n": 3, "off": None,
              "flag": False}
    for key, value in values.items():
        tracker.set_pref(key, value)
    assert {key: tracker.get_pref(key, "unset") for key in values} == values
    tracker.set_pref("n", 4)
    assert tracker.get_pref("n") == 4
    assert other.get_pref("n", "unset") == "unset"
    assert tracker.get_pref("n", user="other") is None


def test_a_closed_tracker_refuses_use(backend: Backend) -> None:
    tracker = backend.open()
    tracker.record(make_attempt(1))
    tracker.close()
    with pytest.raises(TrackerError, match="closed"):
        tracker.count()


def test_unsupported_urls_are_refused() -> None:
    for url in ("mysql://u:hunter2@host/db", "sqlite://", "sqlite:///:memory:", "not a url at all",
                "postgresql+asyncpg://u:hunter2@host/db", "sqlite+aiosqlite:////tmp/x.sqlite3"):
        with pytest.raises(TrackerError) as caught:
            open_tracker(url)
        assert "hunter2" not in str(caught.value)


@pytest.mark.postgres
def test_postgres_failures_never_show_the_password(postgres_url: str, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = make_url(postgres_url).set(host="127.0.0.1", port=port, password="x9-Secret!")
    with pytest.raises(TrackerError, match="cannot open") as caught:
        open_tracker(nowhere.render_as_string(hide_password=False))
    assert "x9-Secret!" not in str(caught.value) and "***" in str(caught.value)
    with Backend("postgres", tmp_path, postgres_url) as made:
        tracker = made.open()
        secret = make_url(postgres_url).password
        if secret:
            assert secret not in repr(tracker) and tracker.location.count("***") == 1
    # a schema that does not exist: nowhere to create the tables
    with pytest.raises(TrackerError, match="cannot open"):
        open_tracker(postgres_url + "?options=-csearch_path%3Dpmtr_missing_schema")
