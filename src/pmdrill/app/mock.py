"""Mock interviews: a timed round weighted to the weak areas, each answer recorded the moment it is
submitted, resumable after a crash, and debriefed like a hiring committee (text, HTML, JSON).
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from pmdrill.app import case_practice, records, sql_practice
from pmdrill.app.coach import catch_up_reviews, practice_catalog
from pmdrill.context import Context
from pmdrill.core.coach import debrief as debriefing
from pmdrill.core.coach import mock as assembly
from pmdrill.core.coach.debrief_html import render_html
from pmdrill.core.coach.records import Attempt, MockQuestion, MockRecord
from pmdrill.core.items import split_id
from pmdrill.errors import NotFoundError, UsageError

FOCUSES = assembly.FOCUSES
RECENT_DAYS = 14


def _skills(ctx: Context) -> dict[str, float | None]:
    """Committee dimensions and SQL topics (``topic:<name>``) with their latest scores, for weighting."""
    from pmdrill.app.coach import progress

    data = progress(ctx)
    out: dict[str, float | None] = {name: d["latest"] for name, d in data["dimensions"].items()}
    for topic, t in data["topics"].items():
        out[f"topic:{topic}"] = None if t["accuracy"] is None else 100.0 * t["accuracy"]
    return out


def _recent(ctx: Context) -> set[str]:
    since = records.now() - dt.timedelta(days=RECENT_DAYS)
    return {a.item_id for a in ctx.tracker.attempts(since=since, light=True)}


def questions_for(ctx: Context, *, seed: int, focus: str = "mixed", minutes: int = 45) -> list[MockQuestion]:
    """The questions of a seeded round (the same seed and history give the same round)."""
    return assembly.assemble(practice_catalog(ctx), focus=focus, minutes=minutes, seed=seed,
                             skills=_skills(ctx), recent=_recent(ctx))


def show(ctx: Context, *, seed: int, focus: str = "mixed", minutes: int = 45) -> dict[str, Any]:
    """A seeded round's questions and the answer file each expects (for `mock run --answers DIR`)."""
    qs = questions_for(ctx, seed=seed, focus=focus, minutes=minutes)
    return {"seed": seed, "focus": focus, "minutes": minutes,
            "questions": [{**q.to_dict(), **({"plan_file": assembly.plan_file(q)} if q.kind == "sql" else {})}
                          for q in qs]}


def start(ctx: Context, *, focus: str = "mixed", minutes: int = 45, seed: int | None = None) -> MockRecord:
    """Start a round: its questions are fixed and stored now, so a crash cannot change them."""
    running = ctx.tracker.running_mock()
    if running is not None:
        raise UsageError(f"mock {running.uid} is still running: `pmdrill mock resume` to continue it, or "
                         f"`pmdrill mock abandon` to drop it")
    seed = secrets.randbelow(1_000_000) if seed is None else seed
    qs = questions_for(ctx, seed=seed, focus=focus, minutes=minutes)
    mock = MockRecord(uid=f"m-{secrets.token_hex(4)}", seed=seed, focus=focus, minutes=minutes, questions=qs,
                      started_at=records.now(), user=ctx.user)
    return ctx.tracker.start_mock(mock)


def get(ctx: Context, uid: str | None = None) -> MockRecord:
    """A mock by id; without one, the running mock (else the latest)."""
    if uid is not None:
        return ctx.tracker.mock(uid)
    running = ctx.tracker.running_mock()
    if running is not None:
        return running
    mocks = ctx.tracker.mocks()
    if not mocks:
        raise NotFoundError("no mock yet: start one with `pmdrill mock start`")
    return mocks[0]


def answers(ctx: Context, mock: MockRecord) -> dict[str, Attempt]:
    """The recorded answer to each question of the round (the last one when answered twice)."""
    out: dict[str, Attempt] = {}
    for a in ctx.tracker.attempts(mock_id=mock.uid):
        out[a.item_id] = a
    return out


def state(ctx: Context, mock: MockRecord) -> dict[str, Any]:
    """Where a round stands: answered questions, the next one, time used and left."""
    done = answers(ctx, mock)
    used = sum(a.seconds or 0.0 for a in done.values())
    pending = [q for q in mock.questions if q.id not in done]
    return {"mock": mock.to_dict(), "answered": [q.id for q in mock.questions if q.id in done],
            "next": pending[0].to_dict() if pending else None, "used_s": round(used, 1),
            "left_s": round(mock.minutes * 60 - used, 1)}


def question_view(ctx: Context, q: MockQuestion) -> dict[str, Any]:
    """What the candidate sees for one question of the round (never its solution)."""
    if q.kind == "sql":
        data = sql_practice.show(ctx, q.id)
        return {"id": q.id, "kind": q.kind, "title": data["title"], "prompt": data["framing"],
                "tables": data["table_columns"], "minutes": q.minutes, "slot": q.slot}
    c = case_practice.case(ctx, q.id)
    records.note(ctx, q.id)  # the clock of this question starts now
    return {"id": q.id, "kind": q.kind, "title": c.title, "prompt": c.prompt.strip(), "minutes": q.minutes,
            "slot": q.slot, "unit": c.range.unit if c.range is not None else None}


def answer(ctx: Context, mock: MockRecord, question_id: str, text: str, *, seconds: float | None = None,
           plan: str | None = None, timed: bool = True) -> dict[str, Any]:
    """Grade and record one answer of the round (committed before this returns). The time taken is
    ``seconds``, else the time since the question was shown; ``timed=False`` records none (from files)."""
    if mock.status != "running":
        raise UsageError(f"mock {mock.uid} is {mock.status}; start a new one with `pmdrill mock start`")
    q = next((x for x in mock.questions if x.id == question_id), None)
    if q is None:
        raise NotFoundError(f"{question_id} is not a question of mock {mock.uid}")
    if q.kind == "sql":
        if plan and plan.strip():
            sql_practice.logic(ctx, q.id, plan)
        result = sql_practice.check(ctx, q.id, text, record=True, mock_id=mock.uid, seconds=seconds, source="mock",
                                    timed=timed)
        return result.to_dict()
    scored = case_practice.score(ctx, q.id, text, record=True, mock_id=mock.uid, seconds=seconds, source="mock",
                                 timed=timed)
    return scored.to_dict()


def model_answers(ctx: Context, mock: MockRecord) -> dict[str, str]:
    out = {}
    for q in mock.questions:
        if q.kind == "sql":
            sq = sql_practice.question(ctx, q.id)
            out[q.id] = f"{sq.logic}\n\n{sq.reference.strip()}"
        else:
            out[q.id] = case_practice.case(ctx, q.id).model_answer.strip()
    return out


def finish(ctx: Context, mock: MockRecord, *, status: str = "finished") -> dict[str, Any]:
    """Close the round and store its debrief (unanswered questions count against it)."""
    catalog = {c.id: c for c in practice_catalog(ctx)}
    dims = {q.id: catalog[q.id].dimensions for q in mock.questions if q.id in catalog}
    ended = records.now()
    mock.status, mock.ended_at = status, ended
    result = debriefing.debrief(mock, answers(ctx, mock), model_answers=model_answers(ctx, mock), now=ended,
                                question_dimensions=dims).to_dict()
    ctx.tracker.update_mock(mock.uid, status=status, ended_at=ended, debrief=result)
    catch_up_reviews(ctx)
    return result


def abandon(ctx: Context) -> dict[str, Any]:
    running = ctx.tracker.running_mock()
    if running is None:
        raise NotFoundError("no mock is running")
    return finish(ctx, running, status="abandoned")


def debrief_of(ctx: Context, uid: str | None = None) -> dict[str, Any]:
    mock = get(ctx, uid)
    if mock.debrief is None:
        raise UsageError(f"mock {mock.uid} is still running: finish it first (`pmdrill mock resume`)")
    return mock.debrief


def html(debrief: dict[str, Any]) -> str:
    return render_html(debrief)


def last_debrief(ctx: Context) -> dict[str, Any] | None:
    """The last finished round's verdict and its one-paragraph summary."""
    for m in ctx.tracker.mocks():
        if m.debrief is not None:
            return {"uid": m.uid, "verdict": m.debrief.get("verdict"), "score": m.debrief.get("score"),
                    "summary": debriefing.summary(m.debrief)}
    return None


def history(ctx: Context) -> list[dict[str, Any]]:
    rows = []
    for m in ctx.tracker.mocks():
        d = m.debrief or {}
        rows.append({"uid": m.uid, "started_at": m.started_at.isoformat(), "focus": m.focus,
                     "minutes": m.minutes, "status": m.status, "verdict": d.get("verdict"),
                     "score": d.get("score"), "questions": [q.id for q in m.questions]})
    return rows


def run_from_files(ctx: Context, *, seed: int, answers_dir: Path, focus: str = "mixed",
                   minutes: int = 45) -> dict[str, Any]:
    """A whole round graded from files (for scripts): each question's answer file in ``answers_dir``,
    SQL plans in the optional ``.plan.txt`` siblings; a missing file is an unanswered question."""
    from pmdrill.adapters.files import read_text

    folder = answers_dir.expanduser()
    if not folder.is_dir():
        raise UsageError("the answers folder does not exist", where=str(folder))
    mock = start(ctx, focus=focus, minutes=minutes, seed=seed)
    try:
        for q in mock.questions:
            path = folder / q.answer_file
            if not path.exists():
                continue
            text = read_text(path, "answer")
            plan_path = folder / assembly.plan_file(q) if q.kind == "sql" else None
            plan = read_text(plan_path, "plan") if plan_path is not None and plan_path.exists() else None
            if text.strip():
                answer(ctx, mock, q.id, text, plan=plan, timed=False)
    except BaseException:
        finish(ctx, mock, status="abandoned")
        raise
    return finish(ctx, mock)


def bank_id(question_id: str) -> str:
    return split_id(question_id)[1]
