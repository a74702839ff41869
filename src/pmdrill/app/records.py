"""Recording graded answers: provenance, and the per-question state between showing and answering.

Every face records through ``record``: the attempt is committed before the verdict is returned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from pmdrill import __version__
from pmdrill.app.jsonable import plain
from pmdrill.context import Context
from pmdrill.core.coach.records import Attempt
from pmdrill.core.items import Outcome

__all__ = ["plain", "record", "note", "pending", "provenance"]

PENDING = "pending:"
# a question shown longer ago than this was left and come back to: its time taken is unknown
_MAX_SESSION = dt.timedelta(hours=3)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def content_hash(*parts: str) -> str:
    """A short hash of what a question says (its text, reference, rubric), recorded with each attempt.

    Example:
        >>> content_hash("SELECT 1", "framing") == content_hash("SELECT 1", "framing")
        True
    """
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return digest[:16]


# -- what happened between showing a question and answering it ---------------------------------------
def pending(ctx: Context, item_id: str) -> dict[str, Any]:
    value = ctx.tracker.get_pref(PENDING + item_id, {})
    return dict(value) if isinstance(value, dict) else {}


def note(ctx: Context, item_id: str, **fields: Any) -> None:
    """Remember, for the next answer to ``item_id``: when it was first shown, hints seen, the plan."""
    state = pending(ctx, item_id)
    state.setdefault("shown_at", now().isoformat())
    for key, value in fields.items():
        if key == "hints":
            state["hints"] = max(int(state.get("hints", 0)), int(value))
        else:
            state[key] = value
    ctx.tracker.set_pref(PENDING + item_id, state)


def seconds_since_shown(state: dict[str, Any], at: dt.datetime) -> float | None:
    raw = state.get("shown_at")
    if not raw:
        return None
    try:
        shown = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    taken = at - shown
    return taken.total_seconds() if dt.timedelta(0) <= taken <= _MAX_SESSION else None


# -- provenance --------------------------------------------------------------------------------------
def provenance(ctx: Context, *, kind: str, question_hash: str, uses_warehouse: bool) -> dict[str, Any]:
    """What produced a verdict: pmdrill, the grader or scorer version, the question's content, the data."""
    if kind == "sql":
        from pmdrill.core.sqlcheck.grade import GRADER_VERSION as version
    else:
        from pmdrill.core.judgement.score import SCORER_VERSION as version
    out: dict[str, Any] = {"pmdrill": __version__, "judge": f"{'grader' if kind == 'sql' else 'scorer'}-{version}",
                           "content_hash": question_hash}
    if uses_warehouse:
        out["warehouse"] = ctx.memo("warehouse_meta", lambda: _warehouse_meta(ctx))
    return out


def _warehouse_meta(ctx: Context) -> dict[str, Any]:
    from pmdrill.adapters.duckdb_store import open_warehouse, read_meta
    from pmdrill.errors import WarehouseError

    con = open_warehouse(ctx.warehouse())
    try:
        meta = read_meta(con)
    except WarehouseError:  # a file pmdrill did not build: say so rather than guess
        return {"seed": None, "scale": None, "as_of": ctx.as_of.isoformat(), "generator_version": None}
    finally:
        con.close()
    return {"seed": int(meta.get("seed", 0)), "scale": meta.get("scale"), "as_of": meta.get("as_of"),
            "generator_version": int(meta.get("generator_version", 0))}


# -- recording ---------------------------------------------------------------------------------------
def record(ctx: Context, outcome: Outcome, *, answer: str, dialect: str | None = None,
           hints_used: int = 0, seconds: float | None = None, prompt_text: str | None = None,
           mock_id: str | None = None, source: str | None = None,
           question_hash: str = "", submitted_at: dt.datetime | None = None, had_pending: bool = True) -> Attempt:
    """Append one attempt (committed when this returns). The review cards catch up with it the next time
    they are read (``coach.catch_up_reviews``), so recording stays cheap and a crash loses nothing.
    The question's pending state (``note``) is cleared in the same transaction unless ``had_pending``
    says there was none."""
    attempt = Attempt(
        item_id=outcome.item_id, kind=outcome.kind, title=outcome.title, answer=answer,
        passed=outcome.passed, score=round(outcome.score, 2), submitted_at=submitted_at or now(),
        dimensions=dict(outcome.dimensions), flags=plain([f.to_dict() for f in outcome.flags]),
        topics=list(outcome.topics), dialect=dialect, hints_used=hints_used, seconds=seconds,
        mock_id=mock_id, source=source or ctx.face, prompt_text=prompt_text,
        provenance=provenance(ctx, kind=outcome.kind, question_hash=question_hash,
                              uses_warehouse=outcome.kind == "sql"),
        detail=plain(outcome.detail), user=ctx.user)
    return ctx.tracker.record(attempt, clear_pref=PENDING + outcome.item_id if had_pending else None)
