"""An in-process DuckDB runner for trusted SQL: references and their mutants while hidden DBs are built.

Hidden databases live side by side as schemas of one in-memory DuckDB, so switching costs microseconds.
Candidates' answers go through the hardened sandbox instead; this runner has no gate of its own.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from pmdrill.core.sqlcheck.types import HiddenDb, QueryResult
from pmdrill.core.warehouse import schema
from pmdrill.errors import SqlRuntimeError, WarehouseError

_EMPTY = "hidden_empty"


def _table_columns(con: duckdb.DuckDBPyConnection | None) -> dict[str, list[tuple[str, str]]]:
    """Columns of every table: the warehouse's own (it may add columns), else the contract's."""
    cols: dict[str, list[tuple[str, str]]] = {t.name: [(c.name, c.type) for c in t.columns]
                                              for t in schema.tables()}
    if con is None:
        return cols
    rows = con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() "
                       "WHERE schema_name = 'main' ORDER BY table_name, column_index").fetchall()
    seen: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        seen.setdefault(table, []).append((column, kind))
    cols.update({t: c for t, c in seen.items() if t in cols})
    return cols


class _Watchdog:
    """One daemon thread that interrupts statements past their deadline (a Timer per query costs ~1 ms)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._jobs: dict[int, tuple[Any, float]] = {}
        self._next = 0
        self._thread: threading.Thread | None = None

    def watch(self, cursor: Any, timeout_s: float) -> int:
        with self._cv:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="pmdrill-sql-watchdog", daemon=True)
                self._thread.start()
            self._next += 1
            self._jobs[self._next] = (cursor, time.monotonic() + timeout_s)
            self._cv.notify()
            return self._next

    def done(self, token: int) -> None:
        with self._cv:
            self._jobs.pop(token, None)

    def _loop(self) -> None:
        with self._cv:
            while True:
                now = time.monotonic()
                for token, (cursor, deadline) in list(self._jobs.items()):
                    if now >= deadline:
                        del self._jobs[token]
                        try:
                            cursor.interrupt()
                        except Exception:  # noqa: BLE001 - a closed cursor has nothing left to stop
                            pass
                wait = min((d for _c, d in self._jobs.values()), default=now + 60) - now
                self._cv.wait(max(0.01, wait))


_WATCHDOG = _Watchdog()


class LocalRunner:
    """Runs SQL on the warehouse (db=None) or on hidden databases, in this process."""

    def __init__(self, warehouse: Path | None = None, *, timeout_s: float = 10.0,
                 row_cap: int = 10_000, max_dbs: int = 512) -> None:
        self.warehouse = warehouse
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.max_dbs = max_dbs
        self._wh: duckdb.DuckDBPyConnection | None = None
        if warehouse is not None:
            if not Path(warehouse).exists():
                raise WarehouseError(f"no warehouse at {warehouse}: run `pmdrill warehouse build` first")
            self._wh = duckdb.connect(str(warehouse), read_only=True)
        self._columns = _table_columns(self._wh)
        self._mem = duckdb.connect(":memory:", config={"threads": 1})
        # hidden databases hold tens of rows: planning dominates, and the optimizer is most of planning
        optimizers = [o for (o,) in self._mem.execute("SELECT name FROM duckdb_optimizers()").fetchall()
                      if o != "expression_rewriter"]
        self._mem.execute(f"SET disabled_optimizers = '{','.join(optimizers)}'")
        self._mem.execute(f"CREATE SCHEMA {_EMPTY}")
        for name, cols in self._columns.items():
            self._mem.execute(f"CREATE TABLE {_EMPTY}.{name} ({self._coldefs(cols)})")
        self._loaded: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._current = ""  # the schema the in-memory connection points at
        self.workers = max(1, min(2, os.cpu_count() or 1))
        self._pool: ThreadPoolExecutor | None = None
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursor_schema: list[str] = []

    @staticmethod
    def _coldefs(cols: list[tuple[str, str]]) -> str:
        return ", ".join(f'"{c}" {t}' for c, t in cols)

    def _load(self, db: HiddenDb) -> str:
        name = "h_" + db.key
        if db.key in self._loaded:
            self._loaded.move_to_end(db.key)
            return name
        con = self._mem
        con.execute(f"CREATE SCHEMA {name}")
        for table, rows in db.tables.items():
            if not rows:
                continue
            contract_cols = schema.table(table).column_names
            con.execute(f"CREATE TABLE {name}.{table} ({self._coldefs(self._columns[table])})")
            placeholders = "(" + ", ".join("?" * len(contract_cols)) + ")"
            for start in range(0, len(rows), 200):
                chunk = rows[start:start + 200]
                params: list[Any] = [v for r in chunk for v in r]
                con.execute(f"INSERT INTO {name}.{table} ({', '.join(contract_cols)}) VALUES "
                            + ", ".join([placeholders] * len(chunk)), params)
        self._loaded[db.key] = name
        while len(self._loaded) > self.max_dbs:
            _, old = self._loaded.popitem(last=False)
            if old == self._current:
                con.execute(f"SET search_path = '{_EMPTY}'")
                self._current = _EMPTY
            con.execute(f"DROP SCHEMA {old} CASCADE")
        return name

    def run(self, sql: str, db: HiddenDb | None = None) -> QueryResult:
        with self._lock:
            if db is None:
                if self._wh is None:
                    raise WarehouseError("this runner has no warehouse")
                cur = self._wh
            else:
                name = self._load(db)
                cur = self._mem
                if name != self._current:
                    cur.execute(f"SET search_path = '{name},{_EMPTY}'")
                    self._current = name
            token = _WATCHDOG.watch(cur, self.timeout_s)
            t0 = time.perf_counter()
            try:
                cur.execute(sql)
                desc = cur.description or []
                rows = cur.fetchmany(self.row_cap + 1)
            except duckdb.Error as exc:
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if isinstance(exc, duckdb.InterruptException):
                    msg = f"the query ran longer than {self.timeout_s:g} s"
                raise SqlRuntimeError(msg) from None
            finally:
                _WATCHDOG.done(token)
            elapsed = (time.perf_counter() - t0) * 1000
        truncated = len(rows) > self.row_cap
        return QueryResult(tuple(d[0] for d in desc), tuple(str(d[1]) for d in desc),
                           tuple(tuple(r) for r in rows[:self.row_cap]), truncated, elapsed)

    def run_many(self, sqls: list[str], db: HiddenDb | None = None) -> list[QueryResult | str]:
        """Run several statements on one database, two at a time (DuckDB releases the GIL).

        Each item is the result or the error message; the hidden-DB builder runs mutants this way.
        """
        if db is None or len(sqls) < 4:
            return [self._safe(s, db) for s in sqls]
        with self._lock:
            name = self._load(db)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers)
            self._cursors = [self._mem.cursor() for _ in range(self.workers)]
            self._cursor_schema = [""] * self.workers
        chunks = [sqls[i::self.workers] for i in range(self.workers)]
        futures = [self._pool.submit(self._run_chunk, i, chunk, name) for i, chunk in enumerate(chunks)]
        parts = [f.result() for f in futures]
        out: list[QueryResult | str] = [""] * len(sqls)
        for i, part in enumerate(parts):
            for j, res in enumerate(part):
                out[i + j * self.workers] = res
        return out

    def _run_chunk(self, i: int, sqls: list[str], name: str) -> list[QueryResult | str]:
        cur = self._cursors[i]
        if self._cursor_schema[i] != name:
            cur.execute(f"SET search_path = '{name},{_EMPTY}'")
            self._cursor_schema[i] = name
        out: list[QueryResult | str] = []
        for sql in sqls:
            token = _WATCHDOG.watch(cur, self.timeout_s)
            try:
                cur.execute(sql)
                desc = cur.description or []
                rows = cur.fetchmany(self.row_cap + 1)
                out.append(QueryResult(tuple(d[0] for d in desc), tuple(str(d[1]) for d in desc),
                                       tuple(tuple(r) for r in rows[:self.row_cap]), len(rows) > self.row_cap))
            except duckdb.Error as exc:
                out.append(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            finally:
                _WATCHDOG.done(token)
        return out

    def _safe(self, sql: str, db: HiddenDb | None) -> QueryResult | str:
        try:
            return self.run(sql, db)
        except SqlRuntimeError as exc:
            return exc.message

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            for c in self._cursors:
                c.close()
            self._pool = None
        self._mem.close()
        if self._wh is not None:
            self._wh.close()
