"""`pmdrill review | progress | plan | today`: the practice loop around single answers.

Thin: app.coach computes; this module parses options and renders tables and sparklines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, esc, lazy
from pmdrill.adapters.cli.warehouse_cmd import parse_date

coach = lazy("pmdrill.app.coach")

_IcsOpt = typer.Option(None, "--ics", help="Also write the plan as a calendar file (.ics).")
_MarkdownOpt = typer.Option(None, "--markdown", help="Also write the plan as a Markdown checklist.")


def review(next_: bool = typer.Option(False, "--next", help="Serve the next item to answer, with its prompt."),
           limit: int | None = typer.Option(None, "--limit", min=1, help="Show at most this many."),
           json_: bool = JsonOpt) -> None:
    """What is due for review today (spaced repetition from your verdicts), and why."""
    ctx = app_ctx()
    data = coach.review_list(ctx, limit=limit)
    if next_:
        item = data["items"][0] if data["items"] else None
        out: dict[str, Any] = {"item": item, "question": coach.serve_item(ctx, item["id"]) if item else None,
                               "remaining": max(0, data["count"] - 1)}

        def render_next(d: dict[str, Any]) -> None:
            if d["item"] is None:
                console.print("Nothing is due today. `pmdrill today` shows the plan's tasks.")
                return
            i, q = d["item"], d["question"]
            console.print(f"[bold]{esc(i['title'])}[/] ({esc(i['id'])}): {esc(i['why'])}\n")
            console.print(q.get("prompt") or q.get("framing", ""), markup=False)
            console.print(f"\nAnswer with: {esc(q['answer_with'])}")

        emit(out, json_, render_next)
        return

    def render(d: dict[str, Any]) -> None:
        if not d["items"]:
            console.print("Nothing is due today.")
            return
        table = Table("id", "kind", "due", "why")
        for r in d["items"]:
            table.add_row(r["id"], r["kind"], r["due"], r["why"])
        console.print(table)
        console.print(f"{esc(d['count'])} due. The next one: pmdrill review --next")

    emit(data, json_, render)


def progress(json_: bool = JsonOpt) -> None:
    """Scores per dimension and topic over time, SQL accuracy by topic, the weakest areas, streaks."""
    data = coach.progress(app_ctx())

    def render(d: dict[str, Any]) -> None:
        s = d["streak"]
        console.print(f"[bold]{esc(d['attempts'])} attempts[/] · practice streak {esc(s['current'])} days "
                      f"(longest {esc(s['longest'])}, {esc(s['days_practised'])} days in all)")
        table = Table("dimension", "latest", "trend", "scores")
        for name, dim in d["dimensions"].items():
            latest = "-" if dim["latest"] is None else f"{dim['latest']:.0f}"
            table.add_row(dim.get("title", name), latest, dim.get("sparkline", ""), str(dim.get("n", 0)))
        console.print(table)
        if d["topics"]:
            topics = Table("SQL topic", "attempts", "correct", "accuracy")
            for name, t in sorted(d["topics"].items()):
                acc = "-" if t["accuracy"] is None else f"{t['accuracy']:.0%}"
                topics.add_row(name, str(t["attempts"]), str(t["correct"]), acc)
            console.print(topics)
        if d["weakest"]:
            console.print("[bold]Weakest:[/] " + esc(", ".join(d["weakest"])))
        if d.get("untested"):
            console.print("[dim]Not practised yet: " + esc(", ".join(d["untested"])) + "[/]")

    emit(data, json_, render)


def plan(interview_date: str | None = typer.Option(None, "--interview-date", help="YYYY-MM-DD (remembered)."),
         hours_per_day: float | None = typer.Option(None, "--hours-per-day", help="Hours a day (default 1.5)."),
         rest_days: str | None = typer.Option(None, "--rest-days", help="Weekdays off, e.g. sat,sun ('none')."),
         ics: Path | None = _IcsOpt, markdown: Path | None = _MarkdownOpt,
         json_: bool = JsonOpt) -> None:
    """A day-by-day plan to the interview (30 days without a date), re-planned from your latest scores."""
    ctx = app_ctx()
    data = coach.plan(ctx, interview_date=parse_date(interview_date, "--interview-date"),
                      hours_per_day=hours_per_day, rest_days=coach.parse_rest_days(rest_days))
    written = coach.plan_files(ctx, data, ics=ics, markdown=markdown)
    data.pop("_plan")
    if written:
        data["files"] = written

    def render(d: dict[str, Any]) -> None:
        until = f"to the interview on {d['interview_date']}" if d["interview_date"] else "for the next 30 days"
        console.print(f"[bold]Plan {esc(until)}[/] · {d['hours_per_day']:g} h a day"
                      + (f" · rest on {esc(', '.join(d['rest_days']))}" if d["rest_days"] else ""))
        if d["weakest"]:
            console.print("Weighted toward: " + esc(", ".join(d["weakest"])))
        for day in d["days"]:
            if not day["tasks"]:
                console.print(f"[dim]{esc(day['date'])}  rest[/]")
                continue
            console.print(f"[bold]{esc(day['date'])}[/]  {esc(day['minutes'])} min")
            for t in day["tasks"]:
                console.print(f"    {t['minutes']:>3} min  {esc(t['title'])}  [dim]({esc(t['id'])}; {esc(t['why'])})[/]")
        for f in d.get("files", []):
            console.print(f"wrote {esc(f)}")

    emit(data, json_, render)


def today(json_: bool = JsonOpt) -> None:
    """Today's tasks from the plan, what is due for review, and the last debrief in one paragraph."""
    data = coach.today_view(app_ctx())

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]Today, {esc(d['date'])}[/]" + (f" · interview on {esc(d['interview_date'])}"
                                                         if d["interview_date"] else ""))
        if d["tasks"]:
            for t in d["tasks"]:
                console.print(f"  [ ] {esc(t['title'])} ({esc(t['minutes'])} min) [dim]{esc(t['id'])} · {esc(t['why'])}[/]")
        else:
            console.print("  A rest day (or nothing planned): `pmdrill plan` shows the days ahead.")
        if d["due"]:
            console.print(f"[bold]Due for review[/] ({esc(len(d['due']))}): " + esc(", ".join(r["id"] for r in d["due"][:5])))
        if d["last_debrief"]:
            console.print(f"\n{d['last_debrief']['summary']}", markup=False)

    emit(data, json_, render)
