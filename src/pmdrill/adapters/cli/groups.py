"""The command groups of the CLI, in one list so that main.py stays a composition root.

Each group lives in its own module (one file per command group); add it here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from pmdrill.adapters.cli import settings_cmd, start_cmd, warehouse_cmd, warehouse_extra_cmd

warehouse_extra_cmd.register(warehouse_cmd.app)
GROUPS: list[tuple[str, typer.Typer]] = [
    ("warehouse", warehouse_cmd.app),
]
COMMANDS: list[Callable[..., Any]] = [start_cmd.start, settings_cmd.settings]


def _optional(module: str, name: str) -> None:
    """Register a group whose module exists (groups land issue by issue)."""
    import importlib

    try:
        mod = importlib.import_module(f"pmdrill.adapters.cli.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"pmdrill.adapters.cli.{module}":
            raise
        return
    GROUPS.append((name, mod.app))


for _module, _name in (("sql_cmd", "sql"), ("metrics_cmd", "metrics"), ("case_cmd", "case"),
                       ("experiment_cmd", "experiment"), ("tradeoff_cmd", "tradeoff")):
    _optional(_module, _name)
