"""Speed of the case scorer: model load, first answer of a case, and an answer with the case warmed up.

Baseline in the same run: a plain keyword match of the same answer against the same rubric's patterns.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

import yaml

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "labelled_answers.yaml"


def _keyword_baseline(case, answer: str) -> int:  # type: ignore[no-untyped-def]
    """What a naive grader does: count the rubric's patterns that occur anywhere in the answer."""
    text = answer.lower()
    return sum(1 for d in case.dimensions for c in d.concepts for p in c.patterns if re.search(p, text, re.I))


def run() -> dict[str, float]:
    from pmdrill.core.judgement import loader
    from pmdrill.core.judgement.embed import CachedEmbedder, MiniLMEmbedder
    from pmdrill.core.judgement.score import Scorer

    t0 = time.perf_counter()
    embedder = CachedEmbedder(MiniLMEmbedder())
    load_s = time.perf_counter() - t0

    bank = loader.default_bank()
    answers = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["answers"]
    scorer = Scorer(embedder)

    cold = []
    for case_id in sorted({a["case"] for a in answers}):
        t = time.perf_counter()
        scorer.prepared(bank[case_id])  # encodes the case's phrasings: once per case per process
        cold.append((time.perf_counter() - t) * 1000)

    warm, base = [], []
    for a in answers:
        case = bank[a["case"]]
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            scorer.score(case, a["answer"])
            best = min(best, (time.perf_counter() - t) * 1000)
        warm.append(best)
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            _keyword_baseline(case, a["answer"])
            best = min(best, (time.perf_counter() - t) * 1000)
        base.append(best)

    out = {"model_load_s": load_s, "prepare_case_ms_median": statistics.median(cold),
           "score_ms_median": statistics.median(warm), "score_ms_p90": sorted(warm)[int(0.9 * len(warm))],
           "score_ms_max": max(warm), "keyword_ms_median": statistics.median(base)}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out["load_average"] = load
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} (times grow with other work on the machine)")
    print(f"model load (all-MiniLM-L6-v2 int8 ONNX): {load_s:.2f} s (goal < 2 s)")
    print(f"first answer of a case, extra cost of encoding its phrasings: median {out['prepare_case_ms_median']:.0f} ms")
    print(f"score one answer ({len(warm)} labelled answers, model loaded): median {out['score_ms_median']:.1f} ms, "
          f"p90 {out['score_ms_p90']:.1f} ms, max {out['score_ms_max']:.1f} ms (goal < 100 ms)")
    print(f"baseline keyword match of the same answers: median {out['keyword_ms_median']:.2f} ms; "
          f"ratio scorer/baseline {out['score_ms_median'] / max(out['keyword_ms_median'], 1e-6):.0f}x")
    return out


if __name__ == "__main__":
    run()
