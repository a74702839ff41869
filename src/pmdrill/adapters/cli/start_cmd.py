"""`pmdrill start`: what `make run` calls — make sure the warehouse exists, then show where to begin.

The web app arrives in a later issue; until then `start` builds the default warehouse if missing and
prints its summary and the commands to practise with.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from pmdrill import settings
from pmdrill.adapters.cli.output import JsonOpt, console, emit, err_console


def start(
    scale: str = typer.Option(None, "--scale", help="Warehouse scale to use (default: the 'scale' setting)."),
    json_: bool = JsonOpt,
) -> None:
    """Build the default warehouse if it is missing, then summarise it and list what to practise."""
    from pmdrill.adapters.duckdb_store import ensure_warehouse, warehouse_info

    path = settings.warehouse_path(scale)
    if not path.exists():
        err_console.print(f"Building the {scale or settings.get('scale')} warehouse at {path} (first run) ...")
    path = ensure_warehouse(scale)
    info = warehouse_info(path)
    data: dict[str, Any] = {
        "warehouse": info,
        "next": [
            "pmdrill sql list",
            "pmdrill metrics tree",
            "pmdrill case list",
            "pmdrill experiment list",
            "pmdrill warehouse calibrate",
        ],
    }

    def render(d: dict[str, Any]) -> None:
        w = d["warehouse"]
        console.print(f"[bold]pmdrill warehouse[/] {w['path']}  (scale {w['scale']}, seed {w['seed']}, "
                      f"as of {w['as_of']})")
        table = Table("table", "rows")
        for name, rows in w["tables"].items():
            table.add_row(name, f"{rows:,}")
        console.print(table)
        # `make run` calls .venv/bin/pmdrill, which is not on PATH: show the commands as they will work
        prog = sys.argv[0] if "/" in sys.argv[0] and Path(sys.argv[0]).exists() else "pmdrill"
        console.print("Practise with:")
        for cmd in d["next"]:
            console.print(f"  {prog}{cmd.removeprefix('pmdrill')}")

    emit(data, json_, render)
