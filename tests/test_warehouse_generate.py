"""The generator's contract: deterministic, every contract column typed right, keys and references hold."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from pmdrill.adapters.duckdb_store import build_warehouse, open_warehouse, table_checksums, warehouse_info
from pmdrill.core.warehouse import schema
from pmdrill.core.warehouse.generate import ADDED_COLUMNS
from pmdrill.errors import WarehouseError

FIXTURES = ["tiny_warehouse", "default_warehouse"]


@pytest.fixture(params=FIXTURES)
def con(request: pytest.FixtureRequest):
    path = request.getfixturevalue(request.param)
    c = open_warehouse(path)
    yield c
    c.close()


def _meta_checksums(path: Path) -> dict[str, str]:
    c = duckdb.connect(str(path), read_only=True)
    try:
        return json.loads(c.execute("SELECT value FROM _pmdrill_meta WHERE key = 'checksums'").fetchone()[0])
    finally:
        c.close()


def test_same_seed_same_checksums_other_seed_differs(tiny_warehouse: Path, tmp_path: Path) -> None:
    again = build_warehouse(tmp_path / "again.duckdb", scale="tiny", seed=42)
    other = build_warehouse(tmp_path / "other.duckdb", scale="tiny", seed=43)
    assert again["checksums"] == _meta_checksums(tiny_warehouse)
    changed = [t for t in other["checksums"] if other["checksums"][t] != again["checksums"][t]]
    assert "learners" in changed and "learning_events" in changed and "enrollments" in changed


def test_stored_checksums_match_the_data(tiny_warehouse: Path) -> None:
    c = open_warehouse(tiny_warehouse)
    try:
        assert table_checksums(c) == _meta_checksums(tiny_warehouse)
    finally:
        c.close()


def test_tiny_build_is_atomic(tmp_path: Path) -> None:
    # build time is measured in `make bench`, never asserted here
    out = tmp_path / "w.duckdb"
    info = build_warehouse(out, scale="tiny", seed=5)
    assert out.exists() and not list(tmp_path.glob("*.partial*"))
    assert info["scale"] == "tiny" and info["rows"] > 10_000


def test_unknown_scale_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="unknown scale"):
        build_warehouse(tmp_path / "w.duckdb", scale="huge")
    assert not (tmp_path / "w.duckdb").exists()


def test_info_reports_meta_and_counts(tiny_warehouse: Path) -> None:
    info = warehouse_info(tiny_warehouse)
    assert info["as_of"] == "2026-06-30" and info["seed"] == 42 and info["scale"] == "tiny"
    assert info["tables"]["learners"] == 2_000
    assert set(schema.table_names()) <= set(info["tables"])


def test_every_contract_column_has_the_contract_type(con: duckdb.DuckDBPyConnection) -> None:
    have = {(t, c): ty for t, c, ty in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()}
    # the contract's own DDL, run in memory, says what information_schema must report (check_contract.py)
    ref = duckdb.connect()
    ref.execute(schema.contract_sql())
    want = ref.execute("SELECT table_name, column_name, data_type FROM information_schema.columns").fetchall()
    assert len(want) == sum(len(t.columns) for t in schema.tables())
    for t, c, ty in want:
        assert have.get((t, c)) == ty, f"{t}.{c}"
    for t, c, kind, _ in ADDED_COLUMNS:
        assert have[(t, c)] == kind


def test_added_columns_are_documented(con: duckdb.DuckDBPyConnection) -> None:
    for t, c, _, _ in ADDED_COLUMNS:
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = ? AND column_name = ?",
                              [t, c]).fetchone()[0]
        assert comment and "pmdrill" in comment


@pytest.mark.parametrize("table", schema.tables(), ids=lambda t: t.name)
def test_primary_keys_unique_and_not_null(con: duckdb.DuckDBPyConnection, table: schema.Table) -> None:
    cols = ", ".join(table.primary_key)
    dupes = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {table.name} GROUP BY ALL HAVING count(*) > 1)"
                        ).fetchone()[0]
    assert dupes == 0
    for col in table.columns:
        if not col.nullable:
            nulls = con.execute(f"SELECT count(*) FROM {table.name} WHERE {col.name} IS NULL").fetchone()[0]
            assert nulls == 0, f"{table.name}.{col.name}"
    for unique in table.unique:
        u = ", ".join(unique)
        assert con.execute(f"SELECT count(*) - count(DISTINCT ({u})) FROM {table.name}").fetchone()[0] == 0


@pytest.mark.parametrize("table", [t for t in schema.tables() if t.foreign_keys], ids=lambda t: t.name)
def test_foreign_keys_resolve(con: duckdb.DuckDBPyConnection, table: schema.Table) -> None:
    for column, parent, parent_col in table.foreign_keys:
        orphans = con.execute(
            f"SELECT count(*) FROM {table.name} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {parent} p WHERE p.{parent_col} = c.{column})").fetchone()[0]
        assert orphans == 0, f"{table.name}.{column} -> {parent}"


@pytest.mark.parametrize("table", schema.tables(), ids=lambda t: t.name)
def test_enum_columns_hold_documented_values(con: duckdb.DuckDBPyConnection, table: schema.Table) -> None:
    for col in table.columns:
        allowed = col.allowed_values
        if not allowed:
            continue
        seen = {r[0] for r in con.execute(f"SELECT DISTINCT {col.name} FROM {table.name} "
                                          f"WHERE {col.name} IS NOT NULL").fetchall()}
        assert seen <= set(allowed), f"{table.name}.{col.name}: {seen - set(allowed)}"
        if table.name not in ("experiments",) and col.name not in ("country",):
            assert len(seen) >= min(2, len(allowed))


def test_nothing_happens_after_as_of(con: duckdb.DuckDBPyConnection) -> None:
    as_of = dt.date.fromisoformat(con.execute("SELECT value FROM _pmdrill_meta WHERE key = 'as_of'").fetchone()[0])
    cols = con.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
                       "AND data_type IN ('TIMESTAMP', 'DATE')").fetchall()
    limit = as_of + dt.timedelta(days=1)
    for t, c in cols:
        if (t, c) == ("enterprise_accounts", "contract_end"):
            continue  # a contract's scheduled end date, not something that happened
        late = con.execute(f"SELECT count(*) FROM {t} WHERE {c} >= ?", [limit]).fetchone()[0]
        assert late == 0, f"{t}.{c}"


def test_history_starts_2023_and_orders_hold(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT min(signed_up_at) >= DATE '2023-01-01' FROM learners").fetchone()[0]
    checks = {
        "enrolled before signup": "SELECT count(*) FROM enrollments e JOIN learners l USING (learner_id) "
                                  "WHERE e.enrolled_at < l.signed_up_at",
        "module before enrollment": "SELECT count(*) FROM module_progress mp JOIN enrollments e USING (enrollment_id) "
                                    "WHERE mp.started_at < e.enrolled_at OR mp.completed_at < mp.started_at",
        "enrolled before launch": "SELECT count(*) FROM enrollments e JOIN courses c USING (course_id) "
                                  "WHERE e.enrolled_at < c.launched_on",
        "audit certificate": "SELECT count(*) FROM certificates c JOIN enrollments e USING (enrollment_id) "
                             "WHERE e.enrollment_type = 'audit'",
        "pass flag vs mark": "SELECT count(*) FROM assessment_attempts WHERE passed AND score_pct < 60 "
                             "OR NOT passed AND score_pct >= 80",
        "certificate without both ids": "SELECT count(*) FROM certificates WHERE (enrollment_id IS NULL) = "
                                        "(program_id IS NULL)",
        "enterprise learner not enterprise": "SELECT count(*) FROM enterprise_seats s JOIN learners l "
                                             "USING (learner_id) WHERE l.acquisition_channel <> 'enterprise'",
        "renewed before end": "SELECT count(*) FROM enterprise_accounts WHERE renewed IS NOT NULL AND contract_end > "
                              "(SELECT CAST(value AS DATE) FROM _pmdrill_meta WHERE key = 'as_of')",
        "canceled without reason": "SELECT count(*) FROM subscriptions WHERE (canceled_at IS NULL) <> "
                                   "(cancel_reason IS NULL)",
        "referrer signed up later": "SELECT count(*) FROM learners l JOIN learners r ON r.learner_id = "
                                    "l.referred_by_learner_id WHERE r.signed_up_at > l.signed_up_at",
    }
    for name, sql in checks.items():
        assert con.execute(sql).fetchone()[0] == 0, name


def test_balanced_draws_keep_each_probability_and_fix_each_stratum_total() -> None:
    import numpy as np

    from pmdrill.core.warehouse.params import balanced_bernoulli, rng_for

    p = np.r_[np.full(3_000, 0.05), np.full(2_000, 0.3), np.full(1_000, 0.9)]
    stratum = np.repeat(np.array([3, 1, 2], dtype=np.int8), [3_000, 2_000, 1_000])
    hits = np.zeros(len(p))
    for i in range(200):
        draw = balanced_bernoulli(rng_for(i, "test"), p, stratum)
        for s in (3, 1, 2):  # each stratum's count is its expectation, give or take one
            assert abs(draw[stratum == s].sum() - p[stratum == s].sum()) <= 1
        hits += draw
    # marginally each draw is still Bernoulli(p): per-stratum means of the per-row hit rates
    for s, want in ((3, 0.05), (1, 0.3), (2, 0.9)):
        assert abs(hits[stratum == s].mean() / 200 - want) < 0.01
    first_rows = hits[:300] / 200  # and no row is favoured: rows differ only by sampling noise
    assert first_rows.max() < 0.2
