"""`pmdrill serve` as a user runs it: it prints its URL, answers health, takes the next free port when
8765-style ports are taken, and Ctrl+C stops it and its sandbox workers cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from terminal import PMDRILL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_its_url_and_stops_cleanly_on_ctrl_c(tiny_warehouse: Path, _pmdrill_home: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    taken.listen()
    env = {**os.environ, "PMDRILL_HOME": str(_pmdrill_home), "PMDRILL_WAREHOUSE": str(tiny_warehouse)}
    proc = subprocess.Popen([str(PMDRILL), "serve", "--port", str(port), "--no-browser", "--no-warmup"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert "pmdrill is running at http://127.0.0.1:" in line, line
        url = line.split("running at ")[1].split()[0]
        assert not url.endswith(f":{port}/"), "the taken port was not skipped"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}api/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "serve never became healthy"
            time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "stopped" in out and "Traceback" not in out
        time.sleep(0.5)
        try:
            os.killpg(proc.pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        assert not alive, "a sandbox worker outlived the server"
    finally:
        taken.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
