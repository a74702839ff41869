"""The one object built per process: typed settings, the warehouse, the grader, the scorer, the tracker.

The CLI builds one per command and the web app one per process; ``app/`` functions take it first.
Everything expensive (the warehouse build, the sandbox workers, the embedding model, the tracker
database) is opened on first use, so a command only pays for what it touches.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmdrill.settings import Settings

if TYPE_CHECKING:
    from pmdrill.adapters.grading import Grader
    from pmdrill.adapters.tracker import Tracker
    from pmdrill.core.judgement.model import Case
    from pmdrill.core.judgement.score import Scorer
    from pmdrill.core.metrics.library import Library
    from pmdrill.core.sqlcheck.bank import Question

# (step, done, total): called while a missing warehouse is built, so a face can draw a progress bar
BuildProgress = Callable[[str, int, int], None]


class Context:
    """What one process shares between calls; cheap to build, opened lazily, closed once."""

    def __init__(self, settings: Settings | None = None, *, user: str = "local",
                 on_build: BuildProgress | None = None, warn: Callable[[str], None] | None = None,
                 face: str = "cli") -> None:
        self.settings = settings or Settings.load()
        self.user = user
        self.face = face                        # cli | web: recorded as an attempt's source
        self.on_build = on_build
        self.warn = warn or (lambda _message: None)
        self._lock = threading.RLock()
        self._warehouse: Path | None = None
        self._as_of: dt.date | None = None
        self._grader: Grader | None = None
        self._scorer: Scorer | None = None
        self._tracker: Tracker | None = None
        self._banks: dict[str, Any] = {}

    # -- the warehouse -------------------------------------------------------------------------
    def warehouse(self, scale: str | None = None) -> Path:
        """The configured warehouse file, built first when it is missing or from an older generator."""
        if scale is not None and scale != self.settings.scale:
            from pmdrill.adapters.duckdb_store import ensure_warehouse

            return ensure_warehouse(self.settings, scale, progress=self.on_build)
        with self._lock:
            if self._warehouse is None:
                from pmdrill.adapters.duckdb_store import ensure_warehouse

                self._warehouse = ensure_warehouse(self.settings, progress=self.on_build)
            return self._warehouse

    @property
    def as_of(self) -> dt.date:
        """The as-of date the warehouse was built with (its metadata), else the setting."""
        with self._lock:
            if self._as_of is None:
                from pmdrill.adapters.duckdb_store import warehouse_as_of

                self._as_of = warehouse_as_of(self.warehouse(), self.settings.as_of)
            return self._as_of

    # -- graders and stores ----------------------------------------------------------------------
    @property
    def grader(self) -> Grader:
        with self._lock:
            if self._grader is None:
                from pmdrill.adapters.grading import Grader

                self._grader = Grader(self.warehouse(), as_of=self.as_of, settings=self.settings)
            return self._grader

    @property
    def scorer(self) -> Scorer:
        """The case scorer with the local embedding model (patterns only, with a warning, without it)."""
        with self._lock:
            if self._scorer is None:
                from pmdrill.adapters.scoring import build_scorer

                self._scorer = build_scorer(self.settings, warn=self.warn)
            return self._scorer

    @property
    def has_tracker(self) -> bool:
        return self._tracker is not None

    @property
    def tracker(self) -> Tracker:
        with self._lock:
            if self._tracker is None:
                from pmdrill.adapters.tracker import open_tracker

                self._tracker = open_tracker(self.settings.tracker_location(), user=self.user)
            return self._tracker

    # -- the banks (parsed once per content version, cached on disk across processes) ------------
    def sql_bank(self) -> list[Question]:
        """The built-in SQL questions plus the user's own in <home>/questions."""
        return self._bank("sql")  # type: ignore[no-any-return]

    def case_bank(self) -> dict[str, Case]:
        """The case and estimation questions by bank id."""
        return self._bank("case")  # type: ignore[no-any-return]

    def kpi_library(self) -> Library:
        """The built-in KPIs plus the user's own in <home>/kpis."""
        return self._bank("kpi")  # type: ignore[no-any-return]

    def memo(self, name: str, make: Callable[[], Any]) -> Any:
        """A value derived from the banks, made once per process (the practice catalog)."""
        with self._lock:
            if name not in self._banks:
                self._banks[name] = make()
            return self._banks[name]

    def _bank(self, name: str) -> Any:
        with self._lock:
            if name not in self._banks:
                from pmdrill.adapters import banks

                self._banks[name] = banks.LOADERS[name](self.settings, self.warn)
            return self._banks[name]

    # -- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._grader is not None:
                self._grader.close()
            if self._tracker is not None:
                self._tracker.close()
            self._grader = None
            self._tracker = None

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
