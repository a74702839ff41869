"""Hidden test databases: valid by the contract, killing every mutant that differs, cached, fast."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import pytest
import sqlglot

from pmdrill.adapters.grading import Grader, hidden_dir
from pmdrill.adapters.local_runner import LocalRunner
from pmdrill.core.sqlcheck import datagen, gate, hidden, mutants
from pmdrill.core.sqlcheck.compare import compare
from pmdrill.core.sqlcheck.grade import order_spec
from pmdrill.core.sqlcheck.types import HiddenDb
from pmdrill.core.warehouse import schema
from pmdrill.errors import SqlError
from sqlcheck_fixtures import AS_OF, make_warehouse, small_warehouse_db, write_db

REFERENCES = [
    "SELECT c.domain, COUNT(DISTINCT e.learner_id) AS learners FROM courses c "
    "LEFT JOIN enrollments e ON e.course_id = c.course_id AND e.enrolled_at >= CURRENT_DATE - INTERVAL 30 DAY "
    "GROUP BY c.domain ORDER BY learners DESC, c.domain",
    "SELECT ROUND(AVG(CASE WHEN passed THEN 1 ELSE 0 END), 4) AS pass_rate FROM assessment_attempts "
    "WHERE score_pct >= 60",
    "SELECT l.country, COUNT(*) AS n FROM learners l JOIN payments p ON p.learner_id = l.learner_id "
    "WHERE p.status = 'succeeded' AND NOT l.is_internal_test GROUP BY 1 HAVING COUNT(*) > 1",
    "WITH r AS (SELECT learner_id, amount_usd, ROW_NUMBER() OVER (PARTITION BY learner_id "
    "ORDER BY paid_at DESC, payment_id) rn FROM payments) SELECT learner_id, amount_usd FROM r WHERE rn = 1",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_warehouse(tmp_path_factory.mktemp("wh"))


@pytest.fixture(scope="module")
def runner(warehouse: Path) -> LocalRunner:
    return LocalRunner(warehouse)


def _build(ref: str, runner: LocalRunner) -> tuple[gate.GatedSql, list[HiddenDb], hidden.BuildReport]:
    g = gate.check(ref, as_of=AS_OF)
    dbs, report = hidden.build(g.tree, g.duckdb_sql, runner, as_of=AS_OF)
    return g, dbs, report


@pytest.mark.parametrize("ref", REFERENCES, ids=["left-join-window", "threshold", "having", "latest-row"])
def test_hidden_dbs_keep_the_contract_and_kill_every_differing_mutant(ref: str, runner: LocalRunner,
                                                                     tmp_path: Path) -> None:
    g, dbs, report = _build(ref, runner)
    assert dbs and report.killed > 0
    assert report.unkilled == []
    for i, db in enumerate(dbs):
        assert datagen.check_db(db, AS_OF) == []
        # DuckDB itself enforces the contract's PRIMARY KEY, FOREIGN KEY and NOT NULL on load
        write_db(tmp_path / f"h{i}.duckdb", db)
        assert 0 < db.row_count <= 200
    # independently: every mutant that differs on the warehouse differs on some hidden database
    ordered, sort_cols = order_spec(g.tree)
    ref_wh = runner.run(g.duckdb_sql)
    for m in mutants.generate(g.tree):
        try:
            on_wh = runner.run(m.sql)
        except SqlError:
            continue
        if compare(ref_wh, on_wh, ordered=ordered, sort_cols=sort_cols).equal:
            continue
        told_apart = False
        for db in dbs:
            try:
                out = runner.run(m.sql, db)
            except SqlError:
                told_apart = True
                break
            if not compare(runner.run(g.duckdb_sql, db), out, ordered=ordered, sort_cols=sort_cols).equal:
                told_apart = True
                break
        assert told_apart, m.label


def test_boundary_values_from_the_literals_are_in_the_pools() -> None:
    g = gate.check("SELECT COUNT(*) FROM enrollments WHERE enrolled_at >= CURRENT_DATE - INTERVAL 30 DAY", as_of=AS_OF)
    pools = datagen.pools_from(g.tree, AS_OF)
    edge = dt.datetime(2026, 5, 31)
    assert edge in pools.times and edge - dt.timedelta(seconds=1) in pools.times
    assert max(pools.times) <= dt.datetime(2026, 6, 30, 23, 59, 59)


def test_random_dbs_have_nulls_duplicates_and_childless_parents() -> None:
    import random

    pools = datagen.pools_from(sqlglot.parse_one("SELECT 1"), AS_OF)
    saw_null = saw_reenrol = saw_childless = False
    for seed in range(30):
        db = datagen.random_db(["enrollments", "learners", "courses"], pools, random.Random(seed), datagen.Profile())
        assert datagen.check_db(db, AS_OF) == []
        enr = db.tables["enrollments"]
        cols = schema.table("enrollments").column_names
        li, ci, done = cols.index("learner_id"), cols.index("course_id"), cols.index("completed_at")
        saw_null |= any(r[done] is None for r in enr)
        pairs = [(r[li], r[ci]) for r in enr]
        saw_reenrol |= len(pairs) != len(set(pairs))
        saw_childless |= len({r[ci] for r in enr}) < len(db.tables["courses"])
    assert saw_null and saw_reenrol and saw_childless


def _longest_run(days: list[dt.date]) -> int:
    best = run = 0
    prev = None
    for d in sorted(set(days)):
        run = run + 1 if prev is not None and d - prev == dt.timedelta(days=1) else 1
        best, prev = max(best, run), d
    return best


def test_targeted_dbs_keep_the_contract_and_lay_out_runs_of_the_literal() -> None:
    import random

    tree = sqlglot.parse_one("SELECT COUNT(*) FROM learning_events ev JOIN learners l ON l.learner_id = ev.learner_id "
                             "WHERE ev.event_at >= DATE '2026-04-01' GROUP BY ev.learner_id HAVING COUNT(*) >= 7")
    pools = datagen.pools_from(tree, AS_OF)
    profiles = datagen.targeted_profiles(pools)
    assert any(p.run_len == 7 for p in profiles) and any(p.enum_spread == 1 for p in profiles)
    runs = set()
    for seed in range(20):
        for prof in profiles:
            db = datagen.random_db(["learning_events", "learners"], pools, random.Random(seed), prof)
            assert datagen.check_db(db, AS_OF) == []
            if prof.run_len is None:
                continue
            cols = schema.table("learning_events").column_names
            li, ti = cols.index("learner_id"), cols.index("event_at")
            for learner in {r[li] for r in db.tables["learning_events"]}:
                runs.add(_longest_run([r[ti].date() for r in db.tables["learning_events"] if r[li] == learner]))
    assert {6, 7, 8} <= runs  # just short of, exactly on and just past the literal


def test_sibling_rows_are_timed_on_each_others_edge() -> None:
    import random

    tree = sqlglot.parse_one("SELECT COUNT(*) FROM experiment_assignments a JOIN payments p ON p.learner_id = "
                             "a.learner_id WHERE p.paid_at >= a.assigned_at")
    pools = datagen.pools_from(tree, AS_OF)
    assert ("paid_at", "assigned_at", 0.0) in pools.pairs
    close = False
    for seed in range(20):
        db = datagen.random_db(["experiment_assignments", "payments"], pools, random.Random(seed),
                               datagen.Profile(parent_coverage=1.0, hub_rows=(1, 2)))
        assert datagen.check_db(db, AS_OF) == []
        a, p = schema.table("experiment_assignments").column_names, schema.table("payments").column_names
        assigned = {(r[a.index("learner_id")], r[a.index("assigned_at")]) for r in db.tables["experiment_assignments"]}
        for r in db.tables["payments"]:
            for learner, at in assigned:
                paid = r[p.index("paid_at")]
                close |= learner == r[p.index("learner_id")] and abs((paid - at).total_seconds()) <= 1
    assert close  # a payment one second (or less) from its own learner's assignment


def test_wrong_answer_matching_on_the_warehouse_still_fails(tmp_path: Path) -> None:
    # a warehouse where every learner stated a goal: COUNT(learner_goal) equals COUNT(*) there
    base = small_warehouse_db()
    cols = schema.table("learners").column_names
    gi = cols.index("learner_goal")
    learners = tuple(r[:gi] + ("academic",) + r[gi + 1:] for r in base.tables["learners"])
    wh = write_db(tmp_path / "wh.duckdb", HiddenDb({**base.tables, "learners": learners}))
    grader = Grader(wh, as_of=AS_OF, sandboxed=False)
    ref = "SELECT country, COUNT(*) AS n FROM learners GROUP BY country"
    wrong = "SELECT country, COUNT(learner_goal) AS n FROM learners GROUP BY country"
    result = grader.check(None, wrong, reference=ref)
    assert result.checks[0] == {"db": "warehouse", "passed": True}
    assert result.correct is False
    assert result.counterexample is not None
    assert grader.check(None, ref, reference=ref).correct is True
    grader.close()


def test_hidden_dbs_are_cached_on_disk_and_reloaded(warehouse: Path) -> None:
    ref = REFERENCES[2]
    first = Grader(warehouse, as_of=AS_OF, sandboxed=False)
    g = gate.check(ref, as_of=AS_OF)
    from pmdrill.core.sqlcheck.grade import prepare_reference

    r = prepare_reference(ref, as_of=AS_OF)
    dbs = first.hidden_dbs(r)
    path = hidden_dir() / f"{hidden.cache_key(g.duckdb_sql, AS_OF)}.json"
    assert path.exists()
    data = json.loads(path.read_text())
    assert data["generator_version"] == hidden.GENERATOR_VERSION
    second = Grader(warehouse, as_of=AS_OF, sandboxed=False)
    t0 = time.perf_counter()
    again = second.hidden_dbs(r)
    loaded_ms = (time.perf_counter() - t0) * 1000
    assert [d.tables for d in again] == [d.tables for d in dbs]
    assert [d.key for d in again] == [d.key for d in dbs]
    assert loaded_ms < 200
    assert second.build_report(r) is not None and second.build_report(r).killed == first.build_report(r).killed
    # the key ignores whitespace and letter case of keywords
    assert hidden.cache_key(g.duckdb_sql, AS_OF) == hidden.cache_key("  " + g.duckdb_sql.replace(" ", "\n "), AS_OF)
    first.close()
    second.close()


def test_hidden_db_build_time(runner: LocalRunner) -> None:
    # goal < 2 s per question; the assertion leaves room for a loaded 2-core machine
    g = gate.check(REFERENCES[0], as_of=AS_OF)
    t0 = time.perf_counter()
    hidden.build(g.tree, g.duckdb_sql, runner, as_of=AS_OF)
    assert time.perf_counter() - t0 < 4.0


def test_hidden_db_with_extra_warehouse_columns_loads(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path)
    con = duckdb.connect(str(wh))
    con.execute("ALTER TABLE courses ADD COLUMN signup_platform VARCHAR")
    con.close()
    r = LocalRunner(wh)
    db = datagen.random_db(["courses"], datagen.pools_from(sqlglot.parse_one("SELECT 1"), AS_OF),
                           __import__("random").Random(1), datagen.Profile())
    res = r.run("SELECT COUNT(*), COUNT(signup_platform) FROM courses", db)
    assert res.rows == ((len(db.tables["courses"]), 0),)
    r.close()


def test_cache_codec_round_trips_types() -> None:
    db = HiddenDb({"courses": ((1, 1, "t", "business", "beginner", dt.date(2026, 1, 1), 3,
                                __import__("decimal").Decimal("49.00")),),
                   "learners": ((1, dt.datetime(2026, 1, 1, 12), "US", "social", None, None, False),)},
                  note="kills: x")
    dbs, report = hidden.decode(json.loads(json.dumps(hidden.encode([db], hidden.BuildReport(killed=3)))))
    assert dbs[0].tables == db.tables and dbs[0].key == db.key and report.killed == 3


@pytest.mark.parametrize("ref, label", [
    ("SELECT COUNT(DISTINCT c.learner_id) AS n FROM certificates c WHERE NOT EXISTS (SELECT 1 FROM learners r "
     "WHERE r.referred_by_learner_id = c.learner_id AND NOT r.is_internal_test)", "NOT EXISTS -> NOT IN (NULL keys)"),
    ("SELECT COUNT(*) AS n FROM learners l WHERE l.learner_id NOT IN (SELECT r.referred_by_learner_id FROM learners r "
     "WHERE r.acquisition_channel = 'referral')", "NOT IN -> NOT EXISTS (NULL keys)"),
    ("SELECT payment_type, SUM(amount_usd) AS revenue FROM payments WHERE paid_at >= DATE '2026-01-01' "
     "AND paid_at < TIMESTAMP '2026-04-01' GROUP BY payment_type", "the last second dropped"),
])
def test_null_keys_and_the_last_second_are_told_apart(ref: str, label: str, runner: LocalRunner) -> None:
    """Mistakes only data the warehouse may lack can show: NOT IN over a NULL key, and '<= 23:59:59' for
    '< midnight' (a payment at 23:59:59.5). A hidden database must hold that data."""
    g, dbs, _report = _build(ref, runner)
    ms = [m for m in mutants.generate(g.tree) if label in m.label]
    assert ms, [m.label for m in mutants.generate(g.tree)]
    ordered, sort_cols = order_spec(g.tree)
    for m in ms:
        assert any(not compare(runner.run(g.duckdb_sql, db), runner.run(m.sql, db), ordered=ordered,
                               sort_cols=sort_cols).equal for db in dbs), m.label
    for db in dbs:
        assert datagen.check_db(db, AS_OF) == []
