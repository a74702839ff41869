"""Score a free-text answer to a case: dimension scores, a 0-100 score, red flags with evidence, `missing`.

Credit saturates per dimension, counts each concept once, caps what one sentence can earn and discounts
bare lists, so length and keyword stuffing do not pay; red flags fire only on what the answer proposes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmdrill.core.judgement import decision
from pmdrill.core.judgement import estimate as est
from pmdrill.core.judgement.embed import Embedder
from pmdrill.core.judgement.match import (
    CONCEPT_THRESHOLD,
    FLAG_THRESHOLD,
    Hit,
    Prepared,
    concept_hits,
    flag_hit,
    prepare,
    similarities,
)
from pmdrill.core.judgement.model import Case, Dimension
from pmdrill.core.judgement.stance import proposes
from pmdrill.core.judgement.text import Sentence, split_sentences

# Bump when a score can change for the same answer; recorded with each attempt (see `pmdrill regrade`).
SCORER_VERSION = "2"
FRAGMENT_CREDIT = 0.3        # a concept named in a sentence with no verb or decision (a bare list item)
GENERIC_CREDIT = 0.5         # a generic concept inside a case that has its own concepts
PER_SENTENCE_CAP = 3         # content concepts one sentence can earn
LIST_CONCEPTS = 4            # this many concepts in one sentence with no reasoning is a list
FORM_DIMENSIONS = ("structure", "communication")
LIST_PENALTY = 10.0
LIST_REASONING = 0.34        # below this share of reasoning sentences, a list sentence is flagged


@dataclass
class DimensionScore:
    name: str
    title: str
    weight: float
    score: float
    asked: bool = True               # listed by the case; an unasked dimension only counts if it helps
    matched: list[dict[str, Any]] = field(default_factory=list)
    counted: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "weight": self.weight, "score": round(self.score, 3),
                "asked": self.asked, "counted": self.counted, "matched": self.matched}


@dataclass
class ScoreResult:
    case_id: str
    score: float
    pass_mark: float
    dimensions: list[DimensionScore]
    red_flags: list[dict[str, Any]]
    missing: list[dict[str, str]]
    sentences: int
    embedder: str
    elapsed_ms: float = 0.0
    estimate: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark

    def to_dict(self) -> dict[str, Any]:
        out = {"case_id": self.case_id, "score": round(self.score, 1), "pass_mark": self.pass_mark,
               "passed": self.passed, "dimensions": [d.to_dict() for d in self.dimensions],
               "red_flags": self.red_flags, "missing": self.missing, "sentences": self.sentences,
               "embedder": self.embedder, "elapsed_ms": round(self.elapsed_ms, 1)}
        if self.estimate is not None:
            out["estimate"] = self.estimate
        return out


def aggregate(dims: list[DimensionScore]) -> float:
    """0-100: weighted mean of the asked dimensions; an unasked one joins only if it raises the mean.

    Example:
        >>> aggregate([DimensionScore("a", "A", 2, 1.0), DimensionScore("b", "B", 1, 0.4),
        ...            DimensionScore("c", "C", 1, 0.0, asked=False)])
        80.0
    """
    counted = [d for d in dims if d.asked]
    for extra in sorted((d for d in dims if not d.asked), key=lambda d: -d.score):
        weight = sum(d.weight for d in counted)
        mean = sum(d.weight * d.score for d in counted) / weight if weight else 0.0
        if extra.score > mean or not counted:
            counted.append(extra)
    for d in dims:
        d.counted = d in counted
    weight = sum(d.weight for d in counted) or 1.0
    return 100.0 * sum(d.weight * d.score for d in counted) / weight


DECISION_MARGIN = 5.0  # a wrong recommendation ends at least this far below the pass mark


class Scorer:
    """Scores answers; keeps each case's encoded phrasings so a second answer costs only its sentences."""

    def __init__(self, embedder: Embedder | None, concept_threshold: float = CONCEPT_THRESHOLD,
                 flag_threshold: float = FLAG_THRESHOLD) -> None:
        self.embedder = embedder
        self.concept_threshold = concept_threshold
        self.flag_threshold = flag_threshold
        self._prepared: dict[tuple[str, str], Prepared] = {}

    def prepared(self, case: Case) -> Prepared:
        key = (case.id, case.path)
        if key not in self._prepared:
            self._prepared[key] = prepare(case, self.embedder)
        return self._prepared[key]

    def score(self, case: Case, answer: str) -> ScoreResult:
        started = time.perf_counter()
        sentences = split_sentences(answer)
        prep = self.prepared(case)
        vectors = self._encode_answer([s.text for s in sentences]) if sentences else None
        sims = similarities(prep, vectors)
        credits, matched = self._credits(case, sentences, sims, prep)
        dims = [self._dimension(case, d, credits, matched, sentences) for d in case.dimensions]
        estimate = None
        if case.range is not None:
            found = est.check([s.text for s in sentences], case.range)
            estimate = {**found.to_dict(), "range": case.range.to_dict()}
            for d in dims:
                if d.name == "estimate":
                    d.score = found.score
                    if found.value is not None:
                        d.matched.append({"concept": "final_number", "sentence": found.text, "via": "number"})
        flags = self._red_flags(case, sentences, sims, prep, matched)
        base = aggregate(dims)
        final = max(0.0, min(100.0, base - sum(f["penalty"] for f in flags)))
        if any(f.get("via") == "decision" for f in flags):
            # the recommendation itself goes against the evidence: a committee fails it however it is worded
            final = min(final, max(0.0, case.pass_mark - DECISION_MARGIN))
        return ScoreResult(case_id=case.id, score=final, pass_mark=case.pass_mark, dimensions=dims,
                           red_flags=flags, missing=self._missing(case, dims, credits, estimate),
                           sentences=len(sentences), embedder=self.embedder.name if self.embedder else "none",
                           elapsed_ms=(time.perf_counter() - started) * 1000, estimate=estimate)

    def _encode_answer(self, texts: list[str]) -> np.ndarray | None:
        """Vectors of an answer's sentences, in one model call for the sentences not seen recently."""
        if self.embedder is None:
            return None
        # answers bypass the phrasing cache: they must not be written to disk; a small in-memory LRU
        # remembers recent sentences so a re-scored, edited answer only encodes what changed
        transient = getattr(self.embedder, "encode_transient", None)
        if transient is not None:
            return transient(texts)  # type: ignore[no-any-return]
        raw = getattr(self.embedder, "inner", self.embedder)
        return raw.encode(texts)

    def _credits(self, case: Case, sentences: list[Sentence], sims: dict[str, np.ndarray],
                 prep: Prepared) -> tuple[dict[str, float], dict[str, list[tuple[Hit, float]]]]:
        """Best credit per concept id over sentences, after the per-sentence cap."""
        own = {d.name: any(not c.generic for c in d.concepts) for d in case.dimensions}
        credits: dict[str, float] = {}
        matched: dict[str, list[tuple[Hit, float]]] = {}
        for sent in sentences:
            content: list[tuple[Hit, float, str]] = []
            for dim in case.dimensions:
                for concept in dim.concepts:
                    hit = concept_hits(sent, concept, sims, prep.words, self.concept_threshold)
                    if hit is None:
                        continue
                    credit = concept.weight * (FRAGMENT_CREDIT if sent.is_fragment else 1.0)
                    if concept.generic and own[dim.name]:
                        credit *= GENERIC_CREDIT
                    content.append((hit, credit, dim.name))
            # the cap: a stuffed sentence earns its two best content concepts; form concepts are free
            form = [c for c in content if c[2] in FORM_DIMENSIONS]
            # ordered by what they add to the answer so far, so a repeated concept does not crowd out a new one
            rest = sorted((c for c in content if c[2] not in FORM_DIMENSIONS),
                          key=lambda c: (-(c[1] - credits.get(c[0].key, 0.0)), c[0].via != "pattern",
                                         -c[0].similarity))
            for hit, credit, _ in form + rest[:PER_SENTENCE_CAP]:
                key = hit.key
                matched.setdefault(key, []).append((hit, credit))
                credits[key] = max(credits.get(key, 0.0), credit)
            if len(rest) >= LIST_CONCEPTS and sent.is_fragment and not sent.reasons:
                matched.setdefault("__lists__", []).append((rest[0][0], 0.0))
        return credits, matched

    def _dimension(self, case: Case, dim: Dimension, credits: dict[str, float],
                   matched: dict[str, list[tuple[Hit, float]]], sentences: list[Sentence]) -> DimensionScore:
        total = sum(credits.get(c.id, 0.0) for c in dim.concepts)
        score = min(1.0, total / dim.need) if dim.concepts else 0.0
        if dim.name == "communication" and sentences:
            # reasoning must connect the answer, not sit in one sentence: share of sentences that reason
            full = [s for s in sentences if not s.is_fragment]
            reasoning = sum(1 for s in full if s.reasons) / max(len(sentences), 1)
            fragments = 1 - len(full) / len(sentences)
            score = (0.6 * score + 0.4 * min(1.0, reasoning / 0.3)) * (1 - 0.5 * fragments)
        out = DimensionScore(dim.name, dim.title, dim.weight, score, asked=dim.asked)
        for c in dim.concepts:
            for hit, credit in matched.get(c.id, [])[:1]:
                out.matched.append({"concept": c.id, "label": c.label, "sentence": sentences[hit.sentence].text,
                                    "via": hit.via, "similarity": round(hit.similarity, 3),
                                    "credit": round(credit, 2)})
        return out

    def _red_flags(self, case: Case, sentences: list[Sentence], sims: dict[str, np.ndarray], prep: Prepared,
                   matched: dict[str, list[tuple[Hit, float]]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for flag in case.red_flags:
            for sent in sentences:
                if not proposes(sent):
                    continue
                hit = flag_hit(sent, flag, sims, prep.words, self.flag_threshold)
                if hit is not None:
                    out.append({"code": flag.code, "message": flag.message, "evidence": sent.text,
                                "penalty": flag.penalty, "via": hit.via})
                    break
        # the answer's decision against what the question or the answer states (core.judgement.decision)
        known = {f["code"] for f in out}
        flags = {f.code: f for f in case.red_flags}
        for code, evidence in decision.read(case.prompt, sentences):
            if code in flags and code not in known:
                known.add(code)
                out.append({"code": code, "message": flags[code].message, "evidence": evidence,
                            "penalty": flags[code].penalty, "via": "decision"})
        lists = matched.get("__lists__", [])
        fragments = [s for s in sentences if s.is_fragment]
        lists += [(Hit("list", s.index, "structure", 0.0, "endorse"), 0.0) for s in fragments
                  if s.text.count(",") >= 3 and not s.decides]
        reasoning = sum(1 for s in sentences if s.reasons and not s.is_fragment) / max(len(sentences), 1)
        # a list is fine inside a reasoned answer; a list that *is* the answer is not
        if (lists and reasoning < LIST_REASONING) or (len(fragments) >= 3 and len(fragments) * 2 >= len(sentences)):
            evidence = sentences[lists[0][0].sentence].text if lists else fragments[0].text
            out.append({"code": "list_without_reasoning", "penalty": LIST_PENALTY, "evidence": evidence,
                        "message": "metrics are listed with no decision or reasoning connecting them; say which "
                                   "one decides, why, and what would change your mind", "via": "structure"})
        return out

    @staticmethod
    def _missing(case: Case, dims: list[DimensionScore], credits: dict[str, float],
                 estimate: dict[str, Any] | None) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        by_name = {d.name: d for d in case.dimensions}
        for d in sorted(dims, key=lambda d: (d.score >= 0.999, -d.weight * (1 - d.score))):
            if d.score >= 0.999 or d.name not in by_name:
                continue
            todo = [c for c in by_name[d.name].concepts if credits.get(c.id, 0.0) < c.weight * 0.99]
            todo.sort(key=lambda c: (c.generic, -c.weight))
            for c in todo[:2]:
                out.append({"dimension": d.name, "concept": c.id, "label": c.label})
        if estimate is not None and not estimate["in_range"]:
            rng = estimate["range"]
            out.insert(0, {"dimension": "estimate", "concept": "final_number",
                           "label": f"a final number with its unit, sanity-checked (a plausible answer lies "
                                    f"between {rng['low']:g} and {rng['high']:g} {rng['unit']})"})
        return out[:10]
