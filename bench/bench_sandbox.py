"""Per-query cost of the SQL sandbox (worker process, pipe, fresh cursor) and the gate, against plain
in-process DuckDB on the same warehouse in the same run. Goal: the sandbox adds a few ms at most."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

QUERIES = {
    "select_1": "SELECT 1",
    "filtered_count": "SELECT count(*) FROM learners WHERE country = 'US'",
    "group_by_events": "SELECT event_type, count(*), sum(minutes) FROM learning_events GROUP BY 1",
}
REPEAT = 200
GOAL_OVERHEAD_MS = 3.0


def _median_ms(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    for _ in range(10):  # warm caches and the worker
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _hidden_db_ms(box: object) -> dict[str, float]:
    """Loading a 50-row hidden database into the worker, then querying the cached copy."""
    from pmdrill.core.sqlcheck.types import HiddenDb

    loads = []
    for n in range(20):
        db = HiddenDb({"learners": tuple((i, dt.datetime(2026, 1, 1), "US", "direct", None, None, False)
                                         for i in range(1, 51 + n))})
        t0 = time.perf_counter()
        box.run("SELECT count(*) FROM learners", db)  # type: ignore[attr-defined]
        loads.append((time.perf_counter() - t0) * 1000)
    cached = _median_ms(lambda: box.run("SELECT count(*) FROM learners", db))  # type: ignore[attr-defined]
    # six loaded databases: one request each, against one request for all (run_each)
    six = [HiddenDb({"learners": tuple((i, dt.datetime(2026, 1, 1), "US", "direct", None, None, False)
                                       for i in range(1, 30 + n))}) for n in range(6)]
    sql = "SELECT count(*) FROM learners"
    one_by_one = _median_ms(lambda: [box.run(sql, d) for d in six])  # type: ignore[attr-defined]
    batched = _median_ms(lambda: box.run_each(sql, six))  # type: ignore[attr-defined]
    return {"load_ms": statistics.median(loads), "cached_ms": cached,
            "six_one_by_one_ms": one_by_one, "six_run_each_ms": batched}


def run() -> dict[str, dict[str, float]]:
    """Print, per query, the median ms of plain DuckDB, the gate, the sandbox and gate + sandbox."""
    import duckdb

    from pmdrill.adapters.duckdb_store import build_warehouse
    from pmdrill.adapters.sandbox import Sandbox
    from pmdrill.core.sqlcheck import gate

    as_of = dt.date(2026, 6, 30)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-tiny.duckdb"
        build_warehouse(path, scale="tiny", seed=42)
        con = duckdb.connect(str(path), read_only=True)
        t0 = time.perf_counter()
        box = Sandbox(path, timeout_s=5.0, memory_mb=1024, row_cap=10_000)
        start_ms = (time.perf_counter() - t0) * 1000
        try:
            for name, sql in QUERIES.items():
                plain = _median_ms(lambda sql=sql: con.execute(sql).fetchall())
                # the gate caches accepted texts: clear it so that a fresh check is measured
                gate_ms = _median_ms(lambda sql=sql: (gate.clear_cache(), gate.check(sql, "postgres", as_of=as_of)))
                sandboxed = _median_ms(lambda sql=sql: box.run(sql))
                full = _median_ms(lambda sql=sql: (gate.clear_cache(),
                                                   box.run(gate.check(sql, "postgres", as_of=as_of).duckdb_sql)))
                results[name] = {"plain_ms": plain, "gate_ms": gate_ms, "sandbox_ms": sandboxed,
                                 "gate_plus_sandbox_ms": full, "ratio": sandboxed / plain,
                                 "overhead_ms": sandboxed - plain}
            hidden = _hidden_db_ms(box)
        finally:
            box.close()
            con.close()
    print(f"sandbox start (spawn + open + lock down): {start_ms:.0f} ms")
    print(f"hidden database: first load {hidden['load_ms']:.1f} ms, cached query {hidden['cached_ms']:.2f} ms")
    print(f"one query on six cached hidden databases: {hidden['six_one_by_one_ms']:.1f} ms one request each, "
          f"{hidden['six_run_each_ms']:.1f} ms in one request (run_each)")
    print(f"{'query':18} {'plain':>8} {'gate':>8} {'sandbox':>8} {'gate+sb':>8} {'ratio':>6} {'overhead':>9}")
    for name, r in results.items():
        flag = "" if r["overhead_ms"] <= GOAL_OVERHEAD_MS else "  (over goal)"
        print(f"{name:18} {r['plain_ms']:8.2f} {r['gate_ms']:8.2f} {r['sandbox_ms']:8.2f} "
              f"{r['gate_plus_sandbox_ms']:8.2f} {r['ratio']:6.2f} {r['overhead_ms']:8.2f}ms{flag}")
    results["hidden_db"] = hidden
    return results


if __name__ == "__main__":
    run()
