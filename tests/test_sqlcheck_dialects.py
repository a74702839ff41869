"""Dialect translation keeps the source engine's meaning: each case runs the translated SQL on DuckDB
and compares with the value the source engine returns (PostgreSQL 15 / MySQL 8 manuals)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from pmdrill.core.sqlcheck import gate
from pmdrill.errors import SqlRefused

AS_OF = dt.date(2026, 6, 30)

# (dialect, SQL returning one value, the value the source engine returns)
CASES: list[tuple[str, str, Any]] = [
    ("postgres", "SELECT 5 / 2", 2),
    ("postgres", "SELECT -7 / 2", -3),
    ("postgres", "SELECT 5.0 / 2", 2.5),
    ("postgres", "SELECT 7 / 2 * 2", 6),
    ("postgres", "SELECT sum(x) / count(*) FROM (VALUES (1), (2)) t(x)", 1),
    ("postgres", "WITH t AS (SELECT 3 AS a, 2 AS b) SELECT a / b FROM t", 1),
    ("postgres", "WITH t AS (SELECT 3.0 AS a, 2 AS b) SELECT a / b FROM t", 1.5),
    ("postgres", "SELECT count(*)::float / 4 FROM (VALUES (1), (2)) t(x)", 0.5),
    ("postgres", "SELECT ROUND(2.5::float8)", 2),
    ("postgres", "SELECT ROUND(3.5::float8)", 4),
    ("postgres", "SELECT ROUND(2.5)", 3),
    ("postgres", "SELECT ROUND(2.5::numeric)", 3),
    ("postgres", "SELECT ROUND(0.125::numeric, 2)", Decimal("0.13")),
    ("postgres", "SELECT EXTRACT(DOW FROM DATE '2026-06-28')", 0),
    ("postgres", "SELECT EXTRACT(ISODOW FROM DATE '2026-06-28')", 7),
    ("postgres", "SELECT DATE_TRUNC('week', DATE '2026-06-28')", dt.datetime(2026, 6, 22)),
    ("postgres", "SELECT DATE_TRUNC('month', TIMESTAMP '2026-06-15 10:00')", dt.datetime(2026, 6, 1)),
    ("postgres", "SELECT DATE '2026-03-01' - DATE '2026-02-01'", 28),
    ("postgres", "SELECT CONCAT('a', NULL, 'b')", "ab"),
    ("postgres", "SELECT 'a' || NULL", None),
    ("postgres", "SELECT 2 ^ 3", 8),
    ("postgres", "SELECT CURRENT_DATE", dt.date(2026, 6, 30)),
    ("postgres", "SELECT NOW()", dt.datetime(2026, 6, 30, 23, 59, 59)),
    ("postgres", "SELECT LOCALTIMESTAMP", dt.datetime(2026, 6, 30, 23, 59, 59)),
    ("postgres", "SELECT CURRENT_DATE - INTERVAL '7 days'", dt.datetime(2026, 6, 23)),
    ("mysql", "SELECT 5 / 2", 2.5),
    ("mysql", "SELECT 5 DIV 2", 2),
    ("mysql", "SELECT -7 DIV 2", -3),
    ("mysql", "SELECT 5 / 0", None),
    ("mysql", "SELECT 'abc' = 'ABC'", True),
    ("mysql", "SELECT 'abc' <> 'ABC'", False),
    ("mysql", "SELECT 'abc' LIKE 'A%'", True),
    ("mysql", "SELECT 'a' IN ('A', 'b')", True),
    ("mysql", "SELECT DAYOFWEEK('2026-06-28')", 1),  # a Sunday
    ("mysql", "SELECT DAYOFWEEK(DATE '2026-06-27')", 7),
    ("mysql", "SELECT WEEKDAY('2026-06-28')", 6),
    ("mysql", "SELECT WEEK('2026-06-28', 3)", 26),
    ("mysql", "SELECT TIMESTAMPDIFF(MONTH, '2026-01-31', '2026-02-28')", 0),
    ("mysql", "SELECT TIMESTAMPDIFF(MONTH, '2026-02-28', '2026-01-31')", 0),
    ("mysql", "SELECT TIMESTAMPDIFF(MONTH, '2026-01-15', '2026-03-15')", 2),
    ("mysql", "SELECT TIMESTAMPDIFF(DAY, '2026-01-01 12:00:00', '2026-01-02 11:00:00')", 0),
    ("mysql", "SELECT TIMESTAMPDIFF(YEAR, '2025-07-01', '2026-06-30')", 0),
    ("mysql", "SELECT TIMESTAMPDIFF(YEAR, '2025-06-30', '2026-06-30')", 1),
    ("mysql", "SELECT TIMESTAMPDIFF(HOUR, '2026-01-01 00:00:00', '2026-01-01 05:59:00')", 5),
    ("mysql", "SELECT DATEDIFF('2026-03-01', '2026-02-01')", 28),
    ("mysql", "SELECT DATEDIFF('2026-03-01 23:00:00', '2026-03-01 01:00:00')", 0),
    ("mysql", "SELECT ROUND(2.5)", 3),
    ("mysql", "SELECT ROUND(2.5e0)", 2),
    ("mysql", "SELECT CONCAT('a', NULL)", None),
    ("mysql", "SELECT 1 || 0", True),
    ("mysql", "SELECT IFNULL(NULL, 3)", 3),
    ("mysql", "SELECT LAST_DAY('2026-02-10')", dt.date(2026, 2, 28)),
    ("mysql", "SELECT CURDATE()", dt.date(2026, 6, 30)),
    ("mysql", "SELECT NOW()", dt.datetime(2026, 6, 30, 23, 59, 59)),
    ("mysql", "SELECT SYSDATE()", dt.datetime(2026, 6, 30, 23, 59, 59)),
    ("mysql", "SELECT 'a\\'b'", "a'b"),
    ("duckdb", "SELECT 5 / 2", 2.5),
    ("duckdb", "SELECT today()", dt.date(2026, 6, 30)),
    ("duckdb", "SELECT get_current_timestamp()", dt.datetime(2026, 6, 30, 23, 59, 59)),
    ("duckdb", "SELECT current_date - 1", dt.date(2026, 6, 29)),
]


@pytest.fixture(scope="module")
def con() -> Any:
    c = duckdb.connect(":memory:")
    yield c
    c.close()


@pytest.mark.parametrize(("dialect", "sql", "expected"), CASES, ids=[f"{d}:{s}" for d, s, _ in CASES])
def test_translation_keeps_meaning(dialect: str, sql: str, expected: Any, con: Any) -> None:
    gated = gate.check(sql, dialect, as_of=AS_OF)
    got = con.execute(gated.duckdb_sql).fetchall()
    assert len(got) == 1 and len(got[0]) == 1, gated.duckdb_sql
    value = got[0][0]
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if isinstance(expected, bool) or expected is None:
        assert value is expected or value == expected, gated.duckdb_sql
    elif isinstance(expected, (int, float, Decimal)):
        assert value is not None and float(value) == pytest.approx(float(expected)), gated.duckdb_sql
    else:
        assert value == expected, gated.duckdb_sql


@pytest.mark.parametrize(("dialect", "sql", "word"), [
    ("mysql", "SELECT WEEK('2026-06-28')", "WEEK"),
    ("mysql", "SELECT YEARWEEK('2026-06-28')", "YEARWEEK"),
    ("mysql", "SELECT EXTRACT(WEEK FROM DATE '2026-06-28')", "WEEK"),
    ("postgres", "SELECT ROUND(0.125::float8, 2)", "ROUND"),
    ("postgres", "SELECT timeofday()", "timeofday"),
    ("mysql", "SELECT FOUND_ROWS()", "found_rows"),
])
def test_untranslatable_is_refused_naming_the_function(dialect: str, sql: str, word: str) -> None:
    with pytest.raises(SqlRefused, match=word):
        gate.check(sql, dialect, as_of=AS_OF)


def test_as_of_moves_the_clock() -> None:
    g = gate.check("SELECT CURRENT_DATE", "postgres", as_of=dt.date(2025, 1, 31))
    assert "2025-01-31" in g.duckdb_sql


def test_unknown_dialect() -> None:
    with pytest.raises(SqlRefused, match="dialect"):
        gate.check("SELECT 1", "oracle", as_of=AS_OF)


def test_mysql_backslash_string_stays_one_statement(con: Any) -> None:
    g = gate.check("SELECT 'a\\'; DELETE FROM learners; -- '", "mysql", as_of=AS_OF)
    assert con.execute(g.duckdb_sql).fetchall() == [("a'; DELETE FROM learners; -- ",)]


def test_postgres_nested_comment_is_dropped(con: Any) -> None:
    g = gate.check("SELECT 1 /* /* */ ; DELETE FROM learners; */", "postgres", as_of=AS_OF)
    assert "DELETE" not in g.duckdb_sql and con.execute(g.duckdb_sql).fetchall() == [(1,)]


def test_mysql_string_comparison_on_columns() -> None:
    g = gate.check("SELECT count(*) FROM learners WHERE country = 'us' AND acquisition_channel LIKE 'Paid%'",
                   "mysql", as_of=AS_OF)
    assert "LOWER(country) = 'us'" in g.duckdb_sql and "ILIKE" in g.duckdb_sql


MORE_CASES: list[tuple[str, str, Any]] = [
    ("postgres", "SELECT EXTRACT(DAY FROM DATE '2026-06-10') / 4", 2.5),  # numeric in PostgreSQL 14+
    ("postgres", "SELECT AVG(x) / 2 FROM (VALUES (1), (2)) t(x)", 0.75),
    ("postgres", "SELECT LENGTH('abcde') / 2", 2),
    ("postgres", "SELECT TO_CHAR(TIMESTAMP '2026-06-28 13:05', 'YYYY-MM-DD HH24:MI')", "2026-06-28 13:05"),
    ("postgres", "SELECT TO_CHAR(DATE '2026-06-28', 'Mon YYYY')", "Jun 2026"),
    ("postgres", "SELECT 'abc' SIMILAR TO 'a%'", True),
    ("postgres", "SELECT 'abc' SIMILAR TO 'b%'", False),
    ("postgres", "SELECT x FROM (VALUES (1), (NULL)) t(x) ORDER BY x DESC LIMIT 1", None),  # NULLs first
    ("mysql", "SELECT x FROM (SELECT 1 AS x UNION ALL SELECT NULL) t ORDER BY x LIMIT 1", None),
    ("mysql", "SELECT LENGTH('h\u00e9llo')", 6),  # bytes
    ("mysql", "SELECT CHAR_LENGTH('h\u00e9llo')", 5),
    ("mysql", "SELECT HOUR('2026-01-01 13:00:00')", 13),
    ("mysql", "SELECT AVG(x > 1) FROM (SELECT 1 AS x UNION ALL SELECT 2) t", 0.5),
    ("mysql", "SELECT SUM(x > 1) FROM (SELECT 1 AS x UNION ALL SELECT 2) t", 1),
    ("mysql", "SELECT TRUE + TRUE", 2),
    ("mysql", "SELECT GREATEST(1, NULL, 3)", None),
    ("mysql", "SELECT DATE_FORMAT('2026-06-28', '%Y-%m')", "2026-06"),
    ("bigquery", "SELECT TIMESTAMP_DIFF(TIMESTAMP '2026-01-02 11:00:00', TIMESTAMP '2026-01-01 12:00:00', DAY)", 0),
    ("bigquery", "SELECT EXTRACT(DAYOFWEEK FROM DATE '2026-06-28')", 1),
    ("bigquery", "SELECT DATE_DIFF(DATE '2026-03-01', DATE '2026-02-01', DAY)", 28),
    ("bigquery", "SELECT DIV(7, 2)", 3),
    ("bigquery", "SELECT 7 / 2", 3.5),
    ("bigquery", "SELECT SAFE_DIVIDE(1, 0)", None),
    ("bigquery", "SELECT CURRENT_DATE()", dt.date(2026, 6, 30)),
    # a DECIMAL without precision: PostgreSQL's numeric keeps every digit, MySQL's is DECIMAL(10,0),
    # BigQuery's NUMERIC has 9 decimals (DuckDB's bare DECIMAL is DECIMAL(18,3))
    ("postgres", "SELECT ROUND(0.12345::numeric, 4)", Decimal("0.1235")),
    ("postgres", "SELECT ROUND(CAST(2 AS numeric) / 3, 5)", Decimal("0.66667")),
    ("mysql", "SELECT CAST(0.6 AS DECIMAL)", 1),
    ("bigquery", "SELECT CAST(0.1234567891 AS NUMERIC)", Decimal("0.123456789")),
    # percentile_cont is double precision whatever it reads (DuckDB keeps a DECIMAL's scale)
    ("postgres", "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (1.25::numeric(5,2)), "
                 "(2.50::numeric(5,2))) t(x)", 1.875),
    ("bigquery", "SELECT DISTINCT PERCENTILE_CONT(x, 0.5) OVER () FROM (SELECT CAST(1.25 AS NUMERIC) AS x "
                 "UNION ALL SELECT CAST(2.5 AS NUMERIC)) t", 1.875),
    # BigQuery's ARRAY_AGG(... LIMIT n): the first n of the ordered list
    ("bigquery", "SELECT ARRAY_AGG(x ORDER BY x DESC LIMIT 2)[OFFSET(1)] FROM (SELECT 1 AS x UNION ALL "
                 "SELECT 2 UNION ALL SELECT 3) t", 2),
]


@pytest.mark.parametrize(("dialect", "sql", "expected"), MORE_CASES, ids=[f"{d}:{s}" for d, s, _ in MORE_CASES])
def test_more_translations(dialect: str, sql: str, expected: Any, con: Any) -> None:
    test_translation_keeps_meaning(dialect, sql, expected, con)


@pytest.mark.parametrize(("value", "fmt"), [("DATE '2026-06-28'", "Day"), ("DATE '2026-06-28'", "Month"),
                                           ("DATE '2026-06-28'", "Q"), ("TIMESTAMP '2026-06-28'", "HH12:MI AM"),
                                           ("12.5", "999.99")])
def test_to_char_formats_that_cannot_be_kept_are_refused(value: str, fmt: str) -> None:
    with pytest.raises(SqlRefused, match="TO_CHAR"):
        gate.check(f"SELECT TO_CHAR({value}, '{fmt}')", "postgres", as_of=AS_OF)


def test_mysql_group_by_warns_about_case() -> None:
    g = gate.check("SELECT country, COUNT(*) FROM learners GROUP BY country", "mysql", as_of=AS_OF)
    assert any("case" in w for w in g.warnings)
