"""Mock rounds in the browser: start one, answer one question at a time under a countdown (each answer
recorded as submitted), the committee's debrief, the history of past rounds."""

from __future__ import annotations

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
from pmdrill.app import mock as mocks
from pmdrill.core.coach.mock import FOCUSES
from pmdrill.core.sqlcheck.dialect_names import CHOICES


async def home(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await call(mocks.history, ctx)
    running = await call(ctx.tracker.running_mock)
    return renderer_of(request).page(request, "mock_home.html", data, focuses=FOCUSES,
                                     running=running.uid if running else None)


async def start(request: Request) -> Response:
    body = await body_of(request)
    minutes = int(number_field(body, "minutes", default=45, low=10, high=180) or 45)
    focus = text_field(body, "focus", required=False, default="mixed") or "mixed"
    seed = number_field(body, "seed")
    mock = await call(mocks.start, ctx_of(request), focus=focus, minutes=minutes,
                      seed=int(seed) if seed is not None else None)
    if wants_json(request):
        return json_response(mock.to_dict())
    return RedirectResponse(f"/mock/{mock.uid}", status_code=303)


def _round(request: Request, uid: str) -> dict[str, Any]:
    ctx = ctx_of(request)
    mock = mocks.get(ctx, uid)
    state = mocks.state(ctx, mock)
    nxt = state["next"]
    view = None
    if mock.status == "running" and nxt is not None:
        q = next(q for q in mock.questions if q.id == nxt["id"])
        view = mocks.question_view(ctx, q)
        view["number"] = mock.questions.index(q) + 1
    return {"state": state, "question": view}


async def round_page(request: Request) -> Response:
    uid = request.path_params["uid"]
    data = await call(_round, request, uid)
    if data["state"]["mock"]["status"] == "running" and data["question"] is None:
        ctx = ctx_of(request)  # every question answered, the round not closed yet (a closed tab): close it
        await call(mocks.finish, ctx, await call(mocks.get, ctx, uid))
        data = await call(_round, request, uid)
    if data["question"] is None:
        if wants_json(request):
            return json_response(data)
        return RedirectResponse(f"/mock/{uid}/debrief", status_code=303)
    return renderer_of(request).page(request, "mock_question.html", data, dialects=CHOICES)


async def answer(request: Request) -> Response:
    uid = request.path_params["uid"]
    body = await body_of(request)
    qid = text_field(body, "question")
    text = text_field(body, "answer", required=False) or ""
    plan = text_field(body, "plan", required=False)
    seconds = number_field(body, "seconds", low=0, high=24 * 3600)
    ctx = ctx_of(request)
    mock = await call(mocks.get, ctx, uid)
    result: dict[str, Any] | None = None
    if text.strip():
        result = await call(mocks.answer, ctx, mock, qid or "", text, seconds=seconds, plan=plan)
    state = await call(mocks.state, ctx, mock)
    if state["next"] is None:
        debrief = await call(mocks.finish, ctx, mock)
        if wants_json(request):
            return json_response({"recorded": result is not None, "debrief": debrief})
        return RedirectResponse(f"/mock/{uid}/debrief", status_code=303)
    if wants_json(request):
        return json_response({"recorded": result is not None, "next": state["next"]})
    return RedirectResponse(f"/mock/{uid}", status_code=303)


async def finish(request: Request) -> Response:
    uid = request.path_params["uid"]
    await body_of(request)
    ctx = ctx_of(request)
    mock = await call(mocks.get, ctx, uid)
    if mock.status == "running":
        await call(mocks.finish, ctx, mock)
    return RedirectResponse(f"/mock/{uid}/debrief", status_code=303)


async def debrief(request: Request) -> Response:
    data = await call(mocks.debrief_of, ctx_of(request), request.path_params["uid"])
    return renderer_of(request).page(request, "debrief.html", data)


async def debrief_file(request: Request) -> Response:
    data = await call(mocks.debrief_of, ctx_of(request), request.path_params["uid"])
    return Response(mocks.html(data), media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="pmdrill-{data["mock"]["uid"]}.html"'})


ROUTES = [
    *page("/mock", home),
    Route("/mock/start", start, methods=["POST"]),
    Route("/mock/{uid}/answer", answer, methods=["POST"]),
    Route("/mock/{uid}/finish", finish, methods=["POST"]),
    Route("/mock/{uid}/debrief.html", debrief_file),
    *page("/mock/{uid}/debrief", debrief),
    *page("/mock/{uid}", round_page),
]
