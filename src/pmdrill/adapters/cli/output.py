"""How every command prints: plain data as JSON with --json, else a human rendering; the build
progress bar; and the process's context.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from pmdrill.adapters.files import read_text
from pmdrill.app.jsonable import dumps

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from pmdrill.context import Context

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

__all__ = ["Table", "esc", "read_text"]  # re-exported: commands read the files a user names


def esc(value: Any) -> str:
    """``value`` as text that rich prints as it is: a candidate's "[/i]" or a SQL "x[1]" is not markup."""
    return escape(str(value))


class Table(RichTable):
    """Rich's table, but a long cell folds onto the next line instead of being cut with an ellipsis:
    ids stay whole and copyable in a narrow terminal or a pipe."""

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)

    def add_row(self, *cells: Any, **kwargs: Any) -> None:
        """Cells are data: plain strings are escaped (styled cells are passed as rich Text)."""
        super().add_row(*(escape(c) if isinstance(c, str) else c for c in cells), **kwargs)

JsonOpt = typer.Option(False, "--json", help="Print the result as JSON.")
NoRecordOpt = typer.Option(False, "--no-record", help="Do not record this answer in your history.")


CURRENT: ContextVar[Context] = ContextVar("pmdrill_context")


class _Lazy:
    """A module imported on first use: a command only pays for the app module it calls (the CLI starts
    in a fraction of a second instead of importing every grader, scorer and driver)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def lazy(name: str) -> Any:
    return _Lazy(name)


def app_ctx() -> Context:
    """The context the root command built for this run."""
    return CURRENT.get()


def to_json(data: Any) -> str:
    return dumps(data)


def emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    """Print ``data`` as JSON or through ``render``; the one way commands produce output."""
    if hasattr(data, "to_dict") and not isinstance(data, dict):
        data = data.to_dict()
    if as_json:
        typer.echo(to_json(data))
    else:
        render(data)


class BuildBar:
    """Draws the warehouse build's progress on stderr, started by the first report (if any)."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if self._progress is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            err_console.print("Building the practice warehouse (first run, a few seconds) ...")
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                                      console=err_console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("generating", total=max(total, 1))
        assert self._task is not None
        self._progress.update(self._task, description=step, completed=done, total=max(total, 1))

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
