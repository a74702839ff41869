"""The warehouse clock: CURRENT_DATE, NOW() and their kin become the warehouse's as-of date.

"Now" is the end of the as-of day, so "the last 30 days" includes everything that happened on it.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import cast

import sqlglot
from sqlglot import exp

from pmdrill.errors import SqlRefused

_DATE_NODES: tuple[type[exp.Expression], ...] = (exp.CurrentDate, exp.UtcDate)
_TIMESTAMP_NODES: tuple[type[exp.Expression], ...] = (
    exp.CurrentTimestamp, exp.Localtimestamp, exp.CurrentDatetime, exp.UtcTimestamp)
_TIME_NODES: tuple[type[exp.Expression], ...] = (exp.CurrentTime, exp.Localtime)

_DATE_CALLS = frozenset({"curdate", "today", "current_date", "utc_date"})
_TIMESTAMP_CALLS = frozenset({
    "now", "sysdate", "getdate", "transaction_timestamp", "statement_timestamp", "clock_timestamp",
    "get_current_timestamp", "sysdatetime", "current_localtimestamp", "current_timestamp",
    "localtimestamp", "utc_timestamp", "getutcdate", "sysutcdatetime", "current_datetime"})
_TIME_CALLS = frozenset({"curtime", "current_time", "localtime", "utc_time", "get_current_time",
                         "current_localtime"})
# Bare keywords some dialects accept without parentheses; sqlglot reads them as columns.
_TIMESTAMP_WORDS = frozenset({"systimestamp", "sysdate", "localtimestamp", "current_timestamp"})
_TIME_WORDS = frozenset({"localtime", "current_time"})
_REFUSED_CALLS = {"timeofday": "timeofday() returns the server's wall clock as text; "
                               "use NOW() (the warehouse as-of time) instead"}


def now_of(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of, dt.time(23, 59, 59))


def _date(as_of: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(as_of.isoformat()), exp.DataType.build("DATE"))


def _timestamp(as_of: dt.date) -> exp.Expression:
    text = now_of(as_of).isoformat(sep=" ")
    return exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMP"))


def _time() -> exp.Expression:
    return exp.cast(exp.Literal.string("23:59:59"), exp.DataType.build("TIME"))


def pin_clock(tree: exp.Expression, as_of: dt.date, columns: frozenset[str] = frozenset()) -> exp.Expression:
    """Replace every clock call in ``tree`` (any source dialect) by the as-of date or time.

    ``columns`` are real column names, never mistaken for a bare clock keyword.

    Example:
        >>> import sqlglot
        >>> t = pin_clock(sqlglot.parse_one("SELECT NOW(), CURDATE()", read="mysql"), dt.date(2026, 6, 30))
        >>> t.sql("duckdb")
        "SELECT CAST('2026-06-30 23:59:59' AS TIMESTAMP), CAST('2026-06-30' AS DATE)"
    """

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, _DATE_NODES):
            return _date(as_of)
        if isinstance(node, _TIMESTAMP_NODES):
            return _timestamp(as_of)
        if isinstance(node, _TIME_NODES):
            return _time()
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name in _REFUSED_CALLS:
                raise SqlRefused(_REFUSED_CALLS[name])
            if name in _DATE_CALLS and not node.expressions:
                return _date(as_of)
            if name in _TIMESTAMP_CALLS and not node.expressions:
                return _timestamp(as_of)
            if name in _TIME_CALLS and not node.expressions:
                return _time()
            if name == "unix_timestamp" and not node.expressions:
                stamp = now_of(as_of).replace(tzinfo=dt.UTC).timestamp()
                return exp.Literal.number(int(stamp))
        if isinstance(node, exp.Column) and not node.table:
            name = node.name.lower()
            if name not in columns and not node.this.args.get("quoted"):
                if name in _TIMESTAMP_WORDS:
                    return _timestamp(as_of)
                if name in _TIME_WORDS:
                    return _time()
        return node

    return tree.transform(swap, copy=False)


_CLOCK_WORDS = re.compile(
    r"\b(" + "|".join(sorted(_DATE_CALLS | _TIMESTAMP_CALLS | _TIME_CALLS | _TIMESTAMP_WORDS | _TIME_WORDS
                             | {"timeofday"})) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=2048)
def pin_clock_sql(sql: str, as_of: dt.date, dialect: str = "duckdb") -> str:
    """Trusted SQL text (KPIs, experiment metrics, notebooks) with its clock pinned, as DuckDB text.

    Text without a clock word is returned unchanged (parsing is the expensive part); results are cached.

    Example:
        >>> pin_clock_sql("SELECT CURRENT_DATE - 1, NOW()", dt.date(2026, 6, 30))
        "SELECT CAST('2026-06-30' AS DATE) - 1, CAST('2026-06-30 23:59:59' AS TIMESTAMP)"
        >>> pin_clock_sql("SELECT 1", dt.date(2026, 6, 30))
        'SELECT 1'
    """
    if not _CLOCK_WORDS.search(sql):
        return sql
    from pmdrill.core.warehouse import schema  # the contract's columns are never clock keywords

    columns = frozenset(c.name for t in schema.tables() for c in t.columns)
    tree = cast(exp.Expression, sqlglot.parse_one(sql, read=dialect))
    return pin_clock(tree, as_of, columns).sql(dialect="duckdb")
