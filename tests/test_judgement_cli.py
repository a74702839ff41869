"""`pmdrill case list/show/score` through the real CLI entry point: exit codes, text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmdrill.adapters.cli.main import main
from pmdrill.core.judgement import loader


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_json_and_kind_filter(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "case", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and {"id", "title", "kind"} <= set(rows[0])
    assert {r["id"] for r in rows} == set(loader.default_bank())
    code, out, _ = run(capsys, "case", "list", "--kind", "tradeoff", "--json")
    assert code == 0 and {r["kind"] for r in json.loads(out)} == {"tradeoff"}
    code, out, _ = run(capsys, "case", "list", "--kind", "estimation", "--json")
    assert code == 0 and all(r["id"] in loader.default_bank() for r in json.loads(out))
    code, _, err = run(capsys, "case", "list", "--kind", "riddle")
    assert code == 2 and "unknown kind" in err


def test_show_hides_the_model_answer_until_asked(capsys: pytest.CaptureFixture[str]) -> None:
    case = loader.get_case("streak-push-critique")
    code, out, _ = run(capsys, "case", "show", case.id)
    assert code == 0 and "push notifications" in out and case.model_answer.split("\n")[0] not in out
    code, out, _ = run(capsys, "case", "show", case.id, "--json")
    data = json.loads(out)
    assert data["prompt"] == case.prompt and "model_answer" not in data
    assert [r["dimension"] for r in data["rubric"]] == [d.name for d in case.dimensions]
    code, out, _ = run(capsys, "case", "show", case.id, "--model-answer", "--json")
    assert json.loads(out)["model_answer"] == case.model_answer
    code, _, err = run(capsys, "case", "show", "no-such-case")
    assert code == 1 and "no-such-case" in err


def test_score_json_has_the_contract_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text("CTR is up 15%, so the new model is a win. We should optimise for clicks.", encoding="utf-8")
    code, out, _ = run(capsys, "case", "score", "rec-engine-success", "--answer", str(answer), "--json")
    data = json.loads(out)
    assert code == 0
    assert {"score", "pass_mark", "dimensions", "red_flags", "missing"} <= set(data)
    assert data["score"] < data["pass_mark"] and data["passed"] is False
    flag = next(f for f in data["red_flags"] if f["code"] == "ctr_as_success")
    assert {"code", "message", "evidence"} <= set(flag) and "win" in flag["evidence"]
    assert data["missing"] and all("label" in m for m in data["missing"])


def test_score_text_output_and_model_answer_passes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = loader.get_case("easier-quizzes-readout")
    answer = tmp_path / "a.txt"
    answer.write_text(case.model_answer, encoding="utf-8")
    code, out, _ = run(capsys, "case", "score", case.id, "--answer", str(answer))
    # the verdict line itself: "Score NN/100 (pass mark 60): pass", never "below the pass mark"
    verdict = next(line for line in out.splitlines() if line.startswith("Score "))
    assert code == 0 and verdict.endswith(": pass") and "below the pass mark" not in out
    code, out, _ = run(capsys, "case", "score", case.id, "--answer", str(answer), "--json", "--no-record")
    assert json.loads(out)["passed"] is True


def test_score_a_prompt_not_in_the_bank(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answer = tmp_path / "a.txt"
    answer.write_text("Success is more daily active users. We should send more push notifications to drive logins.",
                      encoding="utf-8")
    code, out, _ = run(capsys, "case", "score", "--prompt", "How would you grow the mobile app?", "--answer",
                       str(answer), "--json")
    data = json.loads(out)
    assert code == 0 and data["case_id"] == "custom" and len(data["dimensions"]) == 7
    assert {"vanity_metric_success", "engagement_without_learning"} <= {f["code"] for f in data["red_flags"]}


def test_score_an_estimation_question(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    estimations = [c for c in loader.default_bank().values() if c.kind == "estimation"]
    if not estimations:
        pytest.skip("no estimation questions in the bank yet")
    case = estimations[0]
    answer = tmp_path / "a.txt"
    answer.write_text(case.model_answer, encoding="utf-8")
    code, out, _ = run(capsys, "case", "score", case.id, "--answer", str(answer), "--json")
    data = json.loads(out)
    assert code == 0 and data["estimate"]["in_range"] is True
    assert data["estimate"]["range"]["unit"] == case.range.unit


@pytest.mark.parametrize("args", [
    ("case", "score", "rec-engine-success", "--answer", "/no/such/file.txt"),
    ("case", "score", "--answer", "/dev/null"),
    ("case", "score", "rec-engine-success", "--prompt", "x", "--answer", "/dev/null"),
])
def test_score_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and err.strip()


def test_the_phrasing_cache_is_written_and_reused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  _pmdrill_home: Path) -> None:
    answer = tmp_path / "a.txt"
    answer.write_text("I would measure first-module completion of recommended enrollments.", encoding="utf-8")
    first = run(capsys, "case", "score", "rec-engine-success", "--answer", str(answer), "--json")
    cache = _pmdrill_home / "cache" / "case-embeddings.npz"
    assert cache.is_file()
    second = run(capsys, "case", "score", "rec-engine-success", "--answer", str(answer), "--json")
    assert json.loads(first[1])["score"] == json.loads(second[1])["score"]
