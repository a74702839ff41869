"""Speed of `pmdrill metrics show` and `pmdrill metrics tree` on the default build.

Baseline: the KPI's own `sql` run alone on an open DuckDB connection, measured in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bench.common import default_warehouse
from pmdrill.core.metrics.library import Kpi

SHOW_KPIS = ("course_completion_rate", "certification_velocity", "free_learner_ltv")


def _default_warehouse(*_args: object) -> Path:
    return default_warehouse()


def _best_ms(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best


def _all_sql(kpi: Kpi) -> list[str]:
    """Every statement `metrics show` runs for one KPI: value, trend, segments, delta amounts."""
    amounts = (kpi.delta.base_population, kpi.delta.usd_per_unit, kpi.delta.certificates_per_unit,
               kpi.delta.learners_per_unit)
    return [kpi.sql, kpi.trend_sql, *(s.sql for s in kpi.segments), *(a.sql for a in amounts if a and a.sql)]


def run() -> dict[str, dict[str, float]]:
    """Print `metrics show` / `metrics tree` times (in-process CLI, --json) against their SQL alone."""
    from typer.testing import CliRunner

    from pmdrill.adapters.cli.main import app
    from pmdrill.adapters.metrics_eval import open_warehouse, pin_clock, read_as_of
    from pmdrill.core.metrics.library import load_library
    from pmdrill.core.metrics.tree import load_tree

    path = _default_warehouse()
    runner = CliRunner(env={"PMDRILL_WAREHOUSE": str(path)})
    lib = load_library()
    con = open_warehouse(path)
    as_of = read_as_of(con)

    def alone(statements: list[str]) -> float:
        pinned = [pin_clock(s, as_of) for s in statements]
        return _best_ms(lambda: [con.execute(s).fetchall() for s in pinned])

    def cli(args: list[str]) -> None:
        out = runner.invoke(app, args)
        if out.exit_code != 0:
            raise RuntimeError(out.output)

    results: dict[str, dict[str, float]] = {}
    print(f"metrics on {path.name} (best of 3; in-process CLI with --json vs the SQL alone on an open connection)")
    for kpi_id in SHOW_KPIS:
        kpi = lib.get(kpi_id)
        own, every = alone([kpi.sql]), alone(_all_sql(kpi))
        full = _best_ms(lambda k=kpi_id: cli(["metrics", "show", k, "--json"]))
        results[f"show {kpi_id}"] = {"ms": full, "sql_alone_ms": own, "all_queries_alone_ms": every,
                                     "ratio": full / own}
        print(f"  show {kpi_id:26s} {full:7.1f} ms | its sql {own:6.1f} ms, ratio {full / own:5.1f}x | "
              f"all {len(_all_sql(kpi))} queries {every:6.1f} ms, ratio {full / every:4.1f}x")
    tree_ids = sorted(load_tree(lib).root.kpi_ids())
    every = alone([lib.get(k).sql for k in tree_ids])
    full = _best_ms(lambda: cli(["metrics", "tree", "--json"]))
    results["tree"] = {"ms": full, "all_queries_alone_ms": every, "ratio": full / every}
    print(f"  tree ({len(tree_ids)} KPIs)              {full:7.1f} ms | their sql alone {every:6.1f} ms, "
          f"ratio {full / every:4.1f}x")
    con.close()
    return results


if __name__ == "__main__":
    run()
