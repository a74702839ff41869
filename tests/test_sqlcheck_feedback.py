"""Feedback on wrong answers: the clause-by-clause logic diff, the smallest counterexample, logic-first plans."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from pmdrill.adapters.grading import Grader
from pmdrill.adapters.local_runner import LocalRunner
from pmdrill.core.sqlcheck import datagen, gate, logic_diff, logic_first, shrink
from pmdrill.core.sqlcheck.compare import compare
from pmdrill.core.sqlcheck.logic_diff import CLAUSES
from pmdrill.core.sqlcheck.types import HiddenDb
from sqlcheck_fixtures import AS_OF, make_warehouse


def diff(ref: str, ans: str) -> list[logic_diff.Diff]:
    return logic_diff.diff(sqlglot.parse_one(ref, read="duckdb"), sqlglot.parse_one(ans, read="duckdb"))


def kinds(ref: str, ans: str) -> list[str]:
    return [d.kind for d in diff(ref, ans)]


BASE = ("SELECT c.domain, COUNT(DISTINCT e.learner_id) AS n FROM courses c LEFT JOIN enrollments e "
        "ON e.course_id = c.course_id WHERE e.enrolled_at >= DATE '2026-01-01' GROUP BY c.domain")


def test_identical_logic_with_other_aliases_has_no_diff() -> None:
    same = ("SELECT co.domain, COUNT(DISTINCT en.learner_id) AS learners FROM courses AS co LEFT JOIN enrollments en "
            "ON co.course_id = en.course_id WHERE DATE '2026-01-01' <= en.enrolled_at GROUP BY co.domain")
    assert diff(BASE, same) == []


def test_join_type_and_join_keys() -> None:
    inner = BASE.replace("LEFT JOIN", "JOIN")
    d = diff(BASE, inner)
    assert [x.kind for x in d] == ["join_type"]
    # first in the candidate's terms (their INNER JOIN drops rows), the reference's LEFT JOIN on request
    assert "INNER JOIN" in d[0].message and "LEFT" not in d[0].message
    assert "LEFT JOIN" in d[0].detail and "LEFT JOIN" in d[0].to_dict(reveal=True)["detail"]
    assert "detail" not in d[0].to_dict()
    assert "join_keys" in kinds(BASE, BASE.replace("e.course_id = c.course_id", "e.learner_id = c.course_id"))


def test_tables_missing_and_extra() -> None:
    extra = BASE.replace("GROUP BY", "AND EXISTS (SELECT 1 FROM payments p WHERE p.learner_id = e.learner_id) GROUP BY")
    assert "table_extra" in kinds(BASE, extra)
    assert "table_missing" in kinds(extra, BASE)


def test_filters_missing_changed_and_extra() -> None:
    no_filter = BASE.replace("WHERE e.enrolled_at >= DATE '2026-01-01' ", "")
    assert kinds(BASE, no_filter) == ["filter_missing"]
    boundary = diff(BASE, BASE.replace(">=", ">"))
    assert [x.kind for x in boundary] == ["filter_differs"] and "boundary" in boundary[0].message
    assert kinds(no_filter, BASE) == ["filter_extra"]


def test_grouping_aggregates_windows_and_order() -> None:
    assert "group_differs" in kinds(BASE, BASE.replace("GROUP BY c.domain", "GROUP BY c.domain, c.level"))
    assert kinds(BASE, BASE.replace("COUNT(DISTINCT e.learner_id)", "COUNT(e.learner_id)")) == ["aggregate_distinct"]
    star = diff("SELECT COUNT(*) FROM learners", "SELECT COUNT(learner_goal) FROM learners")
    assert star[0].kind == "aggregate" and "learner goal is NULL" in star[0].message and "COUNT(*)" in star[0].detail
    ranked = "SELECT learner_id, RANK() OVER (PARTITION BY country ORDER BY signed_up_at) FROM learners"
    rowno = ranked.replace("RANK()", "ROW_NUMBER()")
    assert kinds(ranked, rowno).count("window") == 2
    assert "order" in kinds(BASE + " ORDER BY n DESC", BASE + " ORDER BY n")


def test_findings_follow_the_clause_order() -> None:
    bad = ("SELECT c.level, COUNT(e.learner_id) AS n FROM courses c JOIN enrollments e ON e.course_id = c.course_id "
           "GROUP BY c.level")
    order = [CLAUSES.index(d.clause) for d in diff(BASE, bad)]
    assert order == sorted(order) and len(order) >= 4


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalRunner:
    return LocalRunner(make_warehouse(tmp_path_factory.mktemp("wh")))


def test_counterexample_is_small_valid_and_still_disagrees(runner: LocalRunner) -> None:
    import random

    ref = gate.check("SELECT COUNT(DISTINCT learner_id) AS n FROM enrollments", as_of=AS_OF).duckdb_sql
    ans = gate.check("SELECT COUNT(learner_id) AS n FROM enrollments", as_of=AS_OF).duckdb_sql
    pools = datagen.pools_from(sqlglot.parse_one("SELECT 1"), AS_OF)
    db = None
    for seed in range(50):  # a random database on which the two disagree (a learner enrolled twice)
        cand = datagen.random_db(["enrollments"], pools, random.Random(seed), datagen.Profile(rows=(8, 12)))
        if not compare(runner.run(ref, cand), runner.run(ans, cand)).equal:
            db = cand
            break
    assert db is not None
    small, expected, got = shrink.shrink(db, ref, ans, runner)
    assert small.row_count < db.row_count
    assert datagen.check_db(small, AS_OF) == []
    assert not compare(expected, got).equal
    # the smallest disagreement is two enrollments of one learner (plus the rows they need)
    assert len(small.tables["enrollments"]) == 2
    ce = shrink.counterexample(db, ref, ans, runner, runner, runner.run(ref, db), runner.run(ans, db))
    assert set(ce) >= {"tables", "expected", "got"}
    assert ce["expected"]["rows"] != ce["got"]["rows"]


def test_grade_gives_a_counterexample_side_by_side(tmp_path: Path) -> None:
    g = Grader(make_warehouse(tmp_path), as_of=AS_OF, sandboxed=False)
    ref = "SELECT c.course_id, COUNT(e.enrollment_id) AS n FROM courses c LEFT JOIN enrollments e ON e.course_id = c.course_id GROUP BY 1"
    wrong = "SELECT c.course_id, COUNT(*) AS n FROM courses c LEFT JOIN enrollments e ON e.course_id = c.course_id GROUP BY 1"
    result = g.check(None, wrong, reference=ref)
    assert result.correct is False
    ce = result.counterexample
    assert ce is not None and ce["rows"] <= ce["original_rows"]
    assert ce["expected"]["rows"] != ce["got"]["rows"]
    db = HiddenDb({t: tuple(tuple(r) for r in v["rows"]) for t, v in ce["tables"].items()})
    assert datagen.check_db(db, AS_OF) == []
    assert any("COUNT(*)" in f for f in result.feedback)
    g.close()


# ---- logic first ---------------------------------------------------------------------------

PLAN_REF = ("SELECT COUNT(DISTINCT e.learner_id) FROM enrollments e JOIN payments p ON p.learner_id = e.learner_id "
            "WHERE p.paid_at >= CAST('2026-06-30' AS DATE) - INTERVAL 30 DAY")


def statuses(text: str, ref: str = PLAN_REF) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in logic_first.check_plan(text, sqlglot.parse_one(ref, read="duckdb")):
        out.setdefault(p.part, []).append(p.status)
    return out


@pytest.mark.parametrize("text", [
    "join enrollments to payments on learner_id, keep the last 30 days, count distinct learners",
    "Take enrolments and link them with payment transactions by learner id; only the past 30 days; "
    "number of unique students",
])
def test_a_right_plan_is_confirmed_whatever_the_words(text: str) -> None:
    s = statuses(text)
    assert all(v == "confirmed" for vs in s.values() for v in vs), s


def test_a_plan_that_counts_rows_is_questioned() -> None:
    s = statuses("join enrollments to payments on learner_id, keep the last 30 days, count them")
    assert s["aggregate"] == ["questioned"]


def test_silence_is_missing_not_wrong_and_extra_tables_are_questioned() -> None:
    s = statuses("count distinct learners in enrollments")
    assert s["join"] == ["missing"] and s["filter"] == ["missing"]
    extra = statuses("join enrollments, payments and certificates on learner_id, last 30 days, count distinct learners")
    assert "questioned" in extra["tables"]


def test_wrong_join_key_is_questioned() -> None:
    s = statuses("join enrollments to payments on enrollment_id, last 30 days, count distinct learners")
    assert s["join"] == ["questioned"]


def _reference_clauses(ref: str, ans: str) -> list[str]:
    """The reference's own clause texts that the answer lacks: what a first-level message must not say."""
    r = logic_diff.extract(sqlglot.parse_one(ref, read="duckdb"))
    a = logic_diff.extract(sqlglot.parse_one(ans, read="duckdb"))
    out = [p for p in r.filters + r.having if p not in a.filters + a.having]
    answer_keys = {k for j in a.joins for k in j.keys}
    out += [f"{x} = {y}" for j in r.joins for x, y in j.keys if (x, y) not in answer_keys]
    out += [g for g in r.group_by if g not in a.group_by]
    out += [f"{f}({'DISTINCT ' if d else ''}{arg})" for f, d, arg in r.aggregates - a.aggregates]
    out += [w for w in r.windows if w not in a.windows]
    own = " ".join([*a.filters, *a.having, *(f"{x} = {y}" for x, y in answer_keys), *a.group_by,
                    *(f"{f}({'DISTINCT ' if d else ''}{arg})" for f, d, arg in a.aggregates), *a.windows])
    return [c for c in out if c not in own]  # what the candidate wrote may be quoted back to them


def test_first_level_feedback_never_quotes_the_reference_on_any_bank_mistake() -> None:
    from pmdrill.core.sqlcheck import bank

    checked = 0
    for q in bank.load_bank():
        ref = gate.check(q.reference, "duckdb", as_of=AS_OF).duckdb_sql
        for w in q.wrong_answers:
            ans = gate.check(w.sql, "duckdb", as_of=AS_OF).duckdb_sql
            hidden = _reference_clauses(ref, ans)
            for d in logic_diff.diff(sqlglot.parse_one(ref, read="duckdb"), sqlglot.parse_one(ans, read="duckdb")):
                checked += 1
                assert not [c for c in hidden if c in d.message], (q.id, d)
                assert d.detail or d.kind.endswith("_extra") or d.kind in ("table_extra", "distinct", "window"), d
    assert checked > 100


def test_a_missing_filter_is_first_said_in_the_questions_terms() -> None:
    ref = ("SELECT COUNT(DISTINCT p.learner_id) FROM payments p JOIN learners l ON l.learner_id = p.learner_id "
           "WHERE NOT l.is_internal_test AND p.status = 'succeeded'")
    ans = "SELECT COUNT(DISTINCT p.learner_id) FROM payments p JOIN learners l ON l.learner_id = p.learner_id"
    d = diff(ref, ans)
    assert [x.kind for x in d] == ["filter_missing", "filter_missing"]
    assert "not real learners" in d[0].message and "is_internal_test" not in d[0].message
    assert "NOT learners.is_internal_test" in d[0].detail
    assert "status" in d[1].message and "succeeded" not in d[1].message and "succeeded" in d[1].detail


# ---- a window is confirmed only when the plan names the same one -----------------------------

MAY = ("SELECT COUNT(DISTINCT p.learner_id) FROM payments p JOIN learners l ON l.learner_id = p.learner_id "
       "WHERE NOT l.is_internal_test AND p.status = 'succeeded' AND p.paid_at >= DATE '2026-05-01' "
       "AND p.paid_at < DATE '2026-06-01'")


def window_statuses(plan: str, ref: str = MAY, dialect: str = "duckdb") -> list[str]:
    tree = sqlglot.parse_one(gate.check(ref, dialect, as_of=AS_OF).duckdb_sql, read="duckdb")
    return [p.status for p in logic_first.check_plan(plan, tree, as_of=AS_OF)
            if p.part == "filter" and "paid_at" in p.detail]


@pytest.mark.parametrize("plan, expected", [
    ("I'll look at who paid recently", "questioned"),              # prose, not a window
    ("count payments in the last 30 days", "questioned"),          # another window
    ("count payments in June 2026", "questioned"),
    ("real learners with a succeeded payment, count distinct learners", "missing"),  # silent
    ("real learners with a succeeded payment in May 2026, count distinct learners", "confirmed"),
    ("payments made during may, each learner once", "confirmed"),
    ("keep paid_at from 2026-05-01 to 2026-05-31, distinct learners", "confirmed"),
    ("last month's paying learners", "confirmed"),                 # the as-of is 2026-06-30: last month is May
])
def test_a_window_is_confirmed_only_when_named(plan: str, expected: str) -> None:
    assert set(window_statuses(plan)) == {expected}


@pytest.mark.parametrize("ref, dialect, right, wrong", [
    ("SELECT COUNT(*) FROM payments WHERE paid_at >= CURRENT_DATE - INTERVAL '30 days'", "postgres",
     "payments in the past 30 days", "payments in May 2026"),
    ("SELECT COUNT(*) FROM payments WHERE paid_at >= DATE '2026-06-30' - INTERVAL 12 MONTH", "duckdb",
     "payments over the last 12 months", "payments in the last 30 days"),
    ("SELECT COUNT(*) FROM payments WHERE paid_at BETWEEN '2026-01-01' AND '2026-03-31 23:59:59'", "duckdb",
     "payments in Q1 2026", "payments in 2026"),
    ("SELECT COUNT(*) FROM payments WHERE date_trunc('month', paid_at) = DATE '2026-04-01'", "duckdb",
     "payments in April", "payments since April"),
    ("SELECT COUNT(*) FROM payments WHERE EXTRACT(YEAR FROM paid_at) = 2025", "duckdb",
     "all payments made in 2025", "payments in the last 12 months"),
])
def test_windows_of_any_reference_shape(ref: str, dialect: str, right: str, wrong: str) -> None:
    assert set(window_statuses(right, ref, dialect)) == {"confirmed"}
    assert set(window_statuses(wrong, ref, dialect)) == {"questioned"}
    assert set(window_statuses("count the payments", ref, dialect)) == {"missing"}


def test_an_age_cut_off_is_a_window_too() -> None:
    ref = ("SELECT AVG(CASE WHEN completed_at IS NOT NULL THEN 1 ELSE 0 END) FROM enrollments "
           "WHERE enrolled_at < DATE '2026-06-30' - INTERVAL 180 DAY")
    tree = sqlglot.parse_one(gate.check(ref, "duckdb", as_of=AS_OF).duckdb_sql, read="duckdb")

    def status(plan: str) -> set[str]:
        return {p.status for p in logic_first.check_plan(plan, tree, as_of=AS_OF)
                if p.part == "filter" and "enrolled_at" in p.detail}

    assert status("completion rate of enrollments at least 180 days old") == {"confirmed"}
    assert status("completion rate of enrollments older than 90 days") == {"questioned"}


def test_plan_feedback_keeps_the_reference_clause_for_when_asked() -> None:
    tree = sqlglot.parse_one(gate.check(MAY, "duckdb", as_of=AS_OF).duckdb_sql, read="duckdb")
    parts = logic_first.check_plan("count learners", tree, as_of=AS_OF)
    missing = [p for p in parts if p.status != "confirmed"]
    assert missing
    for p in missing:
        text = p.message.lower()
        assert "2026-05-01" not in text and "is_internal_test" not in text and "succeeded" not in text, p
        assert "detail" not in p.to_dict() and p.to_dict(reveal=True)["detail"] == (p.detail or p.message)
    assert any("2026-05-01" in p.detail for p in missing) and any("is_internal_test" in p.detail for p in missing)
