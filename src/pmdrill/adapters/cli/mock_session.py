"""The mock round in a terminal: one question at a time with a live countdown, each answer graded and
recorded the moment it is submitted (so a closed terminal or a crash loses nothing already submitted).

In a real terminal answers are typed in a multi-line editor (Esc then Enter submits; Ctrl-D saves
and leaves, to resume later); from a pipe, an answer ends at a line holding only a dot.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from pmdrill.adapters.cli.output import console, err_console, esc
from pmdrill.app import mock as mocks
from pmdrill.context import Context
from pmdrill.core.coach.records import MockQuestion, MockRecord


class Leave(Exception):
    """The candidate left the round (Ctrl-D or Ctrl-C): what was submitted is kept."""


def _clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    return f"{sign}{seconds // 60:02d}:{seconds % 60:02d}"


def _reader() -> Callable[[str, Callable[[], str]], str]:
    """A multi-line reader: prompt_toolkit with a live toolbar in a terminal, dot-terminated lines otherwise."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.key_binding import KeyBindings

        keys = KeyBindings()

        @keys.add("c-d")
        def _leave(event: Any) -> None:
            event.app.exit(exception=EOFError())

        session: PromptSession[str] = PromptSession(multiline=True, key_bindings=keys)

        def read_tty(label: str, toolbar: Callable[[], str]) -> str:
            try:
                return session.prompt(f"{label}\n", bottom_toolbar=toolbar, refresh_interval=1.0,
                                      prompt_continuation="")
            except (EOFError, KeyboardInterrupt):
                raise Leave() from None

        return read_tty

    def read_pipe(label: str, toolbar: Callable[[], str]) -> str:
        console.print(f"{esc(label)} [dim](end with a line holding only '.'; {esc(toolbar())})[/]")
        lines = []
        while True:
            line = sys.stdin.readline()
            if line == "":
                if lines:
                    break
                raise Leave()
            if line.rstrip("\r\n") == ".":
                break
            lines.append(line.rstrip("\r\n"))
        return "\n".join(lines)

    return read_pipe


def run_round(ctx: Context, mock: MockRecord) -> dict[str, Any] | None:
    """Ask the round's unanswered questions in order; the debrief when all are done, None if left early."""
    read = _reader()
    st = mocks.state(ctx, mock)
    used = float(st["used_s"])
    total = len(mock.questions)
    answered = set(st["answered"])
    if answered:
        console.print(f"[bold]Resuming mock {esc(mock.uid)}[/]: {esc(len(answered))} of {esc(total)} answered, "
                      f"{esc(_clock(mock.minutes * 60 - used))} left.")
    else:
        console.print(f"[bold]Mock {esc(mock.uid)}[/] · {esc(mock.focus)} · {esc(mock.minutes)} minutes · {esc(total)} questions")
        for n, q in enumerate(mock.questions, 1):
            console.print(f"  {esc(n)}. {esc(q.slot)} ({esc(q.minutes)} min)")
        console.print("[dim]Answers are recorded when you submit them; the verdicts come in the debrief.[/]")
    for n, q in enumerate(mock.questions, 1):
        if q.id in answered:
            continue
        try:
            used += _ask(ctx, mock, q, n, total, used, read)
        except Leave:
            err_console.print(f"\nSaved. {esc(len(mocks.answers(ctx, mock)))} of {esc(total)} answered; continue with "
                              f"`pmdrill mock resume`.")
            return None
    return mocks.finish(ctx, mock)


def _ask(ctx: Context, mock: MockRecord, q: MockQuestion, n: int, total: int, used_before: float,
         read: Callable[[str, Callable[[], str]], str]) -> float:
    view = mocks.question_view(ctx, q)
    console.rule(f"Question {n}/{total} · {q.slot} · {q.minutes} min")
    console.print(f"[bold]{esc(view['title'])}[/]\n")
    console.print(view["prompt"], markup=False)
    if view.get("tables"):
        console.print("\n[bold]Tables[/]")
        for table, cols in view["tables"].items():
            console.print(f"  {table}: {', '.join(cols)}", markup=False)
    started = time.monotonic()

    def toolbar() -> str:
        spent = time.monotonic() - started
        left = mock.minutes * 60 - used_before - spent
        state = f"{_clock(left)} left in the round" if left >= 0 else f"time is up ({_clock(-left)} over)"
        return f" {state} · this question {_clock(spent)} of {q.minutes:02d}:00 · Esc then Enter submits · " \
               "Ctrl-D saves and leaves"

    plan = None
    if q.kind == "sql":
        plan = read("\nFirst, your plan in words (tables, joins, filters, grouping, the aggregate):", toolbar)
        text = read("\nNow your SQL:", toolbar)
    else:
        text = read("\nYour answer:", toolbar)
    seconds = time.monotonic() - started
    if not text.strip():
        console.print("[yellow]Empty answer: skipped (it counts as unanswered in the debrief).[/]")
        return seconds
    mocks.answer(ctx, mock, q.id, text, seconds=seconds, plan=plan)
    console.print(f"[green]Recorded[/] ({esc(_clock(seconds))}).")
    return seconds
