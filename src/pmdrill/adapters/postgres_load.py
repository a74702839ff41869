"""Load the warehouse into PostgreSQL: one transaction, a staging schema, bulk COPY, contract keys, a swap.

Also sets up the SELECT-only ``pmdrill_reader`` role that ``postgres_store.PostgresRunner`` answers as.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from pmdrill.adapters.duckdb_store import data_columns
from pmdrill.adapters.postgres_store import (
    DEFAULT_SCHEMA,
    META_TABLE,
    READER_ROLE,
    can_use_reader,
    check_schema_name,
    connect,
    mask_url,
    pg_type,
    reveal,
)
from pmdrill.core.warehouse import schema as contract
from pmdrill.errors import EngineError, WarehouseError
from pmdrill.settings import Secret, setting

_CHUNK = 1 << 20  # bytes per COPY write


@dataclass(frozen=True)
class LoadReport:
    """What load-postgres did: where (masked), the as-of it recorded, row counts, time taken."""

    url: str
    schema: str
    as_of: str
    tables: dict[str, int]
    seconds: float
    reader_role: str | None
    server_version: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "schema": self.schema, "as_of": self.as_of, "tables": self.tables,
                "rows": sum(self.tables.values()), "seconds": round(self.seconds, 2),
                "reader_role": self.reader_role, "server_version": self.server_version,
                "notes": list(self.notes)}


@dataclass(frozen=True)
class _SourceTable:
    name: str
    columns: tuple[tuple[str, str, bool], ...]  # (name, DuckDB type, nullable)


def _source_tables(con: duckdb.DuckDBPyConnection) -> list[_SourceTable]:
    """Every data table of the warehouse: contract ones first (dependency order), then any extras."""
    found = data_columns(con)  # the builder's own _pmdrill_meta is left out; the load writes its own meta
    order = [n for n in contract.table_names() if n in found] + sorted(set(found) - set(contract.table_names()))
    return [_SourceTable(n, tuple(found[n])) for n in order]


def _create_table(schema: str, table: _SourceTable) -> sql.Composed:
    known = {t.name: t for t in contract.tables()}.get(table.name)
    cols = []
    for name, type_, nullable in table.columns:
        not_null = not nullable
        if known is not None and name in known.column_names:
            not_null = not known.column(name).nullable
        cols.append(sql.SQL("{} {}{}").format(sql.Identifier(name), sql.SQL(pg_type(type_)),
                                              sql.SQL(" NOT NULL" if not_null else "")))
    return sql.SQL("CREATE TABLE {}.{} ({})").format(sql.Identifier(schema), sql.Identifier(table.name),
                                                      sql.SQL(", ").join(cols))


def _constraints(schema: str, present: set[str]) -> Iterator[sql.Composed]:
    """PRIMARY KEY and UNIQUE first, then FOREIGN KEYs (their parents need the keys); after the COPY."""
    tables = [t for t in contract.tables() if t.name in present]
    for t in tables:
        qual = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(t.name))
        if t.primary_key:
            yield sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                qual, sql.SQL(", ").join(map(sql.Identifier, t.primary_key)))
        for cols in t.unique:
            yield sql.SQL("ALTER TABLE {} ADD UNIQUE ({})").format(
                qual, sql.SQL(", ").join(map(sql.Identifier, cols)))
    for t in tables:
        qual = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(t.name))
        for column, parent, parent_col in t.foreign_keys:
            if parent in present:
                yield sql.SQL("ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {}.{} ({})").format(
                    qual, sql.Identifier(column), sql.Identifier(schema), sql.Identifier(parent),
                    sql.Identifier(parent_col))


def _comments(schema: str, present: set[str]) -> Iterator[sql.Composed]:
    for t in contract.tables():
        if t.name not in present:
            continue
        qual = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(t.name))
        if t.comment:
            yield sql.SQL("COMMENT ON TABLE {} IS {}").format(qual, sql.Literal(t.comment))
        for c in t.columns:
            if c.comment:
                yield sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(qual, sql.Identifier(c.name),
                                                                     sql.Literal(c.comment))


def _copy_table(cur: psycopg.Cursor[Any], src: duckdb.DuckDBPyConnection, schema: str,
                table: _SourceTable, tmp: Path) -> int:
    """DuckDB writes CSV (its fast C++ writer), psycopg streams the bytes into COPY FROM STDIN."""
    path = tmp / f"{table.name}.csv"
    cols = ", ".join(f'"{c[0]}"' for c in table.columns)
    src.execute(f"COPY (SELECT {cols} FROM main.\"{table.name}\") TO '{path}' (FORMAT csv, HEADER false)")
    copy_sql = sql.SQL("COPY {}.{} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(schema), sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(c[0]) for c in table.columns))
    with cur.copy(copy_sql) as copy, path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            copy.write(chunk)
    path.unlink()
    return cur.rowcount


def _setup_reader(cur: psycopg.Cursor[Any], schema: str) -> str | None:
    """A NOLOGIN role with USAGE + SELECT only, that the loading user may SET ROLE to; None if not allowed."""
    for _ in range(2):  # a concurrent load may create the role first: the retry then finds it
        try:
            with cur.connection.transaction():  # a savepoint: a refusal must not abort the load
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER_ROLE,))
                if cur.fetchone() is None:
                    cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(READER_ROLE)))
                if not can_use_reader(cur):
                    cur.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(READER_ROLE)))
            break
        except (pg_errors.DuplicateObject, pg_errors.UniqueViolation):
            continue
        except pg_errors.InsufficientPrivilege:
            return None
    if not can_use_reader(cur):
        return None
    try:
        with cur.connection.transaction():
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(READER_ROLE)))
            cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(READER_ROLE)))
    except pg_errors.InsufficientPrivilege:
        return None
    return READER_ROLE


def load_postgres(warehouse: Path, url: str | Secret, *, schema: str = DEFAULT_SCHEMA,
                  as_of: str | dt.date | None = None) -> LoadReport:
    """Copy every warehouse table into ``schema`` in one transaction: staging schema, COPY, keys, swap.

    Readers see the old schema until the commit; a failure leaves it untouched.
    """
    start = time.perf_counter()
    schema = check_schema_name(schema)
    staging = f"{schema}__staging"
    as_of_text = str(as_of or setting("as_of").default_value())
    if not Path(warehouse).exists():
        raise WarehouseError(f"no warehouse at {warehouse}: run `pmdrill warehouse build` first")
    raw = reveal(url)
    try:
        src = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open the warehouse {warehouse}: {exc}") from None
    counts: dict[str, int] = {}
    try:
        tables = _source_tables(src)
        with connect(raw, autocommit=True) as con, con.cursor() as cur, \
                tempfile.TemporaryDirectory(prefix="pmdrill-pg-") as tmp:
            version = str(con.info.server_version)
            try:
                with con.transaction():
                    cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(staging)))
                    cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(staging)))
                    for t in tables:
                        cur.execute(_create_table(staging, t))
                        counts[t.name] = _copy_table(cur, src, staging, t, Path(tmp))
                    present = set(counts)
                    for stmt in (*_constraints(staging, present), *_comments(staging, present)):
                        cur.execute(stmt)
                    _write_meta(cur, staging, as_of_text, counts)
                    cur.execute(sql.SQL("ANALYZE {}.{}").format(sql.Identifier(staging),
                                                                sql.Identifier(META_TABLE)))
                    for t in tables:
                        cur.execute(sql.SQL("ANALYZE {}.{}").format(sql.Identifier(staging),
                                                                    sql.Identifier(t.name)))
                    cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
                    cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                        sql.Identifier(staging), sql.Identifier(schema)))
                    role = _setup_reader(cur, schema)
            except psycopg.Error as exc:
                raise EngineError(f"loading into PostgreSQL failed: {mask_url(str(exc).strip(), raw)}") from None
    except duckdb.Error as exc:
        raise WarehouseError(f"reading the warehouse {warehouse} failed: {exc}") from None
    finally:
        src.close()
    notes = () if role else (f"could not set up the SELECT-only role {READER_ROLE} (the user lacks "
                             "CREATEROLE); answers run in READ ONLY transactions only",)
    return LoadReport(mask_url(raw, raw), schema, as_of_text, counts, time.perf_counter() - start,
                      role, version, notes)


def _write_meta(cur: psycopg.Cursor[Any], schema: str, as_of: str, counts: dict[str, int]) -> None:
    qual = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(META_TABLE))
    cur.execute(sql.SQL("CREATE TABLE {} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)").format(qual))
    cur.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(
        qual, sql.Literal("written by pmdrill warehouse load-postgres: as-of date, load time, row counts")))
    meta = {"as_of": as_of, "loaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "row_counts": json.dumps(counts)}
    cur.executemany(sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(qual), list(meta.items()))
