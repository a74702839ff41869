"""Speed of the case scorer: model load, first answer to a case, and an answer with the case warmed up.

Baseline in the same run: a plain keyword match of the same answer against the same rubric's patterns.
Every time is taken in this run, on this machine; nothing here is asserted (times depend on other load).
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "labelled_answers.yaml"
REPEATS = 3  # each answer is timed this many times and the best is kept, to damp other work on the machine


def _keyword_baseline(case, answer: str) -> int:  # type: ignore[no-untyped-def]
    """What a naive grader does: count the rubric's patterns that occur anywhere in the answer."""
    text = answer.lower()
    return sum(1 for d in case.dimensions for c in d.concepts for p in c.patterns if re.search(p, text, re.I))


def _best_ms(fn: Callable[[], Any], before: Callable[[], None] = lambda: None) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        before()
        t = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - t) * 1000)
    return best


def _p90(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(0.9 * len(values)))]


def run() -> dict[str, float]:
    from pmdrill.core.judgement import loader
    from pmdrill.core.judgement.embed import CachedEmbedder, MiniLMEmbedder
    from pmdrill.core.judgement.score import Scorer
    from pmdrill.core.judgement.text import split_sentences

    t0 = time.perf_counter()
    inner = MiniLMEmbedder()
    load_s = time.perf_counter() - t0

    bank = loader.default_bank()
    answers = [a for a in yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["answers"] if a["case"] in bank]
    embedder = CachedEmbedder(inner)
    scorer = Scorer(embedder)
    # every timed answer encodes its sentences: the in-memory LRU of recent sentences is emptied first
    forget = getattr(embedder, "clear_transient", lambda: None)

    # first answer to each case: encodes the case's phrasings (the very first also the generic rubric's),
    # then scores; once per case per process (the CLI also keeps them in <home>/cache/case-embeddings.npz)
    first: list[float] = []
    for a in {a["case"]: a for a in reversed(answers)}.values():
        forget()
        t = time.perf_counter()
        scorer.score(bank[a["case"]], a["answer"])
        first.append((time.perf_counter() - t) * 1000)
    first_fresh, first_case = first[0], first[1:] or first

    warm, base, lexical, encode = [], [], [], []
    lexical_scorer = Scorer(None)
    for a in answers:
        case, text = bank[a["case"]], a["answer"]
        warm.append(_best_ms(lambda c=case, x=text: scorer.score(c, x), forget))
        sentences = [s.text for s in split_sentences(text)]
        encode.append(_best_ms(lambda s=sentences: inner.encode(s)))
        lexical.append(_best_ms(lambda c=case, x=text: lexical_scorer.score(c, x)))
        base.append(_best_ms(lambda c=case, x=text: _keyword_baseline(c, x)))
    rescore = [_best_ms(lambda c=bank[a["case"]], x=a["answer"]: scorer.score(c, x)) for a in answers]

    out = {"model_load_s": load_s, "first_answer_fresh_ms": first_fresh,
           "first_answer_case_ms_median": statistics.median(first_case), "first_answer_case_ms_p90": _p90(first_case),
           "score_ms_median": statistics.median(warm), "score_ms_p90": _p90(warm), "score_ms_max": max(warm),
           "encode_ms_median": statistics.median(encode), "lexical_ms_median": statistics.median(lexical),
           "rescore_ms_median": statistics.median(rescore), "keyword_ms_median": statistics.median(base)}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out["load_average"] = load
    ratio = out["score_ms_median"] / max(out["keyword_ms_median"], 1e-6)
    out["ratio_score_to_keyword"] = ratio
    threads = getattr(getattr(inner, "_session", None), "get_session_options", lambda: None)()
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} (times grow with other work on the machine)"
          + (f"; onnxruntime intra-op threads {threads.intra_op_num_threads}" if threads is not None else ""))
    print(f"model load (all-MiniLM-L6-v2 int8 ONNX): {load_s:.2f} s (goal < 2 s)")
    print(f"first answer to a case (encodes its phrasings, then scores): median {out['first_answer_case_ms_median']:.0f}"
          f" ms, p90 {out['first_answer_case_ms_p90']:.0f} ms over {len(first_case)} cases; the first case of a "
          f"process also encodes the generic rubric: {first_fresh:.0f} ms")
    print(f"score one answer ({len(warm)} labelled answers, model loaded, case warm, sentences not seen before, "
          f"best of {REPEATS}): median {out['score_ms_median']:.1f} ms, p90 {out['score_ms_p90']:.1f} ms, "
          f"max {out['score_ms_max']:.1f} ms (goal < 100 ms)")
    print(f"  of which encoding the sentences: median {out['encode_ms_median']:.1f} ms; the same scorer without "
          f"embeddings: median {out['lexical_ms_median']:.1f} ms; re-scoring an answer whose sentences are in the "
          f"in-memory LRU: median {out['rescore_ms_median']:.1f} ms")
    print(f"baseline keyword match of the same answers: median {out['keyword_ms_median']:.2f} ms; "
          f"ratio scorer/baseline {ratio:.0f}x (same run)")
    return out


if __name__ == "__main__":
    run()
