"""PostgreSQL: connect (the URL masked in every message) and run answers on a loaded schema (PostgresRunner).

Loading lives in ``postgres_load``; both share the names, the connection and the reader-role check here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import psycopg
import sqlglot
from psycopg import errors as pg_errors
from psycopg import sql
from sqlglot import exp

from pmdrill.core.sqlcheck.clock import pin_clock
from pmdrill.core.sqlcheck.dialects import normalize
from pmdrill.core.sqlcheck.types import HiddenDb, QueryResult
from pmdrill.core.warehouse import schema as contract
from pmdrill.errors import EngineError, SqlRefused, SqlRuntimeError, SqlSyntaxError
from pmdrill.settings import Secret, setting

DEFAULT_SCHEMA = "pmdrill"
READER_ROLE = "pmdrill_reader"
META_TABLE = "pmdrill_meta"
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")


def reveal(url: str | Secret) -> str:
    return url.reveal() if isinstance(url, Secret) else url


def mask_url(text: str, url: str | Secret | None = None) -> str:
    """``text`` with every PostgreSQL password replaced by ****: URL user-info, conninfo, or ``url``'s own."""
    text = re.sub(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", r"\1****@", text, flags=re.I)
    text = re.sub(r"(\bpassword\s*=\s*)('[^']*'|\S+)", r"\1****", text, flags=re.I)
    if url is not None:
        password = urllib.parse.urlsplit(reveal(url)).password
        for secret in {password, urllib.parse.unquote(password or "")} - {None, ""}:
            text = text.replace(str(secret), "****")
    return text


def connect(url: str | Secret, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A connection, or EngineError whose message names the server but never the password."""
    raw = reveal(url)
    try:
        return psycopg.connect(raw, autocommit=autocommit, connect_timeout=10, application_name="pmdrill")
    except (psycopg.Error, ValueError) as exc:
        raise EngineError(f"cannot connect to PostgreSQL at {mask_url(raw, raw)}: "
                          f"{mask_url(str(exc).strip(), raw)}") from None


def check_schema_name(name: str) -> str:
    if not _SCHEMA_NAME.fullmatch(name):
        raise EngineError(f"schema name {name!r} must be letters, digits and _ (at most 41)")
    return name


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL spelling of a DuckDB column type (VARCHAR -> VARCHAR, DOUBLE -> DOUBLE PRECISION)."""
    try:
        return exp.DataType.build(duckdb_type, dialect="duckdb").sql("postgres")
    except (sqlglot.errors.ParseError, ValueError):
        return "TEXT"


def can_use_reader(cur: psycopg.Cursor[Any], schema: str | None = None) -> bool:
    """Whether the current user may SET ROLE to the reader (and, given ``schema``, the reader may use it)."""
    cur.execute("SELECT oid FROM pg_roles WHERE rolname = %s AND pg_has_role(current_user, oid, 'MEMBER')",
                (READER_ROLE,))
    role = cur.fetchone()
    if role is None or schema is None:
        return role is not None
    cur.execute("SELECT has_schema_privilege(%s::oid, oid, 'USAGE') FROM pg_namespace WHERE nspname = %s",
                (role[0], schema))
    usable = cur.fetchone()
    return bool(usable and usable[0])


def read_meta(url: str | Secret, schema: str = DEFAULT_SCHEMA) -> dict[str, str]:
    """The meta table of a loaded schema (as_of, loaded_at, row_counts), or EngineError if not loaded."""
    raw = reveal(url)
    with connect(raw) as con:
        try:
            rows = con.execute(sql.SQL("SELECT key, value FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(META_TABLE))).fetchall()
        except pg_errors.UndefinedTable:
            raise EngineError(f"schema {schema!r} has no warehouse: run `pmdrill warehouse "
                              "load-postgres` first") from None
    return dict(rows)


# ---------------------------------------------------------------------------------------- running

_CLOCK_SAFE_COLUMNS = frozenset(c.name for t in contract.tables() for c in t.columns)
_TYPE_NAMES = {"int2": "SMALLINT", "int4": "INTEGER", "int8": "BIGINT", "float4": "FLOAT",
               "float8": "DOUBLE", "numeric": "DECIMAL", "text": "VARCHAR", "varchar": "VARCHAR",
               "bpchar": "VARCHAR", "bool": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP",
               "timestamptz": "TIMESTAMP WITH TIME ZONE", "interval": "INTERVAL", "time": "TIME"}


def _parse_query(query: str, dialect: str) -> exp.Query:
    try:
        trees = [t for t in sqlglot.parse(query, read=dialect) if t is not None]
    except sqlglot.errors.ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        raise SqlSyntaxError(str(err.get("description") or exc), line=int(err.get("line") or 1),
                             column=int(err.get("col") or 1),
                             fragment=str(err.get("highlight") or "")) from None
    if len(trees) != 1:
        raise SqlRefused(f"exactly one statement runs; this has {len(trees)}")
    if not isinstance(trees[0], exp.Query):
        raise SqlRefused(f"only a query (SELECT / WITH / VALUES) runs, not {trees[0].key.upper()}")
    _refuse_server_calls(trees[0])
    return trees[0]


# server functions that change session state, touch files, run dynamic SQL or signal other sessions:
# the READ ONLY transaction stops writes, but `set_config('role', ...)` could undo SET ROLE
_DENIED_CALLS = frozenset({
    "set_config", "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml",
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_notify",
    "pg_switch_wal", "pg_create_restore_point", "pg_logical_emit_message", "nextval", "setval",
    "txid_current", "pg_current_xact_id", "pg_stat_file", "pg_stat_reset"})
_DENIED_PREFIXES = ("pg_read_", "pg_ls_", "lo_", "dblink", "pg_advisory_", "pg_try_advisory_")


def _refuse_server_calls(tree: exp.Expression) -> None:
    for node in tree.find_all(exp.Anonymous):
        name = node.name.lower()
        if name in _DENIED_CALLS or name.startswith(_DENIED_PREFIXES):
            raise SqlRefused(f"{name}() is not allowed in an answer: it reaches beyond the query")


def _plain(value: Any) -> Any:
    """Values as the DuckDB runner returns them: naive UTC datetimes, str for exotic types."""
    if value is None or isinstance(value, bool | int | float | str | Decimal | dt.date | dt.time | dt.timedelta):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    return str(value)


class PostgresRunner:
    """Runs gated answers on a loaded schema: READ ONLY, statement_timeout, SELECT-only role, pinned clock.

    Implements ``core.sqlcheck.types.Runner``. Each run is one transaction that always rolls back.
    """

    def __init__(self, url: str | Secret, *, as_of: str | dt.date | None = None,
                 timeout_s: float | None = None, row_cap: int | None = None,
                 schema: str = DEFAULT_SCHEMA, dialect: str = "duckdb") -> None:
        self._url = reveal(url)
        self.schema = check_schema_name(schema)
        self.timeout_s = float(timeout_s if timeout_s is not None else setting("sql_timeout_s").default_value())
        self.row_cap = int(row_cap if row_cap is not None else setting("sql_row_cap").default_value())
        self.dialect = normalize(dialect)
        self._con: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()  # one connection: web requests take turns
        self._role: str | None = None
        if as_of is None:
            as_of = read_meta(self._url, schema).get("as_of") or setting("as_of").default_value()
        self.as_of = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))

    def __repr__(self) -> str:
        return f"PostgresRunner({mask_url(self._url, self._url)!r}, schema={self.schema!r})"

    def __enter__(self) -> PostgresRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()  # a no-op when the server already dropped it
        self._con = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._con is None or self._con.closed or self._con.broken:
            self._con = connect(self._url)
            with self._con.cursor() as cur:
                self._role = READER_ROLE if can_use_reader(cur, self.schema) else None
        return self._con

    def run(self, sql_text: str, db: HiddenDb | None = None) -> QueryResult:
        with self._lock:
            return self._run(sql_text, db)

    def _run(self, sql_text: str, db: HiddenDb | None) -> QueryResult:
        tree = _parse_query(sql_text, self.dialect)
        # a hidden database needs only the contract tables the query names (creating all 21 costs ~0.2 s)
        named = {t.name for t in tree.find_all(exp.Table)}
        query = pin_clock(tree, self.as_of, _CLOCK_SAFE_COLUMNS).sql("postgres")
        con = self._connection()
        try:
            with con.transaction(force_rollback=True), con.cursor() as cur:
                search_path = "pg_temp" if db is not None else f'"{self.schema}"'
                cur.execute("SELECT set_config('statement_timeout', %s, true), "
                            "set_config('TimeZone', 'UTC', true), set_config('search_path', %s, true)",
                            (f"{int(self.timeout_s * 1000)}ms", search_path))
                if db is not None:
                    _load_hidden(cur, db, self._role, named)
                # switching a transaction to read-only is allowed at any point; back is not
                cur.execute("SET TRANSACTION READ ONLY")
                if self._role:
                    cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(self._role)))
                return self._fetch(con, query)
        except pg_errors.QueryCanceled:
            raise SqlRuntimeError(f"the query ran longer than {self.timeout_s:g} s and was stopped",
                                  kind="timeout") from None
        except (pg_errors.ReadOnlySqlTransaction, pg_errors.InsufficientPrivilege) as exc:
            raise SqlRuntimeError(f"refused: answers are read-only ({_first_line(exc)})",
                                  kind="read_only") from None
        except psycopg.OperationalError as exc:
            self.close()
            raise EngineError(f"PostgreSQL failed: {mask_url(_first_line(exc), self._url)}") from None
        except psycopg.Error as exc:
            raise SqlRuntimeError(f"PostgreSQL: {mask_url(_first_line(exc), self._url)}",
                                  kind="error") from None

    def _fetch(self, con: psycopg.Connection[Any], query: str) -> QueryResult:
        # a server-side cursor: only row_cap + 1 rows ever cross the wire
        with con.cursor(name="pmdrill_answer") as cur:
            started = time.perf_counter()
            cur.execute(query)
            rows = cur.fetchmany(self.row_cap + 1)
            elapsed = (time.perf_counter() - started) * 1000
            desc = cur.description or []
            columns = tuple(d.name for d in desc)
            types = tuple(self._type_name(con, d.type_code) for d in desc)
        truncated = len(rows) > self.row_cap
        return QueryResult(columns, types, tuple(tuple(_plain(v) for v in r) for r in rows[:self.row_cap]),
                           truncated, elapsed)

    @staticmethod
    def _type_name(con: psycopg.Connection[Any], oid: int) -> str:
        info = con.adapters.types.get(oid)
        name = info.name if info is not None else str(oid)
        return _TYPE_NAMES.get(name, name.upper())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load_hidden(cur: psycopg.Cursor[Any], db: HiddenDb, role: str | None, named: set[str]) -> None:
    """The contract tables the query names, as temp tables holding the hidden rows; gone at the rollback."""
    for t in contract.tables():
        if t.name not in named:
            continue
        cols = sql.SQL(", ").join(
            sql.SQL("{} {}{}").format(sql.Identifier(c.name), sql.SQL(pg_type(c.type)),
                                      sql.SQL("" if c.nullable else " NOT NULL")) for c in t.columns)
        cur.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(sql.Identifier(t.name), cols))
        rows: Sequence[tuple[Any, ...]] = db.tables.get(t.name, ())
        if rows:
            with cur.copy(sql.SQL("COPY pg_temp.{} FROM STDIN").format(sql.Identifier(t.name))) as copy:
                for row in rows:
                    copy.write_row(row)
        if role:
            cur.execute(sql.SQL("GRANT SELECT ON pg_temp.{} TO {}").format(sql.Identifier(t.name),
                                                                         sql.Identifier(role)))
