"""A syntax error is said in a candidate's words: the misspelled keyword and where, or what is missing."""

from __future__ import annotations

import datetime as dt

import pytest

from pmdrill.core.sqlcheck import gate
from pmdrill.errors import SqlSyntaxError

AS_OF = dt.date(2026, 6, 30)


def _error(sql: str) -> SqlSyntaxError:
    with pytest.raises(SqlSyntaxError) as info:
        gate.check(sql, "duckdb", as_of=AS_OF)
    return info.value


@pytest.mark.parametrize(("sql", "word", "keyword", "line", "column"), [
    ("SELEC * FROM courses", "SELEC", "SELECT", 1, 1),
    ("SELECT * FORM courses", "FORM", "FROM", 1, 10),
    ("SELECT *\nFROM courses\nWHER level = 'beginner'", "WHER", "WHERE", 3, 1),
    ("SELECT c.title FROM courses c JION modules m ON m.course_id = c.course_id", "JION", "JOIN", 1, 31),
    ("SELECT level, COUNT(*) FROM courses GROUPBY level", "GROUPBY", "GROUP BY", 1, 37),
    ("SELECT title FROM courses ODER BY title", "ODER", "ORDER", 1, 27),
])
def test_a_misspelled_keyword_is_named_with_its_fix(sql: str, word: str, keyword: str, line: int,
                                                    column: int) -> None:
    e = _error(sql)
    assert e.message == f"syntax error: unknown word {word!r}: did you mean {keyword}?"
    assert (e.line, e.column, e.fragment) == (line, column, word)
    assert "sqlglot" not in str(e) and "<class" not in str(e)


@pytest.mark.parametrize(("sql", "said"), [
    ("SELECT COUNT(* FROM courses", "a parenthesis is opened but not closed before 'FROM'"),
    ("SELECT * FROM courses WHERE", "WHERE needs a condition after it"),
    ("SELECT title FROM courses ORDER BY", "ORDER BY needs what to sort by"),
    ("SELECT CASE WHEN price_usd > 0 THEN 1 FROM courses", "CASE needs END"),
    ("SELECT level, COUNT(*) FROM courses GROUP level", "GROUP needs BY: write GROUP BY"),
    ("SELECT title level course_id FROM courses", "unexpected 'course_id'"),
])
def test_what_is_missing_is_said_plainly(sql: str, said: str) -> None:
    e = _error(sql)
    assert said in e.message and "Required keyword" not in e.message and "<class" not in e.message


def test_an_alias_that_looks_like_a_keyword_is_not_called_a_typo() -> None:
    e = _error("SELECT SUM(price_usd) sums FROM courses WHERE")
    assert "sums" not in e.message and "WHERE needs a condition" in e.message
    e = _error("SELECT COUNT(*) cnt FROM courses WHERE cnt >")
    assert "did you mean" not in e.message
