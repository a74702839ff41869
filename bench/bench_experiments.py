"""Speed of `experiment analyze` on the default build, against running the primary metric SQL alone.

Goal: each read-out (SRM, every metric, segment cuts, statistics, text) under one second.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import default_warehouse

GOAL_MS = 1000.0


def _default_warehouse(*_args: object) -> Path:
    return default_warehouse()


def _times_ms(fn, repeat: int = 3) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(first call, best of ``repeat``): the first is what one CLI invocation pays."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times[0], min(times)


def run() -> dict[str, dict[str, float]]:
    """Print, per experiment, the read-out time, the primary-SQL-alone time and their ratio."""
    from pmdrill.adapters.experiments_eval import ASSIGNED_SQL, ExperimentEvaluator, _fill, analyze
    from pmdrill.core.experiments import definitions as catalog

    path = _default_warehouse()
    results: dict[str, dict[str, float]] = {}
    print(f"experiment analyze on {path.name} (first call and best of 3; goal < {GOAL_MS:.0f} ms each)")
    for name, exp in sorted(catalog.catalog().items()):
        first, full = _times_ms(lambda n=name: analyze(n, path))
        with ExperimentEvaluator.open(path) as ev:
            sql = f"WITH assigned AS ({ev.pin(ASSIGNED_SQL)}) {ev.pin(_fill(exp.primary.sql, {'horizon_months': 12}))}"
            alone = _times_ms(lambda s=sql, e=ev, n=name: e.rows(s, {"experiment": n}, "bench"))[1]
        results[name] = {"first_ms": first, "analyze_ms": full, "primary_sql_ms": alone, "ratio": full / alone}
        flag = "ok" if first < GOAL_MS else "SLOW"
        print(f"  {name:16s} analyze first {first:6.1f} ms, best {full:6.1f} ms   primary SQL alone {alone:6.1f} ms"
              f"   ratio {full / alone:5.1f}x   {flag}")
    return results


if __name__ == "__main__":
    run()
