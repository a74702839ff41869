"""`pmdrill serve`: the web app on this machine (127.0.0.1:8765, or the next free port), opened in a
browser when there is one. Ctrl+C stops it and its sandbox workers cleanly."""

from __future__ import annotations

import os
import socket
import sys
import threading
import webbrowser

import typer

from pmdrill.adapters.cli.output import app_ctx, console, err_console, esc
from pmdrill.errors import UsageError

_PORTS_TRIED = 50


def free_port(host: str, start: int) -> int:
    """``start`` if it is free on ``host``, else the next free one."""
    for port in range(start, min(start + _PORTS_TRIED, 65536)):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise UsageError(f"no free port between {start} and {start + _PORTS_TRIED - 1} on {host}", where="--port")


def _has_browser() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(host: str = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1)."),
          port: int = typer.Option(None, "--port", help="Port (default 8765, or the next free one)."),
          no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
          no_warmup: bool = typer.Option(False, "--no-warmup", help="Do not build the bank's hidden databases "
                                                                    "ahead (they are built on first use).")) -> None:
    """Start the web app: every page of pmdrill, on the same history as the CLI."""
    import uvicorn

    from pmdrill.adapters.web.app import create_app

    ctx = app_ctx()
    host = host or ctx.settings.host
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"warning: listening on {esc(host)}: anyone who can reach this machine can use the "
                          "app (single-user mode has no login)")
    port = free_port(host, port or ctx.settings.port)
    ctx.warehouse()  # built here, with its progress bar, before the server starts
    app = create_app(ctx, hidden=not no_warmup)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", access_log=False,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    console.print(f"pmdrill is running at [bold]{esc(url)}[/] (Ctrl+C stops it)")

    def open_browser() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.1)
        if server.started:
            webbrowser.open(url)

    if not no_browser and _has_browser():
        threading.Thread(target=open_browser, daemon=True).start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl+C it handled, once it has shut down
    console.print("stopped")
