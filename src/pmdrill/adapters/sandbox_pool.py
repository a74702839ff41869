"""A pool of hardened sandbox workers behind one ``Runner``: concurrent gradings never queue behind a
single worker, and a worker that dies is replaced while its request gets a clear error.

Each request checks one idle worker out and puts it back after; a grading that splits its hidden
databases over two runs holds two workers for that time. The workers start in parallel.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from pmdrill.adapters.sandbox import Sandbox
from pmdrill.core.sqlcheck.types import HiddenDb, QueryResult
from pmdrill.errors import SqlRuntimeError

_CHECKOUT_TIMEOUT_S = 60.0  # a request waits this long for a free worker before it is told the server is busy


def default_size(setting: int) -> int:
    """The ``sandbox_workers`` setting, 0 meaning one worker per CPU core (at least two)."""
    return setting if setting > 0 else max(2, os.cpu_count() or 1)


class SandboxPool:
    """``size`` sandbox workers; ``run`` and ``run_each`` each use one that is free."""

    def __init__(self, warehouse: Path, *, size: int, timeout_s: float = 5.0, memory_mb: int = 1024,
                 row_cap: int = 10_000) -> None:
        self.size = max(1, size)
        self.timeout_s = timeout_s
        self._idle: queue.LifoQueue[Sandbox] = queue.LifoQueue()  # the warmest worker first
        self._lock = threading.Lock()
        self._closed = False

        def start(_i: int) -> Sandbox:
            return Sandbox(warehouse, timeout_s=timeout_s, memory_mb=memory_mb, row_cap=row_cap)

        with ThreadPoolExecutor(max_workers=self.size) as ex:
            self.workers: list[Sandbox] = list(ex.map(start, range(self.size)))
        for w in self.workers:
            self._idle.put(w)

    @contextmanager
    def _worker(self) -> Iterator[Sandbox]:
        if self._closed:
            raise SqlRuntimeError("the SQL sandbox is closed", engine="duckdb")
        try:
            worker = self._idle.get(timeout=_CHECKOUT_TIMEOUT_S)
        except queue.Empty:
            raise SqlRuntimeError(f"every SQL worker stayed busy for {_CHECKOUT_TIMEOUT_S:.0f} s; try again",
                                  engine="duckdb", kind="busy") from None
        try:
            yield worker
        finally:
            self._idle.put(worker)

    def run(self, sql: str, db: HiddenDb | None = None, *, cap: int | None = None) -> QueryResult:
        with self._worker() as w:
            return w.run(sql, db, cap=cap)

    def run_each(self, sql: str, dbs: Sequence[HiddenDb]) -> list[QueryResult | SqlRuntimeError]:
        with self._worker() as w:
            return w.run_each(sql, dbs)

    @property
    def restarts(self) -> int:
        return sum(w.restarts for w in self.workers)

    def alive(self) -> int:
        """How many workers answer ``SELECT 1`` right now (the busy ones are counted as alive)."""
        count = 0
        checked: list[Sandbox] = []
        try:
            while True:
                try:
                    w = self._idle.get_nowait()
                except queue.Empty:
                    break
                checked.append(w)
                try:
                    count += w.ping()
                except SqlRuntimeError:
                    pass
        finally:
            for w in checked:
                self._idle.put(w)
        return count + (self.size - len(checked))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for w in self.workers:
                w.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
