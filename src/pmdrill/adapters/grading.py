"""Wires the SQL grader: runners (sandbox, in-process, PostgreSQL), the hidden-DB cache files, the bank.

One ``Grader`` per process, built by the context (``pmdrill.context``) from the typed settings.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmdrill.adapters.local_runner import LocalRunner
from pmdrill.core.sqlcheck import bank, hidden
from pmdrill.core.sqlcheck.grade import GradeResult, Reference, grade, prepare_reference
from pmdrill.core.sqlcheck.types import HiddenDb, Runner
from pmdrill.errors import EngineError, PmdrillError, SqlError, UsageError
from pmdrill.settings import Settings

if TYPE_CHECKING:
    from pmdrill.adapters.sandbox_pool import SandboxPool

ENGINES = ("duckdb", "postgres")


def hidden_dir(settings: Settings | None = None) -> Path:
    """Where built hidden databases are cached (one JSON file per reference and as-of date)."""
    path = (settings or Settings.load()).cache_dir / "hidden"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Grader:
    """One process's grading machinery: the runners, the loaded hidden DBs, the reference outputs.

    Build it once (the CLI per command, the web app per process) and call ``check`` many times.
    """

    def __init__(self, warehouse: Path, *, as_of: dt.date, settings: Settings | None = None,
                 sandboxed: bool = True) -> None:
        self.settings = settings or Settings.load()
        self.warehouse = Path(warehouse)
        self.as_of = as_of
        self.sandboxed = sandboxed
        self.timeout_s = self.settings.sql_timeout_s
        self.memory_mb = self.settings.sql_memory_mb
        # grading compares results completely up to sql_compare_rows; sql_row_cap only bounds what is shown
        self.row_cap = max(self.settings.sql_compare_rows, self.settings.sql_row_cap)
        self.hidden_dir = hidden_dir(self.settings)
        self._local: LocalRunner | None = None
        self._sandbox: SandboxPool | None = None
        self._postgres: dict[str, Runner] = {}
        self._hidden: dict[str, list[HiddenDb]] = {}
        self._reports: dict[str, hidden.BuildReport] = {}
        self._keys: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}  # cache_key parses: memo
        self._lock = threading.RLock()

    # -- runners -----------------------------------------------------------------------------
    @property
    def local(self) -> LocalRunner:
        """The in-process runner for trusted SQL: references, mutants, counterexample shrinking."""
        if self._local is None:
            self._local = LocalRunner(self.warehouse, timeout_s=self.timeout_s * 4, row_cap=self.row_cap)
        return self._local

    def answer_runner(self, engine: str = "duckdb", url: str | None = None, dialect: str = "duckdb") -> Runner:
        """Where a candidate's SQL runs: the hardened sandbox, or PostgreSQL with ``engine='postgres'``."""
        if engine == "postgres":
            return self._postgres_runner(url, dialect)
        if engine != "duckdb":
            raise UsageError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}", where="--engine")
        if not self.sandboxed:
            return self.local
        return self.pool

    @property
    def pool(self) -> SandboxPool:
        """The hardened workers candidates' SQL runs on (started on first use, in parallel)."""
        with self._lock:
            if self._sandbox is None:
                from pmdrill.adapters.sandbox_pool import SandboxPool, default_size

                self._sandbox = SandboxPool(self.warehouse, size=default_size(self.settings.sandbox_workers),
                                            timeout_s=self.timeout_s, memory_mb=self.memory_mb,
                                            row_cap=self.row_cap)
            return self._sandbox

    def hidden_runner(self, engine: str = "duckdb") -> Runner | None:
        """Where the hidden databases run while the warehouse query runs: another worker of the pool
        (None: one after the other on the answer runner)."""
        if engine != "duckdb" or not self.sandboxed:
            return None
        pool = self.pool
        return pool if pool.size >= 2 else None

    def _postgres_runner(self, url: str | None, dialect: str) -> Runner:
        raw = url or self.settings.postgres_url.reveal()
        if not raw:
            raise EngineError("--engine postgres needs --url URL (or PMDRILL_POSTGRES_URL)")
        key = f"{dialect}|{raw}"
        if key not in self._postgres:
            try:
                from pmdrill.adapters.postgres_store import PostgresRunner
            except ImportError as exc:
                raise EngineError(f"the PostgreSQL engine is not available: {exc}") from None
            self._postgres[key] = PostgresRunner(raw, as_of=self.as_of, dialect=dialect)
        return self._postgres[key]

    # -- hidden databases --------------------------------------------------------------------
    def _cache_key(self, ref: Reference) -> str:
        memo = (ref.sql, ref.wrong_answers)
        key = self._keys.get(memo)
        if key is None:
            key = self._keys[memo] = hidden.cache_key(ref.sql, self.as_of, ref.wrong_answers)
        return key

    def hidden_dbs(self, ref: Reference, *, rebuild: bool = False) -> list[HiddenDb]:
        """The hidden databases of a reference: memory, then the cache file, else built (and cached)."""
        key = self._cache_key(ref)
        with self._lock:
            if not rebuild and key in self._hidden:
                return self._hidden[key]
            path = self.hidden_dir / f"{key}.json"
            dbs: list[HiddenDb] | None = None
            if not rebuild and path.exists():
                try:
                    dbs, report = hidden.decode(json.loads(path.read_text()))
                    self._reports[key] = report
                except (ValueError, KeyError, TypeError):
                    dbs = None  # stale or damaged: rebuild it
            if dbs is None:
                dbs, report = hidden.build(ref.tree, ref.sql, self.local, as_of=self.as_of,
                                           extra=ref.wrong_answers)
                self._reports[key] = report
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(hidden.encode(dbs, report)))
                tmp.replace(path)
            self._hidden[key] = dbs
            return dbs

    def build_report(self, ref: Reference) -> hidden.BuildReport | None:
        return self._reports.get(self._cache_key(ref))

    # -- grading -----------------------------------------------------------------------------
    def check(self, question_id: str | bank.Question | None = None, answer: str = "", *,
              reference: str | None = None,
              dialect: str = "duckdb", engine: str = "duckdb", url: str | None = None,
              explain: bool = True) -> GradeResult:
        """Grade ``answer`` against a bank question or a reference text."""
        if (question_id is None) == (reference is None):
            raise UsageError("give either a question id or a reference query")
        target: Any = reference
        if isinstance(question_id, str):
            target = bank.get_question(question_id)
        elif question_id is not None:
            target = question_id
        try:
            ref = prepare_reference(target, as_of=self.as_of)
        except SqlError as exc:
            where = "the reference" if reference is not None else f"question {target.id}'s reference"
            raise PmdrillError(f"{where} cannot run: {exc}") from None
        answer_runner = self.answer_runner(engine, url, dialect)
        t0 = time.perf_counter()
        dbs = self.hidden_dbs(ref)
        built_ms = (time.perf_counter() - t0) * 1000
        result = grade(ref, answer, dialect=dialect, runner=self.local, hidden_dbs=dbs,
                       as_of=self.as_of, explain=explain, answer_runner=answer_runner,
                       raw_answer=engine == "postgres", hidden_runner=self.hidden_runner(engine))
        result.timings_ms["hidden_dbs"] = built_ms  # loaded from memory or the cache file, or built
        result.timings_ms["total"] = result.timings_ms.get("total", 0.0) + built_ms
        return result

    def close(self) -> None:
        for r in [self._local, self._sandbox, *self._postgres.values()]:
            close = getattr(r, "close", None)
            if close is not None:
                close()
        self._local = None
        self._sandbox = None
        self._postgres.clear()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
