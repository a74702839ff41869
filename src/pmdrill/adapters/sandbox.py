"""Runs candidates' SQL on DuckDB in a hardened worker process: the grader's ``Runner``.

Layers (see shared/spec/sandbox.md): a spawned worker with an address-space limit that the parent
kills and respawns past a wall-clock deadline; a read-only, locked-down connection; a new cursor,
a timer and a row cap per request. It stays safe even when handed SQL the gate never saw.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any, overload

from pmdrill.core.sqlcheck.types import HiddenDb, QueryResult
from pmdrill.errors import SqlRuntimeError, WarehouseError

_GRACE_S = 1.5  # the worker interrupts itself at the deadline; the parent kills it this much later
_START_TIMEOUT_S = 60.0
# the worker's environment: nothing secret (PMDRILL_POSTGRES_URL, tokens) reaches it
_ENV_KEPT = frozenset({"PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "VIRTUAL_ENV", "HOME"})


class Sandbox:
    """A persistent worker process that runs one SELECT at a time on the warehouse or a hidden db.

    Example (not run here: it needs a warehouse file):
        with Sandbox(path, timeout_s=5, memory_mb=1024, row_cap=10_000) as box:
            box.run("SELECT COUNT(*) FROM learners").rows
    """

    def __init__(self, warehouse: Path, *, timeout_s: float = 5.0, memory_mb: int = 1024,
                 row_cap: int = 10_000, threads: int = 2) -> None:
        self.warehouse = Path(warehouse)
        if not self.warehouse.is_file():
            raise WarehouseError(f"the warehouse {self.warehouse} does not exist: build it first")
        self.timeout_s = float(timeout_s)
        self.memory_mb = int(memory_mb)
        self.row_cap = int(row_cap)
        self.threads = int(threads)
        self.restarts = 0  # how many times a worker was killed and replaced
        self._closed = False
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._loaded: set[str] = set()  # hidden databases this worker was sent (it may drop some)
        self._start()

    # -- lifecycle ---------------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {"warehouse": str(self.warehouse), "timeout_s": self.timeout_s,
                "memory_mb": self.memory_mb, "row_cap": self.row_cap, "threads": self.threads}

    def _start(self) -> None:
        # A fresh interpreter (not a fork of a threaded parent, and unlike multiprocessing's spawn it
        # never re-imports the caller's __main__), talking over a socket pair with pickled messages.
        mine, theirs = socket.socketpair()
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEPT or k.startswith("PYTHON")}
        try:
            proc = subprocess.Popen([sys.executable, "-m", "pmdrill.adapters.sandbox_worker",
                                     str(theirs.fileno())], pass_fds=(theirs.fileno(),), env=env,
                                    stdin=subprocess.DEVNULL, close_fds=True)
        finally:
            theirs.close()
        parent = Connection(mine.detach())
        parent.send(self._config())
        try:
            if not parent.poll(_START_TIMEOUT_S):
                raise EOFError
            status, payload = parent.recv()
        except (EOFError, OSError):
            proc.kill()
            proc.wait(5)
            parent.close()
            raise WarehouseError(f"the SQL sandbox could not start (exit code {proc.returncode})") from None
        if status != "ready":
            proc.wait(5)
            parent.close()
            raise WarehouseError(f"the SQL sandbox could not open the warehouse: {payload}")
        self._proc, self._conn = proc, parent
        self._loaded = set()  # a new worker has no hidden database yet

    def _kill(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait(5)

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _respawn(self) -> None:
        self._kill()
        self.restarts += 1
        self._start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                try:
                    self._conn.send(("stop",))
                except (OSError, BrokenPipeError):
                    pass
                if self._proc is not None:
                    try:
                        self._proc.wait(2)
                    except subprocess.TimeoutExpired:
                        pass
            self._kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._kill()
        except Exception:  # interpreter shutdown: nothing left to clean
            pass

    # -- requests ----------------------------------------------------------------------------
    def run(self, sql: str, db: HiddenDb | None = None, *, cap: int | None = None) -> QueryResult:
        """Run one read-only statement on the warehouse (db=None) or on a hidden test database;
        ``cap`` fetches at most that many rows (default: the worker's row cap)."""
        reply = self._request(("run", sql, None if db is None else self._payload(db), cap))
        if reply[0] == "missing":  # the worker dropped it (or was restarted): send the rows
            self._loaded.difference_update(reply[1])
            reply = self._request(("run", sql, self._payload(db, full=True), cap))
        if db is not None:
            self._loaded.add(db.key)
        if reply[0] == "ok":
            return _result(reply[1])
        raise SqlRuntimeError(reply[1], engine="duckdb")

    def run_each(self, sql: str, dbs: Sequence[HiddenDb]) -> list[QueryResult | SqlRuntimeError]:
        """Run one statement on each hidden database, back to back in the worker: one request.

        Returns one item per database, in order: its result, or the error it raised. Nothing runs
        after the first error, so the list ends there (it is shorter than ``dbs`` when an error is
        not on the last database). Each database has the same deadline as ``run``.
        """
        if not dbs:
            return []
        replies = self._request(("run_each", sql, [self._payload(db) for db in dbs]), replies=len(dbs))
        missing = [key for status, body in replies if status == "missing" for key in body]
        if missing:
            self._loaded.difference_update(missing)
            replies = self._request(("run_each", sql, [self._payload(db, full=True) for db in dbs]),
                                    replies=len(dbs))
        self._loaded.update(db.key for db in dbs)
        out: list[QueryResult | SqlRuntimeError] = []
        for status, body in replies:
            if status == "ok":
                out.append(_result(body))
            else:
                out.append(SqlRuntimeError(body, engine="duckdb"))
        return out

    def _payload(self, db: HiddenDb | None, *, full: bool = False) -> tuple[str, Any] | None:
        """A hidden database as sent to the worker: its rows only when the worker may not have them
        yet (it answers "missing" when it has dropped one it was sent before)."""
        if db is None:
            return None
        return db.key, (db.tables if full or db.key not in self._loaded else None)

    def ping(self) -> bool:
        """True when the worker answers ``SELECT 1``."""
        return self.run("SELECT 1").rows == ((1,),)

    @overload
    def _request(self, message: tuple[Any, ...]) -> tuple[Any, ...]: ...

    @overload
    def _request(self, message: tuple[Any, ...], replies: int) -> list[tuple[Any, ...]]: ...

    def _request(self, message: tuple[Any, ...], replies: int | None = None) -> Any:
        """Send one message; wait for one reply (``replies`` None) or for up to ``replies`` replies,
        each within the deadline, stopping after the first error reply."""
        with self._lock:
            if self._closed:
                raise SqlRuntimeError("the SQL sandbox is closed", engine="duckdb")
            if self._conn is None or not self._alive():
                self._respawn()
            assert self._conn is not None
            got: list[tuple[Any, ...]] = []
            start = time.perf_counter()
            try:
                self._conn.send(message)
                while True:
                    start = time.perf_counter()
                    if not self._conn.poll(self.timeout_s + _GRACE_S):
                        break
                    reply = self._conn.recv()
                    if replies is None:
                        return reply
                    got.append(reply)
                    if len(got) == replies or reply[0] != "ok":
                        return got
            except (EOFError, OSError, BrokenPipeError):
                self._respawn()
                error = SqlRuntimeError(
                    f"the query stopped the SQL engine (most likely it needed more than "
                    f"{self.memory_mb} MB of memory); it was restarted", engine="duckdb")
                if replies is None:
                    raise error from None
                return [*got, ("error", error.message)]
            waited = time.perf_counter() - start
            self._respawn()
            error = SqlRuntimeError(f"the query took longer than {self.timeout_s:g} s and was stopped "
                                    f"(after {waited:.1f} s)", engine="duckdb")
            if replies is None:
                raise error
            return [*got, ("error", error.message)]


def _result(body: tuple[Any, ...]) -> QueryResult:
    columns, types, rows, truncated, elapsed = body
    # the worker sends rows as tuples already: keep them, convert only what is not
    rows = tuple(r if type(r) is tuple else tuple(r) for r in rows)
    return QueryResult(tuple(columns), tuple(types), rows, truncated, elapsed)
