"""The settings table: documented, typed, secrets never printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmdrill import settings
from pmdrill.adapters.cli.main import app, main
from pmdrill.errors import SettingsError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting: settings.Setting) -> None:
    text = DOCS.read_text()
    assert f"| {setting.name} |" in text and f"`{setting.env}`" in text


def test_environment_overrides_and_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMDRILL_SEED", "7")
    assert settings.get("seed") == 7
    monkeypatch.setenv("PMDRILL_SEED", "seven")
    with pytest.raises(SettingsError, match="PMDRILL_SEED='seven'"):
        settings.get("seed")


def test_home_comes_from_environment(_pmdrill_home: Path) -> None:
    assert settings.home() == _pmdrill_home
    assert _pmdrill_home.is_dir()
    assert settings.warehouse_path("tiny") == _pmdrill_home / "warehouse-tiny.duckdb"


def test_secret_never_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMDRILL_POSTGRES_URL", "postgresql://u:hunter2@localhost/db")
    result = CliRunner().invoke(app, ["settings", "--json"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["postgres_url"]["value"] == "Secret('**********')"
    assert "hunter2" not in repr(settings.get("postgres_url"))


def test_user_error_is_one_line_without_traceback(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PMDRILL_SEED", "x")
    assert main(["settings"]) == 1
    err = capsys.readouterr().err
    assert "PMDRILL_SEED='x' is not a valid int" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
