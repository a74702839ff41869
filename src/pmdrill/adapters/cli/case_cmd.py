"""`pmdrill case`: list, show and score case and estimation questions (offline scorer, local embeddings).

Thin: app.case_practice loads the bank, scores and records; this module reads the answer file and prints.
"""

from __future__ import annotations

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
from pmdrill.core.judgement.model import KINDS

case_practice = lazy("pmdrill.app.case_practice")

app = typer.Typer(help="Case and estimation questions: list, show, score your answer offline.",
                  no_args_is_help=True)


@app.command("list")
def list_(kind: str = typer.Option(None, "--kind", help=f"Only this kind: {', '.join(KINDS)}."),
          json_: bool = JsonOpt) -> None:
    """The case and estimation questions of the bank."""
    rows = case_practice.list_cases(app_ctx(), kind=kind)

    def render(items: list[dict[str, Any]]) -> None:
        table = Table("id", "kind", "difficulty", "title", "status")
        for r in items:
            table.add_row(r["id"], r["kind"], str(r["difficulty"]), r["title"], r["status"] + (" · due" if r["due"] else ""))
        console.print(table)
        console.print(f"{esc(len(items))} questions. Show one with: pmdrill case show ID")

    emit(rows, json_, render)


@app.command("show")
def show(case_id: str = typer.Argument(..., metavar="ID"),
         model_answer: bool = typer.Option(False, "--model-answer",
                                           help="Also show the model answer, mistakes and evidence."),
         json_: bool = JsonOpt) -> None:
    """The question, its rubric dimensions and hints (the model answer only with --model-answer)."""
    data = case_practice.show(app_ctx(), case_id, model_answer=model_answer)

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]{esc(d['title'])}[/] ({esc(d['id'])}, {esc(d['kind'])}, difficulty {esc(d['difficulty'])})\n")
        console.print(d["prompt"].strip() + "\n", markup=False)
        console.print("Scored on: " + ", ".join(f"{esc(r['title'])} (x{r['weight']:g})" for r in d["rubric"]))
        console.print(f"Pass mark: {d['pass_mark']:g}/100")
        if d.get("model_answer"):
            console.print("\n[bold]Model answer[/]\n" + esc(d["model_answer"].strip()))
            for m in d["common_mistakes"]:
                console.print(f"  - mistake: {esc(m)}")
            for e in d["evidence"]:
                console.print(f"\n[bold]Evidence[/] ({esc(e['experiment'] or 'warehouse')}): {esc(e['note'])}")
                if e["sql"]:
                    console.print(e["sql"].rstrip(), markup=False)
        else:
            console.print("Score an answer with: pmdrill case score "
                          f"{esc(d['id'])} --answer FILE  (add --model-answer to see one)")

    emit(data, json_, render)


def render_score(d: dict[str, Any]) -> None:
    verdict = "[green]pass[/]" if d["passed"] else "[red]below the pass mark[/]"
    console.print(f"[bold]Score {d['score']:.0f}/100[/] (pass mark {d['pass_mark']:g}): {verdict}")
    if d.get("rubric"):
        r = d["rubric"]
        console.print(f"Judged on {esc(r['label'])}; fit confidence {r['confidence']:.0%}")
    table = Table("dimension", "weight", "score", "credited for")
    for dim in d["dimensions"]:
        table.add_row(dim["title"], f"{dim['weight']:g}", f"{dim['score']:.0%}",
                      "; ".join(m.get("label", m["concept"]) for m in dim["matched"]) or "-")
    console.print(table)
    if d.get("estimate"):
        e = d["estimate"]
        rng = e["range"]
        console.print(f"Final number read: {esc(e['value'])} ({esc(repr(e['text']))}); plausible range "
                      f"{rng['low']:g}-{rng['high']:g} {esc(rng['unit'])}: {esc('inside' if e['in_range'] else 'outside')}")
    for f in d["red_flags"]:
        console.print(f"[red]red flag[/] {esc(f['code'])} (-{f['penalty']:g}): {esc(f['message'])}\n    \"{esc(f['evidence'])}\"")
    if d["missing"]:
        console.print("[bold]A strong answer would add:[/]")
        for m in d["missing"]:
            console.print(f"  - {esc(m['label'])} ({esc(m['dimension'])})")
    if d.get("llm"):
        v = d["llm"]
        console.print(f"[bold]LLM judge[/] ({esc(v['model'])}): {v['score']:.0f}/100 {esc(v['verdict'])}")
        for g in v["gaps"]:
            console.print(f"  - gap: {esc(g)}")


@app.command("score")
def score(case_id: str = typer.Argument(None, metavar="ID"),
          answer: str = typer.Option(..., "--answer", help="File with your answer ('-' reads standard input)."),
          prompt: str = typer.Option(None, "--prompt", help="Score against a question not in the bank."),
          use_llm: bool = typer.Option(False, "--llm", help="Also ask the LLM judge configured in settings "
                                                              "(llm_url, llm_model); off by default."),
          no_record: bool = NoRecordOpt,
          json_: bool = JsonOpt) -> None:
    """Score your answer: dimensions, 0-100 score, red flags with the sentence that raised them, what to add."""
    result = case_practice.score(app_ctx(), case_id, read_text(answer, "answer"), prompt=prompt, use_llm=use_llm,
                                 record=False if no_record else None, where=answer)
    emit(result, json_, render_score)
