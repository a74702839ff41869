"""Warehouse generator benchmark: build time, rows/s against tpchgen-cli and Faker, peak memory.

Set PMDRILL_BENCH_LARGE=1 to also measure the large scale (minutes) in a subprocess.
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


def _build_in_subprocess(scale: str, out: Path) -> tuple[int, float, float]:
    """(rows, seconds, peak RSS in MB) of one build in a fresh interpreter."""
    res = subprocess.run([sys.executable, "-c", _CHILD, str(out), scale], capture_output=True, text=True, check=True)
    rows, secs, rss_kb = res.stdout.split()
    return int(rows), float(secs), int(rss_kb) / 1024


def _tpchgen(tmp: Path) -> tuple[int, float] | None:
    exe = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    if not Path(exe).exists():
        return None
    out = tmp / "tpch"
    started = time.perf_counter()
    subprocess.run([exe, "-s", "0.5", "--format", "parquet", "--output-dir", str(out)], check=True,
                   capture_output=True)
    secs = time.perf_counter() - started
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in out.rglob("*.parquet"))
    return rows, secs


def _faker(n: int = 20_000) -> float:
    from faker import Faker

    fake = Faker()
    Faker.seed(1)
    started = time.perf_counter()
    rows = [(fake.name(), fake.email(), fake.date_this_decade(), fake.random_int()) for _ in range(n)]
    assert len(rows) == n
    return n / (time.perf_counter() - started)


def run() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rows, secs, rss = _build_in_subprocess("small", tmp / "small.duckdb")
        ours = rows / secs
        print(f"warehouse small: {rows:,} rows in {secs:.2f} s (goal < 10 s), {ours:,.0f} rows/s, peak RSS {rss:,.0f} MB")
        tpch = _tpchgen(tmp)
        if tpch:
            t_rows, t_secs = tpch
            print(f"tpchgen-cli -s 0.5 parquet: {t_rows:,} rows in {t_secs:.2f} s, {t_rows / t_secs:,.0f} rows/s; "
                  f"ours/tpchgen = {ours / (t_rows / t_secs):.2f}x (goal >= 1x)")
        else:
            print("tpchgen-cli not found: install the bench extra")
        fk = _faker()
        print(f"faker loop: {fk:,.0f} rows/s; ours/faker = {ours / fk:.0f}x (goal > 50x)")
        rows, secs, rss = _build_in_subprocess("medium", tmp / "medium.duckdb")
        print(f"warehouse medium: {rows:,} rows in {secs:.1f} s, peak RSS {rss:,.0f} MB (goal < 2048 MB)")
        (tmp / "medium.duckdb").unlink()
        if os.environ.get("PMDRILL_BENCH_LARGE") == "1":
            rows, secs, rss = _build_in_subprocess("large", tmp / "large.duckdb")
            print(f"warehouse large: {rows:,} rows in {secs:.0f} s, peak RSS {rss:,.0f} MB (goal < 2048 MB)")
        else:
            print("warehouse large: skipped (set PMDRILL_BENCH_LARGE=1)")
