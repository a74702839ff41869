"""`pmdrill sql ...` through the real entry point: JSON shapes, exit codes, batch, the sandboxed runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmdrill.adapters.cli.main import main
from pmdrill.core.sqlcheck import bank
from sqlcheck_fixtures import make_warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_warehouse(tmp_path_factory.mktemp("wh"))


@pytest.fixture(autouse=True)
def _use_warehouse(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMDRILL_WAREHOUSE", str(warehouse))


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    code, out, err = run([*args, "--json"], capsys)
    assert code == 0, err
    return json.loads(out)


def test_list_and_filters(capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(["sql", "list"], capsys)
    assert len(rows) == len(bank.load_bank())
    assert {"id", "title", "difficulty", "topics"} <= set(rows[0])
    easy = run_json(["sql", "list", "--difficulty", "easy"], capsys)
    assert easy and all(r["difficulty"] == "easy" for r in easy) and len(easy) < len(rows)
    topic = rows[0]["topics"][0]
    assert all(topic in r["topics"] for r in run_json(["sql", "list", "--topic", topic], capsys))


def test_show_never_leaks_the_solution(capsys: pytest.CaptureFixture[str]) -> None:
    q = bank.load_bank()[0]
    data = run_json(["sql", "show", q.id], capsys)
    assert data["framing"] == q.framing and set(data["table_columns"]) == set(q.tables)
    assert q.reference not in json.dumps(data)
    code, out, _ = run(["sql", "show", q.id], capsys)
    assert code == 0 and q.title in out and q.reference.splitlines()[0] not in out


def test_hint_levels_and_solution(capsys: pytest.CaptureFixture[str]) -> None:
    q = bank.load_bank()[0]
    h2 = run_json(["sql", "hint", q.id, "--level", "2"], capsys)
    assert h2["hints"] == list(q.hints[:2]) and h2["hint"] == q.hints[1]
    code, _, err = run(["sql", "hint", q.id, "--level", str(len(q.hints) + 1)], capsys)
    assert code == 2 and "hint levels" in err
    sol = run_json(["sql", "solution", q.id], capsys)
    assert sol["reference"] == q.reference


def test_unknown_id_exits_1_and_a_missing_file_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(["sql", "show", "no-such-question"], capsys)
    assert code == 1 and "no-such-question" in err
    q = bank.load_bank()[0]
    code, _, err = run(["sql", "check", q.id, "--answer", str(tmp_path / "missing.sql")], capsys)
    assert code == 2 and "not found" in err


def test_logic_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    q = bank.load_bank()[0]
    data = run_json(["sql", "logic", q.id, "--plan", q.logic], capsys)
    assert data["parts"] and data["summary"]["questioned"] == 0
    # the question's own logic statement names every part the reference has
    assert data["summary"]["confirmed"] >= len(data["parts"]) - 1
    f = tmp_path / "plan.txt"
    f.write_text(q.logic)
    assert run_json(["sql", "logic", q.id, "--plan-file", str(f)], capsys)["parts"] == data["parts"]
    code, _, _ = run(["sql", "logic", q.id], capsys)
    assert code == 2


def test_check_right_and_wrong_through_the_sandbox(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    q = bank.load_bank()[0]
    right = tmp_path / "right.sql"
    right.write_text(q.reference)
    data = run_json(["sql", "check", q.id, "--answer", str(right)], capsys)
    assert data["correct"] is True and data["error"] is None and data["counterexample"] is None
    assert data["timings_ms"]["total"] > 0
    wrong = tmp_path / "wrong.sql"
    wrong.write_text(q.wrong_answers[0].sql if q.wrong_answers else "SELECT 1")
    data = run_json(["sql", "check", q.id, "--answer", str(wrong)], capsys)
    assert data["correct"] is False and data["feedback"]
    code, out, _ = run(["sql", "check", q.id, "--answer", str(wrong)], capsys)
    assert code == 0 and "Not yet" in out


def test_check_with_a_reference_file_and_dialect(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ref = tmp_path / "ref.sql"
    ref.write_text("SELECT level, COUNT(*) AS n FROM courses GROUP BY level")
    ans = tmp_path / "ans.sql"
    ans.write_text("SELECT `level`, COUNT(*) FROM courses GROUP BY `level`")
    data = run_json(["sql", "check", "--reference", str(ref), "--answer", str(ans), "--dialect", "mysql"], capsys)
    assert data["correct"] is True
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT level,\n  COUNT(* FROM courses")
    data = run_json(["sql", "check", "--reference", str(ref), "--answer", str(bad)], capsys)
    assert data["correct"] is False and "line 2" in data["error"]


def test_batch_keeps_order_and_survives_bad_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    q = bank.load_bank()[0]
    lines = [
        json.dumps({"id": q.id, "answer": q.reference}),
        "this is not json",
        json.dumps({"id": "no-such-question", "answer": "SELECT 1"}),
        json.dumps({"reference": "SELECT COUNT(*) FROM courses", "answer": "SELECT COUNT(course_id) FROM courses",
                    "dialect": "postgres"}),
        json.dumps({"id": q.id}),
        json.dumps({"id": q.id, "answer": "SELEC 1"}),
    ]
    f = tmp_path / "batch.jsonl"
    f.write_text("\n".join(lines) + "\n")
    data = run_json(["sql", "check", "--batch", str(f)], capsys)
    assert isinstance(data, list) and len(data) == len(lines)
    assert [d["correct"] for d in data] == [True, False, False, True, False, False]
    assert data[0]["error"] is None
    for i in (1, 2, 4, 5):
        assert data[i]["error"], i
    assert all({"correct", "error", "feedback", "counterexample", "timings_ms"} <= set(d) for d in data)


def test_postgres_engine_without_url_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PMDRILL_POSTGRES_URL", raising=False)
    q = bank.load_bank()[0]
    ans = tmp_path / "a.sql"
    ans.write_text(q.reference)
    code, _, err = run(["sql", "check", q.id, "--answer", str(ans), "--engine", "postgres"], capsys)
    assert code == 1 and "--url" in err
