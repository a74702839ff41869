"""Case and estimation practice: the bank, one question, and scoring an answer (recorded as an attempt).

A pasted prompt that is not in the bank is scored on the rubric of the bank case it matches, or on the
generic rubric widened with its nearest cases (``core.judgement.free``); the result says which and how
sure, and the attempt is recorded with the prompt's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pmdrill.app import records
from pmdrill.context import Context
from pmdrill.core.coach.dimensions import from_case_dimensions
from pmdrill.core.items import Flag, Outcome, adhoc_id, item_id, split_id
from pmdrill.core.judgement import free, loader
from pmdrill.core.judgement.model import KINDS, Case
from pmdrill.errors import NotFoundError, UsageError

MAX_ANSWER_CHARS = 20_000


def namespaced(case: Case) -> str:
    """``est:<id>`` for an estimation question, ``case:<id>`` otherwise."""
    return item_id("est" if case.kind == "estimation" else "case", case.id)


def case(ctx: Context, cid: str) -> Case:
    """A case or estimation question by bank id, ``case:`` or ``est:`` id."""
    kind, bare = split_id(cid)
    if kind not in (None, "case", "est"):
        raise NotFoundError(f"{cid!r} is not a case or estimation question id")
    return loader.get_case(bare, ctx.case_bank())


def list_cases(ctx: Context, *, kind: str | None = None) -> list[dict[str, Any]]:
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})", where="--kind")
    from pmdrill.app import coach

    states = coach.item_states(ctx)
    rows = []
    for c in ctx.case_bank().values():
        if kind is None or c.kind == kind:
            state = states.get(namespaced(c), {})
            rows.append({**c.summary(), "status": state.get("status", "unsolved"), "due": bool(state.get("due"))})
    return rows


def show(ctx: Context, cid: str, *, model_answer: bool = False) -> dict[str, Any]:
    """The question and its rubric (the model answer only when asked). Starts its clock."""
    c = case(ctx, cid)
    if model_answer:
        records.note(ctx, namespaced(c), model_answer_seen=True, hints=len(c.hints) + 1)
    else:
        records.note(ctx, namespaced(c))
    return c.to_dict(model_answer=model_answer)


@dataclass
class CaseScore:
    """One scored answer: the scorer's result, the shared result shape, the recorded attempt."""

    result: dict[str, Any]
    outcome: Outcome
    attempt_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.result, "item_id": self.outcome.item_id,
                "committee": self.outcome.to_dict()["dimensions"], "flags": self.outcome.to_dict()["flags"],
                "attempt_id": self.attempt_id, "recorded": self.attempt_id is not None}


def outcome_of(c: Case, result: dict[str, Any], iid: str) -> Outcome:
    flags = [Flag(f["code"], f["message"], f.get("evidence", "")) for f in result["red_flags"]]
    topics = (c.kind, *c.tags)
    return Outcome(iid, split_id(iid)[0] or "case", c.title, bool(result["passed"]), float(result["score"]),
                   from_case_dimensions(result["dimensions"]), flags, topics, result)


def check_answer_text(text: str, where: str) -> str:
    if not text.strip():
        raise UsageError("the answer is empty", where=where)
    if len(text) > MAX_ANSWER_CHARS:
        raise UsageError(f"the answer is {len(text):,} characters; the most is {MAX_ANSWER_CHARS:,}", where=where)
    return text


def rubric_for(ctx: Context, prompt: str) -> free.Choice:
    """The rubric a pasted prompt is scored on: a close bank case's, or the generic one widened."""
    bank = ctx.case_bank()
    embedder = ctx.scorer.embedder
    vectors, ids = ctx.memo("case-vectors", lambda: free.bank_vectors(bank, embedder))
    return free.rubric_for(prompt, loader.generic_case(prompt), bank, embedder, vectors, ids)


def score(ctx: Context, cid: str | None, answer: str, *, prompt: str | None = None, use_llm: bool = False,
          record: bool | None = None, mock_id: str | None = None, seconds: float | None = None,
          source: str | None = None, where: str = "answer", timed: bool = True) -> CaseScore:
    """Score ``answer``: dimensions, a 0-100 score, red flags with the sentence that raised them."""
    if (cid is None) == (prompt is None):
        raise UsageError("give either a question ID or --prompt TEXT")
    check_answer_text(answer, where)
    if prompt is not None:
        if not prompt.strip():
            raise UsageError("the prompt is empty", where="--prompt")
        choice = rubric_for(ctx, prompt)
        c = choice.case
        iid = adhoc_id("case", prompt)
    else:
        assert cid is not None
        choice = None
        c = case(ctx, cid)
        iid = namespaced(c)
    scorer = ctx.scorer
    result = scorer.score(c, answer).to_dict()
    if choice is not None:
        result["rubric"] = choice.to_dict()
    save = getattr(scorer, "save_cache", None)
    if save is not None:
        save()
    if use_llm:
        from pmdrill.adapters.scoring import ask_llm

        result["llm"] = ask_llm(ctx.settings, c, answer)
    outcome = outcome_of(c, result, iid)
    out = CaseScore(result, outcome)
    recording = ctx.settings.record if record is None else record
    if recording:
        state = records.pending(ctx, iid)
        at = records.now()
        taken = seconds if seconds is not None or not timed else records.seconds_since_shown(state, at)
        attempt = records.record(ctx, outcome, answer=answer, hints_used=int(state.get("hints", 0)), seconds=taken,
                                 prompt_text=prompt, mock_id=mock_id, source=source,
                                 question_hash=records.content_hash(c.prompt, c.model_answer), submitted_at=at,
                                 had_pending=bool(state))
        out.attempt_id = attempt.id
    return out
