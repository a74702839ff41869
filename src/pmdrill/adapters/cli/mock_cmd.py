"""`pmdrill mock`: timed rounds like the real analytical interview, and the committee's debrief.

start/resume run a round in the terminal; show/run do it from files for scripts; debrief renders a
finished round as text, one self-contained HTML file, or JSON; history lists past rounds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.text import Text

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, esc, lazy
from pmdrill.core.coach.mock import FOCUSES
from pmdrill.errors import UsageError

mocks = lazy("pmdrill.app.mock")
session = lazy("pmdrill.adapters.cli.mock_session")

app = typer.Typer(help="Mock interviews: a timed round weighted to your weak areas, then a committee debrief.",
                  no_args_is_help=True)

MinutesOpt = typer.Option(45, "--minutes", help="Length of the round (10 to 180).")
FocusOpt = typer.Option("mixed", "--focus", help=f"{', '.join(FOCUSES)}.")
SeedOpt = typer.Option(None, "--seed", help="Seed of the round (the same seed and history give the same round).")
HtmlOpt = typer.Option(None, "--html", help="Also write the debrief as one self-contained HTML file.")
AnswersOpt = typer.Option(..., "--answers", help="Folder holding the answer files.")

_VERDICT_STYLE = {"strong_hire": "bold green", "hire": "green", "no_hire": "yellow", "strong_no_hire": "bold red"}


def _bar(score: float | None) -> Text:
    if score is None:
        return Text("not measured", style="dim")
    filled = int(round(score / 10))
    return Text(f"{'█' * filled}{'░' * (10 - filled)} {score:.0f}")


def render_debrief(d: dict[str, Any]) -> None:
    """The debrief in the terminal: verdict, reasons, what would flip it, dimensions, flags, questions."""
    style = _VERDICT_STYLE.get(d["verdict"], "bold")
    m = d["mock"]
    console.rule(f"Debrief · mock {m['uid']} · {m['focus']} · {m['minutes']} min")
    console.print(f"[{esc(style)}]{esc(d['verdict_title'])}[/] · {d['score']:.0f}/100")
    for r in d["reasons"]:
        console.print(f"  - {r}", markup=False)
    if d["flip"]:
        console.print("[bold]What would have changed it[/]")
        for f in d["flip"]:
            console.print(f"  - {f}", markup=False)
    table = Table("dimension", "score", "evidence from your answers")
    for dim in d["dimensions"]:
        quotes = "\n".join(f"“{e['quote']}”" + (f" — {e['verdict']}" if e.get("verdict") else "") + f" ({e['item_id']})"
                           for e in dim["evidence"][:2]) or "-"
        table.add_row(dim["title"], _bar(dim["score"]), quotes)
    console.print(table)
    for f in d["red_flags"]:
        console.print(f"[red]red flag[/] {esc(f['code'])} ({esc(f['item_id'])}): {esc(f['message'])}\n    “{esc(f['evidence'])}”",
                      markup=True, highlight=False)
    questions = Table("question", "slot", "answered", "score", "time")
    for q in d["questions"]:
        secs = q.get("seconds")
        used = "-" if secs is None else f"{int(secs) // 60}:{int(secs) % 60:02d} of {q['minutes']}:00"
        score = "-" if q.get("score") is None else f"{q['score']:.0f}" + (" ✓" if q.get("passed") else " ✗")
        questions.add_row(q["title"], q["slot"], "yes" if q["answered"] else "no", score, used)
    console.print(questions)
    t = d["time"]
    over = f", {t['over_s'] / 60:.1f} min over" if t["over_s"] > 0 else ""
    console.print(f"Time: {t['used_s'] / 60:.1f} of {t['allowed_s'] / 60:.0f} min{esc(over)}")
    for q in d["questions"]:
        if q.get("model_answer"):
            console.print(f"\n[bold]Model answer: {esc(q['title'])}[/]")
            console.print(q["model_answer"], markup=False)


def _save_html(d: dict[str, Any], html: Path | None) -> str | None:
    """Write the debrief's HTML to ``html`` (or beside the history when not given)."""
    target = html.expanduser() if html is not None else app_ctx().settings.ensure_home() / "mocks" / \
        f"{d['mock']['uid']}.html"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(mocks.html(d), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the debrief: {exc.strerror or exc}", where=str(target)) from None
    return str(target)


def _finish(d: dict[str, Any] | None, html: Path | None, json_: bool) -> None:
    if d is None:
        raise typer.Exit(0)
    path = _save_html(d, html)
    d = {**d, "html": path}
    emit(d, json_, render_debrief)
    if not json_:
        console.print(f"\nThe debrief as a page: {esc(path)}")


@app.command()
def start(minutes: int = MinutesOpt, focus: str = FocusOpt, seed: int | None = SeedOpt,
          html: Path | None = HtmlOpt, json_: bool = JsonOpt) -> None:
    """Start a timed round in this terminal, one question at a time; each answer is kept as submitted."""
    ctx = app_ctx()
    mock = mocks.start(ctx, focus=focus, minutes=minutes, seed=seed)
    _finish(session.run_round(ctx, mock), html, json_)


@app.command()
def resume(html: Path | None = HtmlOpt, json_: bool = JsonOpt) -> None:
    """Continue the running round after a crash or a closed terminal."""
    ctx = app_ctx()
    running = ctx.tracker.running_mock()
    if running is None:
        raise UsageError("no mock is running: start one with `pmdrill mock start`")
    _finish(session.run_round(ctx, running), html, json_)


@app.command()
def abandon(json_: bool = JsonOpt) -> None:
    """Stop the running round now: it is debriefed with what was answered."""
    d = mocks.abandon(app_ctx())
    emit(d, json_, render_debrief)


@app.command()
def show(seed: int = typer.Option(..., "--seed", help="Seed of the round."), minutes: int = MinutesOpt,
         focus: str = FocusOpt, json_: bool = JsonOpt) -> None:
    """The questions of a seeded round and the answer file each expects (for `mock run`)."""
    data = mocks.show(app_ctx(), seed=seed, focus=focus, minutes=minutes)

    def render(d: dict[str, Any]) -> None:
        table = Table("#", "id", "slot", "minutes", "answer file")
        for n, q in enumerate(d["questions"], 1):
            table.add_row(str(n), q["id"], q["slot"], str(q["minutes"]),
                          q["answer_file"] + (f" (+ {q['plan_file']})" if q.get("plan_file") else ""))
        console.print(table)

    emit(data, json_, render)


@app.command()
def run(seed: int = typer.Option(..., "--seed", help="Seed of the round."),
        answers: Path = AnswersOpt,
        minutes: int = MinutesOpt, focus: str = FocusOpt, html: Path | None = HtmlOpt,
        json_: bool = JsonOpt) -> None:
    """Grade a whole seeded round from files and print the debrief (a missing file is unanswered)."""
    d = mocks.run_from_files(app_ctx(), seed=seed, answers_dir=answers, focus=focus, minutes=minutes)
    _finish(d, html, json_)


@app.command()
def debrief(uid: str | None = typer.Argument(None, metavar="[MOCK]", help="Mock id (default: the latest)."),
            html: Path | None = HtmlOpt, json_: bool = JsonOpt) -> None:
    """A finished round's debrief: in the terminal, as HTML with --html FILE, or as JSON."""
    d = mocks.debrief_of(app_ctx(), uid)
    if html is not None:
        d = {**d, "html": _save_html(d, html)}
    emit(d, json_, render_debrief)


@app.command()
def history(json_: bool = JsonOpt) -> None:
    """Past rounds with their verdicts, newest first."""
    rows = mocks.history(app_ctx())

    def render(items: list[dict[str, Any]]) -> None:
        table = Table("mock", "started", "focus", "minutes", "status", "verdict", "score")
        for r in items:
            table.add_row(r["uid"], r["started_at"][:16].replace("T", " "), r["focus"], str(r["minutes"]),
                          r["status"], (r["verdict"] or "-").replace("_", " "),
                          "-" if r["score"] is None else f"{r['score']:.0f}")
        console.print(table)
        console.print(f"{esc(len(items))} mocks")

    emit(rows, json_, render)
