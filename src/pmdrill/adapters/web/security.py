"""What protects the web app from the browser it serves: a Host allow-list (DNS rebinding), refusal of
cross-site state changes (Origin, Sec-Fetch-Site and a form token), a body size limit, and headers
(a nonce-based Content-Security-Policy with no inline script, nosniff, no framing).

Scripts stay welcome: a POST with a JSON body and no browser ``Origin`` (curl, a notebook) is accepted.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmdrill.errors import PmdrillError

MAX_BODY_BYTES = 100_000
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class Refused(PmdrillError):
    http_status = 403
    code = "forbidden"


class TooLarge(PmdrillError):
    http_status = 413
    code = "too_large"


class BadHost(PmdrillError):
    http_status = 400
    code = "bad_host"


def csp(nonce: str) -> str:
    return ("default-src 'self'; script-src 'self'; "
            f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")


class Guard:
    """ASGI middleware: checks each HTTP request before the app sees it and adds the security headers.

    A refused request is answered by ``on_error`` (the app's one error renderer) with the error's status.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str], token: str,
                 on_error: Any, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts}
        self.token = token
        self.on_error = on_error
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        problem = self._check(scope, headers)
        if problem is not None:
            await self.on_error(scope, problem)(scope, receive, send)
            return
        receive = self._limited(receive, headers)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"content-security-policy", csp(nonce).encode()),
                         (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"same-origin"), (b"cross-origin-opener-policy", b"same-origin"),
                         (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except TooLarge as exc:
            await self.on_error(scope, exc)(scope, receive, send_with_headers)

    def _check(self, scope: Scope, headers: dict[str, str]) -> PmdrillError | None:
        host = headers.get("host", "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in self.allowed:
            return BadHost(f"this app answers to {', '.join(sorted(self.allowed))}, not {host or 'no host'} "
                           "(a page on another site cannot reach it)", where="Host")
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            return TooLarge(f"the request is {int(length):,} bytes; the most is {self.max_body:,} "
                            f"(about {self.max_body // 1000} KB)", where="body")
        if scope["method"] not in UNSAFE:
            return None
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return Refused(f"a request from another site ({site}) cannot change anything here", where="Origin")
        origin = headers.get("origin")
        if origin and origin != "null":
            parts = urlsplit(origin)
            if (parts.netloc or "").lower() != host:
                return Refused(f"a request from {origin} cannot change anything here", where="Origin")
        elif origin == "null":
            return Refused("a request from an opaque origin cannot change anything here", where="Origin")
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in FORM_TYPES or (kind == "" and origin):
            # a browser form can be posted from anywhere without an Origin check on old browsers: the form
            # must carry the page's token (in a header from htmx, or as a field, checked in ``form_token``)
            given = headers.get(CSRF_HEADER)
            if given is not None and not hmac.compare_digest(given, self.token):
                return Refused("the form's security token is wrong; reload the page", where=CSRF_FIELD)
            scope["state"]["csrf_header_ok"] = given is not None
        return None

    def _limited(self, receive: Receive, headers: dict[str, str]) -> Receive:
        """A receive that stops a body (chunked, or lying about its length) past the limit."""
        seen = 0
        limit = self.max_body

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(f"the request is over {limit:,} bytes (about {limit // 1000} KB)", where="body")
            return message

        return receive_limited


def form_token_ok(scope_state: dict[str, Any], form_value: str | None, token: str) -> bool:
    """A form post is accepted with the token in the X-CSRF-Token header (htmx) or in its ``csrf`` field."""
    if scope_state.get("csrf_header_ok"):
        return True
    return form_value is not None and hmac.compare_digest(form_value, token)
