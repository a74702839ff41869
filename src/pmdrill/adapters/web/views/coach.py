"""Today, the plan (calendar, re-planned as scores change, .ics download) and progress pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
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
from pmdrill.app import coach
from pmdrill.errors import UsageError


async def today(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await call(coach.today_view, ctx)
    prog = {} if wants_json(request) else await call(coach.progress, ctx)
    return renderer_of(request).page(request, "today.html", data, progress=prog)


def _plan_data(ctx: Any, **given: Any) -> dict[str, Any]:
    data = coach.plan(ctx, **given)
    data.pop("_plan", None)
    return data


async def plan(request: Request) -> Response:
    data = await call(_plan_data, ctx_of(request))
    return renderer_of(request).page(request, "plan.html", data, weeks=_weeks(data["days"]))


def _weeks(days: list[dict[str, Any]]) -> list[list[dict[str, Any] | None]]:
    """The days laid out Monday to Sunday, one row a week (None before the first and after the last)."""
    weeks: list[list[dict[str, Any] | None]] = []
    for day in days:
        date = dt.date.fromisoformat(day["date"])
        if not weeks or date.weekday() == 0:
            weeks.append([None] * 7)
        weeks[-1][date.weekday()] = {**day, "day": date.day, "weekday": date.strftime("%a")}
    return weeks


async def plan_update(request: Request) -> Response:
    body = await body_of(request)
    raw_date = text_field(body, "interview_date", required=False)
    interview = None
    if raw_date:
        try:
            interview = dt.date.fromisoformat(raw_date)
        except ValueError:
            raise UsageError(f"{raw_date!r} is not a date (YYYY-MM-DD)", where="interview_date") from None
    hours = number_field(body, "hours_per_day", low=0.25, high=12)
    rest = text_field(body, "rest_days", required=False)
    data = await call(_plan_data, ctx_of(request), interview_date=interview, hours_per_day=hours,
                      rest_days=coach.parse_rest_days(rest) if rest is not None else None)
    if wants_json(request):
        return json_response(data)
    return RedirectResponse("/plan", status_code=303)


async def plan_ics(request: Request) -> Response:
    from pmdrill.core.coach import plan_export

    data = await call(coach.plan, ctx_of(request))
    return Response(plan_export.to_ics(data["_plan"]), media_type="text/calendar",
                    headers={"Content-Disposition": 'attachment; filename="pmdrill-plan.ics"'})


async def progress(request: Request) -> Response:
    data = await call(coach.progress, ctx_of(request))
    return renderer_of(request).page(request, "progress.html", data)


async def review(request: Request) -> Response:
    data = await call(coach.review_list, ctx_of(request))
    return renderer_of(request).page(request, "review.html", data)


ROUTES = [
    *page("/", today),
    Route("/plan.ics", plan_ics),
    Route("/plan", plan_update, methods=["POST"]),
    *page("/plan", plan),
    *page("/progress", progress),
    *page("/review", review),
]
