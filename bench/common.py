"""What the benchmarks share: the default (small) warehouse, built once into the user's data folder."""

from __future__ import annotations

from pathlib import Path


def default_warehouse() -> Path:
    """The default-scale warehouse of the configured PMDRILL_HOME (built first if missing)."""
    from pmdrill.context import Context
    from pmdrill.settings import Settings

    settings = Settings.load(scale="small")
    if not settings.warehouse_path("small").exists():
        print(f"building the default (small) warehouse at {settings.warehouse_path('small')} ...", flush=True)
    return Context(settings).warehouse()
