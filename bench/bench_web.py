"""Load on the web app over loopback: concurrent simulated candidates sending SQL checks (right answers,
wrong ones with their counterexample, texts never seen before) and case scores to a real `pmdrill serve`.

Bounded in requests and time. Prints requests per second, p50, p99 and errors per kind, and the right
answers' rate against the same gradings done in-process one after the other (the baseline, same run).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import default_warehouse

CANDIDATES = 8               # concurrent simulated candidates
RIGHT_REQUESTS = 400         # per kind, bounded
OTHER_REQUESTS = 60
TIME_LIMIT_S = 90.0
GOAL_RIGHT_RPS = 50.0
GOAL_RIGHT_P99_MS = 300.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, Any]) -> tuple[int, float]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = 0
    return status, (time.perf_counter() - t0) * 1000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def _load(name: str, total: int, make: Callable[[int], tuple[str, dict[str, Any]]], deadline: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def candidate() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            url, body = make(i)
            status, ms = _post(url, body)
            with lock:
                latencies.append(ms)
                if status != 200:
                    errors += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=candidate) for _ in range(CANDIDATES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    out = {"requests": float(len(latencies)), "rps": len(latencies) / wall, "p50_ms": statistics.median(latencies),
           "p99_ms": _pct(latencies, 0.99), "errors": float(errors)}
    print(f"  {name:28s} {len(latencies):5d} requests  {out['rps']:6.1f}/s  p50 {out['p50_ms']:6.1f} ms  "
          f"p99 {out['p99_ms']:6.1f} ms  errors {errors}", flush=True)
    return out


def run() -> dict[str, Any]:
    from pmdrill.context import Context
    from pmdrill.core.sqlcheck import bank
    from pmdrill.settings import Settings

    wh = default_warehouse()
    questions = [q for q in bank.load_bank() if q.difficulty in ("easy", "medium")][:12]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "PMDRILL_HOME": str(home), "PMDRILL_WAREHOUSE": str(wh)}
        # the baseline: the same right answers graded in-process, one after the other (no HTTP, no threads)
        ctx = Context(Settings.load(home=home, warehouse=wh))
        try:
            from pmdrill.app import sql_practice

            for q in questions:  # hidden databases built and cached for the server too
                sql_practice.check(ctx, q.id, q.reference, record=False)
            t0 = time.perf_counter()
            n = 0
            for _ in range(5):
                for q in questions:
                    sql_practice.check(ctx, q.id, q.reference, record=False)
                    n += 1
            baseline_rps = n / (time.perf_counter() - t0)
        finally:
            ctx.close()
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "pmdrill.adapters.cli.main", "serve", "--port", str(port),
                                 "--no-browser", "--no-warmup"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:  # healthy, and done warming up (the phrasings encoded), as a server is after a minute
                    with urllib.request.urlopen(f"{base}/api/health", timeout=2) as r:
                        if r.status == 200 and json.loads(r.read()).get("warmed_up"):
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("pmdrill serve did not become healthy")
                time.sleep(0.3)
            for q in questions:  # warm the server's reference outputs (what a running server has)
                _post(f"{base}/api/sql/check", {"id": q.id, "answer": q.reference})
            stop = time.monotonic() + TIME_LIMIT_S
            print(f"web load: {CANDIDATES} concurrent candidates on loopback, {len(questions)} bank questions")

            def right(i: int) -> tuple[str, dict[str, Any]]:
                q = questions[i % len(questions)]
                return f"{base}/api/sql/check", {"id": q.id, "answer": q.reference}

            def fresh(i: int) -> tuple[str, dict[str, Any]]:
                q = questions[i % len(questions)]
                return f"{base}/api/sql/check", {"id": q.id, "answer": f"{q.reference}\n-- attempt {i} {time.time_ns()}"}

            def wrong(i: int) -> tuple[str, dict[str, Any]]:
                q = questions[i % len(questions)]
                sql = q.wrong_answers[0].sql if q.wrong_answers else "SELECT 1 AS x"
                return f"{base}/api/sql/check", {"id": q.id, "answer": sql}

            cases = ["rec-engine-success", "streak-push-critique", "early-paywall-tradeoff", "platform-north-star"]

            def case(i: int) -> tuple[str, dict[str, Any]]:
                return f"{base}/api/case/score", {
                    "id": cases[i % len(cases)],
                    "answer": f"Attempt {i}: I would measure first-module completion of the learners it reaches, "
                              "with click-through only as a diagnostic, and hold out a control group."}

            results["right"] = _load("right answers (bank)", RIGHT_REQUESTS, right, stop)
            results["new_text"] = _load("right, text never seen", OTHER_REQUESTS, fresh, stop)
            results["wrong"] = _load("wrong (with counterexample)", OTHER_REQUESTS, wrong, stop)
            results["case"] = _load("case scores", OTHER_REQUESTS, case, stop)
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    r = results["right"]
    print(f"right answers: {r['rps']:.1f} gradings/s over HTTP with {CANDIDATES} candidates vs {baseline_rps:.1f}/s "
          f"in-process one at a time: {r['rps'] / baseline_rps:.2f}x; p99 {r['p99_ms']:.0f} ms; errors "
          f"{int(sum(v['errors'] for v in results.values()))} (goal: >= {GOAL_RIGHT_RPS:.0f}/s, p99 < "
          f"{GOAL_RIGHT_P99_MS:.0f} ms, no errors)")
    results["baseline_rps"] = baseline_rps
    return results


if __name__ == "__main__":
    run()
