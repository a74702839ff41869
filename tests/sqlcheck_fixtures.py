"""Helpers for the SQL grader tests: a small contract warehouse file and real in-process DuckDB runners.

The warehouse is built from schema.contract_sql() and filled with rows that keep every constraint.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import duckdb

from pmdrill.core.sqlcheck import datagen
from pmdrill.core.sqlcheck.types import HiddenDb
from pmdrill.core.warehouse import schema

AS_OF = dt.date(2026, 6, 30)


def write_db(path: Path, db: HiddenDb) -> Path:
    """A DuckDB file with the contract's tables (constraints included) holding ``db``'s rows."""
    con = duckdb.connect(str(path))
    con.execute(schema.contract_sql())
    for name in schema.table_names():
        rows = db.tables.get(name, ())
        if rows:
            marks = "(" + ", ".join("?" * len(rows[0])) + ")"
            con.executemany(f"INSERT INTO {name} VALUES {marks}", [list(r) for r in rows])
    con.close()
    return path


def small_warehouse_db(seed: int = 7) -> HiddenDb:
    """Every contract table with a few dozen rows, drawn like a hidden database but bigger."""
    import sqlglot

    pools = datagen.pools_from(sqlglot.parse_one("SELECT 1 WHERE x >= INTERVAL 30 DAY"), AS_OF)
    prof = datagen.Profile(rows=(20, 40), null_share=0.2, pool_share=0.3, parent_coverage=0.8)
    return datagen.random_db(list(schema.table_names()), pools, random.Random(seed), prof)


def make_warehouse(tmp: Path, db: HiddenDb | None = None) -> Path:
    return write_db(tmp / "warehouse.duckdb", db or small_warehouse_db())


def rows(db: HiddenDb, table: str) -> list[dict[str, Any]]:
    cols = schema.table(table).column_names
    return [dict(zip(cols, r, strict=True)) for r in db.tables.get(table, ())]
