"""Logic before syntax: match a candidate's plan in words against the reference's logic.

Each part (tables, join keys, filters, grouping, aggregate, window) is confirmed, questioned (the plan
says something the reference contradicts) or missing (the plan is silent). Text matching with
synonyms; silence is never called wrong, and paraphrases count.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from sqlglot import exp

from pmdrill.core.sqlcheck import time_windows as tw
from pmdrill.core.sqlcheck.logic_diff import Logic, extract, rows_hint

# Words a candidate may use for each table (singular forms; plurals are matched too).
TABLE_WORDS: dict[str, tuple[str, ...]] = {
    "partners": ("partner", "educator", "university", "universities", "institution"),
    "courses": ("course", "catalog", "catalogue"),
    "programs": ("program", "programme", "specialization", "degree", "bundle"),
    "program_courses": ("program course", "program_courses", "courses in a program", "program membership"),
    "modules": ("module", "week", "lesson"),
    "learners": ("learner", "user", "student", "signup", "sign-up", "sign up", "member", "people", "person"),
    "enrollments": ("enrollment", "enrolment", "enrol", "enroll", "registration"),
    "module_progress": ("module progress", "module_progress", "progress", "module completion", "started module"),
    "assessment_attempts": ("attempt", "assessment", "quiz", "quizzes", "exam", "test score", "score"),
    "certificates": ("certificate", "cert", "certified", "certification"),
    "subscriptions": ("subscription", "subscriber", "subscribe", "plan", "trial", "churn", "cancel"),
    "payments": ("payment", "revenue", "transaction", "charge", "paid", "purchase", "billing", "refund"),
    "enterprise_accounts": ("enterprise account", "account", "contract", "customer", "client", "b2b"),
    "enterprise_seats": ("seat", "license", "licence"),
    "learning_events": ("event", "activity", "telemetry", "app open", "video play", "minutes", "engagement"),
    "notifications": ("notification", "push", "message", "campaign"),
    "recommendations": ("recommendation", "recommended", "rec ", "click"),
    "experiments": ("experiment", "a/b", "ab test", "test name"),
    "experiment_assignments": ("assignment", "assigned", "variant", "arm", "treatment", "control"),
    "course_reviews": ("review", "rating", "stars"),
    "career_outcomes": ("outcome", "survey", "career", "new job", "promotion"),
}
AGG_WORDS: dict[str, tuple[str, ...]] = {
    "COUNT": ("count", "number of", "how many", "tally", "size"),
    "SUM": ("sum", "total", "add up", "added up", "revenue"),
    "AVG": ("average", "avg", "mean", "per learner", "per user"),
    "MIN": ("min", "minimum", "earliest", "first", "lowest", "smallest"),
    "MAX": ("max", "maximum", "latest", "last", "highest", "largest", "most recent"),
    "MEDIAN": ("median", "typical", "50th"),
    "QUANTILE": ("median", "percentile", "quantile"),
}
DISTINCT_WORDS = ("distinct", "unique", "different", "dedup", "de-dup", "once per", "only once", "each learner once")
RATIO_WORDS = ("rate", "share", "percent", "%", "ratio", "proportion", "fraction", "divide", "over the")
WINDOW_WORDS = ("rank", "row number", "row_number", "window", "partition", "top", "latest", "first",
                "last", "previous", "next", "lag", "lead", "running", "cumulative", "nth")
GROUP_WORDS = ("by", "per", "each", "every", "group", "split", "for each", "across")


@dataclass(frozen=True)
class PlanPart:
    """One part of the reference's logic and what the plan says of it. ``message`` asks in the
    candidate's terms; ``detail`` is the reference's own clause, shown only on request."""

    part: str  # 'tables', 'join', 'filter', 'grouping', 'aggregate', 'window'
    status: str  # 'confirmed', 'questioned', 'missing'
    message: str
    detail: str = ""

    def to_dict(self, *, reveal: bool = False) -> dict[str, str]:
        out = asdict(self)
        if reveal:
            out["detail"] = self.detail or self.message
        else:
            del out["detail"]
        return out


def _norm(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9%/_\-\. ]+", " ", text.lower().replace("_", " ")) + " "


def _says(text: str, phrase: str) -> bool:
    """Whether the normalised plan contains ``phrase`` as words (a trailing s/es allowed)."""
    p = re.escape(_norm(phrase).strip())
    return re.search(rf"(?<![a-z0-9]){p}(?:s|es)?(?![a-z0-9])", text) is not None


def _column_words(col: str) -> list[str]:
    """'enrollments.learner_id' -> ['learner id', 'learner_id', 'learner'] (most specific first)."""
    name = col.split(".")[-1]
    words = [name.replace("_", " "), name]
    stem = re.sub(r"_(id|at|on|usd|pct)$", "", name)
    if stem != name:
        words.append(stem.replace("_", " "))
    return words


def _mentions_column(text: str, col: str) -> bool:
    return any(_says(text, w) for w in _column_words(col))


def _literals(pred: str) -> list[str]:
    return [m for m in re.findall(r"'([^']*)'", pred) if not re.match(r"\d{4}-\d\d-\d\d", m)] + \
        re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", re.sub(r"'[^']*'", "", pred))


def _pred_columns(pred: str) -> list[str]:
    return re.findall(r"[a-z_]+\.[a-z_]+", pred)


def check_plan(plan: str, reference: exp.Expression, *, as_of: dt.date | None = None) -> list[PlanPart]:
    """Confirm or question each part of a plan against the reference's logic.

    Example:
        >>> import sqlglot
        >>> ref = sqlglot.parse_one("SELECT COUNT(DISTINCT e.learner_id) FROM enrollments e JOIN payments p "
        ...                         "ON p.learner_id = e.learner_id WHERE p.paid_at >= DATE '2026-06-01'")
        >>> [p.status for p in check_plan("join enrollments to payments on learner_id, keep the last 30 "
        ...                               "days, count distinct learners", ref)]
        ['confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed']
    """
    text = _norm(plan)
    lg = extract(reference)
    parts: list[PlanPart] = []
    parts += _tables(text, lg)
    parts += _joins(text, lg)
    parts += _filters(text, lg, plan, as_of or _latest_date(lg))
    parts += _grouping(text, lg)
    parts += _aggregates(text, lg)
    parts += _windows(text, lg)
    return parts


def _latest_date(lg: Logic) -> dt.date:
    """The as-of date when none is given: the warehouse's default (spec/warehouse-truths.md)."""
    return dt.date(2026, 6, 30)


def _table_said(text: str, table: str) -> bool:
    return _says(text, table) or _says(text, table.rstrip("s")) or any(_says(text, w) for w in TABLE_WORDS.get(table, ()))


def _tables(text: str, lg: Logic) -> list[PlanPart]:
    out = []
    for t in sorted(lg.tables):
        if _table_said(text, t):
            out.append(PlanPart("tables", "confirmed", f"{t}: yes, the answer reads it."))
        else:
            out.append(PlanPart("tables", "missing", f"Which table holds the {t.replace('_', ' ')}?",
                                f"The answer also reads {t}."))
    # a table named outright (its own name, not a loose synonym) that the answer does not need;
    # "count distinct learners" names the unit counted (learner_id), not a table: never question that
    stems = {w for c in lg.columns for w in _column_words(c)}
    for t in TABLE_WORDS:
        if t in lg.tables or t.rstrip("s").replace("_", " ") in stems:
            continue
        if _says(text, t) or (len(t) > 6 and _says(text, t.rstrip("s").replace("_", " "))):
            out.append(PlanPart("tables", "questioned", f"You mention {t}; the answer does without it. "
                                "What would it add?"))
    return out


def _joins(text: str, lg: Logic) -> list[PlanPart]:
    out = []
    for j in lg.joins:
        if not j.keys:
            continue
        cols = sorted({c for pair in j.keys for c in pair})
        key_names = {c.split(".")[-1] for c in cols}
        names = " and ".join(f"{a} = {b}" for a, b in sorted(j.keys))
        kind = "" if j.kind == "INNER" else f" ({j.kind} JOIN: keep rows without a match)"
        # the id the plan joins on, when it says so ("on enrollment_id", "by learner id", "using ...")
        stated = re.findall(r"\b(?:on|by|using|via|through)\s+(?:the\s+)?([a-z]+(?:_| )id)\b", text)
        stated_names = {w.replace(" ", "_") for w in stated}
        if stated_names and not stated_names & key_names:
            out.append(PlanPart("join", "questioned", f"You link {j.table} by {sorted(stated_names)[0]}: does that "
                                "column name the same thing on both sides? A wrong key pairs unrelated rows.",
                                f"The reference matches {j.table} on {names}{kind}."))
            continue
        # the key counts only when the plan also brings in the joined table ("learners" alone is a unit)
        said = [c for c in cols if _mentions_column(text, c)] if _table_said(text, j.table) else []
        if said:
            if j.kind in ("LEFT", "RIGHT", "FULL") and not any(_says(text, w) for w in ("left", "outer", "keep", "including", "even", "without", "zero", "no ")):
                out.append(PlanPart("join", "questioned", f"Join to {j.table} on {names}: the key is right. What "
                                    "happens to the rows with no match: should they appear, as zero?",
                                    f"The reference keeps the rows without a match ({j.kind} JOIN)."))
                continue
            out.append(PlanPart("join", "confirmed", f"Join to {j.table} on {names}: yes{kind}."))
            continue
        out.append(PlanPart("join", "missing", f"How are the rows of {j.table} matched to the others? Name the key.",
                            f"The reference joins on {names}{kind}."))
    return out


def _filters(text: str, lg: Logic, plan: str, as_of: dt.date) -> list[PlanPart]:
    """Each filter of the reference against the plan. A date window is confirmed only when the plan
    names the same window; prose ("recently") and other windows are questioned."""
    out = []
    preds = lg.filters + lg.having
    spans = tw.reference_spans(preds)
    named = tw.plan_spans(plan, as_of)
    matched = {c for c, sp in spans.items() if any(tw.same(sp, n, as_of) for n in named)}
    stray = [n for n in named if not any(tw.same(sp, n, as_of) for sp in spans.values())]
    vague = tw.vague(plan)
    done: set[str] = set()
    for pred in preds:
        window = tw.span_of(pred)
        if window is not None and window[0] in spans:
            col, span = window[0], spans[window[0]]
            if col in done:
                continue  # one part per window, however many bounds it has
            done.add(col)
            pred = " AND ".join(p for p in preds if (tw.span_of(p) or ("",))[0] == col)
            detail = f"The reference keeps rows where {pred} ({tw.describe(span, as_of)})."
            if col in matched:
                out.append(PlanPart("filter", "confirmed", f"Filter {pred}: yes, the window you name.", detail))
            elif stray:
                out.append(PlanPart("filter", "questioned", f"You keep {stray[0].label}: is that the period the "
                                    "question asks about? Reread its dates; the answer uses another window.", detail))
            elif vague:
                out.append(PlanPart("filter", "questioned", f"\"{vague}\" is not a window: name the period (the "
                                    "dates, or the last N days), since the answer depends on it.", detail))
            else:
                out.append(PlanPart("filter", "missing", "Which period? The question limits the dates: name the "
                                    "window.", detail))
            continue
        cols = _pred_columns(pred)
        lits = [v for v in _literals(pred) if v not in ("0", "1")]
        said_lit = [v for v in lits if _says(text, v) or _says(text, v.replace("_", " "))]
        said_col = [c for c in cols if _mentions_column(text, c)]
        detail = f"The reference keeps only rows where {pred}."
        if said_lit or said_col:
            out.append(PlanPart("filter", "confirmed", f"Filter {pred}: yes.", detail))
        elif "is_internal_test" in pred and re.search(r"\b(internal|test|staff|qa|real)\b", text):
            out.append(PlanPart("filter", "confirmed", f"Filter {pred}: yes.", detail))
        else:
            hint = rows_hint(pred)
            out.append(PlanPart("filter", "missing", f"Which rows count? {hint[0].upper()}{hint[1:]}.", detail))
    if stray and not spans:
        out.append(PlanPart("filter", "questioned", f"You keep {stray[0].label}; the answer keeps every date. "
                            "What would the window change?"))
    return out


def _grouping(text: str, lg: Logic) -> list[PlanPart]:
    out = []
    for g in sorted(lg.group_by):
        cols = _pred_columns(g) or [g]
        detail = f"The reference groups by {g}."
        if any(_mentions_column(text, c) for c in cols) and any(_says(text, w) for w in GROUP_WORDS):
            out.append(PlanPart("grouping", "confirmed", f"Group by {g}: yes.", detail))
        elif "date_trunc" in g.lower() or "DATE_TRUNC" in g:
            unit = re.search(r"'(\w+)'", g)
            word = unit.group(1).lower() if unit else "period"
            if _says(text, word) or _says(text, word + "ly"):
                out.append(PlanPart("grouping", "confirmed", f"Group by {word}: yes.", detail))
            else:
                out.append(PlanPart("grouping", "missing", "One row per which period?", detail))
        else:
            out.append(PlanPart("grouping", "missing", "One row per what?", detail))
    return out


def _aggregates(text: str, lg: Logic) -> list[PlanPart]:
    out = []
    says_distinct = any(_says(text, w) for w in DISTINCT_WORDS)
    for func, distinct, arg in sorted(set(lg.aggregates)):
        words = AGG_WORDS.get(func, (func.lower(),))
        said = any(_says(text, w) for w in words) or (func == "COUNT" and any(_says(text, w) for w in DISTINCT_WORDS))
        label = f"{func}({'DISTINCT ' if distinct else ''}{arg})"
        detail = f"The reference computes {label}."
        if not said:
            out.append(PlanPart("aggregate", "missing", "What do you compute: a count, a sum, an average, a share?",
                                detail))
        elif func == "COUNT" and distinct and not says_distinct:
            out.append(PlanPart("aggregate", "questioned", f"Count each {arg.split('.')[-1].replace('_id', '').replace('_', ' ')} "
                                "once? The same one can appear in several rows.", detail))
        elif func == "COUNT" and not distinct and says_distinct and not any(
                d for (f, d, _a) in lg.aggregates if f == "COUNT" and d):
            out.append(PlanPart("aggregate", "questioned", "Distinct values? Here repeated rows are part of the "
                                "answer.", detail))
        else:
            out.append(PlanPart("aggregate", "confirmed", f"{label}: yes.", detail))
    return out


def _windows(text: str, lg: Logic) -> list[PlanPart]:
    out = []
    for w in sorted(lg.windows):
        detail = f"The reference ranks or compares rows within groups: {w}."
        if any(_says(text, word) for word in WINDOW_WORDS):
            out.append(PlanPart("window", "confirmed", f"Window {w}: yes.", detail))
        else:
            out.append(PlanPart("window", "missing", "Does the answer need to rank or compare rows within a group "
                                "(the latest, the first, the previous one)?", detail))
    return out


def summary(parts: list[PlanPart]) -> dict[str, int]:
    counts = {"confirmed": 0, "questioned": 0, "missing": 0}
    for p in parts:
        counts[p.status] += 1
    return counts
