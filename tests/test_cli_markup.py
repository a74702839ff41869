"""What a candidate types is printed as typed: rich markup in an answer or a SQL error is text, not style."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmdrill.adapters.cli.main import main


@pytest.fixture(autouse=True)
def _tiny(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMDRILL_WAREHOUSE", str(tiny_warehouse))


def test_a_flagged_sentence_with_markup_is_quoted_verbatim(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    answer = tmp_path / "a.md"
    answer.write_text("CTR is up 15% [bold]so[/] the new model is a win [/i]. We should optimise for clicks.",
                      encoding="utf-8")
    assert main(["case", "score", "rec-engine-success", "--answer", str(answer), "--json"]) == 0
    flags = json.loads(capsys.readouterr().out)["red_flags"]
    flagged = next(f["evidence"] for f in flags if "[bold]so[/]" in f["evidence"])
    assert main(["case", "score", "rec-engine-success", "--answer", str(answer)]) == 0
    assert f'"{flagged}"' in capsys.readouterr().out


def test_a_sql_error_naming_a_bracketed_column_is_printed_verbatim(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    answer = tmp_path / "a.sql"
    answer.write_text('SELECT "[/i]" FROM learners', encoding="utf-8")
    assert main(["sql", "check", "paying-learners-may-2026", "--answer", str(answer), "--json"]) == 0
    error = json.loads(capsys.readouterr().out)["error"]
    assert "[/i]" in error
    assert main(["sql", "check", "paying-learners-may-2026", "--answer", str(answer)]) == 0
    assert error in capsys.readouterr().out


def test_a_mock_debrief_quoting_markup_renders_it_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mock", "show", "--seed", "2", "--json"]) == 0
    questions = json.loads(capsys.readouterr().out)["questions"]
    folder = tmp_path / "answers"
    folder.mkdir()
    for q in questions:
        if q["kind"] != "sql":
            (folder / q["answer_file"]).write_text("Success is more [red]daily active users[/], so we should "
                                                   "send more push notifications to drive logins.")
    assert main(["mock", "run", "--seed", "2", "--answers", str(folder), "--json"]) == 0
    flags = json.loads(capsys.readouterr().out)["red_flags"]
    assert flags and all("[red]daily active users[/]" in f["evidence"] for f in flags)
    assert main(["mock", "debrief"]) == 0
    out = capsys.readouterr().out
    assert f"“{flags[0]['evidence']}”" in out
