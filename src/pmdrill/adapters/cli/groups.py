"""The command groups of the CLI, in one list so that main.py stays a composition root.

Each group lives in its own module (one file per command group); add it here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from pmdrill.adapters.cli import (
    case_cmd,
    coach_cmd,
    experiment_cmd,
    history_cmd,
    metrics_cmd,
    mock_cmd,
    serve_cmd,
    settings_cmd,
    sql_cmd,
    start_cmd,
    tradeoff_cmd,
    warehouse_cmd,
    warehouse_extra_cmd,
)

warehouse_extra_cmd.register(warehouse_cmd.app)

GROUPS: list[tuple[str, typer.Typer]] = [
    ("warehouse", warehouse_cmd.app),
    ("sql", sql_cmd.app),
    ("metrics", metrics_cmd.app),
    ("case", case_cmd.app),
    ("experiment", experiment_cmd.app),
    ("tradeoff", tradeoff_cmd.app),
    ("mock", mock_cmd.app),
]
COMMANDS: list[Callable[..., Any]] = [
    start_cmd.start, serve_cmd.serve, coach_cmd.today, coach_cmd.plan, coach_cmd.review, coach_cmd.progress,
    history_cmd.regrade, history_cmd.export, history_cmd.import_, settings_cmd.settings,
]
