"""`pmdrill warehouse load-postgres`: loads, reports counts, and never shows the URL's password."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from pmdrill.adapters.cli.main import app
from pmdrill.adapters.postgres_store import mask_url
from pmdrill.errors import EngineError, SettingsError

# the masking and settings tests need no server; the others share the session's one
on_server = pytest.mark.xdist_group("postgres")


def _password(url: str) -> str:
    password = psycopg.conninfo.conninfo_to_dict(url).get("password")
    assert password, "the test server's URL has a password"
    return str(password)


@pytest.mark.postgres
@on_server
def test_load_postgres_json_masks_the_password(postgres_url: str, pg_schema: str,
                                               tiny_warehouse: Path) -> None:
    result = CliRunner().invoke(app, ["warehouse", "load-postgres", "--url", postgres_url, "--schema",
                                         pg_schema, "--warehouse", str(tiny_warehouse), "--json"])
    assert result.exit_code == 0, result.output
    assert _password(postgres_url) not in result.output
    data = json.loads(result.stdout)
    assert data["url"] == mask_url(postgres_url) and "****" in data["url"]
    assert data["schema"] == pg_schema
    with psycopg.connect(postgres_url) as con:
        learners = con.execute(f"SELECT count(*) FROM {pg_schema}.learners").fetchone()
    assert learners is not None and data["tables"]["learners"] == learners[0] > 0


@pytest.mark.postgres
@on_server
def test_load_postgres_text_reads_the_url_setting(postgres_url: str, pg_schema: str, tiny_warehouse: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMDRILL_POSTGRES_URL", postgres_url)
    result = CliRunner().invoke(app, ["warehouse", "load-postgres", "--schema", pg_schema,
                                         "--warehouse", str(tiny_warehouse)])
    assert result.exit_code == 0, result.output
    assert _password(postgres_url) not in result.output
    assert f"into schema {pg_schema}" in result.output
    assert "****" in result.output


@pytest.mark.postgres
@on_server
def test_wrong_password_error_hides_it(postgres_url: str, pg_schema: str, tiny_warehouse: Path) -> None:
    secret = "Wr0ng-S3cret-abc"
    bad = postgres_url.replace(_password(postgres_url), secret)
    result = CliRunner().invoke(app, ["warehouse", "load-postgres", "--url", bad, "--schema", pg_schema,
                                         "--warehouse", str(tiny_warehouse)])
    assert isinstance(result.exception, EngineError)
    shown = result.output + str(result.exception) + json.dumps(result.exception.to_dict())
    assert secret not in shown
    assert "****" in str(result.exception)


def test_missing_url_is_a_settings_error(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PMDRILL_POSTGRES_URL", raising=False)
    result = CliRunner().invoke(app, ["warehouse", "load-postgres", "--warehouse", str(tiny_warehouse)])
    assert isinstance(result.exception, SettingsError)


@pytest.mark.parametrize(("text", "hidden"), [
    ("postgresql://u:pa%40ss@h:5432/d", "pa%40ss"),
    ("could not connect to postgres://bob:hunter2@db.example/x (timeout)", "hunter2"),
    ("host=h user=u password=s3cr3t dbname=d", "s3cr3t"),
    ("host=h password='with space' dbname=d", "with space"),
])
def test_mask_url_hides_every_password_form(text: str, hidden: str) -> None:
    masked = mask_url(text)
    assert hidden not in masked
    assert "****" in masked


def test_mask_url_hides_a_password_echoed_elsewhere() -> None:
    url = "postgresql://u:t0psecret@h/d"
    assert mask_url("server said: bad password t0psecret", url) == "server said: bad password ****"
