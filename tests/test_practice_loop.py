"""The practice loop through the real CLI on a real tracker: attempts recorded, reviewed, re-planned,
exported and imported, re-graded; mocks from files; the history's file problems said in one line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from pmdrill.adapters.cli.main import main
from pmdrill.app import records
from pmdrill.context import Context
from pmdrill.core.items import Outcome, split_id
from pmdrill.core.judgement import loader
from pmdrill.core.sqlcheck import bank
from terminal import PMDRILL

Q = "paying-learners-may-2026"
CASE = "rec-engine-success"


@pytest.fixture(autouse=True)
def _tiny(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PMDRILL_WAREHOUSE", str(tiny_warehouse))
    return tiny_warehouse


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def attempts() -> list[Any]:
    with Context() as ctx:
        return ctx.tracker.attempts()


def test_a_graded_answer_is_recorded_with_its_provenance(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        _tiny: Path) -> None:
    q = bank.get_question(Q)
    right = write(tmp_path, "right.sql", q.reference)
    data = run_json(capsys, "sql", "check", Q, "--answer", str(right))
    assert data["correct"] is True and data["recorded"] is True and isinstance(data["attempt_id"], int)
    assert data["item_id"] == f"sql:{Q}" and data["score"] == 100.0
    assert data["dimensions"] == {"sql_logic": 100.0, "sql_correctness": 100.0}
    saved = attempts()
    assert len(saved) == 1 and saved[0].id == data["attempt_id"] and saved[0].answer == q.reference
    prov = saved[0].provenance
    assert prov["judge"].startswith("grader-") and prov["warehouse"]["scale"] == "tiny"
    assert prov["warehouse"]["seed"] == 42 and prov["content_hash"] == records.content_hash(q.reference, q.framing)
    assert run_json(capsys, "sql", "check", Q, "--answer", str(right), "--no-record")["recorded"] is False
    assert len(attempts()) == 1


def test_hints_seen_and_time_taken_go_with_the_next_answer(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    q = bank.get_question(Q)
    run_json(capsys, "sql", "show", Q)
    run_json(capsys, "sql", "hint", Q, "--level", "2")
    run_json(capsys, "sql", "check", Q, "--answer", str(write(tmp_path, "a.sql", q.reference)))
    first = attempts()[-1]
    assert first.hints_used == 2 and first.seconds is not None and 0 <= first.seconds < 120
    run_json(capsys, "sql", "check", Q, "--answer", str(write(tmp_path, "b.sql", q.reference)))
    assert attempts()[-1].hints_used == 0  # the hints belonged to the first answer


def test_a_logic_first_plan_is_recorded_with_the_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    q = bank.get_question(Q)
    run_json(capsys, "sql", "logic", Q, "--plan", q.logic)
    data = run_json(capsys, "sql", "check", Q, "--answer", str(write(tmp_path, "a.sql", q.reference)))
    assert data["plan"]["text"] == q.logic and data["plan"]["confirmed_share"] > 0.5
    assert attempts()[-1].detail["correct"] is True


def _record(ctx: Context, item: str, *, passed: bool, days_ago: float, why: str = "the join drops learners",
            kind: str = "sql", dims: dict[str, float] | None = None) -> None:
    outcome = Outcome(item, kind, item, passed, 100.0 if passed else 0.0,
                      dims if dims is not None else {"sql_logic": 100.0 if passed else 25.0,
                                                     "sql_correctness": 100.0 if passed else 0.0},
                      [] if passed else [__import__("pmdrill.core.items", fromlist=["Flag"]).Flag("sql_join", why)],
                      ("joins",), {"correct": passed})
    records.record(ctx, outcome, answer="SELECT 1", submitted_at=records.now() - dt.timedelta(days=days_ago))


def test_a_failed_item_comes_back_for_review_with_why(capsys: pytest.CaptureFixture[str]) -> None:
    with Context() as ctx:
        _record(ctx, f"sql:{Q}", passed=False, days_ago=2, why="the LEFT JOIN's rows were dropped by a WHERE filter")
        _record(ctx, "sql:first-module-completion-rate", passed=True, days_ago=1)  # FSRS: back in 2 days
    data = run_json(capsys, "review")
    due = {d["id"]: d for d in data["items"]}
    assert f"sql:{Q}" in due and "sql:first-module-completion-rate" not in due
    assert due[f"sql:{Q}"]["why"].startswith("failed 2 days ago: the LEFT JOIN's rows were dropped")
    assert {"id", "kind", "due", "why"} <= set(due[f"sql:{Q}"])
    assert len(due) == len(data["items"])  # no item twice
    nxt = run_json(capsys, "review", "--next")
    assert nxt["item"]["id"] == data["items"][0]["id"] and nxt["question"]["answer_with"].startswith("pmdrill ")


def test_progress_reports_dimensions_topics_weakest_and_streaks(capsys: pytest.CaptureFixture[str]) -> None:
    with Context() as ctx:
        for days in (3, 2, 1):
            _record(ctx, f"sql:{Q}", passed=False, days_ago=days)
        _record(ctx, f"case:{CASE}", passed=True, days_ago=0, kind="case",
                dims={"signal_selection": 90.0, "learner_outcomes": 80.0})
    data = run_json(capsys, "progress")
    assert data["attempts"] == 4
    assert data["dimensions"]["sql_correctness"]["latest"] == 0.0
    assert data["dimensions"]["signal_selection"]["latest"] == 90.0
    assert len(data["dimensions"]["sql_logic"]["trend"]) == 3
    assert data["weakest"][0] in ("sql_correctness", "joins")
    assert data["streak"]["current"] == 4 and data["streak"]["days_practised"] == 4
    assert data["topics"]["joins"] == {"attempts": 3, "correct": 0, "accuracy": 0.0}  # SQL attempts only


def test_the_plan_keeps_the_budget_and_rest_days_and_adapts(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    start = dt.datetime.now(dt.UTC).date()
    interview = start + dt.timedelta(days=21)
    ics = tmp_path / "plan.ics"
    data = run_json(capsys, "plan", "--interview-date", interview.isoformat(), "--hours-per-day", "1",
                    "--rest-days", "sun", "--ics", str(ics), "--markdown", str(tmp_path / "plan.md"))
    days = data["days"]
    assert days[0]["date"] == start.isoformat() and days[-1]["date"] == (interview - dt.timedelta(days=1)).isoformat()
    for day in days:
        assert day["minutes"] <= 60 and sum(t["minutes"] for t in day["tasks"]) == day["minutes"]
        if dt.date.fromisoformat(day["date"]).weekday() == 6:
            assert day["tasks"] == []
        assert all({"kind", "id", "title", "minutes", "why"} <= set(t) for t in day["tasks"])
    ids = [t["id"] for d in days for t in d["tasks"]]
    assert {"kpi:course_completion_rate", "kpi:time_to_first_milestone", "kpi:certification_velocity"} <= set(ids)
    last_week = [t for d in days[-7:] for t in d["tasks"] if t["kind"] == "mock"]
    assert len(last_week) >= 2
    events = [c for c in Calendar.from_ical(ics.read_bytes()).walk() if c.name == "VEVENT"]
    assert len(events) == sum(1 for d in days if d["tasks"]) + 1  # one a day, plus the interview
    assert "## " in (tmp_path / "plan.md").read_text()
    # remembered: the next call plans to the same date, and today shows the first day's tasks
    again = run_json(capsys, "plan")
    assert again["interview_date"] == interview.isoformat() and again["hours_per_day"] == 1.0
    today = run_json(capsys, "today")
    assert today["tasks"] == again["days"][0]["tasks"]
    # it adapts: strong SQL answers move the weight toward what is still untested
    with Context() as ctx:
        for days_ago in (2, 1, 0):
            for qid in ("first-module-completion-rate", Q):
                _record(ctx, f"sql:{qid}", passed=True, days_ago=days_ago)
    after = run_json(capsys, "plan")
    sql_before = sum(1 for d in again["days"] for t in d["tasks"] if t["id"].startswith("sql:"))
    sql_after = sum(1 for d in after["days"] for t in d["tasks"] if t["id"].startswith("sql:"))
    assert sql_after < sql_before


def test_export_import_round_trip_is_lossless_and_idempotent(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    q = bank.get_question(Q)
    run_json(capsys, "sql", "check", Q, "--answer", str(write(tmp_path, "a.sql", q.reference)))
    run_json(capsys, "case", "score", CASE, "--answer",
             str(write(tmp_path, "c.md", loader.get_case(CASE).model_answer)))
    first = tmp_path / "history.json"
    assert run_json(capsys, "export", "--out", str(first))["attempts"] == 2
    monkeypatch.setenv("PMDRILL_HOME", str(tmp_path / "other-home"))
    report = run_json(capsys, "import", str(first))
    assert report["added_attempts"] == 2 and report["skipped_attempts"] == 0
    assert run_json(capsys, "import", str(first))["added_attempts"] == 0
    second = tmp_path / "again.json"
    run_json(capsys, "export", "--out", str(second))
    assert json.loads(second.read_text()) == json.loads(first.read_text())
    assert second.read_text() == first.read_text()
    doc = json.loads(first.read_text())
    doc["attempts"][1]["score"] = "high"
    doc["attempts"][0]["uid"] = "f" * 32
    bad = write(tmp_path, "bad.json", json.dumps(doc, indent=1))
    code, _, err = run(capsys, "import", str(bad))
    assert code == 1 and "attempts[1].score" in err and "bad.json" in err and len(err.strip().splitlines()) == 1
    assert run_json(capsys, "progress")["attempts"] == 2  # nothing half-imported


def test_regrade_lists_the_verdicts_that_changed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    q = bank.get_question(Q)
    with Context() as ctx:  # an answer an older, stricter grader once rejected
        outcome = Outcome(f"sql:{Q}", "sql", q.title, False, 0.0, {}, [], q.topics, {"correct": False})
        records.record(ctx, outcome, answer=q.reference, dialect="duckdb",
                       question_hash=records.content_hash(q.reference, q.framing))
    run_json(capsys, "sql", "check", Q, "--answer", str(write(tmp_path, "w.sql", "SELECT 7 AS n")))
    data = run_json(capsys, "regrade")
    assert data["regraded"] == 2 and len(data["changed"]) == 1
    change = data["changed"][0]
    assert change["item_id"] == f"sql:{Q}" and change["before"]["passed"] is False
    assert change["after"] == {"passed": True, "score": 100.0} and change["content_changed"] is False
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    assert run_json(capsys, "regrade", "--since", tomorrow)["regraded"] == 0
    assert len(attempts()) == 2  # re-grading rewrites nothing


def _answers_for(questions: list[dict[str, Any]], folder: Path, *, strong: bool) -> None:
    folder.mkdir(exist_ok=True)
    for q in questions:
        bare = split_id(q["id"])[1]
        if q["kind"] == "sql":
            sq = bank.get_question(bare)
            write(folder, q["answer_file"], sq.reference if strong else "SELECT 1 AS n")
            if strong:
                write(folder, q["plan_file"], sq.logic)
        else:
            text = loader.get_case(bare).model_answer if strong else \
                "I would track daily active users and clicks, and ship it because engagement went up."
            write(folder, q["answer_file"], text)


def test_a_mock_from_files_gives_a_committee_debrief(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shown = run_json(capsys, "mock", "show", "--seed", "5")
    questions = shown["questions"]
    assert len(questions) >= 3 and {q["kind"] for q in questions} >= {"sql", "case"}
    assert all({"id", "kind", "answer_file"} <= set(q) for q in questions)
    _answers_for(questions, tmp_path / "strong", strong=True)
    good = run_json(capsys, "mock", "run", "--seed", "5", "--answers", str(tmp_path / "strong"))
    assert {"verdict", "dimensions", "red_flags", "questions"} <= set(good)
    assert [q["id"] for q in good["questions"]] == [q["id"] for q in questions]
    assert good["verdict"] in ("hire", "strong_hire"), good["reasons"]
    assert not good["red_flags"]
    by_name = {d["name"]: d for d in good["dimensions"]}
    assert by_name["sql_correctness"]["score"] == 100.0 and by_name["sql_correctness"]["evidence"]
    assert Path(good["html"]).is_file() and "<script" not in Path(good["html"]).read_text()
    _answers_for(questions, tmp_path / "weak", strong=False)
    bad = run_json(capsys, "mock", "run", "--seed", "5", "--answers", str(tmp_path / "weak"))
    assert bad["verdict"] in ("no_hire", "strong_no_hire") and bad["flip"]
    assert bad["score"] < good["score"]
    history = run_json(capsys, "mock", "history")
    assert [h["verdict"] for h in history] == [bad["verdict"], good["verdict"]]
    assert run_json(capsys, "today")["last_debrief"]["verdict"] == bad["verdict"]


def test_two_processes_record_at_once_without_losing_or_locking(tmp_path: Path, _tiny: Path) -> None:
    q = bank.get_question(Q)
    answer = write(tmp_path, "a.sql", q.reference)
    env = {**os.environ, "PMDRILL_WAREHOUSE": str(_tiny)}
    batch = write(tmp_path, "batch.jsonl", "\n".join(json.dumps({"id": Q, "answer": q.reference}) for _ in range(15)))
    procs = [subprocess.Popen([str(PMDRILL), "sql", "check", "--batch", str(batch), "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert not any("locked" in o[1] for o in outs)
    assert len(attempts()) == 30 and len({a.uid for a in attempts()}) == 30
    assert answer.exists()


@pytest.mark.parametrize("damage", ["garbage", "newer"])
def test_a_damaged_or_newer_history_is_one_line_and_left_untouched(damage: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  _pmdrill_home: Path) -> None:
    history = _pmdrill_home / "history.sqlite3"
    run_json(capsys, "progress")  # creates it
    if damage == "garbage":
        history.write_bytes(b"this is not a database at all" * 200)
    else:
        import sqlite3

        con = sqlite3.connect(history)
        con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        con.commit()
        con.close()
    before = history.read_bytes()
    code, _, err = run(capsys, "progress")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert ("newer pmdrill" in err) if damage == "newer" else ("not" in err and "untouched" in err)
    assert history.read_bytes() == before


def test_the_loop_on_a_postgresql_history(postgres_url: str, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    import psycopg
    from psycopg import sql

    schema = f"pmloop_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        monkeypatch.setenv("PMDRILL_TRACKER_URL", f"{postgres_url}?options=-csearch_path%3D{schema}")
        q = bank.get_question(Q)
        data = run_json(capsys, "sql", "check", Q, "--answer", str(write(tmp_path, "a.sql", q.reference)))
        assert data["recorded"] is True
        run_json(capsys, "sql", "check", Q, "--answer", str(write(tmp_path, "w.sql", "SELECT 3 AS n")))
        prog = run_json(capsys, "progress")
        assert prog["attempts"] == 2 and prog["topics"]["revenue"]["correct"] == 1
        assert run_json(capsys, "export", "--out", str(tmp_path / "h.json"))["attempts"] == 2
        assert not (Path(os.environ["PMDRILL_HOME"]) / "history.sqlite3").exists()
        code, _, err = run(capsys, "settings")
        assert code == 0 and postgres_url.split("@")[0].split(":")[-1] not in err
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as con:
            con.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
