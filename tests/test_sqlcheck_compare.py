"""Result comparison by spec/grading.md: multisets, columns by value, rounding, dates, NULL/NaN, order."""

from __future__ import annotations

import datetime as dt
import decimal

import duckdb
import pytest

from pmdrill.core.sqlcheck.compare import compare
from pmdrill.core.sqlcheck.grade import order_spec
from pmdrill.core.sqlcheck.types import QueryResult


def q(sql: str) -> QueryResult:
    """Run a constant query on real DuckDB: the values have the types the grader really sees."""
    con = duckdb.connect()
    cur = con.execute(sql)
    res = QueryResult(tuple(d[0] for d in cur.description), tuple(str(d[1]) for d in cur.description),
                      tuple(tuple(r) for r in cur.fetchall()))
    con.close()
    return res


def same(expected: str, got: str, **kw: object) -> bool:
    return compare(q(expected), q(got), **kw).equal  # type: ignore[arg-type]


def test_row_order_is_ignored_without_order_by() -> None:
    assert same("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(x, y)", "SELECT * FROM (VALUES (2, 'b'), (1, 'a')) t(x, y)")


def test_column_names_and_order_do_not_matter() -> None:
    assert same("SELECT 1 AS n, 'x' AS s", "SELECT 'x' AS label, 1 AS total")


def test_columns_matched_by_value_when_two_columns_share_a_type() -> None:
    exp_ = "SELECT * FROM (VALUES (1, 10), (2, 20)) t(a, b)"
    assert same(exp_, "SELECT b, a FROM (VALUES (1, 10), (2, 20)) t(a, b)")
    # the same column values but paired into other rows: wrong
    res = compare(q(exp_), q("SELECT * FROM (VALUES (1, 20), (2, 10)) t(a, b)"))
    assert not res.equal
    assert any("wrong rows" in f for f in res.findings)


def test_extra_and_missing_columns_are_wrong_with_a_hint() -> None:
    extra = compare(q("SELECT 1 AS a"), q("SELECT 1 AS a, 2 AS b"))
    assert not extra.equal and extra.reason == "columns"
    assert "extra columns" in extra.findings[0]
    missing = compare(q("SELECT 1 AS a, 2 AS b"), q("SELECT 1 AS a"))
    assert not missing.equal and "missing" in missing.findings[0]


@pytest.mark.parametrize("got, ok", [
    ("SELECT ROUND(2 / 3, 2)", True),       # rounded to 2 decimals: accepted
    ("SELECT ROUND(2 / 3, 4)", True),
    ("SELECT 2 / 3", True),                  # full precision
    ("SELECT 0.67::DECIMAL(4,2)", True),
    ("SELECT ROUND(2 / 3, 1)", False),       # fewer than 2 decimals: not enough
    ("SELECT 0.66::DECIMAL(4,2)", False),    # truncated, not rounded
    ("SELECT 66.67", False),                 # a percent for a fraction
])
def test_rounding_to_the_candidates_precision(got: str, ok: bool) -> None:
    assert same("SELECT 2 / 3", got) is ok


def test_reference_rounded_answer_unrounded_matches() -> None:
    assert same("SELECT ROUND(0.4567, 2)", "SELECT 0.4567::DOUBLE")


def test_fraction_versus_percent_is_named() -> None:
    res = compare(q("SELECT 0.4567::DOUBLE AS r UNION ALL SELECT 0.25"), q("SELECT 45.67 AS r UNION ALL SELECT 25.0"))
    assert not res.equal
    assert any("percent" in f for f in res.findings)


def test_integer_decimal_and_float_compare_as_numbers() -> None:
    assert same("SELECT 3::BIGINT", "SELECT 3.0::DOUBLE")
    assert same("SELECT 3::BIGINT", "SELECT 3.00::DECIMAL(5,2)")
    assert not same("SELECT 3::BIGINT", "SELECT 4::BIGINT")


def test_date_equals_midnight_timestamp_but_not_another_time() -> None:
    assert same("SELECT DATE '2026-01-05'", "SELECT TIMESTAMP '2026-01-05 00:00:00'")
    assert not same("SELECT DATE '2026-01-05'", "SELECT TIMESTAMP '2026-01-05 00:00:01'")


def test_null_and_nan_are_the_same_no_value() -> None:
    assert same("SELECT NULL::DOUBLE", "SELECT 'nan'::DOUBLE")
    assert not same("SELECT NULL::DOUBLE", "SELECT 0::DOUBLE")


def test_duplicates_matter() -> None:
    res = compare(q("SELECT 1 AS x"), q("SELECT 1 AS x UNION ALL SELECT 1"))
    assert not res.equal
    assert any("more than once" in f for f in res.findings)
    assert not same("SELECT * FROM (VALUES (1), (1), (2)) t(x)", "SELECT * FROM (VALUES (1), (2), (2)) t(x)")


def test_order_checked_only_when_the_reference_orders() -> None:
    exp_ = "SELECT * FROM (VALUES ('a', 3), ('b', 2), ('c', 1)) t(k, n) ORDER BY n DESC"
    reversed_ = "SELECT * FROM (VALUES ('a', 3), ('b', 2), ('c', 1)) t(k, n) ORDER BY n"
    assert same(exp_, reversed_)  # unordered comparison
    res = compare(q(exp_), q(reversed_), ordered=True, sort_cols=(1,))
    assert not res.equal and res.reason == "order"


def test_rows_tied_on_the_sort_keys_may_come_in_any_order() -> None:
    exp_ = q("SELECT * FROM (VALUES ('a', 2), ('b', 2), ('c', 1)) t(k, n) ORDER BY n DESC, k")
    tie_swapped = q("SELECT * FROM (VALUES ('b', 2), ('a', 2), ('c', 1)) t(k, n)")
    assert compare(exp_, tie_swapped, ordered=True, sort_cols=(1,)).equal
    # with the name as a second sort key they are no longer tied
    assert not compare(exp_, tie_swapped, ordered=True, sort_cols=(1, 0)).equal


def test_order_spec_reads_the_outermost_order_by() -> None:
    import sqlglot

    tree = sqlglot.parse_one("SELECT domain, COUNT(*) AS n FROM courses GROUP BY 1 ORDER BY n DESC, 1", read="duckdb")
    assert order_spec(tree) == (True, (1, 0))
    sub = sqlglot.parse_one("SELECT * FROM (SELECT a FROM t ORDER BY a) s", read="duckdb")
    assert order_spec(sub) == (False, None)
    hidden_key = sqlglot.parse_one("SELECT a FROM t ORDER BY b", read="duckdb")
    assert order_spec(hidden_key) == (True, None)


def test_decimal_values_from_python_compare() -> None:
    exp_ = QueryResult(("x",), ("DECIMAL(10,2)",), ((decimal.Decimal("12.50"),), (None,)))
    got = QueryResult(("y",), ("DOUBLE",), ((float("nan"),), (12.5,)))
    assert compare(exp_, got).equal
    when = QueryResult(("d",), ("DATE",), ((dt.date(2026, 1, 1),),))
    assert compare(when, QueryResult(("t",), ("TIMESTAMP",), ((dt.datetime(2026, 1, 1),),))).equal


def test_booleans_and_flags() -> None:
    assert same("SELECT TRUE AS f UNION ALL SELECT FALSE", "SELECT 1 UNION ALL SELECT 0")
    assert not same("SELECT TRUE", "SELECT 0")


def test_truncated_candidate_is_wrong() -> None:
    exp_ = QueryResult(("x",), ("INTEGER",), ((1,),))
    got = QueryResult(("x",), ("INTEGER",), ((1,),), truncated=True)
    res = compare(exp_, got)
    assert not res.equal and res.reason == "truncated"


# ---- the fast path for identical results agrees with the full comparison ----------------------

RESULTS = [
    "SELECT * FROM (VALUES (1, 'a', 0.5::DOUBLE), (2, 'b', NULL), (2, 'b', NULL)) t(x, y, z)",
    "SELECT * FROM (VALUES (2, 'b', NULL), (1, 'a', 0.5::DOUBLE), (2, 'b', NULL)) t(x, y, z)",
    "SELECT * FROM (VALUES (1, 'a', 0.5::DOUBLE), (2, 'b', NULL)) t(x, y, z)",
    "SELECT * FROM (VALUES (1, 'a', 'NaN'::DOUBLE), (2, 'b', -0.0::DOUBLE), (3, 'c', 'inf'::DOUBLE)) t(x, y, z)",
    "SELECT * FROM (VALUES (1, 'a', 'NaN'::DOUBLE), (2, 'b', 0.0::DOUBLE), (3, 'c', 'inf'::DOUBLE)) t(x, y, z)",
    "SELECT DATE '2026-01-01' AS d, 1.50::DECIMAL(10, 2) AS m, TRUE AS f",
    "SELECT TIMESTAMP '2026-01-01' AS d, 1.5::DECIMAL(10, 1) AS m, TRUE AS f",
    "SELECT [1, 2] AS l, {'a': 1} AS s",
    "SELECT [1, 2] AS l, {'a': 1} AS s UNION ALL SELECT [3], {'a': 2}",
]


@pytest.mark.parametrize("ordered", [False, True])
@pytest.mark.parametrize("expected", RESULTS)
@pytest.mark.parametrize("got", RESULTS)
def test_fast_path_agrees_with_the_full_comparison(expected: str, got: str, ordered: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pmdrill.core.sqlcheck import compare as module

    e, g = q(expected), q(got)
    fast = compare(e, g, ordered=ordered, sort_cols=(0,) if ordered else None)
    monkeypatch.setattr(module, "_identical", lambda *_a: False)
    full = compare(e, g, ordered=ordered, sort_cols=(0,) if ordered else None)
    assert fast == full
    if expected == got:
        assert fast.equal  # NaN included: it is "no value" on both sides


def findings(expected: str, got: str) -> str:
    c = compare(q(expected), q(got))
    assert not c.equal
    return " ".join(c.findings)


def test_an_integer_off_by_one_is_not_told_to_round() -> None:
    # the old message sent every near miss to rounding and integer division
    text = findings("SELECT * FROM (VALUES ('a', 41), ('b', 120)) t(k, n)",
                    "SELECT * FROM (VALUES ('a', 42), ('b', 120)) t(k, n)")
    assert "round" not in text.lower() and "integer division" not in text
    assert "off by up to 1" in text and "counted differently" in text


def test_rounding_named_only_when_rounding_explains_the_values() -> None:
    rounded = findings("SELECT 0.4567::DOUBLE AS r UNION ALL SELECT 1.25", "SELECT 0.5::DOUBLE AS r UNION ALL SELECT 1.3")
    assert "rounded to 1 decimal" in rounded
    truncated = findings("SELECT 0.4567::DOUBLE AS r UNION ALL SELECT 1.2389", "SELECT 0.456::DOUBLE AS r UNION ALL SELECT 1.238")
    assert "truncated to 3 decimals" in truncated
    whole = findings("SELECT 12.7::DOUBLE AS r UNION ALL SELECT 3.5", "SELECT 12 AS r UNION ALL SELECT 3")
    assert "integer division" in whole
    # close, but no rounding gives these numbers: the message must not claim it does
    other = findings("SELECT 10.00::DOUBLE AS r UNION ALL SELECT 20.00", "SELECT 10.07::DOUBLE AS r UNION ALL SELECT 20.11")
    assert "rounding does not explain it" in other and "round to" not in other.lower()
