"""The schema page (tables, columns, comments, row counts, sample rows, the ER diagram drawn offline) and
the scratch pad (free queries through the same sandbox, CSV download)."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmdrill.adapters.web.render import json_response, wants_json
from pmdrill.adapters.web.views.common import body_of, call, ctx_of, page, renderer_of, text_field
from pmdrill.app import sql_practice
from pmdrill.app import warehouse as warehouse_app
from pmdrill.core.sqlcheck.dialect_names import CHOICES


async def schema(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await call(warehouse_app.schema, ctx, fmt="text")
    data.pop("rendered", None)
    samples = {} if wants_json(request) else await call(warehouse_app.samples, ctx)
    return renderer_of(request).page(request, "schema.html", data, samples=samples)


async def diagram(request: Request) -> Response:
    data = await call(warehouse_app.schema, ctx_of(request), fmt="svg")
    return Response(data["rendered"], media_type="image/svg+xml")


async def scratch(request: Request) -> Response:
    return renderer_of(request).page(request, "scratch.html", {"dialects": list(CHOICES)}, dialects=CHOICES)


async def scratch_run(request: Request) -> Response:
    body = await body_of(request)
    sql = text_field(body, "sql")
    dialect = text_field(body, "dialect", required=False, default="duckdb") or "duckdb"
    data = await call(sql_practice.run, ctx_of(request), sql or "", dialect=dialect)
    if wants_json(request):
        return json_response(data)
    return renderer_of(request).html(request, "_grid.html", {"grid": data})


async def scratch_csv(request: Request) -> Response:
    body = await body_of(request)
    sql = text_field(body, "sql")
    dialect = text_field(body, "dialect", required=False, default="duckdb") or "duckdb"
    data = await call(sql_practice.run, ctx_of(request), sql or "", dialect=dialect)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(data["columns"])
    writer.writerows(["" if v is None else v for v in row] for row in data["rows"])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="pmdrill-query.csv"'})


ROUTES = [
    Route("/schema.svg", diagram),
    *page("/schema", schema),
    Route("/scratch/run", scratch_run, methods=["POST"]),
    Route("/scratch.csv", scratch_csv, methods=["POST"]),
    *page("/scratch", scratch),
]
