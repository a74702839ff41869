"""Build and open the practice warehouse (a DuckDB file): atomic builds, metadata, checksums.

``open_warehouse`` is for trusted code only (KPIs, experiment read-outs, calibration); candidate SQL
goes through the sandbox adapter. Tables follow the contract's columns and types; keys and foreign
keys are not declared in the file (declaring them made the default build 3x slower) but are checked
by the test suite on every build.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pmdrill.core.warehouse import schema
from pmdrill.core.warehouse.generate import ADDED_COLUMNS, generate
from pmdrill.core.warehouse.version import GENERATOR_VERSION
from pmdrill.errors import WarehouseError
from pmdrill.settings import Settings

META = "_pmdrill_meta"
_QUEUE_BATCHES = 24  # about one chunk of Arrow batches waits for insertion at most
_OWN_INSERTER = frozenset({"learning_events"})  # about 40% of the insertion work: a thread of its own
_BUILD_MEMORY_MB = 768  # DuckDB's share of the build's memory; the generator holds one chunk besides


def create_tables_sql() -> str:
    """CREATE TABLE statements: every contract column with its exact type and nullability, plus ours."""
    added: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, kind, comment in ADDED_COLUMNS:
        added.setdefault(table, []).append((column, kind, comment))
    out = []
    for t in schema.tables():
        cols = [f"  {c.name} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in t.columns]
        cols += [f"  {name} {kind}" for name, kind, _ in added.get(t.name, [])]
        out.append(f"CREATE TABLE {t.name} (\n" + ",\n".join(cols) + "\n);")
        if t.comment:
            out.append(f"COMMENT ON TABLE {t.name} IS {_quote(t.comment)};")
        for name, _, comment in added.get(t.name, []):
            out.append(f"COMMENT ON COLUMN {t.name}.{name} IS {_quote('added by pmdrill: ' + comment)};")
    out.append(f"CREATE TABLE {META} (key VARCHAR NOT NULL, value VARCHAR NOT NULL);")
    return "\n".join(out)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Order-independent fingerprint of each table: row count and XOR of DuckDB's row hashes."""
    out = {}
    for t in _data_tables(con):
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
            "ORDER BY ordinal_position", [t]).fetchall()]
        n, x = con.execute(f"SELECT count(*), coalesce(bit_xor(hash({', '.join(cols)})), 0) FROM {t}").fetchone()
        out[t] = f"{n}:{int(x):016x}"
    return out


def _data_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                       "AND table_name <> ? ORDER BY table_name", [META]).fetchall()
    return [r[0] for r in rows]


def data_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str, bool]]]:
    """(column, type, nullable) of every data table, in column order; pmdrill's own `_` tables left out."""
    rows = con.execute(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'YES' "
        "FROM information_schema.columns c JOIN information_schema.tables t "
        "  ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = 'main' AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position").fetchall()
    found: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, type_, nullable in rows:
        if not table.startswith("_"):
            found.setdefault(table, []).append((column, type_, bool(nullable)))
    return found


def _insert_all(con: duckdb.DuckDBPyConnection, batches: Iterator[tuple[str, pa.Table]]) -> int:
    """Insert every batch on two more threads while the generator makes the next ones.

    DuckDB releases the GIL while it inserts, so generation (NumPy) and insertion overlap. The largest
    table has an inserting thread (and connection) of its own, the others share one: each table's batches
    are inserted in order by one thread, so table contents and row order do not depend on timing. The
    queues are bounded, which bounds memory.
    """
    failed: list[BaseException] = []
    cursors = [con.cursor() for _ in range(2)]
    todos: list[queue.Queue[tuple[str, pa.Table] | None]] = [queue.Queue(maxsize=_QUEUE_BATCHES) for _ in cursors]

    def insert(cur: duckdb.DuckDBPyConnection, todo: queue.Queue[tuple[str, pa.Table] | None]) -> None:
        while (item := todo.get()) is not None:
            if failed:
                continue  # drain the queue so the producer never blocks
            name, batch = item
            try:
                cur.register("_batch", batch)
                cur.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _batch")
                cur.unregister("_batch")
            except BaseException as exc:  # re-raised on the calling thread
                failed.append(exc)

    workers = [threading.Thread(target=insert, args=(cur, todo), name=f"pmdrill-insert-{i}", daemon=True)
               for i, (cur, todo) in enumerate(zip(cursors, todos, strict=True))]
    for w in workers:
        w.start()
    rows = 0
    try:
        for name, batch in batches:
            if failed:
                break
            todos[name in _OWN_INSERTER].put((name, batch))
            rows += batch.num_rows
    finally:
        for todo in todos:
            todo.put(None)
        for w in workers:
            w.join()
        for cur in cursors:
            cur.close()
    if failed:
        raise failed[0]
    return rows


def build_warehouse(out: Path, *, scale: str = "small", seed: int = 42, as_of: dt.date = dt.date(2026, 6, 30),
                    progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Generate the warehouse into ``out`` (built under a temporary name, then renamed)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    for p in (tmp, Path(str(tmp) + ".wal")):
        if p.exists():
            p.unlink()
    started = time.perf_counter()
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{_BUILD_MEMORY_MB}MB'")  # bounds RSS at every scale (spills to disk)
        con.execute(create_tables_sql())
        rows = _insert_all(con, generate(scale, seed, as_of, progress))
        checksums = table_checksums(con)
        meta = {"as_of": as_of.isoformat(), "seed": str(seed), "scale": scale,
                "generator_version": str(GENERATOR_VERSION), "checksums": json.dumps(checksums, sort_keys=True),
                "built_seconds": f"{time.perf_counter() - started:.2f}"}
        con.executemany(f"INSERT INTO {META} VALUES (?, ?)", sorted(meta.items()))
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, out)
    return {"path": str(out), "as_of": as_of.isoformat(), "seed": seed, "scale": scale, "rows": rows,
            "generator_version": GENERATOR_VERSION, "seconds": round(time.perf_counter() - started, 2),
            "checksums": checksums}


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection for trusted code (never for candidate SQL)."""
    path = Path(path)
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path}; run `pmdrill warehouse build`")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {path}: {exc}") from None


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    try:
        return dict(con.execute(f"SELECT key, value FROM {META}").fetchall())
    except duckdb.Error:
        raise WarehouseError("not a pmdrill warehouse (no metadata table)") from None


def read_as_of(con: duckdb.DuckDBPyConnection, default: dt.date | None = None) -> dt.date:
    """The warehouse's as-of date from its metadata, else ``default`` (a file pmdrill did not build)."""
    try:
        value = read_meta(con).get("as_of")
    except WarehouseError:
        value = None
    if value:
        return dt.date.fromisoformat(str(value)[:10])
    return default or Settings.load().as_of


def warehouse_as_of(path: Path, default: dt.date) -> dt.date:
    """The as-of date recorded in the warehouse file at ``path`` (``default`` when it records none)."""
    con = open_warehouse(path)
    try:
        return read_as_of(con, default)
    finally:
        con.close()


def warehouse_info(path: Path) -> dict[str, Any]:
    con = open_warehouse(path)
    try:
        meta = read_meta(con)
        tables = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _data_tables(con)}
    finally:
        con.close()
    return {"path": str(path), "as_of": meta.get("as_of"), "seed": int(meta.get("seed", 0)),
            "scale": meta.get("scale"), "generator_version": int(meta.get("generator_version", 0)),
            "tables": tables}


def ensure_warehouse(settings: Settings, scale: str | None = None, *,
                     progress: Callable[[str, int, int], None] | None = None) -> Path:
    """The warehouse for the configured scale, built first if missing or made by an older generator."""
    scale = scale or settings.scale
    path = settings.warehouse_path(scale)
    if path.exists() and settings.warehouse is not None:
        return path  # a file the user named is used as it is, never rebuilt over
    if path.exists():
        con = open_warehouse(path)
        try:
            current = read_meta(con).get("generator_version") == str(GENERATOR_VERSION)
        except WarehouseError:
            current = False
        finally:
            con.close()
        if current:
            return path
    build_warehouse(path, scale=scale, seed=settings.seed, as_of=settings.as_of, progress=progress)
    return path


def measure_calibration(path: Path) -> list[dict[str, Any]]:
    """Run every calibration target, planted effect and truth; one row each with PASS/FAIL."""
    from pmdrill.core.warehouse.truths import ALL

    con = open_warehouse(path)
    rows = []
    try:
        for t in ALL:
            value = con.execute(t.sql).fetchone()[0]
            value = None if value is None else float(value)
            rows.append({"id": t.id, "kind": t.kind, "quantity": t.quantity, "band": t.band, "low": t.low,
                         "high": t.high, "measured": value, "status": "PASS" if t.passes(value) else "FAIL",
                         "source": t.source})
    finally:
        con.close()
    return rows
