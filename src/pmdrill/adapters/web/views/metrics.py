"""The KPI library with live values, one KPI with its monthly chart, segments and Delta Framework, and
the metric tree."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from pmdrill.adapters.web.views.common import call, ctx_of, page, renderer_of
from pmdrill.app import metrics
from pmdrill.core.metrics.kinds import KINDS, SIDES


async def listing(request: Request) -> Response:
    q = request.query_params
    kind, side = q.get("kind") or None, q.get("side") or None
    data = await call(metrics.list_kpis, ctx_of(request), kind=kind, side=side)
    return renderer_of(request).page(request, "metrics_list.html", data, kinds=KINDS, sides=SIDES, kind=kind,
                                     side=side)


async def kpi(request: Request) -> Response:
    data = await call(metrics.show, ctx_of(request), request.path_params["kid"])
    return renderer_of(request).page(request, "kpi.html", data)


async def tree(request: Request) -> Response:
    data = await call(metrics.tree, ctx_of(request))
    return renderer_of(request).page(request, "tree.html", data)


ROUTES = [*page("/metrics", listing), *page("/metrics/tree", tree), *page("/metrics/{kid}", kpi)]
