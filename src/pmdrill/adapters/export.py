"""Export the warehouse as files (one Parquet or CSV per table, plus a manifest) and read its columns.

For Jupyter, pandas and BI tools: the files carry the same rows as the DuckDB warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pmdrill.adapters.duckdb_store import data_columns
from pmdrill.core.warehouse import schema as contract
from pmdrill.core.warehouse.erd import ExtraColumns
from pmdrill.core.warehouse.version import GENERATOR_VERSION
from pmdrill.errors import SettingsError, WarehouseError
from pmdrill.settings import setting

FORMATS = ("parquet", "csv")
MANIFEST = "manifest.json"
README = "README.md"


@dataclass(frozen=True)
class ExportReport:
    """Where the files went, the as-of date, and one (table, file, rows) entry per table."""

    directory: Path
    format: str
    as_of: str
    tables: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "format": self.format, "as_of": self.as_of,
                "rows": sum(t["rows"] for t in self.tables), "tables": list(self.tables),
                "manifest": str(self.directory / MANIFEST), "readme": str(self.directory / README)}


def _open(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not Path(warehouse).exists():
        raise WarehouseError(f"no warehouse at {warehouse}: run `pmdrill warehouse build` first")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open the warehouse {warehouse}: {exc}") from None


def _ordered(names: set[str]) -> list[str]:
    """Contract tables in the contract's (dependency) order, then any extras by name."""
    return [n for n in contract.table_names() if n in names] + sorted(names - set(contract.table_names()))


def warehouse_columns(warehouse: Path) -> ExtraColumns:
    """Every table and column the built warehouse has (table -> [(column, type, nullable)])."""
    con = _open(warehouse)
    try:
        return data_columns(con)
    finally:
        con.close()


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_warehouse(warehouse: Path, directory: Path, fmt: str = "parquet", *,
                     as_of: str | dt.date | None = None) -> ExportReport:
    """Write every table to ``directory/<table>.<fmt>`` plus manifest.json and README.md.

    Each file is written under a temporary name and renamed, so a reader never sees half a file.
    """
    if fmt not in FORMATS:
        raise SettingsError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    as_of_text = str(as_of or setting("as_of").default_value())
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
    con = _open(warehouse)
    entries = []
    try:
        columns = data_columns(con)
        for name in _ordered(set(columns)):
            target = directory / f"{name}.{fmt}"
            partial = directory / f".{name}.{fmt}.partial"
            con.execute(f'COPY main."{name}" TO {_sql_path(partial)} ({options})')
            os.replace(partial, target)
            rows = con.execute(f'SELECT count(*) FROM main."{name}"').fetchone()
            entries.append({"table": name, "file": target.name, "rows": int(rows[0]) if rows else 0,
                            "columns": [{"name": c, "type": t, "nullable": n} for c, t, n in columns[name]]})
    except duckdb.Error as exc:
        raise WarehouseError(f"export to {directory} failed: {exc}") from None
    finally:
        con.close()
    report = ExportReport(directory, fmt, as_of_text, tuple(entries))
    manifest = {"generator": "pmdrill", "generator_version": GENERATOR_VERSION, "as_of": as_of_text,
                "format": fmt, "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "source": str(Path(warehouse).name), "tables": entries}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    (directory / README).write_text(_readme(report))
    return report


def _readme(report: ExportReport) -> str:
    reader = {"parquet": "pd.read_parquet", "csv": "pd.read_csv"}[report.format]
    duck = {"parquet": "read_parquet", "csv": "read_csv"}[report.format]
    comments = {t.name: t.comment for t in contract.tables()}
    lines = [
        "# pmdrill warehouse export", "",
        f"A Coursera-style EdTech practice warehouse, exported as {report.format.upper()}: one file per "
        "table. All timestamps are UTC.", "",
        f"**As-of date: {report.as_of}.** Nothing happens after it; where a question says \"today\", "
        "\"now\" or CURRENT_DATE it means this date (end of day for \"now\").", "",
        "## Tables", "",
        "| table | file | rows | about |", "|---|---|---:|---|",
    ]
    for t in report.tables:
        about = comments.get(t["table"], "not in the contract: added by this build").replace("|", "/")
        lines.append(f"| {t['table']} | {t['file']} | {t['rows']:,} | {about} |")
    first = report.tables[0]["file"] if report.tables else f"learners.{report.format}"
    lines += [
        "", "## Reading it", "",
        "```python", "import pandas as pd", f'df = {reader}("{first}")', "```", "",
        "```sql", f"SELECT count(*) FROM {duck}('{first}');  -- DuckDB", "```", "",
        "Column types, keys and comments: `pmdrill warehouse schema` (or `--format mermaid|svg` for an "
        "ER diagram). `manifest.json` lists every file with its row count and column types.", "",
    ]
    if report.format == "csv":
        lines += ["CSV files have a header row; an empty unquoted field is NULL.", ""]
    return "\n".join(lines)
