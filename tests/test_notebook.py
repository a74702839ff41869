"""The notebook API: pm.open / pm.sql / pm.tables / pm.schema on a real warehouse."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import pmdrill.notebook as pm
from pmdrill.core.warehouse import schema as contract
from pmdrill.errors import WarehouseError

HAS_PANDAS = importlib.util.find_spec("pandas") is not None


@pytest.fixture
def opened(tiny_warehouse: Path) -> Iterator[Path]:
    pm.open(tiny_warehouse)
    yield tiny_warehouse
    pm.close()


def _records(frame: object) -> list[dict]:
    if isinstance(frame, pa.Table):
        return frame.to_pylist()
    return frame.to_dict("records")  # type: ignore[attr-defined]


def test_sql_returns_a_frame_with_the_warehouse_rows(opened: Path) -> None:
    frame = pm.sql("SELECT country, COUNT(*) AS n FROM learners GROUP BY country")
    assert isinstance(frame, pa.Table) != HAS_PANDAS
    want = duckdb.connect(str(opened), read_only=True).execute(
        "SELECT country, COUNT(*) FROM learners GROUP BY country").fetchall()
    assert sorted((r["country"], r["n"]) for r in _records(frame)) == sorted(want)


def test_sql_pins_the_clock_unless_asked_not_to(opened: Path) -> None:
    from pmdrill.adapters.duckdb_store import warehouse_info

    row = _records(pm.sql("SELECT CURRENT_DATE AS d, NOW() AS n"))[0]
    assert pm.as_of().isoformat() == str(warehouse_info(opened)["as_of"])
    assert row["d"] == pm.as_of()
    assert row["n"] == dt.datetime.combine(pm.as_of(), dt.time(23, 59, 59))
    real = _records(pm.sql("SELECT CURRENT_DATE AS d", pin_clock=False))[0]["d"]
    assert real == dt.date.today() or real == dt.datetime.now(dt.UTC).date()


def test_tables_lists_every_table_with_counts(opened: Path) -> None:
    rows = {r["table"]: r for r in _records(pm.tables())}
    assert set(contract.table_names()) <= set(rows)
    assert not [name for name in rows if name.startswith("_")]  # pmdrill's metadata is not data
    con = duckdb.connect(str(opened), read_only=True)
    for name, r in rows.items():
        assert r["rows"] == con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
    assert rows["partners"]["comment"] == contract.table("partners").comment


def test_schema_of_one_table(opened: Path) -> None:
    rows = _records(pm.schema("enrollments"))
    t = contract.table("enrollments")
    assert [r["column"] for r in rows][:len(t.columns)] == list(t.column_names)
    by_name = {r["column"]: r for r in rows}
    assert by_name["enrollment_id"]["key"] == "PK"
    assert by_name["learner_id"]["references"] == "learners.learner_id"
    assert by_name["completed_at"]["nullable"] is True
    assert {r["table"] for r in _records(pm.schema())} >= set(contract.table_names())
    with pytest.raises(WarehouseError, match="no table"):
        pm.schema("no_such_table")


def test_open_without_a_path_uses_the_configured_warehouse(tiny_warehouse: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMDRILL_WAREHOUSE", str(tiny_warehouse))
    pm.close()
    try:
        con = pm.open()
        assert con.execute("SELECT count(*) FROM learners").fetchall()[0][0] > 0
        # read-only: a notebook cannot damage the warehouse
        with pytest.raises(duckdb.Error):
            pm.sql("CREATE TABLE scratch AS SELECT 1")
    finally:
        pm.close()


def test_sql_opens_the_default_warehouse_on_first_use(tiny_warehouse: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMDRILL_WAREHOUSE", str(tiny_warehouse))
    pm.close()
    try:
        assert _records(pm.sql("SELECT 1 AS one")) == [{"one": 1}]
    finally:
        pm.close()


def test_open_a_missing_file_is_a_warehouse_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse"):
        pm.open(tmp_path / "missing.duckdb")
