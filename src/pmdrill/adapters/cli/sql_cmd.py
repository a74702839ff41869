"""`pmdrill sql`: list, show and check SQL questions; hints, the solution, logic-first plans, free queries.

Thin: parse the options, call app.sql_practice, print plain data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from pmdrill.adapters.cli.output import (
    JsonOpt,
    NoRecordOpt,
    Table,
    app_ctx,
    console,
    emit,
    esc,
    lazy,
    read_text,
)
from pmdrill.core.sqlcheck.dialect_names import CHOICES
from pmdrill.errors import UsageError

sql_practice = lazy("pmdrill.app.sql_practice")

app = typer.Typer(help="SQL practice: questions graded on the warehouse and hidden test databases.",
                  no_args_is_help=True)

_DIALECT_HELP = ", ".join(CHOICES)
_RevealOpt = typer.Option(False, "--reveal", help="After a wrong answer or an open plan, also show the "
                          "reference's clause for each difference (counts as every hint used).")
_PlanFileOpt = typer.Option(None, "--plan-file", help="A file holding your plan.")
_AnswerOpt = typer.Option(None, "--answer", "-a", help="File holding your SQL ('-' reads standard input).")
_ReferenceOpt = typer.Option(None, "--reference", help="Grade against this reference SQL file.")
_BatchOpt = typer.Option(None, "--batch", help="A .jsonl file of submissions: answer + id or reference.")
_QueryFileOpt = typer.Option(None, "--file", "-f", help="A file holding the query ('-' for stdin).")


@app.command("list")
def list_(topic: str | None = typer.Option(None, "--topic", help="Only questions with this topic."),
          difficulty: str | None = typer.Option(None, "--difficulty", help="easy, medium or hard."),
          status: str | None = typer.Option(None, "--status", help="solved, unsolved, attempted or due."),
          search: str | None = typer.Option(None, "--search", help="Words the question must mention."),
          json_: bool = JsonOpt) -> None:
    """List the questions (id, title, difficulty, topics, your status)."""
    rows = sql_practice.list_questions(app_ctx(), topic=topic, difficulty=difficulty, status=status, search=search)

    def render(data: list[dict[str, Any]]) -> None:
        table = Table("id", "title", "difficulty", "topics", "status")
        for r in data:
            table.add_row(r["id"], r["title"], r["difficulty"], ", ".join(r["topics"]),
                          r["status"] + (" · due" if r["due"] else ""))
        console.print(table)
        console.print(f"{esc(len(data))} question{'s' if len(data) != 1 else ''}")

    emit(rows, json_, render)


@app.command()
def show(question_id: str = typer.Argument(..., metavar="ID"), json_: bool = JsonOpt) -> None:
    """The question: framing and the tables to use (never the solution)."""
    data = sql_practice.show(app_ctx(), question_id)

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]{esc(d['title'])}[/]  ({esc(d['id'])}, {esc(d['difficulty'])}; {esc(', '.join(d['topics']))})")
        console.print(d["framing"], markup=False)
        console.print("\n[bold]Tables you will need[/]")
        for t, cols in d["table_columns"].items():
            console.print(f"  {esc(t)}: {esc(', '.join(cols))}")
        console.print(f"\n{esc(d['hint_levels'])} hints: `pmdrill sql hint {esc(d['id'])} --level 1`")

    emit(data, json_, render)


@app.command()
def hint(question_id: str = typer.Argument(..., metavar="ID"),
         level: int = typer.Option(1, "--level", "-l", help="1 = gentle nudge ... 3 = nearly there."),
         json_: bool = JsonOpt) -> None:
    """Progressive hints: level N shows hints 1..N."""
    data = sql_practice.hint(app_ctx(), question_id, level)

    def render(d: dict[str, Any]) -> None:
        for i, h in enumerate(d["hints"], 1):
            console.print(f"[bold]Hint {esc(i)}/{esc(d['levels'])}:[/] {esc(h)}")

    emit(data, json_, render)


@app.command()
def solution(question_id: str = typer.Argument(..., metavar="ID"), json_: bool = JsonOpt) -> None:
    """The model solution and its logic in words (only when you ask)."""
    data = sql_practice.solution(app_ctx(), question_id)

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]Logic:[/] {esc(d['logic'])}\n")
        console.print(d["reference"], markup=False)
        if d["common_mistakes"]:
            console.print("\n[bold]Common mistakes[/]")
            for m in d["common_mistakes"]:
                console.print(f"  - {m}", markup=False)

    emit(data, json_, render)


@app.command()
def logic(question_id: str = typer.Argument(..., metavar="ID"),
          plan_text: str | None = typer.Option(None, "--plan", help="Your plan in words."),
          plan_file: Path | None = _PlanFileOpt,
          reveal: bool = _RevealOpt,
          json_: bool = JsonOpt) -> None:
    """Logic first: state the plan in words; each part is confirmed or questioned."""
    if (plan_text is None) == (plan_file is None):
        raise UsageError("give the plan with --plan TEXT or --plan-file FILE (one of them)")
    text = plan_text if plan_text is not None else read_text(plan_file, "plan")  # type: ignore[arg-type]
    data = sql_practice.logic(app_ctx(), question_id, text, reveal=reveal)

    def render(d: dict[str, Any]) -> None:
        marks = {"confirmed": "[green]✓[/]", "questioned": "[yellow]?[/]", "missing": "[dim]…[/]"}
        for p in d["parts"]:
            console.print(f"{marks[p['status']]} {esc(p['part'])}: {esc(p['message'])}")
            if d.get("revealed") and p["status"] != "confirmed" and p.get("detail") and p["detail"] != p["message"]:
                console.print(f"    [dim]{esc(p['detail'])}[/]")
        s = d["summary"]
        console.print(f"\n{esc(s['confirmed'])} confirmed, {esc(s['questioned'])} questioned, {esc(s['missing'])} not mentioned")
        if not d.get("revealed") and s["questioned"] + s["missing"]:
            console.print("[dim]Stuck? --reveal shows the reference's clause for each open part (counts as the hints).[/]")

    emit(data, json_, render)


def render_result(d: dict[str, Any]) -> None:
    """The verdict in the terminal: what differs, the counterexample side by side, the hint."""
    if d.get("correct"):
        console.print("[bold green]Correct[/]: same result as the reference on the warehouse and on "
                      f"{esc(max(0, len(d.get('checks', [])) - 1))} hidden test databases.")
    else:
        console.print("[bold red]Not yet[/]" + (f": {esc(d['error'])}" if d.get("error") else ""), markup=True)
        for line in d.get("feedback", []):
            if line != d.get("error"):
                console.print(f"  - {line}", markup=False)
        detail = [x["detail"] for x in d.get("logic_detail") or [] if x.get("detail") and x["detail"] != x["message"]]
        if detail:
            console.print("\n[bold]The reference, clause by clause[/] (you asked for more):")
            for line in detail:
                console.print(f"  - {line}", markup=False)
        elif d.get("logic_diff") and "logic_detail" not in d:
            console.print("[dim]  Want more? --reveal shows the reference's clause for each difference "
                          "(counts as the hints).[/]")
        ce = d.get("counterexample")
        if ce:
            console.print(f"\n[bold]Smallest counterexample[/] ({esc(ce.get('rows'))} rows):")
            read = ce.get("read_tables") or list(ce["tables"])
            context = [name for name in ce["tables"] if name not in read]
            if context:
                console.print(f"[dim]Also present only to keep the keys whole: {esc(', '.join(context))} "
                              "(in --json).[/]")
            for name, t in ce["tables"].items():
                if name not in read:
                    continue
                table = Table(*t["columns"], title=name)
                for r in t["rows"]:
                    table.add_row(*[_cell(v) for v in r])
                console.print(table)
            for side, title in (("expected", "reference returns"), ("got", "your query returns")):
                res = ce[side]
                table = Table(*(res["columns"] or ["(no columns)"]), title=title)
                for r in res["rows"][:20]:
                    table.add_row(*[_cell(v) for v in r])
                console.print(table)
    recorded = " · recorded" if d.get("recorded") else ""
    console.print(f"[dim]{d.get('timings_ms', {}).get('total', 0):.0f} ms{esc(recorded)}[/]")


def _cell(v: Any) -> str:
    return "NULL" if v is None else str(v)


@app.command()
def check(question_id: str | None = typer.Argument(None, metavar="[ID]"),
          answer: Path | None = _AnswerOpt,
          reference: Path | None = _ReferenceOpt,
          dialect: str = typer.Option("duckdb", "--dialect", help=f"{_DIALECT_HELP}."),
          engine: str = typer.Option("duckdb", "--engine", help="duckdb (sandbox) or postgres."),
          url: str | None = typer.Option(None, "--url", help="PostgreSQL URL for --engine postgres."),
          batch: Path | None = _BatchOpt,
          no_record: bool = NoRecordOpt,
          reveal: bool = _RevealOpt,
          json_: bool = JsonOpt) -> None:
    """Grade an answer: on the warehouse and the question's hidden databases, with feedback."""
    ctx = app_ctx()
    record = False if no_record else None
    sql_practice.check_dialect(dialect)
    if batch is not None:
        if answer is not None or reference is not None or question_id is not None:
            raise UsageError("--batch takes its ids, references and answers from the file")
        results = sql_practice.batch(ctx, read_text(batch, "batch"), where=str(batch), engine=engine, url=url,
                                     record=record)

        def render_batch(rows: list[dict[str, Any]]) -> None:
            table = Table("line", "id", "correct", "error / first finding", "ms")
            for r in rows:
                first = r.get("error") or (r.get("feedback") or [""])[0]
                table.add_row(str(r.get("line")), str(r.get("question_id") or "-"), str(r["correct"]),
                              first[:90], f"{r['timings_ms'].get('total', 0):.0f}")
            console.print(table)
            console.print(f"{esc(sum(bool(r['correct']) for r in rows))} of {esc(len(rows))} correct")

        emit(results, json_, render_batch)
        return
    if answer is None:
        raise UsageError("give the answer with --answer FILE", where="--answer")
    if (question_id is None) == (reference is None):
        raise UsageError("give a question ID or --reference FILE (one of them)")
    answer_sql = read_text(answer, "answer")
    ref_sql = read_text(reference, "reference") if reference is not None else None
    result = sql_practice.check(ctx, question_id, answer_sql, reference=ref_sql, dialect=dialect, engine=engine,
                                url=url, record=record, reveal=reveal)
    emit(result, json_, render_result)


@app.command()
def run(query: str | None = typer.Argument(None, metavar="[SQL]", help="The query (or use --file)."),
        file: Path | None = _QueryFileOpt,
        dialect: str = typer.Option("duckdb", "--dialect", help=f"{_DIALECT_HELP}."),
        json_: bool = JsonOpt) -> None:
    """Run a free query on the warehouse through the sandbox (no verdict; rows capped)."""
    if (query is None) == (file is None):
        raise UsageError("give the query as an argument or with --file FILE (one of them)")
    text = query if query is not None else read_text(file, "query")  # type: ignore[arg-type]
    data = sql_practice.run(app_ctx(), text, dialect=dialect)

    def render(d: dict[str, Any]) -> None:
        table = Table(*(d["columns"] or ["(no columns)"]))
        for r in d["rows"][:50]:
            table.add_row(*[_cell(v) for v in r])
        console.print(table)
        more = " (more rows were cut off by the row cap)" if d["truncated"] else ""
        console.print(f"{esc(len(d['rows']))} rows{esc(more)}; showing at most 50 here, all with --json")

    emit(data, json_, render)
