"""`pmdrill warehouse export`: Parquet and CSV files round-trip through DuckDB with the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pmdrill.adapters.cli.main import app
from pmdrill.adapters.export import export_warehouse
from pmdrill.core.warehouse import schema as contract
from pmdrill.errors import SettingsError, WarehouseError

READERS = {"parquet": "read_parquet", "csv": "read_csv"}


def _counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
                                           ).fetchall() if not r[0].startswith("_")]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}
    finally:
        con.close()


def _file_count(con: duckdb.DuckDBPyConnection, fmt: str, path: Path) -> int:
    # all_varchar skips type sniffing (slow); quoting and embedded newlines are still parsed
    options = ", header = true, all_varchar = true" if fmt == "csv" else ""
    row = con.execute(f"SELECT count(*) FROM {READERS[fmt]}('{path}'{options})").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_table_round_trips_with_its_row_count(tiny_warehouse: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "export"
    report = export_warehouse(tiny_warehouse, out, fmt, as_of="2026-06-30")
    counts = _counts(tiny_warehouse)
    assert set(counts) >= set(contract.table_names())
    assert {t["table"]: t["rows"] for t in report.tables} == counts
    con = duckdb.connect()
    for name, rows in counts.items():
        assert _file_count(con, fmt, out / f"{name}.{fmt}") == rows, name
    assert not list(out.glob(".*partial"))
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.{fmt}" for n in counts] + ["README.md", "manifest.json"])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_values_survive_the_round_trip(tiny_warehouse: Path, tmp_path: Path, fmt: str) -> None:
    export_warehouse(tiny_warehouse, tmp_path, fmt)
    query = ("SELECT SUM(amount_usd), COUNT(enrollment_id), MIN(paid_at), MAX(paid_at), "
             "md5(string_agg(status, ',' ORDER BY payment_id)) FROM {}")
    want = duckdb.connect(str(tiny_warehouse), read_only=True).execute(query.format("payments")).fetchone()
    got = duckdb.connect().execute(query.format(f"{READERS[fmt]}('{tmp_path / f'payments.{fmt}'}')")
                                   ).fetchone()
    assert want is not None and got is not None
    assert float(got[0]) == pytest.approx(float(want[0]), abs=0.005)
    assert got[1:] == want[1:]


def test_manifest_and_readme(tiny_warehouse: Path, tmp_path: Path) -> None:
    report = export_warehouse(tiny_warehouse, tmp_path, "csv", as_of="2026-05-31")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["as_of"] == "2026-05-31" and manifest["format"] == "csv"
    assert [t["table"] for t in manifest["tables"]] == [t["table"] for t in report.tables]
    learners = next(t for t in manifest["tables"] if t["table"] == "learners")
    assert [c["name"] for c in learners["columns"]][:len(contract.table("learners").columns)] == list(
        contract.table("learners").column_names)
    readme = (tmp_path / "README.md").read_text()
    assert "2026-05-31" in readme
    for t in report.tables:
        assert f"| {t['table']} | {t['file']} | {t['rows']:,} |" in readme


def test_unknown_format_and_missing_warehouse(tiny_warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="parquet, csv"):
        export_warehouse(tiny_warehouse, tmp_path, "xlsx")
    with pytest.raises(WarehouseError, match="no warehouse"):
        export_warehouse(tmp_path / "missing.duckdb", tmp_path, "csv")


def test_cli_export_json(tiny_warehouse: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["warehouse", "export", "--format", "parquet", "--dir",
                                         str(tmp_path / "out"), "--warehouse", str(tiny_warehouse), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows"] == sum(_counts(tiny_warehouse).values())
    assert sorted(p.name for p in (tmp_path / "out").glob("*.parquet")) == sorted(
        f"{t['table']}.parquet" for t in data["tables"])


def test_cli_export_text(tiny_warehouse: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["warehouse", "export", "--format", "csv", "--dir", str(tmp_path),
                                         "--warehouse", str(tiny_warehouse)])
    assert result.exit_code == 0, result.output
    assert "learners" in result.output and "README.md" in result.output
