"""The body of the SQL sandbox's worker process: hardened DuckDB connections and the request loop.

Runs in a spawned process under an address-space limit; the parent (sandbox.py) enforces the deadline.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import resource
import threading
import time
import uuid
from collections import OrderedDict
from multiprocessing.connection import Connection
from typing import Any


# DuckDB and Python reserve address space beyond the data they hold (code, thread stacks and arenas):
# the worker's limit is the data budget plus this much. Measured on duckdb 2.0.1: about 700 MB at
# start plus about 80 MB per thread, for each of the two instances (warehouse, hidden databases).
def address_space_mb(memory_mb: int, threads: int) -> int:
    return memory_mb + 1280 + 128 * threads


HIDDEN_CACHE = 64  # hidden databases kept loaded (one schema each)


def _hardening(memory_mb: int, threads: int, timeout_s: float) -> dict[str, Any]:
    return {
        "enable_external_access": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "allow_community_extensions": False,
        "allow_unsigned_extensions": False,
        "allow_persistent_secrets": False,
        "python_enable_replacements": False,
        "memory_limit": f"{memory_mb}MB",
        "threads": threads,
        "max_expression_depth": 250,
        "max_execution_time": int(timeout_s * 1000),
    }


def _lock_down(con: Any) -> None:
    # only after opening: the file systems are needed to open the warehouse itself
    con.execute("SET disabled_filesystems='LocalFileSystem'")
    con.execute("SET lock_configuration=true")


def _open_warehouse(cfg: dict[str, Any]) -> Any:
    import duckdb

    con = duckdb.connect(cfg["warehouse"], read_only=True,
                         config=_hardening(cfg["memory_mb"], cfg["threads"], cfg["timeout_s"]))
    return con


def _warehouse_columns(con: Any) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for t, c, ty in rows:
        out.setdefault(t, []).append((c, ty))
    return out


def _hidden_ddl(columns: dict[str, list[tuple[str, str]]]) -> list[str]:
    """The contract's tables (foreign keys dropped: rows arrive in any order) plus the warehouse's
    own added columns and tables, so an answer that runs on the warehouse runs on a hidden db.
    ``{schema}`` is filled in per hidden database."""
    from pmdrill.core.warehouse import schema

    ddl = []
    contract = {t.name: t for t in schema.tables()}
    for t in schema.tables():
        cols = ", ".join(f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in t.columns)
        ddl.append(f'CREATE TABLE "{{schema}}"."{t.name}" ({cols})')
        for name, ty in columns.get(t.name, []):
            if name not in t.column_names:
                ddl.append(f'ALTER TABLE "{{schema}}"."{t.name}" ADD COLUMN "{name}" {ty}')
    for table, cols in columns.items():
        if table not in contract:
            ddl.append(f'CREATE TABLE "{{schema}}"."{table}" (' +
                       ", ".join(f'"{c}" {ty}' for c, ty in cols) + ")")
    return ddl


class Missing(Exception):
    """A hidden database was referred to by key only, but is not loaded: the parent sends it again."""


class HiddenDbs:
    """Hidden test databases, one schema each in ONE in-memory DuckDB (an instance per database
    would reserve ~70 MB of address space each), least recently used dropped past ``capacity``.

    They hold tens of rows, so planning dominates a query: one thread and DuckDB's optimizer off
    except its expression rewriter, as the in-process runner that computes the reference's outputs
    on them (local_runner.py) does, so both sides run under the same engine settings."""

    def __init__(self, cfg: dict[str, Any], ddl: list[str], capacity: int = HIDDEN_CACHE) -> None:
        import duckdb

        self.con = duckdb.connect(":memory:", config=_hardening(cfg["memory_mb"], 1, cfg["timeout_s"]))
        optimizers = [o for (o,) in self.con.execute("SELECT name FROM duckdb_optimizers()").fetchall()
                      if o != "expression_rewriter"]
        if optimizers:
            self.con.execute(f"SET disabled_optimizers = '{','.join(optimizers)}'")
        _lock_down(self.con)  # tables can still be created; settings and files cannot be touched
        self.ddl = ddl
        self.capacity = capacity
        self.loaded: OrderedDict[str, str] = OrderedDict()  # key -> schema

    def schema_for(self, key: str, tables: dict[str, Any] | None) -> str:
        """The schema holding hidden database ``key``, loaded from ``tables`` if needed (None: the
        parent believes it is loaded; Missing when it is not)."""
        from pmdrill.core.warehouse import schema as contract

        name = self.loaded.get(key)
        if name is not None:
            self.loaded.move_to_end(key)
            return name
        if tables is None:
            raise Missing(key)
        name = "h_" + re.sub(r"[^a-z0-9_]", "_", key.lower())
        # one transaction for the whole schema: about 20 ms instead of 150 ms statement by statement
        script = "; ".join([f'DROP SCHEMA IF EXISTS "{name}" CASCADE', f'CREATE SCHEMA "{name}"',
                            *(stmt.replace("{schema}", name) for stmt in self.ddl)])
        self.con.execute(f"BEGIN; {script}; COMMIT")
        try:
            for table, rows in tables.items():
                if not rows:
                    continue
                try:
                    cols = contract.table(table).column_names
                except KeyError:
                    raise ValueError(f"the hidden database has a table {table!r} the contract does not "
                                     "have") from None
                names = ", ".join(f'"{c}"' for c in cols)
                row_marks = "(" + ", ".join("?" for _ in cols) + ")"
                for i in range(0, len(rows), 200):  # one multi-row INSERT per chunk: executemany is slow
                    chunk = rows[i:i + 200]
                    self.con.execute(f'INSERT INTO "{name}"."{table}" ({names}) VALUES '
                                     + ", ".join(row_marks for _ in chunk),
                                     [v for r in chunk for v in r])
        except BaseException:
            self.con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            raise
        self.loaded[key] = name
        while len(self.loaded) > self.capacity:
            _, old = self.loaded.popitem(last=False)
            self.con.execute(f'DROP SCHEMA IF EXISTS "{old}" CASCADE')
        return name


_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?(?:/[\w.@+-]+){2,}/?")


def scrub(message: str, warehouse: str = "") -> str:
    """An engine message without file paths (they reveal the user's home and the warehouse)."""
    if warehouse:
        message = message.replace(warehouse, "<warehouse>")
    return _PATH.sub("<path>", message)


def plain(value: Any) -> Any:
    """A result value as plain Python: Decimal, datetime, date, float, int, str, bool, None, lists."""
    if value is None or isinstance(value, (bool, int, str, decimal.Decimal, dt.date, dt.time)):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


# DuckDB types whose Python values are already plain (see ``plain``): no per-value conversion.
_PLAIN_TYPES = re.compile(r"(BOOLEAN|U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|VARCHAR|DATE|TIME"
                          r"|TIMESTAMP(_S|_MS|_NS)?|DECIMAL\(\d+, ?\d+\))")
_FLOAT_TYPES = frozenset({"DOUBLE", "FLOAT"})


def _no_nan(value: Any) -> Any:
    return None if value != value else value  # NaN is the only value not equal to itself


def converters(types: list[str]) -> list[Any] | None:
    """Per column, how to make a value plain (None: as is); None when no column needs anything."""
    out: list[Any] = []
    for ty in types:
        if _PLAIN_TYPES.fullmatch(ty):
            out.append(None)
        elif ty in _FLOAT_TYPES:
            out.append(_no_nan)
        else:
            out.append(plain)
    return out if any(f is not None for f in out) else None


def plain_rows(rows: list[tuple[Any, ...]], types: list[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain values, converting only the columns whose type needs it."""
    convert = converters(types)
    if convert is None:
        return rows
    return [tuple(v if f is None or v is None else f(v) for v, f in zip(r, convert, strict=True))
            for r in rows]


class _Watchdog:
    """One thread that interrupts the running cursor at its deadline (a Timer thread per query
    costs more than a small query)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._cursor: Any = None
        self._deadline = 0.0
        self._thread: threading.Thread | None = None

    def arm(self, cursor: Any, timeout_s: float) -> None:
        with self._cv:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="sandbox-watchdog", daemon=True)
                self._thread.start()
            self._cursor, self._deadline = cursor, time.monotonic() + timeout_s
            self._cv.notify()

    def disarm(self) -> None:
        with self._cv:
            self._cursor = None

    def _loop(self) -> None:
        with self._cv:
            while True:
                if self._cursor is None:
                    self._cv.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cv.wait(left)
                    continue
                try:
                    self._cursor.interrupt()
                except Exception:  # noqa: BLE001 - a closed cursor has nothing left to stop
                    pass
                self._cursor = None


_WATCHDOG = _Watchdog()


def _single_select(con: Any, sql: str) -> None:
    """DuckDB's own parser must see exactly one SELECT (the gate's parse is sqlglot's)."""
    import duckdb

    statements = con.extract_statements(sql)
    if len(statements) != 1:
        raise ValueError(f"exactly one statement may run; this text has {len(statements)}")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise ValueError(f"only a SELECT may run; this is a {statements[0].type.name} statement")


def _execute(con: Any, sql: str, cfg: dict[str, Any], search_path: str | None = None, *,
             checked: bool = False, cap: int | None = None) -> tuple[Any, ...]:
    """Run one SELECT on a new cursor under the deadline; ``checked``: _single_select already passed;
    ``cap``: fetch at most that many rows (never more than the configured row cap)."""
    row_cap = min(cfg["row_cap"], int(cap)) if isinstance(cap, int) and cap > 0 else cfg["row_cap"]
    if not checked:
        _single_select(con, sql)
    cur = con.cursor()  # a new cursor per request: temp objects and settings die with it
    try:
        if search_path is not None:
            cur.execute(f"SET search_path = '{search_path}'")
        start = time.perf_counter()
        _WATCHDOG.arm(cur, cfg["timeout_s"])
        try:
            cur.execute(sql)
            description = cur.description or []
            rows = cur.fetchmany(row_cap + 1)
        finally:
            _WATCHDOG.disarm()
            cur.interrupt()  # a streaming result keeps running after fetchmany
    finally:
        cur.close()
    elapsed = (time.perf_counter() - start) * 1000
    truncated = len(rows) > row_cap
    rows = rows[: row_cap]
    columns = [d[0] for d in description]
    types = [str(d[1]) for d in description]
    return columns, types, plain_rows(rows, types), truncated, round(elapsed, 3)


def _explain(exc: BaseException, cfg: dict[str, Any], elapsed: float) -> str:
    text = scrub(str(exc), cfg["warehouse"])
    low = text.lower()
    if "interrupt" in low or elapsed >= cfg["timeout_s"]:
        return f"the query took longer than {cfg['timeout_s']:g} s and was stopped"
    # the local file system is off inside the sandbox, so a query that would spill to disk is refused
    spill = "localfilesystem has been disabled" in low
    if "out of memory" in low or isinstance(exc, MemoryError) or "bad_alloc" in low or spill:
        return f"the query needed more than {cfg['memory_mb']} MB of memory and was stopped"
    return text


def _die_with_parent() -> None:
    """Linux: the kernel kills the worker when the parent dies, even in the middle of a query."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the worker exits at the next read from the closed pipe


def serve(conn: Connection, cfg: dict[str, Any]) -> None:
    """Worker entry point: open, lock down, then answer requests until told to stop."""
    limit = address_space_mb(cfg["memory_mb"], cfg["threads"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _die_with_parent()
    try:
        warehouse = _open_warehouse(cfg)
        ddl = _hidden_ddl(_warehouse_columns(warehouse))
        _lock_down(warehouse)
    except Exception as e:  # reported to the parent, which raises WarehouseError
        conn.send(("error", scrub(str(e), cfg["warehouse"])))
        return
    conn.send(("ready", None))
    hidden: HiddenDbs | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        if message[0] == "run_each":
            # one query on several hidden databases, back to back: one reply per database as it
            # finishes (the parent's deadline applies to each), and nothing after the first error
            _, sql, dbs = message
            if hidden is None:
                hidden = HiddenDbs(cfg, ddl)
            missing = [key for key, tables in dbs if tables is None and key not in hidden.loaded]
            if missing:
                conn.send(("missing", missing))
                continue
            for key, tables in dbs:  # most recently used: loading the others cannot drop them now
                if tables is None:
                    hidden.loaded.move_to_end(key)
            try:
                _single_select(hidden.con, sql)
            except Exception as e:  # the text itself is refused: one error for the whole batch
                conn.send(("error", _explain(e, cfg, 0.0)))
                continue
            for key, tables in dbs:
                start = time.perf_counter()
                try:
                    reply = _execute(hidden.con, sql, cfg, search_path=hidden.schema_for(key, tables),
                                     checked=True)
                    conn.send(("ok", reply))
                except Missing as e:  # more databases than the cache holds: the parent resends all
                    conn.send(("missing", list(e.args)))
                    break
                except Exception as e:
                    conn.send(("error", _explain(e, cfg, time.perf_counter() - start)))
                    break
            continue
        _, sql, db, *rest = message
        cap = rest[0] if rest else None
        start = time.perf_counter()
        try:
            if db is None:
                reply = _execute(warehouse, sql, cfg, cap=cap)
            else:
                if hidden is None:
                    hidden = HiddenDbs(cfg, ddl)
                key, tables = db
                reply = _execute(hidden.con, sql, cfg, search_path=hidden.schema_for(key, tables), cap=cap)
            conn.send(("ok", reply))
        except Missing as e:
            conn.send(("missing", list(e.args)))
        except Exception as e:  # every failure is the query's: report it, keep serving
            conn.send(("error", _explain(e, cfg, time.perf_counter() - start)))


if __name__ == "__main__":
    import signal
    import sys

    # Ctrl+C in a terminal reaches the whole process group: the parent stops its workers itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _conn = Connection(int(sys.argv[1]))
    serve(_conn, _conn.recv())
