"""The gate: statement kinds, tables, the function allow-list and its snapshot, amplifier limits,
syntax errors with line/column/fragment. Run as a script to regenerate the function snapshot."""

from __future__ import annotations

import datetime as dt
import re
import time
from importlib import resources
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from pmdrill.core.sqlcheck import allowlist, gate
from pmdrill.errors import SqlRefused, SqlSyntaxError

AS_OF = dt.date(2026, 6, 30)
SNAPSHOT = Path(str(resources.files("pmdrill.core.sqlcheck").joinpath("duckdb_functions.txt")))


def live_functions() -> set[tuple[str, str]]:
    with duckdb.connect(":memory:") as con:
        rows = con.execute("SELECT DISTINCT function_name, function_type FROM duckdb_functions() "
                           "WHERE function_type <> 'pragma'").fetchall()
    return {(n, t) for n, t in rows if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)}


def test_snapshot_matches_installed_duckdb() -> None:
    lines = [ln.split("\t") for ln in SNAPSHOT.read_text().splitlines() if ln and not ln.startswith("#")]
    committed = {(n, t) for n, t in lines}
    live = live_functions()
    # the Python client registers a few scan functions of its own; the pristine set must be there
    assert committed <= live, sorted(committed - live)[:10]
    assert all(t == "table" for _, t in live - committed), sorted(live - committed)[:10]


@pytest.mark.parametrize("name", ["read_csv", "read_text", "read_blob", "glob", "parquet_scan", "duckdb_settings",
                                  "pragma_version", "query", "query_table", "getenv", "current_setting",
                                  "json_execute_serialized_sql", "sleep_ms", "enable_logging", "checkpoint",
                                  "getvariable", "write_log", "pg_sleep", "current_database"])
def test_denied(name: str) -> None:
    assert name not in allowlist.allowed_functions()
    assert name not in allowlist.allowed_table_functions()


@pytest.mark.parametrize("name", ["sum", "count", "avg", "date_trunc", "date_diff", "regexp_matches", "string_agg",
                                  "row_number", "lag", "quantile_cont", "coalesce", "round_even", "strftime"])
def test_allowed(name: str) -> None:
    assert name in allowlist.allowed_functions()


def test_tables_and_ctes() -> None:
    g = gate.check("WITH x AS (SELECT learner_id FROM enrollments) SELECT count(*) FROM x JOIN learners l "
                   "USING (learner_id)", as_of=AS_OF)
    assert g.tables == ("enrollments", "learners")
    assert g.dialect == "duckdb" and g.tree.find(gate.exp.Select) is not None


@pytest.mark.parametrize(("sql", "why"), [
    ("COPY learners TO 'x.csv'", "COPY is not allowed: answers may only read the warehouse"),
    ("SELECT * FROM secrets", "unknown table 'secrets'"),
    ("SELECT * FROM main.learners", "without a schema"),
    ("SELECT repeat('x', 20000)", "repeat"),
    ("SELECT repeat('x', learner_id) FROM learners", "constant length"),
    ("SELECT * FROM range(1000001)", "about 1,000,001 values"),
    ("SELECT * FROM generate_series(1, 1000001)", "about 1,000,001 values"),
    ("SELECT * FROM learners l, generate_series(l.signed_up_at, DATE '2026-06-30', INTERVAL 1 SECOND) t(d)",
     "step under one hour"),
    ("SELECT 1; SELECT 2", "2 statements"),
    ("SELECT a.learner_id FROM learners a, enrollments b", "cross product"),
    ("SELECT '" + "x" * 12000 + "'", "string constant"),
])
def test_refusals_say_why(sql: str, why: str) -> None:
    with pytest.raises(SqlRefused, match=re.escape(why)):
        gate.check(sql, as_of=AS_OF)


@pytest.mark.parametrize("sql", [
    "SELECT a.learner_id FROM learners a JOIN enrollments b ON a.learner_id = b.learner_id",
    "SELECT count(*) FROM learners a, enrollments b WHERE a.learner_id = b.learner_id",
    "SELECT c.title, l.country FROM courses c CROSS JOIN learners l LIMIT 5",  # small table: fine
    "SELECT d FROM generate_series(DATE '2026-01-01', DATE '2026-06-30', INTERVAL 1 DAY) t(d)",
    "SELECT l.learner_id, d FROM learners l, generate_series(l.signed_up_at, DATE '2026-06-30', "
    "INTERVAL 7 DAY) t(d)",
    "SELECT lpad(CAST(course_id AS VARCHAR), 6, '0') FROM courses",
    "SELECT * FROM range(1000000)",  # exactly at the limit
    "SELECT * FROM generate_series(1, 1000000)",
])
def test_accepted(sql: str) -> None:
    gate.check(sql, as_of=AS_OF)


def test_syntax_error_has_line_column_fragment() -> None:
    with pytest.raises(SqlSyntaxError) as info:
        gate.check("SELECT a\nFROM learners\nWHERE a = = 2", as_of=AS_OF)
    err = info.value
    assert (err.line, err.column, err.fragment) == (3, 11, "=")
    assert err.where == "line 3, column 11"


def test_unclosed_quote_points_at_it() -> None:
    with pytest.raises(SqlSyntaxError) as info:
        gate.check("SELECT 1,\n  'abc FROM learners", as_of=AS_OF)
    assert (info.value.line, info.value.column) == (2, 3)
    assert info.value.fragment.startswith("'abc")


def test_control_character_position() -> None:
    with pytest.raises(SqlRefused, match=r"U\+200B at line 2, column 3"):
        gate.check("SELECT 1\nFR\u200bOM learners", as_of=AS_OF)


def test_gate_is_fast_once_built() -> None:
    gate.check("SELECT 1", as_of=AS_OF)
    start = time.perf_counter()
    for _ in range(50):
        gate.check("SELECT country, count(*) FROM learners WHERE signed_up_at > NOW() - INTERVAL 30 DAY "
                   "GROUP BY 1 ORDER BY 2 DESC", "postgres", as_of=AS_OF)
    assert (time.perf_counter() - start) / 50 < 0.05


if __name__ == "__main__":  # regenerate the committed snapshot from the installed DuckDB
    with duckdb.connect(":memory:") as _con:
        _version = _con.execute("SELECT version()").fetchone()[0]
    _header = (f"# Every function of a pristine DuckDB {_version} (duckdb_functions(), pragmas left out): "
               "name<TAB>type.\n# The gate's allow-list starts here, minus the deny-list in allowlist.py. "
               "Regenerate with\n#   .venv/bin/python tests/test_sqlcheck_gate.py   (a test checks this file "
               "against the installed DuckDB)\n")
    _python_only = {"arrow_scan", "arrow_scan_dumb", "pandas_scan", "python_arrow_scan", "python_map_function"}
    _body = "".join(f"{n}\t{t}\n" for n, t in sorted(live_functions()) if n not in _python_only)
    SNAPSHOT.write_text(_header + _body)
    print(f"wrote {SNAPSHOT}")


def test_accepted_answers_are_cached_per_text_dialect_and_date() -> None:
    sql = "SELECT COUNT(*) AS n FROM learners WHERE signed_up_at < NOW()"
    first = gate.check(sql, as_of=AS_OF)
    assert gate.check(sql, as_of=AS_OF) is first  # a resubmission is not parsed again
    assert gate.check(sql, "DuckDB", as_of=AS_OF) is first  # the same dialect, however spelled
    other_day = gate.check(sql, as_of=dt.date(2026, 1, 31))
    assert other_day is not first and "2026-01-31" in other_day.duckdb_sql
    assert gate.check(sql, "postgres", as_of=AS_OF) is not first
    gate.clear_cache()
    again = gate.check(sql, as_of=AS_OF)
    assert again is not first and again.duckdb_sql == first.duckdb_sql


def test_refusals_are_never_cached() -> None:
    for _ in range(3):
        with pytest.raises(SqlRefused, match="COPY"):
            gate.check("COPY learners TO 'x.csv'", as_of=AS_OF)
        with pytest.raises(SqlRefused, match="read_csv"):
            gate.check("SELECT * FROM read_csv('/etc/passwd')", as_of=AS_OF)


def test_one_walk_checks_match_the_tree_search() -> None:
    """The checks walk the tree once; they must see every node a tree search finds."""
    sql = ("WITH a AS (SELECT learner_id, lower(country) AS c FROM learners) "
           "SELECT c, count(*) FROM a JOIN enrollments e USING (learner_id) GROUP BY c")
    tree = gate.check(sql, as_of=AS_OF).tree
    nodes = gate._nodes(tree)
    assert nodes == list(tree.find_all(exp.Expr))
    assert gate._of(nodes, exp.Func) == list(tree.find_all(exp.Func)) != []
    assert gate._of(nodes, exp.Table) == list(tree.find_all(exp.Table))
