"""The settings table: documented, typed (parsed once), secrets never printed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmdrill import settings
from pmdrill.adapters.cli.main import app, main
from pmdrill.errors import SettingsError
from pmdrill.settings import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting: settings.Setting) -> None:
    text = DOCS.read_text()
    assert f"| {setting.name} |" in text and f"`{setting.env}`" in text


def test_values_are_typed_once() -> None:
    s = Settings.load({"PMDRILL_SEED": "7", "PMDRILL_AS_OF": "2026-05-31", "PMDRILL_RECORD": "no",
                       "PMDRILL_SCALE": "tiny", "PMDRILL_DESIRED_RETENTION": "0.85"})
    assert s.seed == 7 and s.as_of == dt.date(2026, 5, 31) and s.record is False
    assert s.scale == "tiny" and s.desired_retention == 0.85
    defaults = Settings.load({})
    assert defaults.as_of == dt.date(2026, 6, 30) and defaults.record is True and defaults.seed == 42


@pytest.mark.parametrize(("env", "value", "expected"), [
    ("PMDRILL_SEED", "seven", "a whole number"),
    ("PMDRILL_AS_OF", "June", "a date"),
    ("PMDRILL_RECORD", "maybe", "true or false"),
    ("PMDRILL_SCALE", "huge", "one of tiny, small, medium, large"),
    ("PMDRILL_DESIRED_RETENTION", "1.5", "at most 0.99"),
    ("PMDRILL_PORT", "0", "at least 1"),
])
def test_bad_values_name_the_variable(env: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError, match=f"{env}='{value}' is not {expected}"):
        Settings.load({env: value})


def test_home_comes_from_environment(_pmdrill_home: Path) -> None:
    s = Settings.load()
    assert s.home == _pmdrill_home
    assert s.ensure_home().is_dir()
    assert s.warehouse_path("tiny") == _pmdrill_home / "warehouse-tiny.duckdb"
    assert s.tracker_location() == f"sqlite:///{_pmdrill_home / 'history.sqlite3'}"


def test_secret_never_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMDRILL_POSTGRES_URL", "postgresql://u:hunter2@localhost/db")
    monkeypatch.setenv("PMDRILL_TRACKER_URL", "postgresql://u:hunter3@localhost/db")
    result = CliRunner().invoke(app, ["settings", "--json"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and "hunter3" not in result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["postgres_url"]["value"] == "Secret('**********')"
    assert rows["record"]["value"] is True and rows["as_of"]["value"] == "2026-06-30"
    loaded = Settings.load()
    assert "hunter2" not in repr(loaded) and loaded.postgres_url.reveal().endswith("@localhost/db")


def test_user_error_is_one_line_without_traceback(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PMDRILL_SEED", "x")
    assert main(["settings"]) == 2
    err = capsys.readouterr().err
    assert "PMDRILL_SEED='x' is not a whole number" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
