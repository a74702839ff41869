"""The warehouse's business invariants, stated once: what happens before what (a learner signs up before
enrolling, a module starts after its enrollment, a payment falls inside its subscription...).

The generator keeps them (tested on every build with ``sql_violations``); the hidden-database builder
repairs its random rows to keep them (``repair``) and ``violations`` checks any small database, so a
hidden test never holds data the platform could not produce.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pmdrill.core.warehouse import schema


@dataclass(frozen=True)
class Before:
    """``earlier`` happens at or before ``later`` (either NULL: nothing to check).

    Both are (table, column). They are in the same row when the tables are equal and ``fk`` is None;
    otherwise ``fk`` is (table, column) of the foreign key joining them, on either side (a payment's
    subscription_id: the payment is before its subscription's cancellation).
    """

    id: str
    text: str
    earlier: tuple[str, str]
    later: tuple[str, str]
    fk: tuple[str, str] | None = None


@dataclass(frozen=True)
class Required:
    """A row of ``table`` whose ``fk`` points at a parent row needs that parent's ``column`` set."""

    id: str
    text: str
    table: str
    fk: str
    column: str


L = "learners"
INVARIANTS: tuple[Before | Required, ...] = (
    Before("referrer_first", "a referrer signed up before the learner they referred",
           (L, "signed_up_at"), (L, "signed_up_at"), (L, "referred_by_learner_id")),
    Before("partner_before_course", "a partner joins before its courses launch",
           ("partners", "joined_on"), ("courses", "launched_on"), ("courses", "partner_id")),
    Before("signup_before_enrollment", "a learner signs up before enrolling",
           (L, "signed_up_at"), ("enrollments", "enrolled_at"), ("enrollments", "learner_id")),
    Before("course_before_enrollment", "a course launches before anyone enrolls in it",
           ("courses", "launched_on"), ("enrollments", "enrolled_at"), ("enrollments", "course_id")),
    Before("enrolled_before_completed", "an enrollment completes after it was enrolled",
           ("enrollments", "enrolled_at"), ("enrollments", "completed_at")),
    Before("enrolled_before_module", "a module starts after its enrollment",
           ("enrollments", "enrolled_at"), ("module_progress", "started_at"), ("module_progress", "enrollment_id")),
    Before("module_started_before_completed", "a module completes after it started",
           ("module_progress", "started_at"), ("module_progress", "completed_at")),
    Before("enrolled_before_attempt", "an assessment is attempted after enrolling",
           ("enrollments", "enrolled_at"), ("assessment_attempts", "attempted_at"),
           ("assessment_attempts", "enrollment_id")),
    Required("certificate_needs_completion", "a course certificate is issued for a completed enrollment",
             "certificates", "enrollment_id", "completed_at"),
    Before("completed_before_certificate", "a certificate is issued at or after the completion",
           ("enrollments", "completed_at"), ("certificates", "issued_at"), ("certificates", "enrollment_id")),
    Before("signup_before_certificate", "a certificate is issued after sign-up",
           (L, "signed_up_at"), ("certificates", "issued_at"), ("certificates", "learner_id")),
    Before("signup_before_subscription", "a subscription starts after sign-up",
           (L, "signed_up_at"), ("subscriptions", "started_at"), ("subscriptions", "learner_id")),
    Before("subscription_started_before_canceled", "a subscription is canceled after it started",
           ("subscriptions", "started_at"), ("subscriptions", "canceled_at")),
    Before("subscription_started_before_trial_end", "a trial ends after the subscription started",
           ("subscriptions", "started_at"), ("subscriptions", "trial_ends_at")),
    Before("signup_before_payment", "a payment is made after sign-up",
           (L, "signed_up_at"), ("payments", "paid_at"), ("payments", "learner_id")),
    Before("subscription_before_payment", "a subscription's payment is made after it started",
           ("subscriptions", "started_at"), ("payments", "paid_at"), ("payments", "subscription_id")),
    Before("payment_before_cancel", "a subscription's payment is made before it was canceled",
           ("payments", "paid_at"), ("subscriptions", "canceled_at"), ("payments", "subscription_id")),
    Before("enrolled_before_payment", "an enrollment's payment is made after enrolling",
           ("enrollments", "enrolled_at"), ("payments", "paid_at"), ("payments", "enrollment_id")),
    Before("contract_start_before_end", "an enterprise contract ends after it starts",
           ("enterprise_accounts", "contract_start"), ("enterprise_accounts", "contract_end")),
    Before("contract_before_seat", "a seat is assigned once its contract started",
           ("enterprise_accounts", "contract_start"), ("enterprise_seats", "assigned_at"),
           ("enterprise_seats", "account_id")),
    Before("seat_before_contract_end", "a seat is assigned before its contract ends",
           ("enterprise_seats", "assigned_at"), ("enterprise_accounts", "contract_end"),
           ("enterprise_seats", "account_id")),
    Before("seat_assigned_before_activated", "a seat is activated after it was assigned",
           ("enterprise_seats", "assigned_at"), ("enterprise_seats", "activated_at")),
    Before("signup_before_activation", "a seat is activated after its learner signed up",
           (L, "signed_up_at"), ("enterprise_seats", "activated_at"), ("enterprise_seats", "learner_id")),
    Before("experiment_started_before_ended", "an experiment ends after it started",
           ("experiments", "started_at"), ("experiments", "ended_at")),
    Before("experiment_before_assignment", "an assignment falls after its experiment started",
           ("experiments", "started_at"), ("experiment_assignments", "assigned_at"),
           ("experiment_assignments", "experiment_id")),
    Before("assignment_before_experiment_end", "an assignment falls before its experiment ended",
           ("experiment_assignments", "assigned_at"), ("experiments", "ended_at"),
           ("experiment_assignments", "experiment_id")),
    Before("signup_before_assignment", "a learner is assigned after signing up",
           (L, "signed_up_at"), ("experiment_assignments", "assigned_at"), ("experiment_assignments", "learner_id")),
    Before("signup_before_event", "learning events come after sign-up",
           (L, "signed_up_at"), ("learning_events", "event_at"), ("learning_events", "learner_id")),
    Before("enrolled_before_event", "an enrollment's events come after enrolling",
           ("enrollments", "enrolled_at"), ("learning_events", "event_at"), ("learning_events", "enrollment_id")),
    Before("signup_before_notification", "notifications are sent after sign-up",
           (L, "signed_up_at"), ("notifications", "sent_at"), ("notifications", "learner_id")),
    Before("sent_before_opened", "a notification is opened after it was sent",
           ("notifications", "sent_at"), ("notifications", "opened_at")),
    Before("signup_before_recommendation", "recommendations are shown after sign-up",
           (L, "signed_up_at"), ("recommendations", "shown_at"), ("recommendations", "learner_id")),
    Before("shown_before_clicked", "a recommendation is clicked after it was shown",
           ("recommendations", "shown_at"), ("recommendations", "clicked_at")),
    Before("shown_before_enrollment", "an enrollment from a recommendation comes after it was shown",
           ("recommendations", "shown_at"), ("enrollments", "enrolled_at"), ("recommendations", "enrollment_id")),
    Before("signup_before_review", "a review is written after sign-up",
           (L, "signed_up_at"), ("course_reviews", "reviewed_at"), ("course_reviews", "learner_id")),
    Before("signup_before_outcome", "a career survey comes after sign-up",
           (L, "signed_up_at"), ("career_outcomes", "surveyed_at"), ("career_outcomes", "learner_id")),
)


def as_time(v: Any) -> dt.datetime | None:
    """A DATE as midnight of its day, a TIMESTAMP as itself, anything else None.

    Example:
        >>> as_time(dt.date(2026, 5, 1))
        datetime.datetime(2026, 5, 1, 0, 0)
    """
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time())
    return None


def _same_kind(value: dt.datetime, like: Any) -> Any:
    return value.date() if isinstance(like, dt.date) and not isinstance(like, dt.datetime) else value


Rows = Mapping[str, Sequence[Sequence[Any]]]


def _col(table: str, column: str) -> int:
    return schema.table(table).column_names.index(column)


def _pairs(inv: Before, tables: Rows) -> list[tuple[str, int, int, str, int, int]]:
    """(earlier table, row, col, later table, row, col) of every pair the invariant relates."""
    (et, ec), (lt, lc) = inv.earlier, inv.later
    if et not in tables or lt not in tables:
        return []
    ei, li = _col(et, ec), _col(lt, lc)
    if inv.fk is None:
        return [(et, r, ei, lt, r, li) for r in range(len(tables[et]))]
    child, fk_col = inv.fk
    parent = lt if child == et and et != lt else et
    if child == et == lt:  # a self reference (the referrer): the earlier row is the parent
        parent = et
    pcol = next(pc for c, p, pc in schema.table(child).foreign_keys if c == fk_col)
    fi, pi = _col(child, fk_col), _col(parent, pcol)
    index = {row[pi]: n for n, row in enumerate(tables[parent])}
    out = []
    for n, row in enumerate(tables[child]):
        p = index.get(row[fi]) if row[fi] is not None else None
        if p is None:
            continue
        if child == et == lt:
            out.append((et, p, ei, lt, n, li))
        elif child == lt:
            out.append((et, p, ei, lt, n, li))
        else:
            out.append((et, n, ei, lt, p, li))
    return out


def violations(tables: Rows) -> list[str]:
    """Every broken invariant in a small database (tables of tuples in contract column order).

    Example:
        >>> learner = (1, dt.datetime(2026, 5, 2), "US", "seo", "career", None, False)
        >>> early = (7, 1, 3, None, dt.datetime(2026, 5, 1), "audit", "search", None)
        >>> violations({"learners": [learner], "enrollments": [early]})[0].split(":")[0]
        'signup_before_enrollment'
    """
    out: list[str] = []
    for inv in INVARIANTS:
        if isinstance(inv, Required):
            if inv.table not in tables:
                continue
            ref = next(((p, pc) for c, p, pc in schema.table(inv.table).foreign_keys if c == inv.fk), None)
            if ref is None or ref[0] not in tables:
                continue
            fi, pi, ci = _col(inv.table, inv.fk), _col(ref[0], ref[1]), _col(ref[0], inv.column)
            parents = {row[pi]: row for row in tables[ref[0]]}
            for row in tables[inv.table]:
                parent = parents.get(row[fi]) if row[fi] is not None else None
                if parent is not None and parent[ci] is None:
                    out.append(f"{inv.id}: {inv.text} ({inv.table} row {row[0]})")
            continue
        for et, er, ei, lt, lr, li in _pairs(inv, tables):
            a, b = as_time(tables[et][er][ei]), as_time(tables[lt][lr][li])
            if a is not None and b is not None and a > b:
                out.append(f"{inv.id}: {inv.text} ({et}.{inv.earlier[1]} {a} after {lt}.{inv.later[1]} {b})")
    return out


def repair(tables: dict[str, list[list[Any]]], keep: Collection[dt.datetime] = (), *, passes: int = 40) -> None:
    """Move times (in place) until every invariant holds: usually the earlier one back to the later one,
    but never a value in ``keep`` (the query's window edges) when the other one can move instead; a
    required parent column left NULL is set from its child.

    Example:
        >>> learner = [1, dt.datetime(2026, 5, 2), "US", "seo", "career", None, False]
        >>> early = [7, 1, 3, None, dt.datetime(2026, 5, 1), "audit", "search", None]
        >>> db = {"learners": [learner], "enrollments": [early]}
        >>> repair(db, keep={dt.datetime(2026, 5, 1)})
        >>> db["learners"][0][1], violations(db)
        (datetime.datetime(2026, 5, 1, 0, 0), [])
    """
    keep_set = set(keep)
    for _ in range(passes):
        changed = False
        for inv in INVARIANTS:
            if isinstance(inv, Required):
                changed |= _repair_required(inv, tables)
                continue
            for et, er, ei, lt, lr, li in _pairs(inv, tables):
                a_raw, b_raw = tables[et][er][ei], tables[lt][lr][li]
                a, b = as_time(a_raw), as_time(b_raw)
                if a is None or b is None or a <= b:
                    continue
                move_later = a in keep_set and b not in keep_set
                if move_later:
                    tables[lt][lr][li] = _same_kind(a, b_raw)
                else:
                    tables[et][er][ei] = _same_kind(b, a_raw)
                changed = True
        if not changed:
            return


def _repair_required(inv: Required, tables: dict[str, list[list[Any]]]) -> bool:
    if inv.table not in tables:
        return False
    ref = next(((p, pc) for c, p, pc in schema.table(inv.table).foreign_keys if c == inv.fk), None)
    if ref is None or ref[0] not in tables:
        return False
    fi, pi, ci = _col(inv.table, inv.fk), _col(ref[0], ref[1]), _col(ref[0], inv.column)
    when = next((c for c in schema.table(inv.table).columns if c.type == "TIMESTAMP"), None)
    changed = False
    for row in tables[inv.table]:
        for parent in tables[ref[0]]:
            if row[fi] is not None and parent[pi] == row[fi] and parent[ci] is None:
                at = row[_col(inv.table, when.name)] if when is not None else None
                parent[ci] = at if at is not None else dt.datetime(2000, 1, 1)
                changed = True
    return changed


def sql_violations(inv: Before | Required) -> str:
    """A query counting the rows of a warehouse that break ``inv`` (0 when it holds)."""
    if isinstance(inv, Required):
        ref = next((p, pc) for c, p, pc in schema.table(inv.table).foreign_keys if c == inv.fk)
        return (f"SELECT COUNT(*) FROM {inv.table} c JOIN {ref[0]} p ON p.{ref[1]} = c.{inv.fk} "
                f"WHERE p.{inv.column} IS NULL")
    (et, ec), (lt, lc) = inv.earlier, inv.later
    if inv.fk is None:
        return f"SELECT COUNT(*) FROM {et} WHERE {ec} > {lc}"
    child, fk_col = inv.fk
    parent = lt if child == et else et
    pcol = next(pc for c, p, pc in schema.table(child).foreign_keys if c == fk_col)
    if child == et == lt:
        return (f"SELECT COUNT(*) FROM {child} c JOIN {child} p ON p.{pcol} = c.{fk_col} "
                f"WHERE p.{ec} > c.{lc}")
    e_alias, l_alias = ("c", "p") if child == et else ("p", "c")
    return (f"SELECT COUNT(*) FROM {child} c JOIN {parent} p ON p.{pcol} = c.{fk_col} "
            f"WHERE CAST({e_alias}.{ec} AS TIMESTAMP) > CAST({l_alias}.{lc} AS TIMESTAMP)")
