"""`pmdrill warehouse build | info | calibrate` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pmdrill.adapters.cli.main import app

runner = CliRunner()


def test_build_tiny_then_info(tmp_path: Path) -> None:
    out = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["warehouse", "build", "--scale", "tiny", "--seed", "3", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scale"] == "tiny" and data["seed"] == 3 and Path(data["path"]) == out
    info = runner.invoke(app, ["warehouse", "info", "--path", str(out), "--json"])
    assert info.exit_code == 0
    body = json.loads(info.stdout)
    assert {"path", "as_of", "seed", "scale", "tables"} <= set(body)
    assert body["tables"]["learners"] == 2_000 and body["seed"] == 3


def test_build_uses_settings_home(tmp_path: Path) -> None:
    result = runner.invoke(app, ["warehouse", "build", "--scale", "tiny", "--as-of", "2026-05-31", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-05-31" and Path(data["path"]).name == "warehouse-tiny.duckdb"


def test_info_human_output(tiny_warehouse: Path) -> None:
    result = runner.invoke(app, ["warehouse", "info", "--path", str(tiny_warehouse)])
    assert result.exit_code == 0 and "learning_events" in result.stdout and "seed 42" in result.stdout


def test_bad_as_of_is_a_clean_error(tmp_path: Path) -> None:
    from pmdrill.adapters.cli.main import main

    assert main(["warehouse", "build", "--scale", "tiny", "--as-of", "June", "--out", str(tmp_path / "x")]) == 2


def test_missing_warehouse_is_a_clean_error(tmp_path: Path) -> None:
    from pmdrill.adapters.cli.main import main

    assert main(["warehouse", "info", "--path", str(tmp_path / "none.duckdb")]) == 1


def test_calibrate_json_lists_every_check(tiny_warehouse: Path) -> None:
    from pmdrill.core.warehouse.truths import ALL

    result = runner.invoke(app, ["warehouse", "calibrate", "--path", str(tiny_warehouse), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [t.id for t in ALL]
    assert all(r["status"] in ("PASS", "FAIL") for r in rows)
    assert {"id", "quantity", "band", "measured", "status", "source"} <= set(rows[0])


def test_calibrate_table_output(tiny_warehouse: Path) -> None:
    result = runner.invoke(app, ["warehouse", "calibrate", "--path", str(tiny_warehouse)])
    rows = json.loads(runner.invoke(app, ["warehouse", "calibrate", "--path", str(tiny_warehouse), "--json"]).stdout)
    passed = sum(r["status"] == "PASS" for r in rows)
    # the summary line counts the verdicts the JSON holds, and each row shows its own verdict
    assert result.exit_code == 0 and f"{passed} of {len(rows)} pass" in result.stdout
    t1 = next(line for line in result.stdout.splitlines() if "│ T1 " in line)
    assert ("PASS" in t1) == (rows[0]["status"] == "PASS") and ("FAIL" in t1) == (rows[0]["status"] == "FAIL")
