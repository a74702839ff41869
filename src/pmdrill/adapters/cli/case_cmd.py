"""`pmdrill case`: list, show and score case and estimation questions (offline scorer, local embeddings).

Thin: the core loads the bank and scores; this module reads the answer file and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from pmdrill.adapters.cli.output import JsonOpt, console, emit, err_console
from pmdrill.core.judgement import loader
from pmdrill.core.judgement.model import KINDS
from pmdrill.errors import EngineError, PmdrillError

app = typer.Typer(help="Case and estimation questions: list, show, score your answer offline.",
                  no_args_is_help=True)


def _scorer() -> Any:
    """The scorer with the local embedding model; lexical matching only if the model is not installed."""
    from pmdrill import settings
    from pmdrill.core.judgement.embed import EmbedderUnavailable, default_embedder
    from pmdrill.core.judgement.score import Scorer

    try:
        embedder = default_embedder()
    except EmbedderUnavailable as exc:
        err_console.print(f"warning: no embedding model ({exc}); matching on patterns only")
        return Scorer(None)
    cache = settings.home() / "cache" / "case-embeddings.npz"
    try:
        embedder.preload(cache)
    except (OSError, ValueError, KeyError):
        pass  # a stale or broken cache is rebuilt below
    scorer = Scorer(embedder)
    scorer.cache_path = cache  # type: ignore[attr-defined]
    return scorer


@app.command("list")
def list_(kind: str = typer.Option(None, "--kind", help=f"Only this kind: {', '.join(KINDS)}."),
          json_: bool = JsonOpt) -> None:
    """The case and estimation questions of the bank."""
    if kind is not None and kind not in KINDS:
        raise PmdrillError(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    rows = [c.summary() for c in loader.default_bank().values() if kind is None or c.kind == kind]

    def render(items: list[dict[str, Any]]) -> None:
        table = Table("id", "kind", "difficulty", "title")
        for r in items:
            table.add_row(r["id"], r["kind"], str(r["difficulty"]), r["title"])
        console.print(table)
        console.print(f"{len(items)} questions. Show one with: pmdrill case show ID")

    emit(rows, json_, render)


@app.command("show")
def show(case_id: str = typer.Argument(..., metavar="ID"),
         model_answer: bool = typer.Option(False, "--model-answer",
                                           help="Also show the model answer, mistakes and evidence."),
         json_: bool = JsonOpt) -> None:
    """The question, its rubric dimensions and hints (the model answer only with --model-answer)."""
    case = loader.get_case(case_id)

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]{d['title']}[/] ({d['id']}, {d['kind']}, difficulty {d['difficulty']})\n")
        console.print(d["prompt"].strip() + "\n")
        console.print("Scored on: " + ", ".join(f"{r['title']} (x{r['weight']:g})" for r in d["rubric"]))
        console.print(f"Pass mark: {d['pass_mark']:g}/100")
        if d.get("model_answer"):
            console.print("\n[bold]Model answer[/]\n" + d["model_answer"].strip())
            for m in d["common_mistakes"]:
                console.print(f"  - mistake: {m}")
            for e in d["evidence"]:
                console.print(f"\n[bold]Evidence[/] ({e['experiment'] or 'warehouse'}): {e['note']}")
                if e["sql"]:
                    console.print(e["sql"].rstrip())
        else:
            console.print("Score an answer with: pmdrill case score "
                          f"{d['id']} --answer FILE  (add --model-answer to see one)")

    emit(case.to_dict(model_answer=model_answer), json_, render)


def _read_answer(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PmdrillError(f"cannot read the answer file: {exc.strerror}", where=path) from None


def render_score(d: dict[str, Any]) -> None:
    verdict = "[green]pass[/]" if d["passed"] else "[red]below the pass mark[/]"
    console.print(f"[bold]Score {d['score']:.0f}/100[/] (pass mark {d['pass_mark']:g}): {verdict}")
    table = Table("dimension", "weight", "score", "credited for")
    for dim in d["dimensions"]:
        table.add_row(dim["title"], f"{dim['weight']:g}", f"{dim['score']:.0%}",
                      "; ".join(m.get("label", m["concept"]) for m in dim["matched"]) or "-")
    console.print(table)
    if d.get("estimate"):
        e = d["estimate"]
        rng = e["range"]
        console.print(f"Final number read: {e['value']} ({e['text']!r}); plausible range "
                      f"{rng['low']:g}-{rng['high']:g} {rng['unit']}: {'inside' if e['in_range'] else 'outside'}")
    for f in d["red_flags"]:
        console.print(f"[red]red flag[/] {f['code']} (-{f['penalty']:g}): {f['message']}\n    \"{f['evidence']}\"")
    if d["missing"]:
        console.print("[bold]A strong answer would add:[/]")
        for m in d["missing"]:
            console.print(f"  - {m['label']} ({m['dimension']})")
    if d.get("llm"):
        v = d["llm"]
        console.print(f"[bold]LLM judge[/] ({v['model']}): {v['score']:.0f}/100 {v['verdict']}")
        for g in v["gaps"]:
            console.print(f"  - gap: {g}")


def ask_llm(case: Any, text: str, timeout: float = 60.0) -> dict[str, Any]:
    """The optional second opinion of an OpenAI-compatible endpoint (settings llm_url, llm_model)."""
    import json
    import urllib.error
    import urllib.request

    from pmdrill import settings
    from pmdrill.core.judgement import llm

    url, model = str(settings.get("llm_url")), str(settings.get("llm_model"))
    if not url or not model:
        raise PmdrillError("--llm needs PMDRILL_LLM_URL and PMDRILL_LLM_MODEL (an OpenAI-compatible endpoint)")
    body = json.dumps(llm.build_request(case, text, model)).encode()
    headers = {"Content-Type": "application/json"}
    key = settings.get("llm_api_key").reveal()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(llm.endpoint(url), data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the user's own URL
            raw = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise EngineError(f"the LLM judge at {url} failed: {getattr(exc, 'reason', exc)}") from None
    try:
        return llm.parse_response(raw, model).to_dict()
    except llm.LlmResponseError as exc:
        raise EngineError(f"the LLM judge's reply could not be read: {exc}") from None


@app.command("score")
def score(case_id: str = typer.Argument(None, metavar="ID"),
          answer: str = typer.Option(..., "--answer", help="File with your answer ('-' reads standard input)."),
          prompt: str = typer.Option(None, "--prompt", help="Score against a question not in the bank."),
          use_llm: bool = typer.Option(False, "--llm", help="Also ask the LLM judge configured in settings "
                                                              "(llm_url, llm_model); off by default."),
          json_: bool = JsonOpt) -> None:
    """Score your answer: dimensions, 0-100 score, red flags with the sentence that raised them, what to add."""
    if (case_id is None) == (prompt is None):
        raise PmdrillError("give either a question ID or --prompt TEXT")
    case = loader.generic_case(prompt) if prompt is not None else loader.get_case(case_id)
    text = _read_answer(answer)
    if not text.strip():
        raise PmdrillError("the answer is empty", where=answer)
    scorer = _scorer()
    result = scorer.score(case, text).to_dict()
    cache = getattr(scorer, "cache_path", None)
    # rewrite the cache (a few MB) only when this answer's case added phrasings it does not hold yet
    if cache is not None and getattr(scorer.embedder, "needs_save", lambda _path: True)(cache):
        try:
            scorer.embedder.save(cache)
        except OSError:
            pass  # the cache only saves time
    if use_llm:
        result["llm"] = ask_llm(case, text)
    emit(result, json_, render_score)
