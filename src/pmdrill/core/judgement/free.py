"""A rubric for a question the bank does not hold (`case score --prompt`).

The prompt is compared with every bank case's question. When one is close enough, its rubric is used —
its concepts and red flags were written for that situation — and the answer is judged as well as a bank
answer. Otherwise the generic rubric is used, widened with the concepts and red flags of the nearest
cases (each counted as generic), so a paywall question still knows about lost completions. Either way the
generic EdTech judgement layer of ``_generic.yaml`` applies (vanity metrics as success, notifications for
logins, easier tests, shipping on clicks, a sample ratio mismatch, a correlation read as cause, ...), and
the result says which rubric it used and how sure it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pmdrill.core.judgement.model import DIMENSIONS, Case, Dimension, RedFlag

# Cosine similarity (MiniLM) of a prompt to a bank case's question: at or above MATCH it is the same
# situation and the case's own rubric applies; between RELATED and MATCH the case lends its concepts and
# red flags to the generic rubric. Set on the bank's own questions, each left out in turn
# (tests/test_judgement_free.py), never on the held-out prompts.
MATCH = 0.72
RELATED = 0.45
NEIGHBOURS = 3
# Pass marks of a borrowed rubric. Calibrated on the bank's labelled answers scored through this path
# with their own case left out (219 answers: tests/data/labelled_*.yaml), never on the held-out prompts:
# a rubric written for a neighbouring question finds less of a strong answer than its own would, so a
# matched case passes at its own mark less MATCH_EASE, and the generic rubric at GENERIC_PASS (on that
# dev set: 75 of 94 strong answers pass clean at 45, 89 of 103 weak ones fail; at 60, 55 and 101).
GENERIC_PASS = 45.0
MATCH_EASE = 10.0


@dataclass(frozen=True)
class Choice:
    """The rubric a free prompt is scored against, and why."""

    case: Case
    source: str                              # "bank" (a bank case's rubric) or "generic"
    nearest: tuple[tuple[str, float], ...]   # bank cases by similarity to the prompt, best first
    confidence: float                        # 0-1: how sure the rubric fits the prompt

    def to_dict(self) -> dict[str, Any]:
        best = self.nearest[0] if self.nearest else None
        return {"source": self.source, "case_id": best[0] if self.source == "bank" and best else None,
                "confidence": round(self.confidence, 2),
                "nearest": [{"case_id": c, "similarity": round(s, 3)} for c, s in self.nearest],
                "label": self.label}

    @property
    def label(self) -> str:
        if self.source == "bank" and self.nearest:
            return f"the rubric of bank case {self.nearest[0][0]} (a close match)"
        lent = [c for c, s in self.nearest if s >= RELATED]
        return "the generic rubric" + (f", widened with {', '.join(lent)}" if lent else "")


def _text(case: Case) -> str:
    return f"{case.title}. {case.prompt}"


def nearest(prompt_vec: np.ndarray, bank: dict[str, Case], vectors: np.ndarray, ids: list[str],
            exclude: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
    sims = vectors @ prompt_vec
    order = np.argsort(-sims)
    return [(ids[i], float(sims[i])) for i in order if ids[i] not in exclude]


def _confidence(best: float, second: float, matched: bool) -> float:
    """A match is surer the closer and the more clearly ahead of the runner-up it is; the generic rubric
    is surer the farther the prompt is from every bank case (nothing specific was missed)."""
    if matched:
        return float(min(1.0, 0.5 + (best - MATCH) * 2.5 + (best - second)))
    return float(min(0.9, max(0.3, 0.9 - max(0.0, best - RELATED) * 2.0)))


def choose(prompt: str, generic: Case, bank: dict[str, Case], prompt_vec: np.ndarray | None,
           vectors: np.ndarray | None, ids: list[str], *, exclude: frozenset[str] = frozenset()) -> Choice:
    """The rubric for ``prompt``: a close bank case's, or the generic one widened by its neighbours."""
    if prompt_vec is None or vectors is None or not ids:
        return Choice(replace(generic, prompt=prompt.strip(), pass_mark=GENERIC_PASS), "generic", (), 0.3)
    # an estimation case's rubric checks a number's range: never lent to another question
    skip = exclude | {i for i in ids if bank[i].range is not None}
    ranked = nearest(prompt_vec, bank, vectors, ids, frozenset(skip))[:NEIGHBOURS]
    best = ranked[0][1] if ranked else 0.0
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if ranked and best >= MATCH:
        base = bank[ranked[0][0]]
        case = replace(base, id="custom", title="Your question", prompt=prompt.strip(),
                       path=f"{base.path}#free", model_answer="", evidence=(), hints=(),
                       pass_mark=max(GENERIC_PASS, base.pass_mark - MATCH_EASE))
        return Choice(case, "bank", tuple(ranked), _confidence(best, second, True))
    lenders = [bank[c] for c, s in ranked if s >= RELATED]
    case = widen(generic, lenders)
    case = replace(case, prompt=prompt.strip(), path="generic#" + "+".join(c.id for c in lenders),
                   pass_mark=GENERIC_PASS)
    return Choice(case, "generic", tuple(ranked), _confidence(best, second, False))


def bank_vectors(bank: dict[str, Case], embedder: Any) -> tuple[np.ndarray | None, list[str]]:
    """The bank questions' vectors (cached by the embedder like any rubric text), in ``ids`` order."""
    ids = list(bank)
    if embedder is None or not ids:
        return None, ids
    return np.asarray(embedder.encode([_text(bank[i]) for i in ids])), ids


def rubric_for(prompt: str, generic: Case, bank: dict[str, Case], embedder: Any,
               vectors: np.ndarray | None, ids: list[str]) -> Choice:
    """``choose`` with the prompt encoded (transiently: a pasted prompt is never written to disk)."""
    if embedder is None or vectors is None:
        return choose(prompt, generic, bank, None, None, ids)
    encode = getattr(embedder, "encode_transient", embedder.encode)
    return choose(prompt, generic, bank, np.asarray(encode([prompt.strip()]))[0], vectors, ids)


def widen(generic: Case, lenders: list[Case]) -> Case:
    """The generic rubric plus the case-specific concepts and red flags of ``lenders``, counted as
    generic (a borrowed concept is evidence of judgement, not the case's own answer)."""
    dims: dict[str, Dimension] = {d.name: d for d in generic.dimensions}
    for name in DIMENSIONS:
        if name not in dims:
            continue
        seen = {c.id for c in dims[name].concepts}
        extra = []
        for lender in lenders:
            for d in lender.dimensions:
                if d.name != name:
                    continue
                for c in d.concepts:
                    if not c.generic and c.id not in seen:
                        seen.add(c.id)
                        extra.append(replace(c, generic=True))
        if extra:
            dims[name] = replace(dims[name], concepts=dims[name].concepts + tuple(extra))
        # what this kind of question asks, and how much each part weighs: as the neighbours do
        theirs = [d for lender in lenders for d in lender.dimensions if d.name == name]
        if theirs:
            asked = sum(d.asked for d in theirs) * 2 >= len(lenders)
            dims[name] = replace(dims[name], weight=sum(d.weight for d in theirs) / len(lenders),
                                 need=sum(d.need for d in theirs) / len(theirs), asked=asked)
    flags: list[RedFlag] = list(generic.red_flags)
    codes = {f.code for f in flags}
    for lender in lenders:
        for f in lender.red_flags:
            if f.code not in codes:
                codes.add(f.code)
                flags.append(f)
    return replace(generic, dimensions=tuple(dims[d.name] for d in generic.dimensions), red_flags=tuple(flags))
