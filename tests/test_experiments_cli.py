"""`pmdrill experiment` and `pmdrill tradeoff` through the real CLI on the default build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmdrill.adapters.cli.main import app, main
from pmdrill.core.experiments import definitions as catalog
from pmdrill.errors import NotFoundError

runner = CliRunner()


@pytest.fixture
def warehouse_env(default_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PMDRILL_WAREHOUSE", str(default_warehouse))
    return default_warehouse


def test_unknown_experiment_exits_1_with_the_known_names(capsys: pytest.CaptureFixture[str]) -> None:
    result = runner.invoke(app, ["experiment", "analyze", "no_such_test"])
    assert result.exit_code == 1 and isinstance(result.exception, NotFoundError)
    assert main(["experiment", "analyze", "no_such_test"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no_such_test" in err and "early_paywall" in err and "streak_push" in err


@pytest.mark.slow
def test_list_json(warehouse_env: Path) -> None:
    result = runner.invoke(app, ["experiment", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["name"] for r in rows} == set(catalog.catalog())
    assert all(r["in_warehouse"] and r["assigned"] > 0 for r in rows)
    assert {"name", "primary", "guardrails", "assigned", "started_at", "ended_at"} <= set(rows[0])


@pytest.mark.slow
def test_analyze_json_keys(warehouse_env: Path) -> None:
    result = runner.invoke(app, ["experiment", "analyze", "new_onboarding", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"srm", "primary", "guardrails", "segments", "imbalance", "decision", "readout", "trustworthy"} <= set(data)
    assert data["decision"] == "invalid" and data["trustworthy"] is False
    assert {"lift", "lift_ci", "p_value", "test", "diff_ci"} <= set(data["primary"]["comparison"])


@pytest.mark.slow
def test_analyze_human_output(warehouse_env: Path) -> None:
    result = runner.invoke(app, ["experiment", "analyze", "streak_push"])
    assert result.exit_code == 0, result.output
    assert "Read-out" in result.output and "App opens per learner" in result.output
    assert "Decision:" in result.output


@pytest.mark.slow
def test_tradeoff_json_and_flags(warehouse_env: Path) -> None:
    result = runner.invoke(app, ["tradeoff", "paywall", "--json", "--referral-value", "75",
                                 "--horizon-months", "12"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"assumptions", "value_per_learner", "breakeven", "winner", "readout", "evidence"} <= set(data)
    ref = next(a for a in data["assumptions"] if a["name"] == "referral_value_usd")
    assert ref == {**ref, "value": 75.0, "source": "flag"}
    assert data["readout"][-1].startswith("Break-even:")


@pytest.mark.slow
def test_tradeoff_human_output(warehouse_env: Path) -> None:
    result = runner.invoke(app, ["tradeoff", "paywall"])
    assert result.exit_code == 0, result.output
    assert "Break-even:" in result.output and "derived" in result.output and "assumed" in result.output
