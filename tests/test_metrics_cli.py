"""`pmdrill metrics list|show|tree` through the real CLI on the default warehouse: exit codes and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmdrill.adapters.cli.main import app, main

runner = CliRunner()


@pytest.fixture()
def on_default(default_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PMDRILL_WAREHOUSE", str(default_warehouse))
    return default_warehouse


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_json_filters_by_kind_and_side() -> None:
    everything = _json(["metrics", "list", "--json"])
    assert everything["count"] == len(everything["kpis"]) >= 30
    assert {"id", "name", "kind", "side", "unit", "definition", "use_instead"} <= set(everything["kpis"][0])
    vanity = _json(["metrics", "list", "--kind", "vanity", "--json"])
    assert vanity["count"] >= 5 and {k["kind"] for k in vanity["kpis"]} == {"vanity"}
    assert all(k["use_instead"] for k in vanity["kpis"])
    educator = _json(["metrics", "list", "--side", "educator", "--json"])
    assert 0 < educator["count"] < everything["count"]
    assert {k["side"] for k in educator["kpis"]} == {"educator"}


def test_list_renders_a_table_and_rejects_an_unknown_kind() -> None:
    result = runner.invoke(app, ["metrics", "list"])
    assert result.exit_code == 0 and "course_completion_rate" in result.stdout
    assert main(["metrics", "list", "--kind", "fancy"]) == 2


def test_show_json_has_value_trend_segments_and_delta(on_default: Path) -> None:
    data = _json(["metrics", "show", "course_completion_rate", "--json"])
    assert {"id", "definition", "value", "trend", "segment_cuts", "counter_metrics", "vanity_risk",
            "delta_result", "sql", "as_of"} <= set(data)
    assert data["as_of"] == "2026-06-30"
    assert 0 < data["value"] < 1
    assert len(data["trend"]) >= 12 and set(data["trend"][0]) == {"month", "value"}
    assert {"dimension", "rows"} <= set(data["segment_cuts"][0])
    assert {"segment", "value", "n"} == set(data["segment_cuts"][0]["rows"][0])
    delta = data["delta_result"]
    assert delta["up"]["units"] > 0 > delta["down"]["units"]
    assert delta["up"]["usd_per_year"] > 0 and delta["up"]["certificates"] > 0
    assert delta["up"]["good"] is True


def test_show_renders_sparkline_and_delta(on_default: Path) -> None:
    result = runner.invoke(app, ["metrics", "show", "recommendation_ctr"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Recommendation click-through rate" in out and "Delta Framework" in out
    assert "Use instead" in out and "recommendation_progress_rate" in out
    assert any(bar in out for bar in "▁▂▃▄▅▆▇█")


def test_show_unknown_kpi_exits_1_with_a_message(on_default: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "show", "no_such_kpi"]) == 1
    assert "no KPI 'no_such_kpi'" in capsys.readouterr().err


def test_tree_json_and_render(on_default: Path) -> None:
    data = _json(["metrics", "tree", "--json"])
    root = data["root"]
    assert root["kpi"] == "north_star_skilled_learners"
    assert root["live"]["value"] > 0 and root["guardrails"] and "live" in root["guardrails"][0]
    assert {c["kpi"] for c in root["children"]} >= {"certification_velocity", "career_outcome_rate"}
    result = runner.invoke(app, ["metrics", "tree"])
    assert result.exit_code == 0, result.output
    assert "└── " in result.stdout and "Time to First Milestone = " in result.stdout
    assert "guardrails:" in result.stdout


def test_list_includes_the_users_own_kpi_files(_pmdrill_home: Path) -> None:
    from test_metrics_library import GOOD_KPI  # tests/ is on sys.path (rootdir conftest)

    (_pmdrill_home / "kpis").mkdir(parents=True)
    (_pmdrill_home / "kpis" / "mine.yaml").write_text(GOOD_KPI)
    ids = [k["id"] for k in _json(["metrics", "list", "--json"])["kpis"]]
    assert "my_rate" in ids and "course_completion_rate" in ids
