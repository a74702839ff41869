"""The banks as a process sees them: parsed once per content version and cached on disk (pickles).

Parsing the YAML and SQL of every case, question and KPI costs about a second; a command that only
scores one answer should not pay it. The cache key hashes every bank file's bytes and the code that
parses them, so an edited question or a new pmdrill is never served stale.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from pmdrill import __version__
from pmdrill.errors import ContentError
from pmdrill.settings import Settings

T = TypeVar("T")
_CORE = Path(__file__).resolve().parents[1] / "core"


def _key(files: Iterable[Path], code: Iterable[Path]) -> str:
    digest = hashlib.sha256(__version__.encode())
    for path in [*code, *files]:
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")  # the loader reports it with the file's name
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def cached(settings: Settings, name: str, files: list[Path], code: list[Path], load: Callable[[], T]) -> T:
    """``load()``'s result, from ``<home>/cache/banks`` when the same files were parsed before."""
    folder = settings.cache_dir / "banks"
    key = _key(files, code)
    path = folder / f"{name}-{key}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)  # type: ignore[no-any-return]
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        pass  # not cached yet (or written by an incompatible build): parse it
    value = load()  # ContentError propagates: a broken bank is never cached
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        for old in folder.glob(f"{name}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # the cache only saves time
    return value


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml")) if folder.is_dir() else []


def sql_bank(settings: Settings, warn: Callable[[str], None]) -> list[Any]:
    """The built-in questions (cached) plus the user's <home>/questions, whose broken entries are
    reported and skipped so that one typo never hides the rest."""
    from pmdrill.core.sqlcheck import bank

    files = [Path(str(f)) for _, f in bank.builtin_files()]
    builtin = cached(settings, "sql", files, [_CORE / "sqlcheck" / "bank.py"], bank.load_bank)
    own = settings.home / "questions"
    if not _yaml_files(own):
        return builtin
    errors: list[ContentError] = []
    questions = bank.extend(builtin, [own], errors)
    for err in errors:
        warn(f"skipped your question at {err}")
    return questions


def case_bank(settings: Settings, warn: Callable[[str], None]) -> dict[str, Any]:
    from pmdrill.core.judgement import loader

    files = [loader.GENERIC_FILE, *loader.case_files()]
    return cached(settings, "cases", files, [_CORE / "judgement" / "loader.py", _CORE / "judgement" / "model.py"],
                  loader.load_bank)


def kpi_library(settings: Settings, warn: Callable[[str], None]) -> Any:
    from pmdrill.core.metrics import library

    own = settings.home / "kpis"
    return cached(settings, "kpis", library.kpi_files([own]), [_CORE / "metrics" / "library.py"],
                  lambda: library.load_library([own]))


LOADERS: dict[str, Callable[[Settings, Callable[[str], None]], Any]] = {"sql": sql_bank, "case": case_bank, "kpi": kpi_library}

__all__ = ["LOADERS", "ContentError", "cached", "case_bank", "kpi_library", "sql_bank"]
