"""`pmdrill settings`: the settings table with current values (secrets masked)."""

from __future__ import annotations

from typing import Any

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit


def settings(json_: bool = JsonOpt) -> None:
    """Show every setting, its environment variable, value and meaning."""

    def render(rows: list[dict[str, Any]]) -> None:
        table = Table("setting", "env", "value", "help")
        for r in rows:
            table.add_row(r["name"], r["env"], str(r["value"]), r["help"])
        console.print(table)

    emit(app_ctx().settings.as_table(), json_, render)
