"""`pmdrill export | import | regrade`: your practice history as one JSON file, and re-grading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, esc, lazy
from pmdrill.adapters.cli.warehouse_cmd import parse_date

history = lazy("pmdrill.app.history")

_OutOpt = typer.Option(..., "--out", help="The JSON file to write.")
_FileArg = typer.Argument(..., metavar="FILE", help="A file written by `pmdrill export`.")


def export(out: Path = _OutOpt, json_: bool = JsonOpt) -> None:
    """Write every attempt, mock and preference to one JSON file (lossless; import it anywhere)."""
    data = history.export(app_ctx(), out)
    emit(data, json_, lambda d: console.print(f"wrote {d['attempts']:,} attempts and {d['mocks']:,} mocks "
                                               f"to {esc(d['path'])}"))


def import_(file: Path = _FileArg, json_: bool = JsonOpt) -> None:
    """Add an exported history: what is already here is skipped; a bad record stops it all."""
    data = history.import_(app_ctx(), file)
    emit(data, json_, lambda d: console.print(
        f"added {d['added_attempts']:,} attempts and {d['added_mocks']:,} mocks; skipped "
        f"{d['skipped_attempts']:,} attempts and {d['skipped_mocks']:,} mocks already here"))


def regrade(since: str | None = typer.Option(None, "--since", help="Only attempts from this date (YYYY-MM-DD)."),
            json_: bool = JsonOpt) -> None:
    """Re-grade past answers with the current grader and scorer; list the verdicts that changed and why."""
    data = history.regrade(app_ctx(), since=parse_date(since, "--since"))

    def render(d: dict[str, Any]) -> None:
        if not d["changed"]:
            console.print(f"{d['regraded']:,} attempts re-graded: no verdict changed.")
        else:
            table = Table("attempt", "question", "when", "before", "now", "why")
            for c in d["changed"]:
                b, a = c["before"], c["after"]
                note = c["why"] + (" (the question changed since)" if c["content_changed"] else "")
                table.add_row(str(c["id"]), c["item_id"], c["submitted_at"][:10],
                              f"{'pass' if b['passed'] else 'fail'} {b['score']:.0f}",
                              f"{'pass' if a['passed'] else 'fail'} {a['score']:.0f}", note)
            console.print(table)
            console.print(f"{esc(len(d['changed']))} of {d['regraded']:,} verdicts changed")
        for s in d["skipped"]:
            console.print(f"[dim]skipped attempt {esc(s['id'])} ({esc(s['item_id'])}): {esc(s['reason'])}[/]")

    emit(data, json_, render)
