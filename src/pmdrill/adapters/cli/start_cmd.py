"""`pmdrill start`: what `make run` calls — make sure the warehouse exists, then show where to begin."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, esc, lazy

warehouse = lazy("pmdrill.app.warehouse")


def start(
    scale: str = typer.Option(None, "--scale", help="Warehouse scale to use (default: the 'scale' setting)."),
    json_: bool = JsonOpt,
) -> None:
    """Build the default warehouse if it is missing, then summarise it and list what to practise."""
    data = warehouse.start(app_ctx(), scale=scale)

    def render(d: dict[str, Any]) -> None:
        w = d["warehouse"]
        console.print(f"[bold]pmdrill warehouse[/] {esc(w['path'])}  (scale {esc(w['scale'])}, seed {esc(w['seed'])}, "
                      f"as of {esc(w['as_of'])})")
        table = Table("table", "rows")
        for name, rows in w["tables"].items():
            table.add_row(name, f"{rows:,}")
        console.print(table)
        # `make run` calls .venv/bin/pmdrill, which is not on PATH: show the commands as they will work
        prog = sys.argv[0] if "/" in sys.argv[0] and Path(sys.argv[0]).exists() else "pmdrill"
        console.print("Practise with:")
        for cmd in d["next"]:
            console.print(f"  {esc(prog)}{esc(cmd.removeprefix('pmdrill'))}")

    emit(data, json_, render)
