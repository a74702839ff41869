"""The practice loop's costs: what recording adds to a grading, progress and the plan over a long history,
and exporting and importing 10,000 attempts.

Baselines, measured in the same run: the same gradings without recording (paired, interleaved); reading
the same rows with plain sqlite3; json.dumps / json.loads of the same document.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import default_warehouse

GRADINGS = 1000
HISTORY = 10_000
GOAL_RECORD_P99_MS = 5.0
GOAL_PROGRESS_MS = 200.0
GOAL_PLAN_MS = 300.0
GOAL_TRANSFER_S = 5.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _best_ms(fn: Any, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best


def _history(ctx: Any, n: int) -> None:
    """n plausible attempts over 90 days (SQL and cases, right and wrong), imported in one document."""
    from pmdrill.app.coach import practice_catalog
    from pmdrill.core.coach.dimensions import COMMITTEE

    rng = random.Random(7)
    catalog = [c for c in practice_catalog(ctx) if c.kind in ("sql", "case", "est")]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    rows = []
    for i in range(n):
        item = rng.choice(catalog)
        passed = rng.random() < 0.6
        dims = {d: round(rng.uniform(20, 100), 1) for d in (item.dimensions or COMMITTEE[:2])}
        rows.append({
            "uid": f"{i:032x}", "user": "local", "item_id": item.id, "kind": item.kind, "title": item.title,
            "answer": "SELECT 1" if item.kind == "sql" else "An answer of a few sentences. " * 8,
            "dialect": "duckdb" if item.kind == "sql" else None, "passed": passed,
            "score": 100.0 if passed else 30.0, "dimensions": dims,
            "flags": [] if passed else [{"code": "x", "message": "the join drops learners", "evidence": ""}],
            "topics": list(item.topics), "hints_used": rng.choice([0, 0, 1]), "seconds": rng.uniform(60, 900),
            "submitted_at": (start + dt.timedelta(minutes=13 * i)).isoformat(), "mock_id": None,
            "source": "cli", "prompt_text": None, "provenance": {"pmdrill": "bench"},
            "detail": {"correct": passed, "feedback": ["..."] * 3}})
    ctx.tracker.import_document({"format": "pmdrill-history", "version": 1, "attempts": rows, "mocks": [],
                                 "prefs": {}})


def run() -> dict[str, float]:
    from pmdrill.app import coach, history, sql_practice
    from pmdrill.context import Context
    from pmdrill.core.sqlcheck import bank
    from pmdrill.settings import Settings

    wh = default_warehouse()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context(Settings.load(home=Path(tmp) / "home", warehouse=wh))
        try:
            qs = [q for q in bank.load_bank() if q.difficulty == "easy"][:5]
            for q in qs:  # hidden databases built and reference outputs cached before timing
                sql_practice.check(ctx, q.id, q.reference, record=False)
            plain_ms: list[float] = []
            recorded_ms: list[float] = []
            for i in range(GRADINGS):
                q = qs[i % len(qs)]
                for record, bucket in ((False, plain_ms), (True, recorded_ms))[:: 1 if i % 2 else -1]:
                    t0 = time.perf_counter()
                    sql_practice.check(ctx, q.id, q.reference, record=record)
                    bucket.append((time.perf_counter() - t0) * 1000)
            added_p99 = _pct(recorded_ms, 0.99) - _pct(plain_ms, 0.99)
            added_p50 = statistics.median(recorded_ms) - statistics.median(plain_ms)
            print(f"recording an attempt, {GRADINGS} gradings each way (paired, interleaved): p50 "
                  f"{statistics.median(plain_ms):.1f} -> {statistics.median(recorded_ms):.1f} ms, p99 "
                  f"{_pct(plain_ms, 0.99):.1f} -> {_pct(recorded_ms, 0.99):.1f} ms; added p50 {added_p50:+.2f} ms, "
                  f"p99 {added_p99:+.2f} ms, ratio {_pct(recorded_ms, 0.99) / _pct(plain_ms, 0.99):.2f}x "
                  f"(goal: under {GOAL_RECORD_P99_MS:.0f} ms added at p99)")
            out.update(record_added_p99_ms=added_p99, record_added_p50_ms=added_p50)

            _history(ctx, HISTORY - ctx.tracker.count())
            db = ctx.settings.ensure_home() / "history.sqlite3"
            raw = sqlite3.connect(db)
            base = _best_ms(lambda: raw.execute("SELECT * FROM attempts").fetchall())
            raw.close()
            prog = _best_ms(lambda: coach.progress(ctx))
            print(f"progress over {ctx.tracker.count():,} attempts: {prog:.0f} ms; reading the rows with plain "
                  f"sqlite3 {base:.0f} ms, ratio {prog / base:.1f}x (goal < {GOAL_PROGRESS_MS:.0f} ms)")
            plan = _best_ms(lambda: coach.plan(ctx, interview_date=dt.date.today() + dt.timedelta(days=30)))
            print(f"plan (30 days, {ctx.tracker.count():,} attempts): {plan:.0f} ms, {plan / prog:.1f}x progress "
                  f"(goal < {GOAL_PLAN_MS:.0f} ms)")
            out.update(progress_ms=prog, plan_ms=plan, progress_ratio=prog / base)

            target = Path(tmp) / "export.json"
            t0 = time.perf_counter()
            history.export(ctx, target)
            export_s = time.perf_counter() - t0
            doc = json.loads(target.read_text())
            dump_s = _best_ms(lambda: json.dumps(doc, indent=1, sort_keys=True), repeat=1) / 1000
            other = Context(Settings.load(home=Path(tmp) / "other", warehouse=wh))
            t0 = time.perf_counter()
            report = history.import_(other, target)
            import_s = time.perf_counter() - t0
            load_s = _best_ms(lambda: json.loads(target.read_text()), repeat=1) / 1000
            other.close()
            assert report["added_attempts"] == len(doc["attempts"])
            print(f"export of {len(doc['attempts']):,} attempts: {export_s:.2f} s ({export_s / dump_s:.1f}x json.dumps "
                  f"of it); import {import_s:.2f} s ({import_s / load_s:.1f}x json.loads) "
                  f"(goal < {GOAL_TRANSFER_S:.0f} s each)")
            out.update(export_s=export_s, import_s=import_s)
        finally:
            ctx.close()
    return out


if __name__ == "__main__":
    run()
