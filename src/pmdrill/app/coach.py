"""The practice loop around single answers: what to review (FSRS), progress, the plan and today's list.

Review cards are derived from the attempts: each call first applies any attempt recorded since the
cards were last saved, so a crash between recording and updating the cards loses nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from pmdrill.context import Context
from pmdrill.core.coach import plan as planning
from pmdrill.core.coach import progress as progress_mod
from pmdrill.core.coach import review
from pmdrill.core.coach.dimensions import FROM_RUBRIC
from pmdrill.core.coach.records import Attempt, CatalogItem
from pmdrill.core.items import is_adhoc, item_id
from pmdrill.core.metrics.sparkline import sparkline
from pmdrill.errors import UsageError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SQL_MINUTES = {"easy": 8, "medium": 12, "hard": 18}
_SQL_DIFFICULTY = {"easy": 1, "medium": 2, "hard": 3}
DEFAULT_HOURS = 1.5
PLAN_PREFS = ("plan.interview_date", "plan.hours_per_day", "plan.rest_days")


def today() -> dt.date:
    """Practice days are UTC days, like the attempts' timestamps."""
    return dt.datetime.now(dt.UTC).date()


# -- what there is to practise ---------------------------------------------------------------------
def practice_catalog(ctx: Context) -> list[CatalogItem]:
    """Every bank entry as the mock builder and the planner see it (ids, topics, minutes, dimensions)."""
    return ctx.memo("catalog", lambda: _catalog(ctx))  # type: ignore[no-any-return]


def _catalog(ctx: Context) -> list[CatalogItem]:
    items: list[CatalogItem] = []
    for q in ctx.sql_bank():
        items.append(CatalogItem(item_id("sql", q.id), "sql", q.title, tuple(q.topics),
                                 _SQL_DIFFICULTY.get(q.difficulty, 2), _SQL_MINUTES.get(q.difficulty, 12),
                                 ("sql_logic", "sql_correctness")))
    for c in ctx.case_bank().values():
        estimation = c.kind == "estimation"
        dims = tuple(dict.fromkeys(FROM_RUBRIC[d.name] for d in c.dimensions if d.asked and d.name in FROM_RUBRIC))
        items.append(CatalogItem(item_id("est" if estimation else "case", c.id), "est" if estimation else "case",
                                 c.title, (c.kind, *c.tags), c.difficulty, 10 if estimation else 12 + 2 * c.difficulty,
                                 dims))
    return items


def titles(ctx: Context) -> dict[str, str]:
    return {c.id: c.title for c in practice_catalog(ctx)}


# -- spaced repetition -----------------------------------------------------------------------------
def catch_up_reviews(ctx: Context) -> dict[str, dict[str, Any]]:
    """The review cards with every recorded attempt applied (saved when anything was new)."""
    tracker = ctx.tracker
    cards, last = tracker.review_state()
    new = tracker.attempts(after_id=last)
    if not new:
        return cards
    minutes = {c.id: float(c.minutes) for c in practice_catalog(ctx)}
    cards = review.apply(cards, new, desired_retention=ctx.settings.desired_retention,
                         expected_minutes=lambda iid: minutes.get(iid, 12.0))
    tracker.save_review_state(cards, max(a.id or 0 for a in new))
    return cards


def _interview_date(ctx: Context) -> dt.date | None:
    raw = ctx.tracker.get_pref("plan.interview_date")
    return dt.date.fromisoformat(raw) if isinstance(raw, str) and raw else None


def review_list(ctx: Context, *, limit: int | None = None) -> dict[str, Any]:
    """The items due for review today, each with ``id``, ``kind``, ``due`` and ``why``; skills are served
    through the item that best practises them."""
    cards = catch_up_reviews(ctx)
    now = dt.datetime.now(dt.UTC)
    due = review.due(cards, now=now, interview_date=_interview_date(ctx),
                     desired_retention=ctx.settings.desired_retention)
    catalog = practice_catalog(ctx)
    served = review.serve(due, catalog, _recent(ctx))
    names = {c.id: c.title for c in catalog}
    items = []
    for d in served[:limit] if limit else served:
        row = d.to_dict()
        row["title"] = row.get("title") or names.get(d.id, d.id)
        row["kind"] = d.id.split(":", 1)[0] if ":" in d.id and d.kind == "item" else row["kind"]
        row["card"] = d.kind
        items.append(row)
    return {"today": now.date().isoformat(), "count": len(items), "items": items}


def _recent(ctx: Context) -> dict[str, dt.datetime]:
    out: dict[str, dt.datetime] = {}
    for a in ctx.tracker.attempts(light=True):
        out[a.item_id] = a.submitted_at
    return out


def item_states(ctx: Context, kind: str | None = None) -> dict[str, dict[str, Any]]:
    """item id -> {status: solved | attempted, due: bool} from the history (missing: never tried)."""
    if not ctx.tracker.count():
        return {}
    out: dict[str, dict[str, Any]] = {}
    for a in ctx.tracker.attempts(kind=kind, light=True):
        state = out.setdefault(a.item_id, {"status": "attempted", "due": False})
        if a.passed:
            state["status"] = "solved"
    cards = catch_up_reviews(ctx)
    for d in review.due(cards, now=dt.datetime.now(dt.UTC), interview_date=_interview_date(ctx),
                        desired_retention=ctx.settings.desired_retention):
        if d.id in out:
            out[d.id]["due"] = True
    return out


# -- progress --------------------------------------------------------------------------------------
def progress(ctx: Context) -> dict[str, Any]:
    """Scores per dimension and topic over time, SQL accuracy by topic, the weakest areas, streaks."""
    attempts = ctx.tracker.attempts(light=True)
    topics = sorted({t for c in practice_catalog(ctx) if c.kind == "sql" for t in c.topics})
    data = progress_mod.progress(attempts, today=today(), sql_topics=topics)
    for d in data["dimensions"].values():
        d["sparkline"] = sparkline([p["value"] for p in d["trend"]][-30:])
    data["recent"] = [{"id": a.id, "item_id": a.item_id, "kind": a.kind, "title": a.title, "passed": a.passed,
                       "score": a.score, "submitted_at": a.submitted_at.isoformat(), "mock_id": a.mock_id}
                      for a in attempts[-10:]]
    return data


# -- the plan --------------------------------------------------------------------------------------
def parse_rest_days(raw: str | None) -> frozenset[int] | None:
    """'sat,sun' -> {5, 6}; '' or 'none' -> no rest days; None -> not given."""
    if raw is None:
        return None
    text = raw.strip().lower()
    if text in ("", "none"):
        return frozenset()
    days = set()
    for part in text.replace(" ", "").split(","):
        key = part[:3]
        if key not in WEEKDAYS:
            raise UsageError(f"{part!r} is not a weekday (use mon, tue, wed, thu, fri, sat, sun)",
                             where="--rest-days")
        days.add(WEEKDAYS.index(key))
    return frozenset(days)


def plan(ctx: Context, *, interview_date: dt.date | None = None, hours_per_day: float | None = None,
         rest_days: frozenset[int] | None = None) -> dict[str, Any]:
    """The day-by-day plan to the interview, re-planned from the current scores on every call.

    What is given is remembered (the interview date, hours, rest days) for later calls and `today`.
    """
    start = today()
    tracker = ctx.tracker
    if interview_date is not None:
        if interview_date <= start:
            raise UsageError(f"the interview date {interview_date} is not after today ({start})",
                             where="--interview-date")
        if (interview_date - start).days > 366:
            raise UsageError("the interview date is more than a year away; plan the last few months",
                             where="--interview-date")
        tracker.set_pref("plan.interview_date", interview_date.isoformat())
    if hours_per_day is not None:
        if not 0.25 <= hours_per_day <= 12:
            raise UsageError(f"{hours_per_day:g} hours a day is not between 0.25 and 12", where="--hours-per-day")
        tracker.set_pref("plan.hours_per_day", hours_per_day)
    if rest_days is not None:
        if len(rest_days) == 7:
            raise UsageError("every day is a rest day: leave at least one day to practise", where="--rest-days")
        tracker.set_pref("plan.rest_days", sorted(rest_days))
    interview = _interview_date(ctx)
    if interview is not None and interview <= start:
        interview = None  # the interview has passed: plan the next 30 days
    hours = float(tracker.get_pref("plan.hours_per_day", DEFAULT_HOURS))
    rest = frozenset(int(d) for d in tracker.get_pref("plan.rest_days", []))
    cards = catch_up_reviews(ctx)
    until = (interview or start + dt.timedelta(days=30)) - dt.timedelta(days=1)
    reviews = review.schedule(cards, today=start, until=until, interview_date=interview,
                              desired_retention=ctx.settings.desired_retention)
    catalog = practice_catalog(ctx)
    attempts = tracker.attempts(light=True)
    attempted = Counter(a.item_id for a in attempts if not is_adhoc(a.item_id))
    topics = sorted({t for c in catalog if c.kind == "sql" for t in c.topics})
    prog = progress_mod.progress(attempts, today=start, sql_topics=topics)
    built = planning.build_plan(today=start, interview_date=interview, hours_per_day=hours, rest_days=rest,
                                catalog=catalog, progress=prog, reviews=reviews, attempted=attempted,
                                kpi_ids=ctx.kpi_library().ids)
    out = built.to_dict()
    out["hours_per_day"] = hours
    out["rest_days"] = [WEEKDAYS[d] for d in sorted(rest)]
    out["weakest"] = prog["weakest"]
    out["_plan"] = built
    return out


def plan_files(ctx: Context, data: dict[str, Any], *, ics: Path | None = None,
               markdown: Path | None = None) -> list[str]:
    """Write the plan as an .ics calendar and/or Markdown; returns the files written."""
    from pmdrill.core.coach import plan_export

    written = []
    built = data["_plan"]
    for path, content in ((ics, lambda: plan_export.to_ics(built)),
                          (markdown, lambda: plan_export.to_markdown(built).encode())):
        if path is None:
            continue
        target = path.expanduser()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content())
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror or exc}", where=str(target)) from None
        written.append(str(target))
    return written


def today_view(ctx: Context) -> dict[str, Any]:
    """Today's tasks from the plan, what is due for review, and the last mock's debrief in a paragraph."""
    from pmdrill.app import mock

    data = plan(ctx)
    day = next((d for d in data["days"] if d["date"] == today().isoformat()), None)
    due = review_list(ctx)
    last = mock.last_debrief(ctx)
    return {"date": today().isoformat(), "interview_date": data["interview_date"],
            "tasks": day["tasks"] if day else [], "minutes": day["minutes"] if day else 0,
            "due": due["items"], "last_debrief": last, "attempts": ctx.tracker.count()}


def attempts_of(ctx: Context, iid: str) -> list[Attempt]:
    return ctx.tracker.attempts(item_id=iid)


def serve_item(ctx: Context, iid: str) -> dict[str, Any]:
    """An item to answer now: its prompt (its clock starts) and the command that answers it."""
    from pmdrill.app import case_practice, sql_practice
    from pmdrill.core.items import split_id

    kind, bare = split_id(iid)
    if kind == "sql":
        data = sql_practice.show(ctx, iid)
        return {**data, "prompt": data["framing"], "answer_with": f"pmdrill sql check {bare} --answer FILE"}
    data = case_practice.show(ctx, iid)
    return {**data, "answer_with": f"pmdrill case score {bare} --answer FILE"}
