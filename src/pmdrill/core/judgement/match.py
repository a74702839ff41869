"""Find where an answer's sentences express a rubric concept or a red flag, and with what stance.

A concept matches a sentence when one of its patterns hits or the sentence embedding is close enough to one
of its phrasings; the stance of the matched words decides whether the match earns credit.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from pmdrill.core.judgement.embed import Embedder
from pmdrill.core.judgement.model import Case, Concept, RedFlag
from pmdrill.core.judgement.stance import (
    ENDORSE,
    HEDGE,
    REJECT,
    clause_stance,
    in_guardrail_clause,
    sentence_has_rejection,
    stance_at,
)
from pmdrill.core.judgement.text import Sentence, content_words

# Tuned on tests/data/labelled_answers.yaml (see tests/test_judgement_agreement.py): below ~0.55
# MiniLM starts matching sentences that share only the topic; red flags need a closer paraphrase.
CONCEPT_THRESHOLD = 0.57
FLAG_THRESHOLD = 0.70


@dataclass(frozen=True)
class Hit:
    """One concept (or red flag) expressed in one sentence."""

    key: str             # concept id or red flag code
    sentence: int
    via: str             # "pattern" or "semantic"
    similarity: float
    stance: str


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=16384)
def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(word) + r"\b")


@dataclass
class Prepared:
    """A case's phrasings encoded once: one matrix, and which rows belong to which key."""

    keys: list[str]
    rows: dict[str, np.ndarray]
    matrix: np.ndarray
    words: dict[str, set[str]]
    # the keys that have phrasings, in row order, and where each one's block of rows starts: every key's
    # rows are one contiguous block, so the best similarity per key is one ``np.maximum.reduceat``
    segment_keys: list[str] = field(default_factory=list)
    segment_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def prepare(case: Case, embedder: Embedder | None) -> Prepared:
    items: list[tuple[str, tuple[str, ...]]] = [(c.id, c.phrasings) for d in case.dimensions for c in d.concepts]
    items += [("flag:" + f.code, f.phrasings) for f in case.red_flags]
    keys: list[str] = []
    texts: list[str] = []
    rows: dict[str, np.ndarray] = {}
    words: dict[str, set[str]] = {}
    for key, phrasings in items:
        if key in rows:
            continue
        idx = list(range(len(texts), len(texts) + len(phrasings)))
        texts.extend(phrasings)
        rows[key] = np.array(idx, dtype=np.int64)
        keys.append(key)
        words[key] = set().union(*(content_words(p) for p in phrasings)) if phrasings else set()
    if embedder is not None and texts:
        matrix = embedder.encode(texts)
    else:
        matrix = np.zeros((0, 384), dtype=np.float32)
    segment_keys = [k for k in keys if len(rows[k])]
    starts = np.array([int(rows[k][0]) for k in segment_keys], dtype=np.int64)
    return Prepared(keys=keys, rows=rows, matrix=matrix, words=words, segment_keys=segment_keys,
                    segment_starts=starts)


def similarities(prepared: Prepared, sentence_vectors: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per key, the best cosine similarity of each sentence to any of its phrasings.

    One matrix product (sentences x phrasings), then one max per key's block of columns.
    """
    if sentence_vectors is None or not len(prepared.matrix) or not len(sentence_vectors):
        return {}
    sims = sentence_vectors @ prepared.matrix.T
    if not prepared.segment_keys:
        return {k: sims[:, r].max(axis=1) for k, r in prepared.rows.items() if len(r)}
    best = np.maximum.reduceat(sims, prepared.segment_starts, axis=1).T  # one row per key
    return dict(zip(prepared.segment_keys, best, strict=True))


def _pattern_stances(sent: Sentence, patterns: tuple[str, ...], strict: bool) -> list[str]:
    """Stance of each pattern hit; ``strict`` (red flags): any rejecting clause the hit spans rejects it."""
    out = []
    for p in patterns:
        for m in _compiled(p).finditer(sent.lower):
            stance = stance_at(sent, m.start(), m.end())
            if strict and in_guardrail_clause(sent, m.start(), m.end()):
                stance = HEDGE  # watched as a guardrail, not proposed as the goal
            elif strict and stance != REJECT and any(
                    a < m.end() and m.start() < b and clause_stance(sent, (a, b)) == REJECT
                    for a, b in sent.clauses):
                # "a click only proves curiosity, so CTR is the wrong success metric" proposes nothing
                stance = REJECT
            out.append(stance)
    return out


def _semantic_stance(sent: Sentence, words: set[str], desired: str) -> str:
    """Stance of a semantic match: the majority stance of the concept's words found in the sentence."""
    votes: Counter[str] = Counter()
    for w in words:
        for m in _word_pattern(w).finditer(sent.lower):
            votes[stance_at(sent, m.start(), m.end())] += 1
    if not votes:
        return REJECT if sentence_has_rejection(sent) else ENDORSE
    if desired == REJECT and votes[REJECT]:
        # the sentence is about the concept (similarity) and rejects one of its terms: that is the rejection
        return REJECT
    best = max(votes.values())
    winners = [s for s, n in votes.items() if n == best]
    # a tie is resolved against the stance that would earn credit: no credit on doubt
    return winners[0] if len(winners) == 1 else next((s for s in winners if s != desired), winners[0])


def _earns(stance: str, wanted: str) -> bool:
    if wanted == "any":
        return True
    if wanted == REJECT:
        return stance == REJECT
    return stance != REJECT  # endorse or hedge ("not just CTR")


def concept_hits(sent: Sentence, concept: Concept, sims: dict[str, np.ndarray], words: dict[str, set[str]],
                 threshold: float = CONCEPT_THRESHOLD) -> Hit | None:
    """The hit of a concept in a sentence, if its stance earns credit."""
    stances = _pattern_stances(sent, concept.patterns, strict=False)
    if stances:
        good = [s for s in stances if _earns(s, concept.stance)]
        if good:
            return Hit(concept.id, sent.index, "pattern", 1.0, good[0])
    sim = float(sims[concept.id][sent.index]) if concept.id in sims else 0.0
    if sim >= threshold and not stances:
        stance = _semantic_stance(sent, words.get(concept.id, set()), concept.stance)
        if _earns(stance, concept.stance):
            return Hit(concept.id, sent.index, "semantic", sim, stance)
    return None


def flag_hit(sent: Sentence, flag: RedFlag, sims: dict[str, np.ndarray], words: dict[str, set[str]],
             threshold: float = FLAG_THRESHOLD) -> Hit | None:
    """A red flag fires on a sentence that proposes the flagged idea (never when it rejects it)."""
    stances = _pattern_stances(sent, flag.patterns, strict=True)
    if any(s == ENDORSE for s in stances):
        return Hit(flag.code, sent.index, "pattern", 1.0, ENDORSE)
    key = "flag:" + flag.code
    sim = float(sims[key][sent.index]) if key in sims else 0.0
    if sim >= threshold and not stances and not sentence_has_rejection(sent):
        stance = _semantic_stance(sent, words.get(key, set()), ENDORSE)
        if stance == ENDORSE:
            return Hit(flag.code, sent.index, "semantic", sim, stance)
    return None
