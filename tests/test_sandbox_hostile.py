"""Hostile SQL against both layers: the gate refuses every entry of tests/data/hostile_sql.yaml, and the
sandbox, handed the same text with no gate, keeps the warehouse intact and keeps answering.

Benign analyst queries must pass the gate and return what plain DuckDB returns.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from pmdrill.adapters.sandbox import Sandbox
from pmdrill.adapters.sandbox_worker import plain
from pmdrill.core.sqlcheck import gate
from pmdrill.core.sqlcheck.types import HiddenDb
from pmdrill.errors import SqlRefused, SqlRuntimeError, SqlSyntaxError
from sandbox_fixtures import make_warehouse, sha256

AS_OF = dt.date(2026, 6, 30)
HOSTILE: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "data" / "hostile_sql.yaml").read_text())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_warehouse(tmp_path_factory.mktemp("sandbox") / "w.duckdb")


@pytest.fixture(scope="module")
def box(warehouse: Path) -> Any:
    with Sandbox(warehouse, timeout_s=2.0, memory_mb=256, row_cap=500) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def original_hash(warehouse: Path) -> str:
    return sha256(warehouse)


def fill(sql: str, warehouse: Path) -> str:
    """Expand the corpus placeholders: the warehouse path and generated oversized inputs."""
    return (sql.replace("{warehouse}", str(warehouse))
            .replace("{big_string}", "x" * 50_000)
            .replace("{deep_parens}", "(" * 300 + "1" + ")" * 300)
            .replace("{deep_case}", "CASE WHEN 1 = 1 THEN " * 400 + "1" + " END" * 400))


def test_corpus_is_well_formed() -> None:
    ids = [h["id"] for h in HOSTILE]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert len(HOSTILE) >= 100
    assert all(h["sandbox"] in ("error", "any") for h in HOSTILE)


@pytest.mark.parametrize("case", HOSTILE, ids=[h["id"] for h in HOSTILE])
def test_gate_refuses(case: dict[str, Any], tmp_path: Path) -> None:
    sql = fill(case["sql"], tmp_path / "w.duckdb")
    with pytest.raises((SqlRefused, SqlSyntaxError)) as info:
        gate.check(sql, case.get("dialect", "duckdb"), as_of=AS_OF)
    assert info.value.message  # every refusal says why


@pytest.mark.parametrize("case", HOSTILE, ids=[h["id"] for h in HOSTILE])
def test_sandbox_contains_raw_sql(case: dict[str, Any], box: Sandbox, warehouse: Path,
                                  original_hash: str) -> None:
    sql = fill(case["sql"], warehouse)
    if case["sandbox"] == "error":
        with pytest.raises(SqlRuntimeError) as info:
            box.run(sql)
        assert str(warehouse) not in info.value.message  # paths are scrubbed
    else:
        try:
            box.run(sql)
        except SqlRuntimeError:
            pass
    assert sha256(warehouse) == original_hash
    assert box.run("SELECT 1").rows == ((1,),)


WRITES = ["insert", "update", "delete", "drop", "alter", "truncate", "create_temp_view", "create_temp_macro",
          "create_table", "two_statements", "comment_hides_statement", "set_variable", "checkpoint"]


@pytest.mark.parametrize("case_id", WRITES)
def test_hidden_db_survives_writes(case_id: str, box: Sandbox, warehouse: Path) -> None:
    db = HiddenDb({"learners": ((1, dt.datetime(2026, 1, 1), "US", "direct", None, None, False),)})
    sql = fill(next(h for h in HOSTILE if h["id"] == case_id)["sql"], warehouse)
    assert box.run("SELECT count(*) FROM learners", db).rows == ((1,),)
    with pytest.raises(SqlRuntimeError):
        box.run(sql, db)
    assert box.run("SELECT count(*), min(country) FROM learners", db).rows == ((1, "US"),)
    assert box.run("SELECT lower('AB')", db).rows == (("ab",),)


def test_detach_attach_trick_one_statement_at_a_time(box: Sandbox, warehouse: Path, original_hash: str) -> None:
    steps = ["SET search_path='temp.main'", "DETACH w", f"ATTACH '{warehouse}' AS w2 (READ_WRITE)",
             "DELETE FROM w2.learners", "CHECKPOINT w2",
             f"SELECT * FROM read_blob('{warehouse}')"]
    for step in steps:
        with pytest.raises(SqlRuntimeError):
            box.run(step)
    assert sha256(warehouse) == original_hash
    assert box.run("SELECT count(*) FROM learners").rows == ((1000,),)


def test_timeout_kills_and_respawns(warehouse: Path) -> None:
    with Sandbox(warehouse, timeout_s=1.0, memory_mb=1024, row_cap=10) as own:
        with pytest.raises(SqlRuntimeError, match="longer than 1 s"):
            own.run("SELECT length(lpad('x', 400000000, 'y'))")  # one long call: interrupts cannot stop it
        assert own.restarts == 1
        assert own.run("SELECT count(*) FROM learners").rows == ((1000,),)
        with pytest.raises(SqlRuntimeError, match="longer than 1 s"):
            own.run("SELECT count(*) FROM range(100000000000)")  # interruptible: the worker stops it itself
        assert own.restarts == 1


def test_memory_limit_stops_amplifier(box: Sandbox) -> None:
    with pytest.raises(SqlRuntimeError, match="memory|longer"):
        box.run("SELECT length(repeat('x', 2000000000))")
    assert box.run("SELECT 1").rows == ((1,),)


def test_runaway_recursion_with_a_useless_bound_is_stopped(box: Sandbox) -> None:
    sql = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n > 0) SELECT count(*) FROM t"
    gate.check(sql, as_of=AS_OF)  # the gate cannot prove termination: the sandbox must stop it
    with pytest.raises(SqlRuntimeError):
        box.run(sql)
    assert box.run("SELECT 1").rows == ((1,),)


def test_row_cap_truncates(box: Sandbox) -> None:
    result = box.run("SELECT learner_id FROM learners ORDER BY learner_id")
    assert result.truncated and len(result.rows) == 500
    assert result.rows[0] == (1,) and result.rows[-1] == (500,)
    assert not box.run("SELECT learner_id FROM learners LIMIT 500").truncated


def test_values_are_plain_python(box: Sandbox) -> None:
    from decimal import Decimal

    r = box.run("SELECT 1.50::DECIMAL(5,2) AS d, TIMESTAMP '2026-06-30 23:59:59' AS ts, DATE '2026-06-30' AS dt, "
                "0.25::DOUBLE AS f, 7::BIGINT AS i, 'x' AS s, true AS b, NULL AS n, [1, 2] AS l, "
                "'nan'::DOUBLE AS nan, TIMESTAMPTZ '2026-06-30 10:00:00+02' AS tz")
    assert r.rows == ((Decimal("1.50"), dt.datetime(2026, 6, 30, 23, 59, 59), dt.date(2026, 6, 30), 0.25, 7,
                       "x", True, None, [1, 2], None, dt.datetime(2026, 6, 30, 8, 0)),)
    assert r.types[:3] == ("DECIMAL(5,2)", "TIMESTAMP", "DATE")


def test_runtime_error_message(box: Sandbox) -> None:
    with pytest.raises(SqlRuntimeError, match="(?i)column.*nope"):
        box.run("SELECT nope FROM learners")


def test_hidden_db_has_the_warehouse_columns(box: Sandbox) -> None:
    db = HiddenDb({"courses": ((10, 1, "SQL", "data_science", "beginner", dt.date(2021, 1, 1), 4, 49),)})
    r = box.run("SELECT utm_campaign FROM learners", db)  # a column the contract does not have
    assert r.rows == ()
    assert box.run("SELECT course_id, certificate_price_usd FROM courses", db).rows[0][0] == 10
    # the cached copy answers the same next time
    assert box.run("SELECT count(*) FROM courses", db).rows == ((1,),)


def test_many_hidden_dbs_are_evicted_and_reloaded(box: Sandbox) -> None:
    from pmdrill.adapters.sandbox_worker import HIDDEN_CACHE

    def db(n: int) -> HiddenDb:
        return HiddenDb({"learners": tuple((i, "2026-01-01 10:00:00", "US", "direct", None, None, False)
                                           for i in range(1, n + 1))})

    for n in range(1, HIDDEN_CACHE + 8):
        assert box.run("SELECT count(*) FROM learners", db(n)).rows == ((n,),)
    # the first ones were evicted: asking again loads them again, with the same answer
    assert box.run("SELECT count(*), max(signed_up_at) FROM learners", db(1)).rows == \
        ((1, dt.datetime(2026, 1, 1, 10, 0)),)
    assert box.run("SELECT count(*) FROM learners").rows == ((1000,),)  # the warehouse is untouched


def _courses_db(*names: str) -> HiddenDb:
    return HiddenDb({"courses": tuple((10 + i, 1, name, "data_science", "beginner", dt.date(2021, 1, 1), 4, 49)
                                      for i, name in enumerate(names))})


def test_run_each_answers_as_run_does_in_order(box: Sandbox) -> None:
    dbs = [_courses_db(), _courses_db("SQL"), _courses_db("SQL", "ML", "Stats")]
    sql = "SELECT count(*) AS n, max(title) AS t FROM courses"
    each = box.run_each(sql, dbs)
    assert [r.rows for r in each if not isinstance(r, SqlRuntimeError)] == [box.run(sql, db).rows for db in dbs]
    assert [r.rows for r in each if not isinstance(r, SqlRuntimeError)] == [((0, None),), ((1, "SQL"),),
                                                                             ((3, "Stats"),)]
    assert box.run_each(sql, []) == []
    assert box.run("SELECT count(*) FROM learners").rows == ((1000,),)  # the warehouse is untouched


def test_run_each_stops_at_the_first_error(box: Sandbox) -> None:
    # the cast fails only where a course exists: the second database; the third never runs
    dbs = [_courses_db(), _courses_db("not a number"), _courses_db("7")]
    each = box.run_each("SELECT CAST(title AS INTEGER) AS x FROM courses", dbs)
    assert len(each) == 2
    assert not isinstance(each[0], SqlRuntimeError) and each[0].rows == ()
    assert isinstance(each[1], SqlRuntimeError) and "not a number" in each[1].message
    assert box.ping()


@pytest.mark.parametrize("sql", ["CREATE TABLE courses_copy AS SELECT * FROM courses",
                                 "SELECT 1; SELECT 2", "SET threads = 1"])
def test_run_each_runs_nothing_but_one_select(box: Sandbox, sql: str) -> None:
    dbs = [_courses_db("SQL"), _courses_db("ML")]
    each = box.run_each(sql, dbs)
    assert len(each) == 1 and isinstance(each[0], SqlRuntimeError)
    assert box.run_each("SELECT count(*) FROM courses", dbs)[1].rows == ((1,),)  # type: ignore[union-attr]


def test_run_each_is_stopped_past_the_deadline(warehouse: Path) -> None:
    dbs = [_courses_db("SQL"), _courses_db("ML"), _courses_db("Stats")]
    with Sandbox(warehouse, timeout_s=1.0, memory_mb=1024, row_cap=10) as own:
        # interruptible (a streaming scan that needs no memory): the worker stops it itself, runs nothing after
        each = own.run_each("SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 3", dbs)
        assert len(each) == 1 and isinstance(each[0], SqlRuntimeError)
        assert "longer than 1 s" in each[0].message and own.restarts == 0
        # one long call that interrupts cannot stop: the parent kills the worker and starts another
        each = own.run_each("SELECT length(lpad(title, 400000000, 'y')) FROM courses", dbs)
        assert len(each) == 1 and isinstance(each[0], SqlRuntimeError)
        assert "longer than 1 s" in each[0].message and own.restarts == 1
        assert [r.rows for r in own.run_each("SELECT count(*) FROM courses", dbs)] == [((1,),)] * 3  # type: ignore[union-attr]


def test_hidden_rows_are_sent_again_when_the_worker_lacks_them(warehouse: Path) -> None:
    with Sandbox(warehouse, timeout_s=2.0, memory_mb=256, row_cap=10) as own:
        db = _courses_db("SQL", "ML")
        assert own.run("SELECT count(*) FROM courses", db).rows == ((2,),)
        # the parent wrongly believes these are loaded: the worker says so and gets the rows
        never_sent = [_courses_db("A"), _courses_db("A", "B", "C")]
        own._loaded.update(d.key for d in never_sent)
        each = own.run_each("SELECT count(*) FROM courses", [db, *never_sent])
        assert [r.rows for r in each] == [((2,),), ((1,),), ((3,),)]  # type: ignore[union-attr]
        lone = _courses_db("Z")
        own._loaded.add(lone.key)
        assert own.run("SELECT count(*) FROM courses", lone).rows == ((1,),)
        # a new worker has none of them: after a restart the rows go again
        assert own._proc is not None
        own._proc.kill()
        own._proc.wait(5)
        assert own.run_each("SELECT count(*) FROM courses", [db])[0].rows == ((2,),)  # type: ignore[union-attr]


def test_closed_sandbox_refuses_and_leaves_no_process(warehouse: Path) -> None:
    sandbox = Sandbox(warehouse, timeout_s=2.0, memory_mb=256, row_cap=10)
    proc = sandbox._proc
    assert sandbox.ping()
    sandbox.close()
    assert proc is not None and proc.poll() is not None  # the worker is gone
    with pytest.raises(SqlRuntimeError, match="closed"):
        sandbox.run("SELECT 1")


def test_missing_warehouse(tmp_path: Path) -> None:
    from pmdrill.errors import WarehouseError

    with pytest.raises(WarehouseError):
        Sandbox(tmp_path / "nope.duckdb", timeout_s=1, memory_mb=256, row_cap=10)


# ----------------------------------------------------------------------------------------------
BENIGN = [
    ("cte", "WITH paid AS (SELECT learner_id FROM payments WHERE status = 'succeeded') "
            "SELECT count(DISTINCT learner_id) FROM paid"),
    ("window", "SELECT learner_id, signed_up_at, row_number() OVER (PARTITION BY country ORDER BY signed_up_at) AS rn "
               "FROM learners"),
    ("qualify", "SELECT country, learner_id FROM learners "
                "QUALIFY row_number() OVER (PARTITION BY country ORDER BY signed_up_at DESC) = 1"),
    ("filter", "SELECT count(*) FILTER (WHERE is_internal_test) AS internal, count(*) AS total FROM learners"),
    ("series_month", "SELECT d::DATE AS day, count(l.learner_id) FROM generate_series(DATE '2025-02-01', "
                     "DATE '2025-02-28', INTERVAL 1 DAY) s(d) LEFT JOIN learners l ON l.signed_up_at::DATE = d "
                     "GROUP BY 1"),
    ("string_agg", "SELECT country, string_agg(DISTINCT acquisition_channel, ',' ORDER BY acquisition_channel) "
                   "FROM learners GROUP BY country"),
    ("regexp", "SELECT title FROM courses WHERE regexp_matches(title, '^(Intro|Lead)')"),
    ("date_trunc", "SELECT date_trunc('month', enrolled_at) AS m, count(*) FROM enrollments GROUP BY 1"),
    ("case_coalesce", "SELECT CASE WHEN learner_goal IS NULL THEN 'skipped' ELSE learner_goal END AS g, "
                      "COALESCE(referred_by_learner_id, 0) AS r FROM learners"),
    ("union_all", "SELECT 'learners' AS t, count(*) FROM learners UNION ALL SELECT 'courses', count(*) FROM courses"),
    ("subquery", "SELECT * FROM courses WHERE course_id IN (SELECT course_id FROM enrollments "
                 "GROUP BY 1 HAVING count(*) > 400)"),
    ("lateral", "SELECT l.learner_id, x.n FROM learners l, LATERAL (SELECT count(*) AS n FROM enrollments e "
                "WHERE e.learner_id = l.learner_id) x"),
    ("left_join_null", "SELECT c.title, count(e.enrollment_id) FROM courses c LEFT JOIN enrollments e "
                       "ON e.course_id = c.course_id AND e.completed_at IS NOT NULL GROUP BY c.title"),
    ("self_join", "SELECT a.learner_id, b.learner_id FROM learners a JOIN learners b "
                  "ON b.referred_by_learner_id = a.learner_id"),
    ("percentile", "SELECT quantile_cont(amount_usd, 0.5), median(amount_usd), avg(amount_usd) FROM payments"),
    ("lag_retention", "SELECT learner_id, event_at - lag(event_at) OVER (PARTITION BY learner_id ORDER BY event_at) "
                      "FROM learning_events"),
    ("now_window", "SELECT count(*) FROM learners WHERE signed_up_at >= CURRENT_DATE - INTERVAL 400 DAY"),
    ("date_diff", "SELECT avg(date_diff('day', enrolled_at, completed_at)) FROM enrollments "
                  "WHERE completed_at IS NOT NULL"),
    ("exists", "SELECT count(*) FROM learners l WHERE NOT EXISTS (SELECT 1 FROM payments p "
               "WHERE p.learner_id = l.learner_id)"),
    ("ratio_round", "SELECT round(100.0 * count(*) FILTER (WHERE completed_at IS NOT NULL) / count(*), 2) "
                    "FROM enrollments"),
    ("grouping_sets", "SELECT country, acquisition_channel, count(*) FROM learners "
                      "GROUP BY ROLLUP (country, acquisition_channel)"),
    ("values", "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(id, name)"),
    ("recursive_bounded", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12) "
                          "SELECT sum(i) FROM n"),
    ("unnest_list", "SELECT unnest(['web', 'ios']) AS platform"),
    ("strftime_extract", "SELECT strftime(signed_up_at, '%Y-%m') AS ym, EXTRACT(dow FROM signed_up_at) AS dow "
                         "FROM learners LIMIT 5"),
]


def _multiset(rows: Any) -> Counter[str]:
    return Counter(repr(tuple(r)) for r in rows)


@pytest.mark.parametrize(("name", "sql"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_query_passes_and_runs(name: str, sql: str, box: Sandbox, warehouse: Path) -> None:
    gated = gate.check(sql, as_of=AS_OF)
    result = box.run(gated.duckdb_sql)
    assert result.columns
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(gated.duckdb_sql).fetchall()
    assert len(result.rows) == min(len(expected), 500)
    if not result.truncated:
        # same answer as DuckDB in-process, values made plain the same way
        assert _multiset(result.rows) == _multiset([[plain(v) for v in r] for r in expected])


def _bank_references() -> list[tuple[str, str]]:
    import pmdrill

    out = []
    for path in sorted((Path(pmdrill.__file__).parent / "content" / "sql").glob("*.yaml")):
        for q in yaml.safe_load(path.read_text()) or []:
            if isinstance(q, dict) and q.get("reference"):
                out.append((q["id"], q["reference"]))
    return out


def test_question_references_answer_the_same_in_the_sandbox(tiny_warehouse: Path) -> None:
    """Every reference of the question bank passes the gate and the sandbox returns exactly what
    in-process DuckDB returns on a generated warehouse (values made plain the same way)."""
    refs = _bank_references()
    if not refs:
        pytest.skip("the SQL question bank is empty")
    with Sandbox(tiny_warehouse, timeout_s=10.0, memory_mb=1024, row_cap=100_000) as sandbox, \
            duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        for qid, sql in refs:
            gated = gate.check(sql, as_of=AS_OF)
            got = sandbox.run(gated.duckdb_sql)
            expected = [[plain(v) for v in r] for r in con.execute(gated.duckdb_sql).fetchall()]
            assert not got.truncated, qid
            assert _multiset(got.rows) == _multiset(expected), qid


def test_plain_rows_convert_only_what_plain_would() -> None:
    from pmdrill.adapters.sandbox_worker import plain_rows

    con = duckdb.connect()
    cur = con.execute("SELECT 1 AS i, 'x' AS s, DATE '2026-01-01' AS d, TIMESTAMP '2026-01-01 10:00' AS t, "
                      "1.5::DECIMAL(4, 1) AS m, 'NaN'::DOUBLE AS nan, 2.5::DOUBLE AS f, [1, 2] AS l, "
                      "{'a': 1} AS st, uuid() AS u, TIMESTAMPTZ '2026-01-01 10:00:00+02' AS tz, "
                      "TRUE AS b, NULL::DOUBLE AS n, INTERVAL 1 DAY AS iv, '\\x01'::BLOB AS bl")
    types = [str(d[1]) for d in cur.description]
    rows = cur.fetchall()
    con.close()
    assert plain_rows(rows, types) == [tuple(plain(v) for v in r) for r in rows]
    assert all(type(r) is tuple for r in plain_rows(rows, types))
