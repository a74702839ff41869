"""`pmdrill warehouse export | schema | load-postgres`: the warehouse outside pmdrill (files, diagrams, PostgreSQL).

``register(app)`` adds the three commands to the `warehouse` group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, err_console, esc, lazy

warehouse = lazy("pmdrill.app.warehouse")

WarehouseOpt = typer.Option(None, "--warehouse", help="Warehouse file (default: the built default warehouse).",
                            show_default=False)
DirOpt = typer.Option(..., "--dir", help="Folder to write into (created if missing).")
OutOpt = typer.Option(None, "--out", help="Write the text, Mermaid or SVG to this file.", show_default=False)


def export(
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv."),
    directory: Path = DirOpt,
    warehouse_file: Path | None = WarehouseOpt,
    json_: bool = JsonOpt,
) -> None:
    """Write every table to one file each (Parquet or CSV), plus manifest.json and README.md."""
    report = warehouse.export(app_ctx(), fmt=fmt, directory=directory, path=warehouse_file)

    def render(r: dict[str, Any]) -> None:
        table = Table("table", "file", "rows")
        for t in r["tables"]:
            table.add_row(t["table"], t["file"], f"{t['rows']:,}")
        console.print(table)
        console.print(f"{esc(len(r['tables']))} tables, {r['rows']:,} rows as of {esc(r['as_of'])} -> {esc(r['directory'])}"
                      f" (see {esc(Path(r['readme']).name)})")

    emit(report, json_, render)


def schema(
    fmt: str = typer.Option("text", "--format", help="text, mermaid (erDiagram) or svg (an ER diagram image)."),
    out: Path | None = OutOpt,
    warehouse_file: Path | None = WarehouseOpt,
    json_: bool = JsonOpt,
) -> None:
    """The tables with their columns, types, keys and comments, or an ER diagram (Mermaid or SVG)."""
    result = warehouse.schema(app_ctx(), fmt=fmt, path=warehouse_file)
    rendered = result.pop("rendered")
    if out is not None:
        out = out.expanduser()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(rendered)
    data: dict[str, Any] = {"format": fmt, "out": str(out) if out else None, **result}
    if json_ and out is None and fmt != "text":
        data[fmt] = rendered

    def render(_: dict[str, Any]) -> None:
        if out is not None:
            console.print(f"wrote {esc(fmt)} for {esc(len(result['tables']))} tables to {esc(out)}")
        else:
            typer.echo(rendered, nl=False)

    emit(data, json_, render)


def load_postgres(
    url: str = typer.Option("", "--url", help="PostgreSQL URL (default: PMDRILL_POSTGRES_URL). Never printed.",
                            show_default=False),
    schema_name: str = typer.Option("pmdrill", "--schema", help="Schema to (re)create."),
    warehouse_file: Path | None = WarehouseOpt,
    json_: bool = JsonOpt,
) -> None:
    """Load the warehouse into PostgreSQL: keys from the contract, bulk COPY, one transaction."""
    report = warehouse.load_postgres(app_ctx(), url=url, schema_name=schema_name, path=warehouse_file)

    def render(r: dict[str, Any]) -> None:
        table = Table("table", "rows")
        for name, rows in r["tables"].items():
            table.add_row(name, f"{rows:,}")
        console.print(table)
        console.print(f"loaded {r['rows']:,} rows into schema {esc(r['schema'])} at {esc(r['url'])} "
                      f"in {r['seconds']:.1f} s (as of {esc(r['as_of'])})")
        if r["reader_role"]:
            console.print(f"answers run as the SELECT-only role {esc(r['reader_role'])}")
        for note in r["notes"]:
            err_console.print(f"note: {esc(note)}")

    emit(report, json_, render)


def register(app: typer.Typer) -> None:
    """Add export, schema and load-postgres to the `warehouse` group."""
    app.command("export")(export)
    app.command("schema")(schema)
    app.command("load-postgres")(load_postgres)
