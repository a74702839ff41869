"""The stable JSON API: grade SQL and score cases (the CLI's ``--json``), run a free query, the schema for
the editor's completion, and health (200 only when the app can grade).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmdrill.adapters.web.render import json_response
from pmdrill.adapters.web.views.common import body_of, call, ctx_of, text_field
from pmdrill.app import case_practice, sql_practice
from pmdrill.app import warehouse as warehouse_app
from pmdrill.errors import UsageError


def one_of(body: dict[str, Any], *names: str) -> str:
    given = [n for n in names if body.get(n) not in (None, "")]
    if len(given) != 1:
        raise UsageError(f"give exactly one of {' or '.join(names)}", where=names[0])
    return given[0]


async def sql_check(request: Request) -> Response:
    body = await body_of(request)
    which = one_of(body, "id", "reference")
    answer = text_field(body, "answer")
    assert answer is not None
    dialect = text_field(body, "dialect", required=False, default="duckdb") or "duckdb"
    reveal = body.get("reveal") in (True, 1, "1", "true", "yes")
    result = await call(sql_practice.check, ctx_of(request), body["id"] if which == "id" else None, answer,
                        reference=text_field(body, "reference") if which == "reference" else None, dialect=dialect,
                        reveal=reveal)
    return json_response(result.to_dict())


async def case_score(request: Request) -> Response:
    body = await body_of(request)
    which = one_of(body, "id", "prompt")
    answer = text_field(body, "answer")
    assert answer is not None
    result = await call(case_practice.score, ctx_of(request), body["id"] if which == "id" else None, answer,
                        prompt=text_field(body, "prompt") if which == "prompt" else None, where="answer")
    return json_response(result.to_dict())


async def sql_run(request: Request) -> Response:
    body = await body_of(request)
    sql = text_field(body, "sql")
    assert sql is not None
    dialect = text_field(body, "dialect", required=False, default="duckdb") or "duckdb"
    data = await call(sql_practice.run, ctx_of(request), sql, dialect=dialect)
    return json_response({k: data[k] for k in ("columns", "rows", "truncated")})


async def schema(request: Request) -> Response:
    data = await call(warehouse_app.schema, ctx_of(request), fmt="text")
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in data["tables"]}
    return json_response({"tables": tables})


async def health(request: Request) -> Response:
    warm = request.app.state.warmup.state
    ctx = ctx_of(request)
    ok = bool(warm["warehouse"] and warm["sandbox"] and warm["scorer"])
    alive = 0
    if ok:
        alive = await call(ctx.grader.pool.alive)
        ok = alive > 0
    body = {"ok": ok, "warehouse": warm["warehouse"], "sandbox_workers_alive": alive, "scorer": warm["scorer"],
            "hidden_databases": {"built": warm["hidden_built"], "of": warm["hidden_total"]},
            "warmed_up": warm["done"], "error": warm["error"]}
    return json_response(body, status=200 if ok else 503)


ROUTES = [
    Route("/api/sql/check", sql_check, methods=["POST"]),
    Route("/api/case/score", case_score, methods=["POST"]),
    Route("/api/sql/run", sql_run, methods=["POST"]),
    Route("/api/schema", schema, methods=["GET"]),
    Route("/api/health", health, methods=["GET"]),
]
