"""Warehouse generator benchmark: build time, rows/s against tpchgen-cli and Faker, peak memory.

Every build runs in a fresh interpreter (peak RSS is that process's own). tpchgen-cli writes TPC-H
SF1 to Parquet in the same run, so the ratio compares the two on the same machine and load.
Set PMDRILL_BENCH_LARGE=1 to also build the large scale (5M learners; many minutes).
Goals (the issue's): default build < 10 s; rows/s >= 1x tpchgen-cli and > 50x a Faker loop;
peak RSS < 2 GB at medium and large. Printed as ratios, never asserted.

Seed robustness (every calibration target, planted effect and truth on several seeds, side by side):
    .venv/bin/python -m bench.bench_warehouse seeds 42,7,1234 [scale]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import resource, sys, time
from pathlib import Path
from pmdrill.adapters.duckdb_store import build_warehouse
t = time.perf_counter()
info = build_warehouse(Path(sys.argv[1]), scale=sys.argv[2], seed=42)
print(info["rows"], time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
_MB = 1024
_GOAL_RSS_MB = 2048


def _build_in_subprocess(scale: str, out: Path) -> tuple[int, float, float]:
    """(rows, seconds, peak RSS in MB) of one build in a fresh interpreter."""
    res = subprocess.run([sys.executable, "-c", _CHILD, str(out), scale], capture_output=True, text=True, check=True)
    rows, secs, rss_kb = res.stdout.split()[-3:]
    return int(rows), float(secs), int(rss_kb) / _MB


def _tpchgen(tmp: Path, scale_factor: str = "1") -> tuple[int, float] | None:
    """(rows, seconds) for tpchgen-cli writing every TPC-H table to Parquet."""
    exe = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    if not Path(exe).exists():
        return None
    out = tmp / "tpch"
    started = time.perf_counter()
    subprocess.run([exe, "parquet", "-s", scale_factor, "--output-dir", str(out)], check=True,
                   capture_output=True)  # tpchgen-cli 4: the format is a subcommand
    secs = time.perf_counter() - started
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in out.rglob("*.parquet"))
    shutil.rmtree(out)
    return rows, secs


def _faker(n: int = 20_000) -> float | None:
    """Rows per second of a plain Faker loop (four fields a row), the usual way to fake a table."""
    try:
        from faker import Faker
    except ImportError:
        return None
    fake = Faker()
    Faker.seed(1)
    started = time.perf_counter()
    rows = [(fake.name(), fake.email(), fake.date_this_decade(), fake.random_int()) for _ in range(n)]
    assert len(rows) == n
    return n / (time.perf_counter() - started)


def _line(label: str, rows: int, secs: float, rss: float) -> str:
    return f"warehouse {label}: {rows:,} rows in {secs:.2f} s, {rows / secs:,.0f} rows/s, peak RSS {rss:,.0f} MB"


def run() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rows, secs, rss = _build_in_subprocess("small", tmp / "small.duckdb")
        ours = rows / secs
        print(_line("default (small)", rows, secs, rss) + f" | build time goal < 10 s: {'met' if secs < 10 else 'MISSED'}")
        (tmp / "small.duckdb").unlink()
        m_rows, m_secs, m_rss = _build_in_subprocess("medium", tmp / "medium.duckdb")
        ours_medium = m_rows / m_secs
        print(_line("medium", m_rows, m_secs, m_rss)
              + f" | peak RSS goal < {_GOAL_RSS_MB} MB: {'met' if m_rss < _GOAL_RSS_MB else 'MISSED'}")
        (tmp / "medium.duckdb").unlink()
        tpch = _tpchgen(tmp)
        if tpch:
            t_rows, t_secs = tpch
            theirs = t_rows / t_secs
            print(f"tpchgen-cli -s 1 parquet: {t_rows:,} rows in {t_secs:.2f} s, {theirs:,.0f} rows/s")
            print(f"ours/tpchgen-cli rows/s: default {ours / theirs:.2f}x, medium {ours_medium / theirs:.2f}x "
                  "(goal >= 1x)")
        else:
            print("tpchgen-cli not found: install the bench extra")
        fk = _faker()
        if fk:
            print(f"faker loop: {fk:,.0f} rows/s; ours/faker: default {ours / fk:,.0f}x, medium {ours_medium / fk:,.0f}x "
                  "(goal > 50x)")
        else:
            print("faker not installed: install the bench extra")
        if os.environ.get("PMDRILL_BENCH_LARGE") == "1":
            l_rows, l_secs, l_rss = _build_in_subprocess("large", tmp / "large.duckdb")
            print(_line("large", l_rows, l_secs, l_rss)
                  + f" | peak RSS goal < {_GOAL_RSS_MB} MB: {'met' if l_rss < _GOAL_RSS_MB else 'MISSED'}")
        else:
            print("warehouse large: skipped (set PMDRILL_BENCH_LARGE=1; many minutes)")


def _calibrate_seed(seed: int, scale: str, out: Path) -> list[dict]:
    from pmdrill.adapters.duckdb_store import build_warehouse, measure_calibration

    build_warehouse(out, scale=scale, seed=seed)
    try:
        return measure_calibration(out)
    finally:
        out.unlink()


def seeds(seed_list: list[int], scale: str = "small") -> int:
    """Build ``scale`` once per seed (two at a time), print every check per seed; 1 if any fails."""
    from concurrent.futures import ProcessPoolExecutor

    with tempfile.TemporaryDirectory() as d, ProcessPoolExecutor(2) as pool:
        runs = list(pool.map(_calibrate_seed, seed_list, [scale] * len(seed_list),
                             [Path(d) / f"s{s}.duckdb" for s in seed_list]))
    print(f"{'id':5} {'band':16}" + "".join(f"{'seed ' + str(s):>12}" for s in seed_list))
    failed = 0
    for i, row in enumerate(runs[0]):
        cells = []
        for rows in runs:
            r = rows[i]
            value = "n/a" if r["measured"] is None else f"{r['measured']:.4g}"
            failed += r["status"] != "PASS"
            cells.append(f"{value + ('' if r['status'] == 'PASS' else ' !'):>12}")
        print(f"{row['id']:5} {row['band']:16}" + "".join(cells))
    print(f"{failed} check(s) out of band ('!')")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "seeds":
        sys.exit(seeds([int(x) for x in sys.argv[2].split(",")], *sys.argv[3:4]))
    run()
