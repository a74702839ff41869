"""Shared test fixtures: a temp PMDRILL_HOME and warehouses built once per test session.

The default-scale warehouse is built once and shared by every xdist worker (a lock file guards
the build), so the calibration tests, the question bank and the KPI library all run on one build.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from pmdrill.core.warehouse.version import GENERATOR_VERSION

pytest_plugins = ["pg_fixtures"]


@pytest.fixture(autouse=True)
def _pmdrill_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty PMDRILL_HOME; nothing touches the user's data."""
    home = tmp_path / "pmdrill-home"
    monkeypatch.setenv("PMDRILL_HOME", str(home))
    for var in ("PMDRILL_WAREHOUSE", "PMDRILL_SCALE", "PMDRILL_SEED", "PMDRILL_AS_OF"):
        monkeypatch.delenv(var, raising=False)
    return home


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # with xdist, getbasetemp() is per worker; its parent is shared by the whole run
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    shared = root / "shared-warehouses"
    shared.mkdir(parents=True, exist_ok=True)
    return shared


def build_once(tmp_path_factory: pytest.TempPathFactory, scale: str, seed: int = 42) -> Path:
    """Build a warehouse of ``scale`` once for the whole test run and return its path."""
    from pmdrill.adapters.duckdb_store import build_warehouse

    shared = _shared_dir(tmp_path_factory)
    out = shared / f"{scale}-{seed}-v{GENERATOR_VERSION}.duckdb"
    with open(shared / f"{scale}-{seed}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            tmp = out.with_suffix(".building")
            if tmp.exists():
                tmp.unlink()
            build_warehouse(tmp, scale=scale, seed=seed)
            tmp.rename(out)
        fcntl.flock(lock, fcntl.LOCK_UN)
    return out


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 2,000 learners: fast, for behaviour tests."""
    return build_once(tmp_path_factory, "tiny")


@pytest.fixture(scope="session")
def default_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default ('small') build: calibration, content and KPI tests run on it."""
    return build_once(tmp_path_factory, "small")
