"""The warehouse from a notebook: ``import pmdrill.notebook as pm; pm.open(); pm.sql("SELECT ...")``.

Results are pandas DataFrames when pandas is installed, else pyarrow Tables. See docs/notebook.md.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot

from pmdrill.adapters.duckdb_store import data_columns
from pmdrill.core.sqlcheck import clock
from pmdrill.core.warehouse import erd
from pmdrill.core.warehouse import schema as contract
from pmdrill.errors import WarehouseError
from pmdrill.settings import Settings

__all__ = ["open", "sql", "tables", "schema", "as_of", "close"]

_state: dict[str, Any] = {"con": None, "path": None, "as_of": None}


def open(path: str | Path | None = None, *, scale: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only (building the default one first if it is missing) and return it.

    Later ``sql()``, ``tables()`` and ``schema()`` calls use this connection.
    """
    if path is None:
        from pmdrill.adapters.duckdb_store import ensure_warehouse

        path = ensure_warehouse(Settings.load(), scale)
    path = Path(path).expanduser()
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path}: run `pmdrill warehouse build` first")
    close()
    con = duckdb.connect(str(path), read_only=True)
    _state.update(con=con, path=path, as_of=_read_as_of(path))
    return con


def close() -> None:
    """Close the connection ``open()`` made (``open()`` again to reopen)."""
    if _state["con"] is not None:
        _state["con"].close()
    _state.update(con=None, path=None, as_of=None)


def _read_as_of(path: Path) -> dt.date:
    """The as-of date recorded in the file (the as_of setting for a file pmdrill did not build)."""
    from pmdrill.adapters.duckdb_store import warehouse_as_of

    return warehouse_as_of(path, Settings.load().as_of)


def _con() -> duckdb.DuckDBPyConnection:
    if _state["con"] is None:
        open()
    con: duckdb.DuckDBPyConnection = _state["con"]
    return con


def as_of() -> dt.date:
    """The warehouse's as-of date: what CURRENT_DATE means in ``sql()``."""
    _con()
    value: dt.date = _state["as_of"]
    return value


def _frame(table: pa.Table) -> Any:
    if importlib.util.find_spec("pandas") is not None:
        return table.to_pandas()
    return table


def _pinned(query: str) -> str:
    """CURRENT_DATE, NOW() and kin become the as-of date, as in graded answers; unparsable SQL is left
    for DuckDB to report."""
    try:
        return clock.pin_clock_sql(query, as_of())
    except sqlglot.errors.ParseError:
        return query


def sql(query: str, *, pin_clock: bool = True) -> Any:
    """Run one DuckDB query on the warehouse: a pandas DataFrame, or a pyarrow Table without pandas.

    ``pin_clock=False`` runs the text as written (CURRENT_DATE is then today's real date).
    """
    con = _con()
    relation = con.sql(_pinned(query) if pin_clock else query)
    if relation is None:  # a statement without a result (PRAGMA, SET): nothing to show
        return None
    return _frame(relation.to_arrow_table())


def tables() -> Any:
    """Every table with its row count and description (a DataFrame, or a pyarrow Table)."""
    con = _con()
    comments = {t.name: t.comment for t in contract.tables()}
    found = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall() if not r[0].startswith("_")]
    order = [n for n in contract.table_names() if n in found] + sorted(set(found) - set(comments))
    counts = [con.execute(f'SELECT count(*) FROM main."{n}"').fetchone() for n in order]
    return _frame(pa.table({"table": order, "rows": [int(c[0]) if c else 0 for c in counts],
                            "comment": [comments.get(n, "") for n in order]}))


def schema(table: str | None = None) -> Any:
    """Columns with type, nullability, key, reference and comment; all tables, or just ``table``."""
    con = _con()
    extras: erd.ExtraColumns = dict(data_columns(con))
    data = [dict(col, table=t["name"]) for t in erd.as_data(erd.with_extras(contract.tables(), extras))
            if t["name"] in extras and table in (None, t["name"]) for col in t["columns"]]
    if table is not None and not data:
        raise WarehouseError(f"no table {table!r} in the warehouse")
    keys = ("table", "name", "type", "nullable", "key", "references", "comment")
    return _frame(pa.table({k if k != "name" else "column": [d[k] for d in data] for k in keys}))
