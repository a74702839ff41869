"""Export and import of a history: identical round trips, imports that add nothing twice, strict checks.

A bad record anywhere refuses the whole document, naming the record, the field and (from text) its line.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pmdrill.adapters.tracker import ImportReport, Tracker
from pmdrill.adapters.tracker.transfer import build_document
from pmdrill.errors import ContentError, TrackerError
from tracker_fixtures import BACKENDS, Backend, backends, make_attempt, make_mock


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from backends(request, tmp_path)


def _fill(tracker: Tracker, attempts: int = 40) -> None:
    first = tracker.start_mock(make_mock(1))
    tracker.start_mock(make_mock(2, status="running"))
    tracker.update_mock(first.uid, status="finished", ended_at=first.started_at.replace(minute=59),
                        debrief={"verdict": "hire", "scores": [81.25, 0.1 + 0.2], "notes": None})
    for i in range(attempts):
        tracker.record(make_attempt(i, mock_id=first.uid if i < 3 else None))
    tracker.set_pref("dialect", "postgres")
    tracker.set_pref("goal", {"date": "2026-04-01", "hours": [1.5, 2]})
    tracker.save_review_state({"sql:q1": {"due": "2026-03-02"}}, 5)


def test_export_import_into_an_empty_history_export_is_identical(backend: Backend, tmp_path: Path) -> None:
    source = backend.open()
    _fill(source)
    first = source.export_document()
    file = tmp_path / "history.json"
    file.write_text(json.dumps(first, indent=2, ensure_ascii=False), encoding="utf-8")

    target = backend.open()
    assert target.import_text(file.read_text(encoding="utf-8"), source=str(file)) == ImportReport(40, 0, 2, 0)
    second = target.export_document()
    assert json.dumps(second, indent=2, ensure_ascii=False) == file.read_text(encoding="utf-8")
    assert second == first

    order = [(dt.datetime.fromisoformat(e["submitted_at"]), e["uid"]) for e in first["attempts"]]
    assert order == sorted(order) and len(order) == 40
    seventh = next(e for e in second["attempts"] if e["title"].startswith("Question 7 "))
    assert seventh["score"] == (7 * 0.1 + 0.2) % 100 == 0.9000000000000001
    assert seventh["submitted_at"] == "2026-03-01T09:37:15.123505+00:00"
    assert seventh["dimensions"] == {"clarity": 7 / 3, "rigour": 1e-7 * 7}
    assert second["mocks"][0]["debrief"] == {"verdict": "hire", "scores": [81.25, 0.30000000000000004],
                                             "notes": None}
    assert second["prefs"] == {"dialect": "postgres", "goal": {"date": "2026-04-01", "hours": [1.5, 2]}}
    assert "id" not in second["attempts"][0] and "id" not in second["mocks"][0]
    assert target.review_state() == ({}, 0)  # cards are rebuilt from attempts, never exported
    assert [a.uid for a in target.attempts()] == [a.uid for a in source.attempts()]


def test_importing_the_same_document_twice_adds_nothing(backend: Backend) -> None:
    source = backend.open()
    _fill(source, attempts=25)
    doc = source.export_document()
    target = backend.open(user="alice")
    target.set_pref("dialect", "duckdb")
    assert target.import_document(doc) == ImportReport(25, 0, 2, 0)
    assert target.import_document(copy.deepcopy(doc)) == ImportReport(0, 25, 0, 2)
    assert target.count() == 25 and len(target.mocks()) == 2
    # records join the importing user's history; the user's own prefs win over imported ones
    assert {a.user for a in target.attempts()} == {"alice"}
    assert (target.get_pref("dialect"), target.get_pref("goal")) == ("duckdb", doc["prefs"]["goal"])
    # uids are global: importing into the source adds nothing either
    assert source.import_document(doc) == ImportReport(0, 25, 0, 2)
    assert source.count() == 25


def _doc() -> dict[str, Any]:
    attempts = [dataclasses.replace(make_attempt(i), uid=f"uid-{i:03d}") for i in range(8)]
    return build_document(attempts, [make_mock(1), make_mock(2)], {"dialect": "duckdb"})


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        holder = doc
        for step in path[:-1]:
            holder = holder[step]
        holder[path[-1]] = value
    return change


def _drop(*path: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        holder = doc
        for step in path[:-1]:
            holder = holder[step]
        del holder[path[-1]]
    return change


# (mutation, the message, a text unique to the bad spot in the indented JSON, lines from it to the error)
MALFORMED = {
    "score-text": (_set("attempts", 3, "score", value="abc"),
                   "attempts[3].score: expected a number, got 'abc'", '"score": "abc"', 0),
    "missing-field": (_drop("attempts", 2, "submitted_at"), "attempts[2]: missing field 'submitted_at'",
                      '"uid": "uid-002"', -1),
    "bad-date": (_set("attempts", 4, "submitted_at", value="2026-13-01T00:00:00+00:00"),
                 "attempts[4].submitted_at: expected an ISO 8601 date-time with a UTC offset, "
                 "got '2026-13-01T00:00:00+00:00'", '"2026-13-01T00:00:00+00:00"', 0),
    "naive-date": (_set("attempts", 5, "submitted_at", value="2026-03-01T09:30:00"),
                   "attempts[5].submitted_at: expected an ISO 8601 date-time with a UTC offset, "
                   "got '2026-03-01T09:30:00' (no offset)", '"2026-03-01T09:30:00"', 0),
    "passed-text": (_set("attempts", 1, "passed", value="yes"),
                    "attempts[1].passed: expected true or false, got 'yes'", '"passed": "yes"', 0),
    "dimension-text": (_set("attempts", 6, "dimensions", "clarity", value="high"),
                       "attempts[6].dimensions.clarity: expected a number, got 'high'",
                       '"clarity": "high"', 0),
    "topic-number": (_set("attempts", 5, "topics", value=["joins", 3]),
                     "attempts[5].topics[1]: expected a string, got 3", '"joins",\n        3', 1),
    "unknown-field": (_set("attempts", 2, "grade", value="A-plus"), "attempts[2].grade: unknown field",
                      '"grade": "A-plus"', 0),
    "duplicate-uid": (_set("attempts", 6, "uid", value="uid-001"),
                      "attempts[6].uid: 'uid-001' is also the uid of attempts[1]", '"uid": "uid-001"', 0),
    "negative-hints": (_set("attempts", 3, "hints_used", value=-1),
                       "attempts[3].hints_used: expected an integer from 0 to 2147483647, got -1",
                       '"hints_used": -1', 0),
    "nan-score": (_set("attempts", 7, "score", value=math.nan),
                  "attempts[7].score: expected a finite number, got NaN", '"score": NaN', 0),
    "not-an-object": (_set("attempts", 3, value="not-an-object"),
                      "attempts[3]: expected an object, got 'not-an-object'", '"not-an-object"', 0),
    "mock-status": (_set("mocks", 1, "status", value="paused"),
                    "mocks[1].status: expected one of running, finished, abandoned, got 'paused'",
                    '"status": "paused"', 0),
    "question-minutes": (_set("mocks", 1, "questions", 2, "minutes", value="5"),
                         "mocks[1].questions[2].minutes: expected an integer, got '5'", '"minutes": "5"', 0),
    "format": (_set("format", value="csv-export"),
               "format: expected \"format\": \"pmdrill-history\", got 'csv-export'",
               '"format": "csv-export"', 0),
    "version": (_set("version", value=2),
                "version: version 2 was written by a newer pmdrill; upgrade pmdrill to import it",
                '"version": 2', 0),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_document_is_refused_whole(backend: Backend, case: str) -> None:
    change, message, needle, lines_after = MALFORMED[case]
    doc = _doc()
    change(doc)
    tracker = backend.open()

    with pytest.raises(ContentError) as caught:
        tracker.import_document(copy.deepcopy(doc), source="upload.json")
    assert (caught.value.message, caught.value.path, caught.value.line) == (message, "upload.json", None)

    text = json.dumps(doc, indent=2, ensure_ascii=False)
    expected_line = text.count("\n", 0, text.rindex(needle)) + 1 + lines_after
    with pytest.raises(ContentError) as caught:
        tracker.import_text(text, source="upload.json")
    assert (caught.value.message, caught.value.line) == (message, expected_line)
    assert str(caught.value) == f"upload.json:{expected_line}: {message}"

    assert (tracker.count(), tracker.mocks(), tracker.get_pref("dialect")) == (0, [], None)


def test_a_json_syntax_error_names_line_and_column(backend: Backend) -> None:
    tracker = backend.open()
    text = '{\n  "format": "pmdrill-history",\n  "version": 1\n  "attempts": []\n}\n'
    with pytest.raises(ContentError) as caught:
        tracker.import_text(text, source="history.json")
    assert (caught.value.path, caught.value.line, caught.value.fields["column"]) == ("history.json", 4, 3)
    assert caught.value.message == "not valid JSON: Expecting ',' delimiter (line 4, column 3)"
    good = json.dumps(_doc(), indent=2)
    with pytest.raises(ContentError) as caught:
        tracker.import_text(good[: good.index('"uid-004"') + 4], source="cut.json")
    assert caught.value.line == good.count("\n", 0, good.index('"uid-004"')) + 1
    assert tracker.count() == 0


@pytest.mark.postgres
def test_a_record_the_database_refuses_rolls_back_the_whole_import(postgres_url: str, tmp_path: Path) -> None:
    with Backend("postgres", tmp_path, postgres_url) as made:
        tracker = made.open()
        doc = _doc()
        doc["attempts"][-1]["answer"] = "SELECT 1 \x00"  # valid JSON, but PostgreSQL text cannot hold NUL
        with pytest.raises(TrackerError, match="cannot write to"):
            tracker.import_document(doc)
        assert (tracker.count(), tracker.mocks(), tracker.get_pref("dialect")) == (0, [], None)
