"""The frameworks page: the flywheel drawn with live values, the Delta Framework drill, the metric tree."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmdrill.adapters.web.render import json_response, wants_json
from pmdrill.adapters.web.views.common import body_of, call, ctx_of, page, renderer_of, text_field
from pmdrill.app import frameworks


async def overview(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await call(frameworks.flywheel, ctx)
    kpis = [] if wants_json(request) else [{"id": k.id, "name": k.name}
                                           for k in ctx.kpi_library().kpis if k.kind != "vanity"]
    return renderer_of(request).page(request, "frameworks.html", data, kpis=kpis)


async def delta(request: Request) -> Response:
    body = await body_of(request)
    kpi = text_field(body, "kpi")
    answer = text_field(body, "answer")
    data = await call(frameworks.delta_drill, ctx_of(request), kpi or "", answer or "")
    if wants_json(request):
        return json_response(data)
    from pmdrill.core.judgement.highlight import segments

    return renderer_of(request).html(request, "_delta.html", {
        "drill": data, "result": data["score"], "pieces": segments(answer or "", data["score"]["red_flags"])})


ROUTES = [Route("/frameworks/delta", delta, methods=["POST"]), *page("/frameworks", overview)]
