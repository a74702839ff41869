"""The web app's factory: routes from one module per area, the security guard, the one error renderer,
and the warm-up that opens the warehouse, starts the sandbox workers, loads the scorer and builds the
bank's hidden databases ahead, so no candidate waits seconds for a first grading.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from pmdrill.adapters.web.render import STATIC, Renderer, error_renderer
from pmdrill.adapters.web.security import Guard
from pmdrill.adapters.web.views import ROUTES
from pmdrill.context import Context
from pmdrill.errors import NotFoundError, PmdrillError, UsageError

log = logging.getLogger("pmdrill.web")


class Warmup:
    """Opens what grading needs in the background; ``ready`` says what is up (for /api/health)."""

    def __init__(self, ctx: Context, *, hidden: bool = True) -> None:
        self.ctx = ctx
        self.hidden = hidden
        self.state: dict[str, Any] = {"warehouse": False, "sandbox": False, "scorer": False,
                                      "hidden_built": 0, "hidden_total": 0, "error": None, "done": False}
        self._thread = threading.Thread(target=self._run, name="pmdrill-warmup", daemon=True)
        self._stop = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        try:
            self.ctx.warehouse()
            self.state["warehouse"] = True
            self.ctx.grader.pool  # noqa: B018 - starts the workers
            self.state["sandbox"] = True
            scorer = self.ctx.scorer
            self.state["scorer"] = True
            self._cases(scorer)
            if self.hidden:
                self._hidden_dbs()
            self.state["done"] = True
        except PmdrillError as exc:
            self.state["error"] = str(exc)
            log.error("warm-up failed: %s", exc)
        except Exception as exc:  # noqa: BLE001 - reported by /api/health, never a crash
            self.state["error"] = f"{type(exc).__name__}: {exc}"
            log.exception("warm-up failed")

    def _cases(self, scorer: Any) -> None:
        """Encode every case's phrasings once (the first answer to a case would otherwise wait ~1 s)."""
        for case in self.ctx.case_bank().values():
            if self._stop.is_set():
                return
            scorer.prepared(case)
        save = getattr(scorer, "save_cache", None)
        if save is not None:
            save()

    def _hidden_dbs(self) -> None:
        from pmdrill.core.sqlcheck.grade import prepare_reference

        questions = self.ctx.sql_bank()
        self.state["hidden_total"] = len(questions)
        for q in questions:
            if self._stop.is_set():
                return
            try:
                self.ctx.grader.hidden_dbs(prepare_reference(q, as_of=self.ctx.as_of))
            except PmdrillError as exc:
                log.warning("hidden databases of %s: %s", q.id, exc)
            self.state["hidden_built"] += 1


def allowed_hosts(host: str) -> list[str]:
    names = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}
    if host not in ("0.0.0.0", "::", ""):
        names.add(host.lower())
    return sorted(names)


def create_app(ctx: Context | None = None, *, warm: bool = True, hidden: bool = True,
               hosts: Iterable[str] | None = None) -> Starlette:
    """The app on ``ctx`` (one per process); ``warm`` opens everything in the background at start-up."""
    context = ctx or Context(face="web")
    context.face = "web"
    token = secrets.token_urlsafe(24)
    renderer = Renderer(token=token)
    render_error = error_renderer(lambda: renderer)

    async def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            if exc.status_code == 404:
                exc = NotFoundError(f"there is no page at {request.url.path}", where=request.url.path)
            elif exc.status_code == 405:
                exc = UsageError(f"{request.method} is not how {request.url.path} is used", where="method")
        return render_error(request.scope, exc)

    warmup = Warmup(context, hidden=hidden)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if warm:
            warmup.start()
        try:
            yield
        finally:
            warmup.stop()
            context.close()

    guard = Middleware(Guard, allowed_hosts=allowed_hosts(context.settings.host) + list(hosts or ()),
                       token=token, on_error=lambda scope, exc: render_error(scope, exc))
    app = Starlette(routes=[*ROUTES, Mount("/static", StaticFiles(directory=str(STATIC)), name="static")],
                    middleware=[guard], lifespan=lifespan,
                    exception_handlers={Exception: on_error, HTTPException: on_error, PmdrillError: on_error})
    app.state.ctx = context
    app.state.renderer = renderer
    app.state.token = token
    app.state.warmup = warmup
    return app
