"""SQL practice: the bank (with your status on each question), hints, the solution, logic-first plans,
grading one answer or a batch, and free queries through the sandbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pmdrill.app import records
from pmdrill.context import Context
from pmdrill.core.coach.dimensions import from_sql_verdict
from pmdrill.core.items import Flag, Outcome, adhoc_id, item_id, split_id
from pmdrill.core.sqlcheck import bank, logic_first
from pmdrill.core.sqlcheck.dialects import CHOICES, DIALECTS
from pmdrill.core.sqlcheck.grade import GradeResult, prepare_reference
from pmdrill.core.warehouse import schema
from pmdrill.errors import NotFoundError, PmdrillError, UsageError

STATUSES = ("solved", "unsolved", "attempted", "due")
ENGINES = ("duckdb", "postgres")


def question(ctx: Context, qid: str) -> bank.Question:
    """A question of the bank (yours included) by bank id or ``sql:`` id."""
    kind, bare = split_id(qid)
    if kind not in (None, "sql"):
        raise NotFoundError(f"{qid!r} is not a SQL question id")
    return bank.get_question(bare, ctx.sql_bank())


def summary(q: bank.Question) -> dict[str, Any]:
    return {"id": q.id, "title": q.title, "difficulty": q.difficulty, "topics": list(q.topics),
            "tables": list(q.tables)}


def check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise UsageError(f"dialect {dialect!r} is not one of {', '.join(CHOICES)}", where="--dialect")
    return dialect


# -- the bank --------------------------------------------------------------------------------------
def list_questions(ctx: Context, *, topic: str | None = None, difficulty: str | None = None,
                   status: str | None = None, search: str | None = None) -> list[dict[str, Any]]:
    """The questions with their status (solved, attempted, unsolved; due for review)."""
    if status is not None and status not in STATUSES:
        raise UsageError(f"status {status!r} is not one of {', '.join(STATUSES)}", where="--status")
    questions = bank.filter_questions(topic, difficulty, ctx.sql_bank())
    from pmdrill.app import coach

    states = coach.item_states(ctx, kind="sql")
    words = search.lower().split() if search else []
    rows = []
    for q in questions:
        state = states.get(item_id("sql", q.id), {})
        row = {**summary(q), "status": state.get("status", "unsolved"), "due": bool(state.get("due"))}
        if words and not all(w in f"{q.id} {q.title} {q.framing} {' '.join(q.topics)}".lower() for w in words):
            continue
        if status == "due" and not row["due"] or status not in (None, "due") and row["status"] != status:
            continue
        rows.append(row)
    return rows


def show(ctx: Context, qid: str) -> dict[str, Any]:
    """The question: framing and the tables to use (never the solution). Starts its clock."""
    q = question(ctx, qid)
    records.note(ctx, item_id("sql", q.id))
    return {**summary(q), "framing": q.framing, "metric": q.metric, "hint_levels": len(q.hints),
            "ordered": q.ordered, "table_columns": {t: list(schema.table(t).column_names) for t in q.tables}}


def hint(ctx: Context, qid: str, level: int = 1) -> dict[str, Any]:
    """Progressive hints: level N shows hints 1..N (a right answer after a hint rates Hard)."""
    q = question(ctx, qid)
    if level < 1 or level > len(q.hints):
        raise UsageError(f"question {q.id} has hint levels 1 to {len(q.hints)}, not {level}", where="--level")
    records.note(ctx, item_id("sql", q.id), hints=level)
    return {"id": q.id, "level": level, "levels": len(q.hints), "hint": q.hints[level - 1],
            "hints": list(q.hints[:level])}


def solution(ctx: Context, qid: str) -> dict[str, Any]:
    """The model solution and its logic in words (counts as every hint used)."""
    q = question(ctx, qid)
    records.note(ctx, item_id("sql", q.id), hints=len(q.hints) + 1, solution_seen=True)
    return {"id": q.id, "reference": q.reference, "logic": q.logic,
            "common_mistakes": [w.why for w in q.wrong_answers]}


def logic(ctx: Context, qid: str, plan: str, *, reveal: bool = False) -> dict[str, Any]:
    """Logic first: each part of the plan in words is confirmed, questioned or missing.

    Each part asks in the candidate's terms; ``reveal`` adds the reference's own clause (``detail``),
    which counts as every hint used. The plan is kept with the question and recorded with the next
    answer to it.
    """
    if not plan.strip():
        raise UsageError("the plan is empty", where="--plan")
    q = question(ctx, qid)
    ref = prepare_reference(q, as_of=ctx.as_of)
    parts = logic_first.check_plan(plan, ref.tree, as_of=ctx.as_of)
    summary_ = logic_first.summary(parts)
    records.note(ctx, item_id("sql", q.id), plan=plan, plan_share=plan_share(summary_))
    if reveal:
        _note_revealed(ctx, q)
    return {"id": q.id, "plan": plan, "parts": [p.to_dict(reveal=reveal) for p in parts], "summary": summary_,
            "revealed": reveal}


def _note_revealed(ctx: Context, q: bank.Question | None) -> None:
    """Seeing the reference's clauses counts, for the next answer, as having used every hint."""
    if q is not None:
        records.note(ctx, item_id("sql", q.id), hints=len(q.hints), revealed=True)


def explain(ctx: Context, qid: str | None, answer: str, *, reference: str | None = None,
            dialect: str = "duckdb") -> dict[str, Any]:
    """"Tell me more" after a wrong answer: each difference with the reference's own clause. Nothing
    is graded or recorded as an attempt; for a bank question it counts as every hint used."""
    from pmdrill.core.sqlcheck import gate, logic_diff

    check_dialect(dialect)
    if (qid is None) == (reference is None):
        raise UsageError("give a question ID or a reference query (one of them)")
    if not answer.strip():
        raise UsageError("the answer is empty", where="--answer")
    q = question(ctx, qid) if qid is not None else None
    ref = prepare_reference(q if q is not None else reference, as_of=ctx.as_of)
    gated = gate.check(answer, dialect, as_of=ctx.as_of)
    diffs = logic_diff.diff(ref.tree, gated.tree)
    _note_revealed(ctx, q)
    return {"id": q.id if q is not None else None, "differences": [d.to_dict(reveal=True) for d in diffs],
            "revealed": True}


def plan_share(counts: dict[str, int]) -> float:
    """The confirmed share of the parts a plan spoke to (a silent part is not wrong, only not earned)."""
    total = sum(counts.values())
    return counts.get("confirmed", 0) / total if total else 0.0


# -- grading ---------------------------------------------------------------------------------------
@dataclass
class SqlCheck:
    """One graded answer: the grader's verdict, its place in the shared result shape, the attempt."""

    grade: GradeResult
    outcome: Outcome
    attempt_id: int | None = None
    plan: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.grade.to_dict(), "item_id": self.outcome.item_id, "passed": self.outcome.passed,
                "score": self.outcome.score, "dimensions": self.outcome.to_dict()["dimensions"],
                "flags": self.outcome.to_dict()["flags"], "attempt_id": self.attempt_id,
                "recorded": self.attempt_id is not None, "plan": self.plan, **self.extra}


def outcome_of(result: GradeResult, *, iid: str, title: str, topics: tuple[str, ...],
               plan_share_: float | None = None) -> Outcome:
    """The shared result shape of a SQL verdict."""
    warehouse_ok = bool(result.checks) and bool(result.checks[0].get("passed"))
    dims = from_sql_verdict(result.correct, warehouse_matched=warehouse_ok, logic_findings=len(result.logic_diff),
                            syntax_error=(result.error_detail or {}).get("type") == "SqlSyntaxError",
                            plan_share=plan_share_)
    flags = [Flag(f"sql_{d['kind']}", d["message"], d.get("clause", "")) for d in result.logic_diff]
    if result.error:
        flags.insert(0, Flag("sql_error", result.error, (result.error_detail or {}).get("where") or ""))
    elif not result.correct and not flags and result.feedback:
        flags.append(Flag("sql_result", " ".join(result.feedback[:2]), ""))
    score = 100.0 if result.correct else (50.0 if warehouse_ok else 0.0)
    return Outcome(iid, "sql", title, result.correct, score, dims, flags, topics, result.to_dict())


def check(ctx: Context, qid: str | None, answer: str, *, reference: str | None = None, dialect: str = "duckdb",
          engine: str = "duckdb", url: str | None = None, record: bool | None = None,
          mock_id: str | None = None, seconds: float | None = None, source: str | None = None,
          timed: bool = True, reveal: bool = False) -> SqlCheck:
    """Grade ``answer`` against a bank question or an ad-hoc reference, and record the attempt.

    The time taken is ``seconds``, else the time since the question was shown; ``timed=False`` records
    none (answers graded from files). Feedback on a wrong answer is in the candidate's terms;
    ``reveal`` adds the reference's clauses (``logic_detail``), counted as every hint used next time."""
    check_dialect(dialect)
    if engine not in ENGINES:
        raise UsageError(f"engine {engine!r} is not one of {', '.join(ENGINES)}", where="--engine")
    if (qid is None) == (reference is None):
        raise UsageError("give a question ID or a reference query (one of them)")
    if not answer.strip():
        raise UsageError("the answer is empty", where="--answer")
    if qid is not None:
        q = question(ctx, qid)
        iid, title, topics = item_id("sql", q.id), q.title, q.topics
        target: Any = q
        qhash = records.content_hash(q.reference, q.framing)
    else:
        assert reference is not None
        if not reference.strip():
            raise UsageError("the reference query is empty", where="--reference")
        iid, title, topics, target = adhoc_id("sql", reference), "Your reference query", (), None
        qhash = records.content_hash(reference)
    state = records.pending(ctx, iid) if _recording(ctx, record) else {}
    try:
        result = ctx.grader.check(target, answer, reference=reference, dialect=dialect, engine=engine, url=url)
    except PmdrillError as exc:
        if reference is not None and "reference" not in exc.message:
            raise type(exc)(f"the reference cannot run: {exc.message}", where=exc.where) from None
        raise
    share = state.get("plan_share")
    if result.counterexample:
        from pmdrill.core.sqlcheck.cells import differing

        ce = result.counterexample
        marks = differing(ce["expected"]["rows"], ce["got"]["rows"])
        ce["differs"] = {"expected": marks[0], "got": marks[1]}
    outcome = outcome_of(result, iid=iid, title=title, topics=topics,
                         plan_share_=float(share) if share is not None else None)
    plan = {"text": state["plan"], "confirmed_share": share} if state.get("plan") else None
    if plan is not None:
        outcome.detail["plan"] = plan  # the debrief quotes what the candidate said the query does
    out = SqlCheck(result, outcome, plan=plan)
    if _recording(ctx, record):
        at = records.now()
        taken = seconds if seconds is not None or not timed else records.seconds_since_shown(state, at)
        attempt = records.record(ctx, outcome, answer=answer, dialect=dialect,
                                 hints_used=int(state.get("hints", 0)), seconds=taken, prompt_text=reference,
                                 mock_id=mock_id, source=source, question_hash=qhash, submitted_at=at,
                                 had_pending=bool(state))
        out.attempt_id = attempt.id
    if reveal and not result.correct:
        out.extra["logic_detail"] = list(result.logic_detail)
        if _recording(ctx, record):
            _note_revealed(ctx, target)
    return out


def _recording(ctx: Context, record: bool | None) -> bool:
    return ctx.settings.record if record is None else record


def batch(ctx: Context, text: str, *, where: str, engine: str = "duckdb", url: str | None = None,
          record: bool | None = None) -> list[dict[str, Any]]:
    """Grade every line of a JSONL text (``{"answer", "id" | "reference", "dialect"?}``); a bad line gets
    its own error entry naming the line, the others are graded."""
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            if not isinstance(item, dict):
                raise UsageError("each line must be a JSON object")
            answer = item.get("answer")
            if not isinstance(answer, str):
                raise UsageError("'answer' (the SQL text) is missing")
            qid, ref = item.get("id"), item.get("reference")
            if (qid is None) == (ref is None):
                raise UsageError("give either 'id' or 'reference'")
            dialect = item.get("dialect", "duckdb")
            if not isinstance(dialect, str) or dialect not in DIALECTS:
                raise UsageError(f"dialect {dialect!r} is not one of {', '.join(CHOICES)}")
            entry = check(ctx, qid, answer, reference=ref, dialect=dialect, engine=engine, url=url,
                          record=record, source="batch").to_dict()
        except json.JSONDecodeError as exc:
            entry = _error_entry(f"{where}:{n}: not JSON ({exc.msg} at column {exc.colno})", n)
        except PmdrillError as exc:
            entry = _error_entry(f"{where}:{n}: {exc}", n)
        entry["line"] = n
        out.append(entry)
    return out


def _error_entry(message: str, line: int) -> dict[str, Any]:
    return {"line": line, "correct": False, "passed": False, "error": message, "feedback": [message],
            "counterexample": None, "timings_ms": {"total": 0.0}}


# -- free queries ----------------------------------------------------------------------------------
def run(ctx: Context, sql: str, *, dialect: str = "duckdb") -> dict[str, Any]:
    """Run a query on the warehouse through the sandbox (no verdict): ``{columns, rows, truncated}``."""
    check_dialect(dialect)
    if not sql.strip():
        raise UsageError("the query is empty", where="sql")
    from pmdrill.core.sqlcheck import gate

    gated = gate.check(sql, dialect, as_of=ctx.as_of)
    result = ctx.grader.pool.run(gated.duckdb_sql, None, cap=ctx.settings.sql_row_cap)
    return {"columns": list(result.columns), "types": list(result.types),
            "rows": [list(r) for r in result.rows], "truncated": result.truncated,
            "elapsed_ms": round(result.elapsed_ms, 2)}
