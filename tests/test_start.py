"""`pmdrill start` (what `make run` calls) builds a missing warehouse once, then summarises it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmdrill.adapters.cli.main import app


def test_start_builds_once_then_summarises(monkeypatch: pytest.MonkeyPatch, _pmdrill_home: Path) -> None:
    monkeypatch.setenv("PMDRILL_SCALE", "tiny")
    first = CliRunner().invoke(app, ["start", "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output[first.output.index("{"):])
    path = Path(data["warehouse"]["path"])
    assert path == _pmdrill_home / "warehouse-tiny.duckdb" and path.exists()
    assert data["warehouse"]["tables"]["learners"] > 0 and "pmdrill sql list" in data["next"]
    built = path.stat().st_mtime_ns
    again = CliRunner().invoke(app, ["start"])
    assert again.exit_code == 0 and "Practise with:" in again.output
    assert path.stat().st_mtime_ns == built  # not rebuilt
