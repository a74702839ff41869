"""What every view shares: the process's context and renderer, reading a JSON or form body with errors
that name the field, and registering a page with its JSON twin (``/sql`` and ``/sql.json``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pmdrill.adapters.web.render import Renderer
from pmdrill.adapters.web.security import CSRF_FIELD, Refused, form_token_ok
from pmdrill.context import Context
from pmdrill.errors import UsageError

Endpoint = Callable[[Request], Awaitable[Response]]


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx  # type: ignore[no-any-return]


def renderer_of(request: Request) -> Renderer:
    return request.app.state.renderer  # type: ignore[no-any-return]


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking app function (grading, the tracker) off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


async def body_of(request: Request) -> dict[str, Any]:
    """The request's fields: a JSON object, or a form (whose security token is checked here)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise UsageError(f"the body is not JSON ({exc})", where="body") from None
        if not isinstance(data, dict):
            raise UsageError("the body must be a JSON object", where="body")
        return data
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not form_token_ok(request.scope.get("state", {}), fields.get(CSRF_FIELD),
                             request.app.state.token):
            raise Refused("this form has no valid security token; reload the page and send it again",
                          where=CSRF_FIELD)
        fields.pop(CSRF_FIELD, None)
        return fields
    if kind == "":
        raw = await request.body()
        if raw.strip():
            raise UsageError("say what the body is: Content-Type application/json", where="Content-Type")
        return {}
    raise UsageError(f"a body of type {kind} is not understood; send JSON", where="Content-Type")


def text_field(body: dict[str, Any], name: str, *, required: bool = True, default: str | None = None,
               limit: int = 50_000) -> str | None:
    """A text field of the body; the error names the field when it is missing or not text."""
    value = body.get(name, default)
    if value is None or (isinstance(value, str) and not value.strip() and required):
        if required:
            raise UsageError(f"{name} is required", where=name)
        return default
    if not isinstance(value, str):
        raise UsageError(f"{name} must be text, not {type(value).__name__}", where=name)
    if len(value) > limit:
        raise UsageError(f"{name} is {len(value):,} characters; the most is {limit:,}", where=name)
    return value


def number_field(body: dict[str, Any], name: str, *, default: float | None = None, low: float | None = None,
                 high: float | None = None) -> float | None:
    value = body.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number, not {value!r}", where=name) from None
    if low is not None and number < low or high is not None and number > high:
        raise UsageError(f"{name} must be between {low:g} and {high:g}", where=name)
    return number


def page(path: str, endpoint: Endpoint, *, methods: tuple[str, ...] = ("GET",)) -> list[Route]:
    """A page and its JSON twin (``PATH.json``); the twin is listed first so ``{id}`` never eats ``.json``."""
    twin = "/index.json" if path == "/" else f"{path}.json"
    return [Route(twin, endpoint, methods=list(methods)), Route(path, endpoint, methods=list(methods))]
