"""Case and estimation pages: the bank, a question with an optional timer and a draft that survives a
reload, the score with dimension bars and each red flag highlighted at its sentence, the model answer on
request, and a free-prompt mode for a question you were asked."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmdrill.adapters.web.render import json_response, wants_json
from pmdrill.adapters.web.views.common import body_of, call, ctx_of, page, renderer_of, text_field
from pmdrill.app import case_practice, coach
from pmdrill.core.judgement.highlight import segments
from pmdrill.core.judgement.model import KINDS


async def listing(request: Request) -> Response:
    kind = request.query_params.get("kind") or None
    rows = await call(case_practice.list_cases, ctx_of(request), kind=kind)
    return renderer_of(request).page(request, "cases_list.html", rows, kinds=KINDS, kind=kind)


def _history(request: Request, iid: str) -> list[dict[str, Any]]:
    return [{"submitted_at": a.submitted_at.isoformat(), "score": a.score, "passed": a.passed,
             "seconds": a.seconds} for a in reversed(coach.attempts_of(ctx_of(request), iid)[-10:])]


async def question(request: Request) -> Response:
    cid = request.path_params["cid"]
    ctx = ctx_of(request)
    data = await call(case_practice.show, ctx, cid)
    c = await call(case_practice.case, ctx, cid)
    history = await call(_history, request, case_practice.namespaced(c))
    return renderer_of(request).page(request, "case.html", data, history=history)


def _score_context(result: dict[str, Any], answer: str) -> dict[str, Any]:
    return {"result": result, "pieces": segments(answer, result["red_flags"])}


async def score(request: Request) -> Response:
    cid = request.path_params.get("cid")
    body = await body_of(request)
    answer = text_field(body, "answer", limit=case_practice.MAX_ANSWER_CHARS) or ""
    prompt = text_field(body, "prompt", required=cid is None) if cid is None else None
    result = (await call(case_practice.score, ctx_of(request), cid, answer, prompt=prompt, where="answer")).to_dict()
    if wants_json(request):
        return json_response(result)
    return renderer_of(request).html(request, "_case_score.html", _score_context(result, answer))


async def model_answer(request: Request) -> Response:
    await body_of(request)  # the form's token: seeing it is recorded
    data = await call(case_practice.show, ctx_of(request), request.path_params["cid"], model_answer=True)
    if wants_json(request):
        return json_response(data)
    return renderer_of(request).html(request, "_model_answer.html", {"case": data})


async def free(request: Request) -> Response:
    return renderer_of(request).page(request, "case_free.html", {"mode": "free-prompt"})


ROUTES = [
    *page("/cases", listing),
    Route("/cases/free/score", score, methods=["POST"]),
    *page("/cases/free", free),
    Route("/cases/{cid}/score", score, methods=["POST"]),
    Route("/cases/{cid}/model-answer", model_answer, methods=["POST"]),
    *page("/cases/{cid}", question),
]
