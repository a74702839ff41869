"""How a view answers: the same data as JSON (``Accept: application/json`` or ``PATH.json``, exactly what
the CLI's ``--json`` prints) or as an HTML page from a template; and the one renderer of errors.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Scope

from pmdrill.app.jsonable import dumps, plain
from pmdrill.errors import PmdrillError

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
log = logging.getLogger("pmdrill.web")

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Today"), ("/sql", "SQL"), ("/schema", "Schema"), ("/scratch", "Scratch"), ("/cases", "Cases"),
    ("/metrics", "Metrics"), ("/frameworks", "Frameworks"), ("/experiments", "Experiments"), ("/mock", "Mock"),
    ("/plan", "Plan"), ("/progress", "Progress"),
)


def wants_json(request: Request | Scope) -> bool:
    scope = request.scope if isinstance(request, Request) else request
    path = scope.get("path", "")
    if path.endswith(".json") or path.startswith("/api/"):
        return True
    accept = ""
    for k, v in scope.get("headers", []):
        if k == b"accept":
            accept = v.decode("latin-1").lower()
    if "application/json" not in accept:
        return False
    return "text/html" not in accept or accept.index("application/json") < accept.index("text/html")


def _asset_versions() -> dict[str, str]:
    manifest = STATIC / "dist" / "manifest.json"
    versions: dict[str, str] = {}
    try:
        data = json.loads(manifest.read_text())
        files = data.get("files", data)
        for name, info in files.items():
            digest = info.get("sha256") if isinstance(info, dict) else str(info)
            versions[f"dist/{name}"] = str(digest)[:12]
    except (OSError, ValueError, AttributeError):
        pass
    for own in STATIC.glob("*.css"):
        versions[own.name] = hashlib.sha256(own.read_bytes()).hexdigest()[:12]
    return versions


class Renderer:
    """Templates with autoescaping (an answer holding <script> shows as text), the page chrome, JSON twins."""

    def __init__(self, *, token: str, extra_globals: dict[str, Any] | None = None) -> None:
        self.token = token
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(),
                               trim_blocks=True, lstrip_blocks=True)
        versions = _asset_versions()
        self.assets_ready = "dist/app.js" in versions or (STATIC / "dist" / "app.js").is_file()

        def static(name: str) -> str:
            version = versions.get(name)
            return f"/static/{name}" + (f"?v={version}" if version else "")

        self.env.globals.update(static=static, nav=NAV, csrf=token, assets_ready=self.assets_ready,
                                **(extra_globals or {}))
        self.env.filters["json_script"] = json_script
        self.env.filters["pct"] = lambda v, d=0: "–" if v is None else f"{100 * float(v):.{d}f}%"
        self.env.filters["num"] = lambda v, d=0: "–" if v is None else f"{float(v):,.{d}f}"
        self.env.filters["w5"] = width_class

    def html(self, request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
        nonce = request.scope.get("state", {}).get("csp_nonce", "")
        body = self.env.get_template(template).render(request=request, nonce=nonce, path=request.url.path,
                                                      **context)
        return HTMLResponse(body, status_code=status)

    def page(self, request: Request, template: str, data: Any, *, status: int = 200, **context: Any) -> Response:
        """The JSON twin when asked for JSON, else the HTML page (its template gets ``data`` and more)."""
        if wants_json(request):
            return json_response(data, status=status)
        return self.html(request, template, {"data": plain(data), **context}, status=status)


def json_response(data: Any, *, status: int = 200) -> Response:
    return Response(dumps(data, indent=None), status_code=status, media_type="application/json")


def json_script(value: Any, element_id: str) -> Markup:
    """Data for the page's scripts as an inert JSON block (``<`` escaped so it cannot close the tag)."""
    text = dumps(value, indent=None).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/json" id="{element_id}">{text}</script>')


def width_class(value: float | None, scale: float = 100.0) -> str:
    """A bar's width as a CSS class in steps of 5 (`w-0` ... `w-100`): no inline styles under the CSP.

    Example:
        >>> width_class(0.62, 1.0), width_class(None), width_class(101)
        ('w-60', 'w-0', 'w-100')
    """
    if value is None:
        return "w-0"
    share = max(0.0, min(1.0, float(value) / scale))
    return f"w-{int(round(share * 20)) * 5}"


def error_renderer(renderer: Callable[[], Renderer | None]) -> Callable[[Scope, Exception], Response]:
    """One place that turns an error into a response: JSON ``{"error": {code, message, where}}`` for the API
    and JSON requests, a friendly page otherwise; never a traceback (it goes to the server's log)."""

    def render(scope: Scope, exc: Exception) -> Response:
        if isinstance(exc, PmdrillError):
            status, body = exc.http_status, exc.to_api()
        else:
            log.exception("unexpected error on %s", scope.get("path"), exc_info=exc)
            status = 500
            body = {"error": {"code": "internal", "message": "something went wrong on our side; the error is in "
                              "the server's log", "where": None}}
        if wants_json(scope):
            return json_response(body, status=status)
        r = renderer()
        if r is None:
            return HTMLResponse(f"<h1>{status}</h1><p>{Markup.escape(body['error']['message'])}</p>",
                                status_code=status)
        request = Request(scope)
        return r.html(request, "error.html", {"status": status, "error": body["error"]}, status=status)

    return render
