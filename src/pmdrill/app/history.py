"""Your practice history as a whole: export and import it (lossless JSON), and re-grade past answers
with the current grader and scorer to see which verdicts changed and why.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pmdrill.app import case_practice, sql_practice
from pmdrill.context import Context
from pmdrill.core.coach import review
from pmdrill.core.items import is_adhoc, split_id
from pmdrill.errors import NotFoundError, PmdrillError, UsageError


def export(ctx: Context, out: Path) -> dict[str, Any]:
    """Write every attempt, mock and preference to ``out`` as one JSON document."""
    doc = ctx.tracker.export_document()
    target = out.expanduser()
    text = json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".partial")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise UsageError(f"cannot write the export: {exc.strerror or exc}", where=str(target)) from None
    return {"path": str(target), "attempts": len(doc["attempts"]), "mocks": len(doc["mocks"]),
            "bytes": len(text.encode())}


def import_(ctx: Context, path: Path) -> dict[str, Any]:
    """Add a document's attempts and mocks (those already present are skipped); all or nothing."""
    from pmdrill.adapters.files import read_text

    text = read_text(path, "import")
    report = ctx.tracker.import_text(text, source=str(path))
    if report.added_attempts:
        rebuild_reviews(ctx)
    return report.to_dict() if hasattr(report, "to_dict") else dict(vars(report))


def rebuild_reviews(ctx: Context) -> int:
    """Replay the whole history onto fresh review cards (after an import added older attempts)."""
    from pmdrill.app.coach import practice_catalog

    attempts = ctx.tracker.attempts(light=True)  # reasons come from the flags, kept in a light listing
    minutes = {c.id: float(c.minutes) for c in practice_catalog(ctx)}
    cards = review.apply({}, attempts, desired_retention=ctx.settings.desired_retention,
                         expected_minutes=lambda iid: minutes.get(iid, 12.0))
    ctx.tracker.save_review_state(cards, max((a.id or 0 for a in attempts), default=0))
    return len(cards)


def regrade(ctx: Context, *, since: dt.date | None = None) -> dict[str, Any]:
    """Grade past answers again with today's grader and scorer; list the verdicts that changed.

    Nothing is rewritten: the history is append-only, and this shows what a new grader would say.
    """
    when = dt.datetime.combine(since, dt.time(), dt.UTC) if since is not None else None
    attempts = ctx.tracker.attempts(since=when)
    changed: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for a in attempts:
        try:
            passed, score, why = _grade_again(ctx, a)
        except (NotFoundError, PmdrillError) as exc:
            skipped.append({"id": a.id, "item_id": a.item_id, "reason": str(exc)})
            continue
        if passed != a.passed or abs(score - a.score) >= 0.5:
            changed.append({"id": a.id, "item_id": a.item_id, "title": a.title,
                            "submitted_at": a.submitted_at.isoformat(),
                            "before": {"passed": a.passed, "score": a.score,
                                       "judge": a.provenance.get("judge")},
                            "after": {"passed": passed, "score": round(score, 1)}, "why": why,
                            "content_changed": _content_changed(ctx, a)})
    return {"regraded": len(attempts) - len(skipped), "changed": changed, "skipped": skipped,
            "since": since.isoformat() if since else None}


def _grade_again(ctx: Context, a: Any) -> tuple[bool, float, str]:
    kind, _bare = split_id(a.item_id)
    if a.kind == "sql":
        reference = a.prompt_text if is_adhoc(a.item_id) else None
        if reference is None and is_adhoc(a.item_id):
            raise NotFoundError("the ad-hoc reference was not recorded")
        qid = None if reference is not None else a.item_id
        result = sql_practice.check(ctx, qid, a.answer, reference=reference, dialect=a.dialect or "duckdb",
                                    record=False)
        why = "" if result.grade.correct else (result.grade.error or " ".join(result.grade.feedback[:1]))
        return result.outcome.passed, result.outcome.score, why
    prompt = a.prompt_text if is_adhoc(a.item_id) else None
    scored = case_practice.score(ctx, None if prompt is not None else a.item_id, a.answer, prompt=prompt,
                                 record=False)
    flags = ", ".join(f["code"] for f in scored.result["red_flags"])
    return scored.outcome.passed, scored.outcome.score, f"red flags: {flags}" if flags else ""


def _content_changed(ctx: Context, a: Any) -> bool | None:
    """Whether the question itself changed since the attempt (its content hash differs)."""
    from pmdrill.app import records

    recorded = a.provenance.get("content_hash")
    if not recorded or is_adhoc(a.item_id):
        return None
    try:
        if a.kind == "sql":
            q = sql_practice.question(ctx, a.item_id)
            return records.content_hash(q.reference, q.framing) != recorded
        c = case_practice.case(ctx, a.item_id)
        return records.content_hash(c.prompt, c.model_answer) != recorded
    except NotFoundError:
        return None
