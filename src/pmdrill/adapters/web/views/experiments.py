"""Experiment read-outs (confidence intervals drawn, the sample ratio test, guardrails, segments) and the
paywall trade-off with its assumptions on sliders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from pmdrill.adapters.web.views.common import call, ctx_of, number_field, page, renderer_of
from pmdrill.app import experiments


async def listing(request: Request) -> Response:
    data = await call(experiments.list_experiments, ctx_of(request))
    return renderer_of(request).page(request, "experiments_list.html", data)


async def readout(request: Request) -> Response:
    data = await call(experiments.analyze, ctx_of(request), request.path_params["name"])
    return renderer_of(request).page(request, "experiment.html", data)


async def paywall(request: Request) -> Response:
    q = dict(request.query_params)
    horizon = int(number_field(q, "horizon_months", default=12, low=1, high=36) or 12)
    overrides = {name: number_field(q, name, low=0) for name in experiments.OVERRIDES}
    data = await call(experiments.paywall, ctx_of(request), horizon_months=horizon, overrides=overrides)
    template = "_paywall.html" if request.headers.get("hx-request") == "true" else "paywall.html"
    return renderer_of(request).page(request, template, data, horizon=horizon, given=overrides)


ROUTES = [*page("/experiments", listing), *page("/experiments/paywall", paywall),
          *page("/experiments/{name}", readout)]
