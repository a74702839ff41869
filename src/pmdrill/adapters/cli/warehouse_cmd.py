"""`pmdrill warehouse`: build the practice warehouse, describe it, and check it against its calibration."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, err_console, esc, lazy
from pmdrill.errors import UsageError

warehouse = lazy("pmdrill.app.warehouse")

app = typer.Typer(help="Build, describe and calibrate the synthetic EdTech warehouse.", no_args_is_help=True)

ScaleOpt = typer.Option(None, "--scale", help="tiny, small (default), medium or large.")
SeedOpt = typer.Option(None, "--seed", help="Random seed (default: the 'seed' setting).")
AsOfOpt = typer.Option(None, "--as-of", help="As-of date YYYY-MM-DD: nothing happens after it.")
OutOpt = typer.Option(None, "--out", help="Where to write the DuckDB file.")
PathOpt = typer.Option(None, "--path", help="Warehouse file (default: the configured one).")


def parse_date(raw: str | None, option: str) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"{raw!r} is not a date (YYYY-MM-DD)", where=option) from None


@app.command()
def build(
    scale: str = ScaleOpt,
    seed: int = SeedOpt,
    as_of: str = AsOfOpt,
    out: Path = OutOpt,
    json_: bool = JsonOpt,
) -> None:
    """Generate the warehouse (deterministic for a seed and scale) and write it atomically."""
    as_of_date = parse_date(as_of, "--as-of")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("chunk {task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err_console, transient=True, disable=json_) as bar:
        task = bar.add_task("generating", total=1)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        info = warehouse.build(app_ctx(), scale=scale, seed=seed, as_of=as_of_date, out=out, progress=report)

    def render(data: dict[str, Any]) -> None:
        console.print(f"built {esc(data['path'])}: scale {esc(data['scale'])}, seed {esc(data['seed'])}, as of {esc(data['as_of'])}, "
                      f"{data['rows']:,} rows in {esc(data['seconds'])} s")

    emit(info, json_, render)


@app.command()
def info(
    path: Path = PathOpt,
    json_: bool = JsonOpt,
) -> None:
    """Show the warehouse's as-of date, seed, scale and row counts."""
    data = warehouse.info(app_ctx(), path)

    def render(d: dict[str, Any]) -> None:
        console.print(f"{esc(d['path'])}\nas of {esc(d['as_of'])}, seed {esc(d['seed'])}, scale {esc(d['scale'])}")
        table = Table("table", "rows")
        for name, n in d["tables"].items():
            table.add_row(name, f"{n:,}")
        console.print(table)

    emit(data, json_, render)


@app.command()
def calibrate(
    path: Path = PathOpt,
    json_: bool = JsonOpt,
) -> None:
    """Measure every calibration target and planted effect; status says PASS or FAIL (exit code 0)."""
    rows = warehouse.calibrate(app_ctx(), path)

    def render(data: list[dict[str, Any]]) -> None:
        table = Table("id", "quantity", "band", "measured", "status", "source")
        for r in data:
            status = Text("PASS", style="green") if r["status"] == "PASS" else Text("FAIL", style="bold red")
            measured = "n/a" if r["measured"] is None else f"{r['measured']:.4g}"
            table.add_row(r["id"], r["quantity"], r["band"], measured, status, r["source"])
        console.print(table)
        failed = sum(r["status"] != "PASS" for r in data)
        console.print(f"{esc(len(data) - failed)} of {esc(len(data))} pass")

    emit(rows, json_, render)
