"""Grading speed: median time per submission (sandbox, hidden DBs cached) against plain DuckDB running the
reference and the answer once on the same warehouse in the same run; and the first build of hidden DBs.
Measured on bank questions and on `--reference` questions (the held-out pairs' references, which the bank
does not hold: tests/data/heldout_sql_pairs*.yaml).

Goals (issue 9): a repeat submission at most 1.0x DuckDB alone, a text never seen before at most 1.5x, the
first build of any question's hidden databases under 1 s.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import default_warehouse

REPEAT = 15
GOAL_REPEAT = 1.0
GOAL_RATIO = 1.5
GOAL_MS = 50.0
GOAL_BUILD_S = 1.0
PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data"
REFERENCE_SAMPLE = 8  # --reference questions: every n-th equivalent held-out pair, for a bounded run


def _paired_medians(fns: list[Callable[[int], object]], repeat: int = REPEAT) -> list[float]:
    """Median ms of each function, measured in turns (a, b, c, a, b, c, ...) after one warm-up
    each, so that a machine whose load changes during the run weighs on all of them alike."""
    for fn in fns:
        fn(-1)
    times: list[list[float]] = [[] for _ in fns]
    for i in range(repeat):
        for fn, out in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn(i)
            out.append((time.perf_counter() - t0) * 1000)
    return [statistics.median(t) for t in times]


def _warehouse(*_args: object) -> Path:
    return default_warehouse()


def run() -> dict[str, float]:
    """Print per-question and median ratios; return the medians."""
    import duckdb

    from pmdrill.adapters.grading import Grader
    from pmdrill.core.sqlcheck import bank, gate

    as_of = dt.date(2026, 6, 30)
    questions = bank.load_bank()
    # a typical question: medium difficulty; every third one keeps the run short
    sample = [q for q in questions if q.difficulty == "medium"][::3] or questions[:8]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        wh = _warehouse(Path(tmp))
        old_home = os.environ.get("PMDRILL_HOME")
        os.environ["PMDRILL_HOME"] = str(Path(tmp) / "home")  # an empty cache: the first build is measured
        plain = duckdb.connect(str(wh), read_only=True)
        grader = Grader(wh, as_of=as_of)
        try:
            bank_items = [(q.id, q.reference, q.wrong_answers[0].sql if q.wrong_answers else "SELECT 1",
                           lambda a, qid=q.id: grader.check(qid, a)) for q in sample]
            results["bank"] = _measure(plain, gate, as_of, bank_items, "bank questions")
            ref_items = [(p["id"], p["reference"], _wrong_for(p), lambda a, r=p["reference"]: grader.check(
                None, a, reference=r)) for p in _reference_pairs()]
            results["reference"] = _measure(plain, gate, as_of, ref_items, "--reference questions (held-out refs)")
        finally:
            grader.close()
            plain.close()
            if old_home is None:
                os.environ.pop("PMDRILL_HOME", None)
            else:
                os.environ["PMDRILL_HOME"] = old_home
    flat = {f"{kind}_{k}": v for kind, r in results.items() for k, v in r.items()}
    return {**results["bank"], **flat}


def _reference_pairs() -> list[dict]:
    import yaml

    pairs: list[dict] = []
    for name in ("heldout_sql_pairs.yaml", "heldout_sql_pairs_b.yaml"):
        path = PAIRS / name
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            pairs += data["pairs"] if isinstance(data, dict) else data
    # the references are DuckDB (the answers' dialects vary); one pair per distinct reference
    distinct = list({p["reference"]: p for p in pairs if p.get("equivalent") is True}.values())
    return distinct[::max(1, len(distinct) // REFERENCE_SAMPLE)][:REFERENCE_SAMPLE]


def _wrong_for(pair: dict) -> str:
    """A wrong answer to a reference: the reference with its result cut to its first row."""
    return f"SELECT * FROM ({pair['reference'].rstrip().rstrip(';')}) AS r LIMIT 1"


def _measure(plain: object, gate: object, as_of: dt.date, items: list, title: str) -> dict[str, float]:
    builds, right_ratio, right_ms, wrong_ms, wrong_ratio = [], [], [], [], []
    fresh_ms, fresh_ratio = [], []
    print(f"\n{title}")
    print(f"{'question':45s} {'build s':>8s} {'duckdb ms':>10s} {'right ms':>9s} {'ratio':>6s} "
          f"{'new text':>9s} {'ratio':>6s} {'wrong ms':>9s} {'ratio':>6s}")
    for label, reference, wrong, check in items:
        t0 = time.perf_counter()
        first = check(reference)
        build_s = (time.perf_counter() - t0)
        assert first.correct, label
        builds.append(build_s)
        ref_sql = gate.check(reference, as_of=as_of).duckdb_sql  # type: ignore[attr-defined]
        wrong_sql = gate.check(wrong, as_of=as_of).duckdb_sql  # type: ignore[attr-defined]

        def baseline(answer: str, ref: str = ref_sql) -> None:
            plain.execute(ref).fetchall()  # type: ignore[attr-defined]
            plain.execute(answer).fetchall()  # type: ignore[attr-defined]

        # "right": the reference's text resubmitted (the gate's verdict on a text is cached);
        # "new text": a text never seen before each time (a trailing comment), gated afresh
        base_right, g_right, g_fresh = _paired_medians([
            lambda _i, r=ref_sql: baseline(r),
            lambda _i, c=check, r=reference: c(r),
            lambda i, c=check, r=reference: c(f"{r}\n-- try {i} {time.time_ns()}")])
        base_wrong, g_wrong = _paired_medians([
            lambda _i, w=wrong_sql: baseline(w),
            lambda _i, c=check, w=wrong: c(w)], repeat=5)
        right_ms.append(g_right)
        fresh_ms.append(g_fresh)
        wrong_ms.append(g_wrong)
        right_ratio.append(g_right / base_right)
        fresh_ratio.append(g_fresh / base_right)
        wrong_ratio.append(g_wrong / base_wrong)
        print(f"{label:45s} {build_s:8.2f} {base_right:10.1f} {g_right:9.1f} {g_right / base_right:6.2f} "
              f"{g_fresh:9.1f} {g_fresh / base_right:6.2f} {g_wrong:9.1f} {g_wrong / base_wrong:6.2f}", flush=True)
    out = {"right_ms": statistics.median(right_ms), "right_ratio": statistics.median(right_ratio),
           "new_text_ms": statistics.median(fresh_ms), "new_text_ratio": statistics.median(fresh_ratio),
           "wrong_ms": statistics.median(wrong_ms), "wrong_ratio": statistics.median(wrong_ratio),
           "build_s_median": statistics.median(builds), "build_s_max": max(builds)}
    print(f"{title}: a repeat submission of a right answer: median {out['right_ms']:.1f} ms, "
          f"{out['right_ratio']:.2f}x plain DuckDB (goal <= {GOAL_REPEAT}x)")
    print(f"{title}: a right answer never seen before (gate not cached): median {out['new_text_ms']:.1f} ms, "
          f"{out['new_text_ratio']:.2f}x plain DuckDB (goal <= {GOAL_RATIO}x)")
    print(f"{title}: a wrong answer (feedback + counterexample): median {out['wrong_ms']:.1f} ms, "
          f"{out['wrong_ratio']:.2f}x plain DuckDB")
    print(f"{title}: first build of the hidden DBs (incl. first grading): median {out['build_s_median']:.2f} s, "
          f"max {out['build_s_max']:.2f} s (goal < {GOAL_BUILD_S:.0f} s)")
    return out


if __name__ == "__main__":
    run()
