"""`pmdrill warehouse export | schema | load-postgres`: the warehouse outside pmdrill (files, diagrams, PostgreSQL).

``register(app)`` adds the three commands to the `warehouse` group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table as RichTable

from pmdrill import settings
from pmdrill.adapters.cli.output import JsonOpt, console, emit, err_console
from pmdrill.errors import SettingsError

WarehouseOpt = typer.Option(None, "--warehouse", help="Warehouse file (default: the built default warehouse).",
                            show_default=False)
DirOpt = typer.Option(..., "--dir", help="Folder to write into (created if missing).")
OutOpt = typer.Option(None, "--out", help="Write the text, Mermaid or SVG to this file.", show_default=False)
SCHEMA_FORMATS = ("text", "mermaid", "svg")


def _warehouse(path: Path | None) -> Path:
    """An explicit file as given; else the default warehouse, built first if missing."""
    if path is not None:
        return path.expanduser()
    from pmdrill.adapters.duckdb_store import ensure_warehouse

    default = settings.warehouse_path()
    if not default.exists():
        err_console.print(f"Building the {settings.get('scale')} warehouse at {default} (first run) ...")
    return Path(ensure_warehouse(settings.get("scale")))


def _as_of(path: Path) -> str:
    """The as-of date the warehouse was built with (the setting when the file does not record one)."""
    from pmdrill.adapters.duckdb_store import warehouse_info

    try:
        info: dict[str, Any] = warehouse_info(path)
    except Exception:  # an older or foreign file: fall back to the setting, the build default
        return str(settings.get("as_of"))
    return str(info.get("as_of") or settings.get("as_of"))


def export(
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv."),
    directory: Path = DirOpt,
    warehouse: Path | None = WarehouseOpt,
    json_: bool = JsonOpt,
) -> None:
    """Write every table to one file each (Parquet or CSV), plus manifest.json and README.md."""
    from pmdrill.adapters.export import export_warehouse

    path = _warehouse(warehouse)
    report = export_warehouse(path, directory, fmt, as_of=_as_of(path))

    def render(r: dict[str, Any]) -> None:
        table = RichTable("table", "file", "rows")
        for t in r["tables"]:
            table.add_row(t["table"], t["file"], f"{t['rows']:,}")
        console.print(table)
        console.print(f"{len(r['tables'])} tables, {r['rows']:,} rows as of {r['as_of']} -> {r['directory']}"
                      f" (see {Path(r['readme']).name})")

    emit(report.to_dict(), json_, render)


def schema(
    fmt: str = typer.Option("text", "--format", help="text, mermaid (erDiagram) or svg (an ER diagram image)."),
    out: Path | None = OutOpt,
    warehouse: Path | None = WarehouseOpt,
    json_: bool = JsonOpt,
) -> None:
    """The tables with their columns, types, keys and comments, or an ER diagram (Mermaid or SVG)."""
    from pmdrill.adapters.export import warehouse_columns
    from pmdrill.core.warehouse import erd
    from pmdrill.core.warehouse import schema as contract

    if fmt not in SCHEMA_FORMATS:
        raise SettingsError(f"unknown schema format {fmt!r}: use one of {', '.join(SCHEMA_FORMATS)}")
    # the contract alone needs no build; a built warehouse adds the columns it has beyond it
    path = warehouse.expanduser() if warehouse is not None else settings.warehouse_path()
    tables = contract.tables()
    if path.exists():
        tables = erd.with_extras(tables, warehouse_columns(path))
    elif warehouse is not None:
        from pmdrill.errors import WarehouseError

        raise WarehouseError(f"no warehouse at {path}")
    rendered = {"text": erd.to_text, "mermaid": erd.to_mermaid, "svg": erd.to_svg}[fmt](tables)
    if out is not None:
        out = out.expanduser()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(rendered)
    data: dict[str, Any] = {"format": fmt, "out": str(out) if out else None,
                            "warehouse": str(path) if path.exists() else None,
                            "tables": erd.as_data(tables)}
    if json_ and out is None and fmt != "text":
        data[fmt] = rendered

    def render(_: dict[str, Any]) -> None:
        if out is not None:
            console.print(f"wrote {fmt} for {len(tables)} tables to {out}")
        else:
            typer.echo(rendered, nl=False)

    emit(data, json_, render)


def load_postgres(
    url: str = typer.Option("", "--url", help="PostgreSQL URL (default: PMDRILL_POSTGRES_URL). Never printed.",
                            show_default=False),
    schema_name: str = typer.Option("pmdrill", "--schema", help="Schema to (re)create."),
    warehouse: Path | None = WarehouseOpt,
    json_: bool = JsonOpt,
) -> None:
    """Load the warehouse into PostgreSQL: keys from the contract, bulk COPY, one transaction."""
    from pmdrill.adapters.postgres_load import load_postgres as load

    secret = settings.Secret(url) if url else settings.get("postgres_url")
    if not secret.reveal():
        raise SettingsError("no PostgreSQL URL: pass --url or set PMDRILL_POSTGRES_URL")
    path = _warehouse(warehouse)
    report = load(path, secret, schema=schema_name, as_of=_as_of(path))

    def render(r: dict[str, Any]) -> None:
        table = RichTable("table", "rows")
        for name, rows in r["tables"].items():
            table.add_row(name, f"{rows:,}")
        console.print(table)
        console.print(f"loaded {r['rows']:,} rows into schema {r['schema']} at {r['url']} "
                      f"in {r['seconds']:.1f} s (as of {r['as_of']})")
        if r["reader_role"]:
            console.print(f"answers run as the SELECT-only role {r['reader_role']}")
        for note in r["notes"]:
            err_console.print(f"note: {note}")

    emit(report.to_dict(), json_, render)


def register(app: typer.Typer) -> None:
    """Add export, schema and load-postgres to the `warehouse` command group."""
    app.command("export")(export)
    app.command("schema")(schema)
    app.command("load-postgres")(load_postgres)
