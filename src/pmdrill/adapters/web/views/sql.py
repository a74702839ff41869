"""SQL practice pages: the bank with filters, a question with its logic-first box, editor, hints, solution,
verdict (logic diff, result contract, counterexample side by side) and the history of attempts at it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmdrill.adapters.web.render import json_response, wants_json
from pmdrill.adapters.web.views.common import (
    body_of,
    call,
    ctx_of,
    number_field,
    page,
    renderer_of,
    text_field,
)
from pmdrill.app import coach, sql_practice
from pmdrill.core.sqlcheck.bank import DIFFICULTIES, TOPICS
from pmdrill.core.sqlcheck.dialect_names import CHOICES

CONTRACT_ORDERED = "Rows must come in the reference's order (its ORDER BY); rows tied on the sort keys may " \
                   "come in any order."
CONTRACT_UNORDERED = "Row order does not matter: the rows are compared as a multiset (duplicates count)."
CONTRACT_COMMON = ("Column names never matter, and neither does column order; a missing or extra column is "
                   "wrong. Numbers compare as numbers: a non-integer matches the reference rounded to your "
                   "precision, with at least 2 decimals. A DATE equals a TIMESTAMP at midnight. NULL and NaN "
                   "are both \"no value\".")


def _fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def listing(request: Request) -> Response:
    q = request.query_params
    filters = {k: (q.get(k) or None) for k in ("topic", "difficulty", "status", "search")}
    rows = await call(sql_practice.list_questions, ctx_of(request), **filters)
    return renderer_of(request).page(request, "sql_list.html", rows, filters=filters, topics=TOPICS,
                                     difficulties=DIFFICULTIES, statuses=sql_practice.STATUSES)


def _question_context(request: Request, qid: str) -> dict[str, Any]:
    ctx = ctx_of(request)
    q = sql_practice.question(ctx, qid)
    history = [a.to_dict() for a in coach.attempts_of(ctx, f"sql:{q.id}")][-10:]
    for a in history:
        a.pop("detail", None)
        a.pop("provenance", None)
    return {"qid": q.id, "dialects": CHOICES, "contract": CONTRACT_ORDERED if q.ordered else CONTRACT_UNORDERED,
            "contract_common": CONTRACT_COMMON, "history": list(reversed(history))}


async def question(request: Request) -> Response:
    qid = request.path_params["qid"]
    data = await call(sql_practice.show, ctx_of(request), qid)
    extra = await call(_question_context, request, qid)
    return renderer_of(request).page(request, "sql_question.html", data, **extra)


async def check(request: Request) -> Response:
    qid = request.path_params["qid"]
    body = await body_of(request)
    answer = text_field(body, "answer")
    dialect = text_field(body, "dialect", required=False, default="duckdb") or "duckdb"
    result = await call(sql_practice.check, ctx_of(request), qid, answer or "", dialect=dialect)
    data = result.to_dict()
    if wants_json(request):
        return json_response(data)
    r = renderer_of(request)
    extra = await call(_question_context, request, qid)
    if _fragment(request):
        return r.html(request, "_sql_result.html", {"result": data, "answer": answer, "dialect": dialect, **extra})
    shown = await call(sql_practice.show, ctx_of(request), qid)
    return r.html(request, "sql_question.html", {"data": shown, "result": data, "answer": answer,
                                                  "dialect": dialect, **extra})


async def run(request: Request) -> Response:
    body = await body_of(request)
    sql = text_field(body, "answer", required=False) or text_field(body, "sql")
    dialect = text_field(body, "dialect", required=False, default="duckdb") or "duckdb"
    data = await call(sql_practice.run, ctx_of(request), sql or "", dialect=dialect)
    if wants_json(request):
        return json_response(data)
    return renderer_of(request).html(request, "_grid.html", {"grid": data})


async def hint(request: Request) -> Response:
    body = await body_of(request)
    level = int(number_field(body, "level", default=1, low=1, high=20) or 1)
    data = await call(sql_practice.hint, ctx_of(request), request.path_params["qid"], level)
    if wants_json(request):
        return json_response(data)
    return renderer_of(request).html(request, "_hint.html", {"hint": data})


async def solution(request: Request) -> Response:
    await body_of(request)  # the form's token: seeing the solution is recorded
    data = await call(sql_practice.solution, ctx_of(request), request.path_params["qid"])
    if wants_json(request):
        return json_response(data)
    return renderer_of(request).html(request, "_solution.html", {"solution": data})


async def logic(request: Request) -> Response:
    body = await body_of(request)
    plan = text_field(body, "plan")
    reveal = (text_field(body, "reveal", required=False) or "") in ("1", "true", "yes", "on")
    data = await call(sql_practice.logic, ctx_of(request), request.path_params["qid"], plan or "", reveal=reveal)
    if wants_json(request):
        return json_response(data)
    return renderer_of(request).html(request, "_logic.html", {"logic": data, "qid": data["id"]})


async def explain(request: Request) -> Response:
    """"Tell me more" after a wrong answer: the reference's clause for each difference (no grading)."""
    qid = request.path_params["qid"]
    body = await body_of(request)
    answer = text_field(body, "answer")
    dialect = text_field(body, "dialect", required=False, default="duckdb") or "duckdb"
    data = await call(sql_practice.explain, ctx_of(request), qid, answer or "", dialect=dialect)
    if wants_json(request):
        return json_response(data)
    return renderer_of(request).html(request, "_explain.html", {"explain": data})


ROUTES = [
    *page("/sql", listing),
    Route("/sql/{qid}/check", check, methods=["POST"]),
    Route("/sql/{qid}/run", run, methods=["POST"]),
    Route("/sql/{qid}/hint", hint, methods=["POST"]),
    Route("/sql/{qid}/solution", solution, methods=["POST"]),
    Route("/sql/{qid}/logic", logic, methods=["POST"]),
    Route("/sql/{qid}/explain", explain, methods=["POST"]),
    *page("/sql/{qid}", question),
]
