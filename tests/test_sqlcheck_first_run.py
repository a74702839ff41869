"""A first-time user's `pmdrill sql check` builds the warehouse instead of failing; counterexamples name
the tables the queries read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmdrill.adapters.cli.main import app


def test_check_builds_a_missing_warehouse_then_grades(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       _pmdrill_home: Path) -> None:
    monkeypatch.setenv("PMDRILL_SCALE", "tiny")
    answer = tmp_path / "a.sql"
    answer.write_text("SELECT COUNT(DISTINCT learner_id) FROM payments WHERE status = 'succeeded' "
                      "AND paid_at >= '2026-05-01' AND paid_at < '2026-06-01'")
    assert not (_pmdrill_home / "warehouse-tiny.duckdb").exists()
    result = CliRunner().invoke(app, ["sql", "check", "paying-learners-may-2026", "--answer", str(answer),
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert (_pmdrill_home / "warehouse-tiny.duckdb").exists()
    data = json.loads(result.output[result.output.index("{"):])
    # the answer forgets internal test accounts: wrong, with the logic named and a counterexample
    assert data["correct"] is False and data["error"] is None
    said = " ".join(data["feedback"]) + " ".join(d["message"] for d in data["logic_diff"])
    assert "not real learners" in said and "is_internal_test" not in said  # the candidate's terms first
    revealed = CliRunner().invoke(app, ["sql", "check", "paying-learners-may-2026", "--answer", str(answer),
                                        "--json", "--reveal", "--no-record"])
    more = json.loads(revealed.output[revealed.output.index("{"):])
    assert any("is_internal_test" in d.get("detail", "") for d in more["logic_detail"])  # and the clause on request
    ce = data["counterexample"]
    assert ce is not None and set(ce["read_tables"]) <= {"payments", "learners"}
    assert "payments" in ce["read_tables"] and set(ce["read_tables"]) <= set(ce["tables"])
