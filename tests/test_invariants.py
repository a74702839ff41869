"""The business invariants hold on every warehouse build and in every small database the grader makes."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import pytest
import sqlglot

from pmdrill.core.sqlcheck import datagen
from pmdrill.core.warehouse.invariants import INVARIANTS, sql_violations, violations


@pytest.mark.parametrize("inv", INVARIANTS, ids=lambda i: i.id)
def test_the_tiny_build_keeps_each_invariant(tiny_warehouse: Path, inv: object) -> None:
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    try:
        assert con.execute(sql_violations(inv)).fetchone()[0] == 0  # type: ignore[arg-type, index]
    finally:
        con.close()


@pytest.mark.slow
def test_the_default_build_keeps_every_invariant(default_warehouse: Path) -> None:
    con = duckdb.connect(str(default_warehouse), read_only=True)
    try:
        broken = {inv.id: con.execute(sql_violations(inv)).fetchone()[0] for inv in INVARIANTS}
    finally:
        con.close()
    assert {k: v for k, v in broken.items() if v} == {}


def test_the_checks_can_fail(tiny_warehouse: Path) -> None:
    """Each SQL check counts a planted violation (a check that cannot fail proves nothing)."""
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{tiny_warehouse}' AS w (READ_ONLY)")
    for table in ("learners", "enrollments", "payments", "subscriptions", "certificates"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM w.{table}")
    con.execute("UPDATE enrollments SET enrolled_at = enrolled_at - INTERVAL 3000 DAY "
                "WHERE enrollment_id = (SELECT MIN(enrollment_id) FROM enrollments)")
    ids = {i.id: i for i in INVARIANTS}
    assert con.execute(sql_violations(ids["signup_before_enrollment"])).fetchone()[0] == 1  # type: ignore[index]
    con.execute("UPDATE payments SET paid_at = TIMESTAMP '2001-01-01' WHERE subscription_id IS NOT NULL "
                "AND payment_id = (SELECT MIN(payment_id) FROM payments WHERE subscription_id IS NOT NULL)")
    assert con.execute(sql_violations(ids["subscription_before_payment"])).fetchone()[0] == 1  # type: ignore[index]


QUERIES = [
    "SELECT COUNT(*) FROM payments p JOIN learners l USING (learner_id) WHERE p.paid_at >= TIMESTAMP '2026-05-01' "
    "AND l.signed_up_at >= TIMESTAMP '2026-05-20'",
    "SELECT e.learner_id, DATE_DIFF('day', e.enrolled_at, e.completed_at) FROM enrollments e "
    "WHERE e.completed_at < TIMESTAMP '2025-01-01'",
    "SELECT c.issued_at, e.completed_at FROM certificates c JOIN enrollments e USING (enrollment_id) "
    "WHERE c.issued_at >= CURRENT_DATE - INTERVAL 30 DAY",
    "SELECT s.canceled_at, p.paid_at FROM payments p JOIN subscriptions s USING (subscription_id) "
    "WHERE s.started_at >= TIMESTAMP '2026-01-01'",
    "SELECT a.assigned_at FROM experiment_assignments a JOIN experiments x USING (experiment_id) "
    "WHERE x.name = 'new_onboarding'",
    "SELECT m.started_at FROM module_progress m JOIN enrollments e USING (enrollment_id) "
    "JOIN learners l USING (learner_id) WHERE m.completed_at IS NOT NULL",
    "SELECT s.activated_at FROM enterprise_seats s JOIN enterprise_accounts a USING (account_id) "
    "WHERE a.contract_end >= DATE '2026-06-01'",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_random_small_databases_keep_every_invariant(sql: str) -> None:
    tree = sqlglot.parse_one(sql, read="duckdb")
    as_of = dt.date(2026, 6, 30)
    pools = datagen.pools_from(tree, as_of)
    tables = sorted({t.name for t in tree.find_all(sqlglot.exp.Table)})
    for seed in range(40):
        for prof in (*datagen.PROFILES, *datagen.targeted_profiles(pools)):
            db = datagen.random_db(tables, pools, random.Random(seed), prof)
            assert violations(db.tables) == [], (seed, prof)
            assert datagen.check_db(db, as_of) == []
