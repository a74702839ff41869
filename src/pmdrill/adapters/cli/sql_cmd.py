"""`pmdrill sql`: list, show and check SQL questions; hints, the model solution, logic-first plans.

Thin: parse the options, call the bank or the grader (adapters.grading), print plain data.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from pmdrill.adapters import grading
from pmdrill.adapters.cli.output import JsonOpt, console, emit
from pmdrill.core.sqlcheck import bank, plan
from pmdrill.core.sqlcheck.grade import prepare_reference
from pmdrill.core.warehouse import schema
from pmdrill.errors import NotFoundError, PmdrillError

app = typer.Typer(help="SQL practice: questions graded on the warehouse and hidden test databases.",
                  no_args_is_help=True)

DIALECTS = ("duckdb", "postgres", "mysql")
_PlanFileOpt = typer.Option(None, "--plan-file", help="A file holding your plan.")
_AnswerOpt = typer.Option(None, "--answer", "-a", help="File holding your SQL.")
_ReferenceOpt = typer.Option(None, "--reference", help="Grade against this reference SQL file.")
_BatchOpt = typer.Option(None, "--batch", help="A .jsonl file of submissions: answer + id or reference.")


def _read(path: Path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PmdrillError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PmdrillError(f"cannot read {what} file {path}: {exc}") from None


def _summary(q: bank.Question) -> dict[str, Any]:
    return {"id": q.id, "title": q.title, "difficulty": q.difficulty, "topics": list(q.topics),
            "tables": list(q.tables)}


@app.command("list")
def list_(topic: str | None = typer.Option(None, "--topic", help="Only questions with this topic."),
          difficulty: str | None = typer.Option(None, "--difficulty", help="easy, medium or hard."),
          json_: bool = JsonOpt) -> None:
    """List the questions (id, title, difficulty, topics)."""
    rows = [_summary(q) for q in bank.filter_questions(topic, difficulty)]

    def render(data: list[dict[str, Any]]) -> None:
        table = Table("id", "title", "difficulty", "topics")
        for r in data:
            table.add_row(r["id"], r["title"], r["difficulty"], ", ".join(r["topics"]))
        console.print(table)
        console.print(f"{len(data)} question{'s' if len(data) != 1 else ''}")

    emit(rows, json_, render)


@app.command()
def show(question_id: str = typer.Argument(..., metavar="ID"), json_: bool = JsonOpt) -> None:
    """The question: framing and the tables to use (never the solution)."""
    q = bank.get_question(question_id)
    data = {**_summary(q), "framing": q.framing, "metric": q.metric, "hint_levels": len(q.hints),
            "table_columns": {t: list(schema.table(t).column_names) for t in q.tables}}

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]{d['title']}[/]  ({d['id']}, {d['difficulty']}; {', '.join(d['topics'])})")
        console.print(d["framing"])
        console.print("\n[bold]Tables you will need[/]")
        for t, cols in d["table_columns"].items():
            console.print(f"  {t}: {', '.join(cols)}")
        console.print(f"\n{d['hint_levels']} hints: `pmdrill sql hint {d['id']} --level 1`")

    emit(data, json_, render)


@app.command()
def hint(question_id: str = typer.Argument(..., metavar="ID"),
         level: int = typer.Option(1, "--level", "-l", help="1 = gentle nudge ... 3 = nearly there."),
         json_: bool = JsonOpt) -> None:
    """Progressive hints: level N shows hints 1..N."""
    q = bank.get_question(question_id)
    if level < 1 or level > len(q.hints):
        raise NotFoundError(f"question {q.id} has hint levels 1 to {len(q.hints)}, not {level}")
    data = {"id": q.id, "level": level, "levels": len(q.hints), "hint": q.hints[level - 1],
            "hints": list(q.hints[:level])}

    def render(d: dict[str, Any]) -> None:
        for i, h in enumerate(d["hints"], 1):
            console.print(f"[bold]Hint {i}/{d['levels']}:[/] {h}")

    emit(data, json_, render)


@app.command()
def solution(question_id: str = typer.Argument(..., metavar="ID"), json_: bool = JsonOpt) -> None:
    """The model solution and its logic in words (only when you ask)."""
    q = bank.get_question(question_id)
    data = {"id": q.id, "reference": q.reference, "logic": q.logic,
            "common_mistakes": [w.why for w in q.wrong_answers]}

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]Logic:[/] {d['logic']}\n")
        console.print(d["reference"])
        if d["common_mistakes"]:
            console.print("\n[bold]Common mistakes[/]")
            for m in d["common_mistakes"]:
                console.print(f"  - {m}")

    emit(data, json_, render)


@app.command()
def logic(question_id: str = typer.Argument(..., metavar="ID"),
          plan_text: str | None = typer.Option(None, "--plan", help="Your plan in words."),
          plan_file: Path | None = _PlanFileOpt,
          json_: bool = JsonOpt) -> None:
    """Logic first: state the plan in words; each part is confirmed or questioned."""
    if (plan_text is None) == (plan_file is None):
        raise PmdrillError("give the plan with --plan TEXT or --plan-file FILE (one of them)")
    text = plan_text if plan_text is not None else _read(plan_file, "plan")  # type: ignore[arg-type]
    q = bank.get_question(question_id)
    ref = prepare_reference(q, as_of=grading.as_of_date())
    parts = plan.check_plan(text, ref.tree)
    data = {"id": q.id, "plan": text, "parts": [p.to_dict() for p in parts], "summary": plan.summary(parts)}

    def render(d: dict[str, Any]) -> None:
        marks = {"confirmed": "[green]✓[/]", "questioned": "[yellow]?[/]", "missing": "[dim]…[/]"}
        for p in d["parts"]:
            console.print(f"{marks[p['status']]} {p['part']}: {p['message']}")
        s = d["summary"]
        console.print(f"\n{s['confirmed']} confirmed, {s['questioned']} questioned, {s['missing']} not mentioned")

    emit(data, json_, render)


def _render_result(d: dict[str, Any]) -> None:
    if d.get("correct"):
        console.print("[bold green]Correct[/]: same result as the reference on the warehouse and on "
                      f"{max(0, len(d.get('checks', [])) - 1)} hidden test databases.")
    else:
        console.print("[bold red]Not yet[/]" + (f": {d['error']}" if d.get("error") else ""))
        for line in d.get("feedback", []):
            if line != d.get("error"):
                console.print(f"  - {line}")
        ce = d.get("counterexample")
        if ce:
            console.print(f"\n[bold]Smallest counterexample[/] ({ce.get('rows')} rows):")
            read = ce.get("read_tables") or list(ce["tables"])
            context = [name for name in ce["tables"] if name not in read]
            if context:
                console.print(f"[dim]Also present only to keep the keys whole: {', '.join(context)} "
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
    console.print(f"[dim]{d.get('timings_ms', {}).get('total', 0):.0f} ms[/]")


def _cell(v: Any) -> str:
    return "NULL" if v is None else str(v)


def _error_entry(message: str, line: int | None = None) -> dict[str, Any]:
    return {"line": line, "correct": False, "error": message, "feedback": [message],
            "counterexample": None, "timings_ms": {"total": 0.0}}


def _batch(path: Path, engine: str, url: str | None) -> list[dict[str, Any]]:
    grader = grading.default_grader()
    out = []
    for n, raw in enumerate(_read(path, "batch").splitlines(), 1):
        if not raw.strip():
            continue
        t0 = time.perf_counter()
        try:
            item = json.loads(raw)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            answer = item.get("answer")
            if not isinstance(answer, str):
                raise ValueError("'answer' (the SQL text) is missing")
            qid, ref = item.get("id"), item.get("reference")
            if (qid is None) == (ref is None):
                raise ValueError("give either 'id' or 'reference'")
            dialect = item.get("dialect", "duckdb")
            if dialect not in DIALECTS:
                raise ValueError(f"dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
            result = grader.check(qid, answer, reference=ref, dialect=dialect, engine=engine, url=url).to_dict()
            result["line"] = n
        except (ValueError, PmdrillError) as exc:  # json.JSONDecodeError is a ValueError
            result = _error_entry(f"line {n}: {exc}", n)
            result["timings_ms"] = {"total": (time.perf_counter() - t0) * 1000}
        out.append(result)
    return out


@app.command()
def check(question_id: str | None = typer.Argument(None, metavar="[ID]"),
          answer: Path | None = _AnswerOpt,
          reference: Path | None = _ReferenceOpt,
          dialect: str = typer.Option("duckdb", "--dialect", help="duckdb, postgres or mysql."),
          engine: str = typer.Option("duckdb", "--engine", help="duckdb (sandbox) or postgres."),
          url: str | None = typer.Option(None, "--url", help="PostgreSQL URL for --engine postgres."),
          batch: Path | None = _BatchOpt,
          json_: bool = JsonOpt) -> None:
    """Grade an answer: on the warehouse and the question's hidden databases, with feedback."""
    if dialect not in DIALECTS:
        raise PmdrillError(f"--dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
    if engine not in grading.ENGINES:
        raise PmdrillError(f"--engine {engine!r} is not one of {', '.join(grading.ENGINES)}")
    if batch is not None:
        if answer is not None or reference is not None or question_id is not None:
            raise PmdrillError("--batch takes its ids, references and answers from the file")
        results = _batch(batch, engine, url)

        def render_batch(rows: list[dict[str, Any]]) -> None:
            table = Table("line", "id", "correct", "error / first finding", "ms")
            for r in rows:
                first = r.get("error") or (r.get("feedback") or [""])[0]
                table.add_row(str(r.get("line")), str(r.get("question_id") or "-"), str(r["correct"]),
                              first[:90], f"{r['timings_ms'].get('total', 0):.0f}")
            console.print(table)
            console.print(f"{sum(bool(r['correct']) for r in rows)} of {len(rows)} correct")

        emit(results, json_, render_batch)
        return
    if answer is None:
        raise PmdrillError("give the answer with --answer FILE")
    if (question_id is None) == (reference is None):
        raise PmdrillError("give a question ID or --reference FILE (one of them)")
    answer_sql = _read(answer, "answer")
    ref_sql = _read(reference, "reference") if reference is not None else None
    result = grading.default_grader().check(question_id, answer_sql, reference=ref_sql, dialect=dialect,
                                            engine=engine, url=url).to_dict()
    emit(result, json_, _render_result)
