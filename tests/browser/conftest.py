"""Browser fixtures: a real `pmdrill serve` process and Debian's Chromium driven by Playwright.

Locally the tests skip, with the reason, when /usr/bin/chromium or the front-end bundle is missing; in
CI (CI=true) that is a failure. Every request a page makes is recorded: none may leave the app's host.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "src" / "pmdrill" / "adapters" / "web" / "static" / "dist" / "manifest.json"
PMDRILL = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "pmdrill"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _missing("Chromium is not installed (apt-get install chromium); browser tests need /usr/bin/chromium")
    if not DIST.exists():
        _missing("the front-end bundle is not built (make assets)")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`pmdrill serve` in its own process group, on a free port, with its own PMDRILL_HOME."""

    def __init__(self, home: Path, warehouse: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = home
        env = {**os.environ, "PMDRILL_HOME": str(home), "PMDRILL_WAREHOUSE": str(warehouse),
               "PMDRILL_SANDBOX_WORKERS": "2"}
        self.log = (home / "server.log").open("w")
        self.proc = subprocess.Popen([str(PMDRILL), "serve", "--port", str(self.port), "--no-browser"],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pmdrill serve did not become healthy:\n{(home / 'server.log').read_text()}")
            time.sleep(0.3)

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # what Ctrl+C sends
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_warehouse: Path, chromium_path: Path) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("browser-home")
    s = Server(home, tiny_warehouse)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class PageLog:
    """What a page did: every URL it requested, its console errors, CSP violations."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url,
                                  accept_downloads=True)
    log = PageLog()
    pg = context.new_page()
    pg.on("request", lambda r: log.requests.append(r.url))
    pg.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: log.errors.append(str(e)))
    pg.log = log  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        context.close()
        foreign = [u for u in log.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                   and urlsplit(u).netloc != urlsplit(server.url).netloc]
        assert not foreign, f"the page asked another host: {foreign}"
        assert not log.errors, f"console errors or CSP violations: {log.errors}"
