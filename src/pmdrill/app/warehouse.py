"""The practice warehouse: build it, describe it, check its calibration, export it, draw its schema,
load it into PostgreSQL; and the summary `pmdrill start` shows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pmdrill.context import BuildProgress, Context
from pmdrill.errors import SettingsError, UsageError, WarehouseError
from pmdrill.settings import SCALES, Secret

SCHEMA_FORMATS = ("text", "mermaid", "svg")
EXPORT_FORMATS = ("parquet", "csv")


def build(ctx: Context, *, scale: str | None = None, seed: int | None = None, as_of: dt.date | None = None,
          out: Path | None = None, progress: BuildProgress | None = None) -> dict[str, Any]:
    """Generate the warehouse (deterministic for a seed and scale) and write it atomically."""
    from pmdrill.adapters.duckdb_store import build_warehouse

    scale = scale or ctx.settings.scale
    if scale not in SCALES:
        raise UsageError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}", where="--scale")
    target = out.expanduser() if out is not None else ctx.settings.warehouse_path(scale)
    info = build_warehouse(target, scale=scale, seed=ctx.settings.seed if seed is None else seed,
                           as_of=as_of or ctx.settings.as_of, progress=progress)
    info.pop("checksums", None)
    return info


def _path(ctx: Context, path: Path | None) -> Path:
    """An explicit file as given (it must exist); else the configured warehouse, built if missing."""
    if path is not None:
        path = path.expanduser()
        if not path.exists():
            raise WarehouseError(f"no warehouse at {path}")
        return path
    return ctx.warehouse()


def info(ctx: Context, path: Path | None = None) -> dict[str, Any]:
    """The warehouse's as-of date, seed, scale and row counts."""
    from pmdrill.adapters.duckdb_store import warehouse_info

    if path is None and not ctx.settings.warehouse_path().exists():
        raise WarehouseError(f"no warehouse at {ctx.settings.warehouse_path()}; run `pmdrill warehouse build`")
    return warehouse_info(path.expanduser() if path is not None else ctx.settings.warehouse_path())


def calibrate(ctx: Context, path: Path | None = None) -> list[dict[str, Any]]:
    """Every calibration target, planted effect and truth, measured: one row each with PASS/FAIL."""
    from pmdrill.adapters.duckdb_store import measure_calibration

    return measure_calibration(_path(ctx, path))


def _as_of(path: Path, default: dt.date) -> str:
    from pmdrill.adapters.duckdb_store import warehouse_as_of

    return warehouse_as_of(path, default).isoformat()


def export(ctx: Context, *, fmt: str, directory: Path, path: Path | None = None) -> dict[str, Any]:
    """Every table to one file each (Parquet or CSV), plus manifest.json and README.md."""
    from pmdrill.adapters.export import export_warehouse

    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}", where="--format")
    source = _path(ctx, path)
    return export_warehouse(source, directory.expanduser(), fmt, as_of=_as_of(source, ctx.settings.as_of)).to_dict()


def schema(ctx: Context, *, fmt: str = "text", path: Path | None = None) -> dict[str, Any]:
    """The tables, columns, types, keys and comments, or an ER diagram (Mermaid or SVG); the contract
    alone needs no build, a built warehouse adds the columns it has beyond it."""
    from pmdrill.adapters.export import warehouse_columns
    from pmdrill.core.warehouse import erd
    from pmdrill.core.warehouse import schema as contract

    if fmt not in SCHEMA_FORMATS:
        raise UsageError(f"unknown schema format {fmt!r}: use one of {', '.join(SCHEMA_FORMATS)}", where="--format")
    source = path.expanduser() if path is not None else ctx.settings.warehouse_path()
    if path is not None and not source.exists():
        raise WarehouseError(f"no warehouse at {source}")
    tables = contract.tables()
    if source.exists():
        tables = erd.with_extras(tables, warehouse_columns(source))
    rendered = {"text": erd.to_text, "mermaid": erd.to_mermaid, "svg": erd.to_svg}[fmt](tables)
    return {"format": fmt, "warehouse": str(source) if source.exists() else None, "tables": erd.as_data(tables),
            "rendered": rendered}


def load_postgres(ctx: Context, *, url: str = "", schema_name: str = "pmdrill",
                  path: Path | None = None) -> dict[str, Any]:
    """Load the warehouse into PostgreSQL: keys from the contract, bulk COPY, one transaction."""
    from pmdrill.adapters.postgres_load import load_postgres as load

    secret = Secret(url) if url else ctx.settings.postgres_url
    if not secret.reveal():
        raise SettingsError("no PostgreSQL URL: pass --url or set PMDRILL_POSTGRES_URL", where="--url")
    source = _path(ctx, path)
    return load(source, secret, schema=schema_name, as_of=_as_of(source, ctx.settings.as_of)).to_dict()


NEXT_STEPS = ("pmdrill today", "pmdrill sql list", "pmdrill case list", "pmdrill mock start",
              "pmdrill plan --interview-date YYYY-MM-DD", "pmdrill metrics tree", "pmdrill experiment list")


def start(ctx: Context, *, scale: str | None = None) -> dict[str, Any]:
    """Make sure the warehouse exists (built once), then summarise it and say where to begin."""
    from pmdrill.adapters.duckdb_store import warehouse_info

    return {"warehouse": warehouse_info(ctx.warehouse(scale)), "next": list(NEXT_STEPS)}


def samples(ctx: Context, *, rows: int = 5) -> dict[str, Any]:
    """Row counts and the first rows of every table (the schema page's samples)."""
    from pmdrill.adapters.duckdb_store import open_warehouse
    from pmdrill.app.jsonable import plain
    from pmdrill.core.warehouse import schema as contract

    con = open_warehouse(ctx.warehouse())
    out: dict[str, Any] = {}
    try:
        for t in contract.tables():
            cur = con.execute(f"SELECT * FROM {t.name} LIMIT {int(rows)}")  # names from the contract
            columns = [d[0] for d in cur.description]
            out[t.name] = {"count": con.execute(f"SELECT COUNT(*) FROM {t.name}").fetchone()[0],
                           "columns": columns, "rows": plain([list(r) for r in cur.fetchall()])}
    finally:
        con.close()
    return out
