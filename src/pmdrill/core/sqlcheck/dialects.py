"""Translate a candidate's PostgreSQL / MySQL / BigQuery / DuckDB query into DuckDB, keeping its meaning.

sqlglot does the syntax; the rules in dialect_rules.py fix where its output would change the answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlglot import exp

from pmdrill.core.sqlcheck import dialect_rules as r
from pmdrill.core.sqlcheck.clock import pin_clock
from pmdrill.core.sqlcheck.dialect_names import CHOICES
from pmdrill.errors import SqlRefused

__all__ = ["CHOICES", "DIALECTS", "RULES"]

DIALECTS: dict[str, str] = {
    "duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
    "mysql": "mysql", "bigquery": "bigquery",
}
# the dialects a candidate may write are dialect_names.CHOICES; the aliases above are accepted too

NodeRule = Callable[[exp.Expression, list[str]], exp.Expression]

# Applied in order, each over the whole tree (parents before children).
RULES: dict[str, tuple[NodeRule, ...]] = {
    "postgres": (r.pg_int_div, r.pg_round, r.pg_to_char, r.pg_similar_to, r.grouped_by_key, r.percentile_double,
                 r.pg_numeric),
    "mysql": (r.mysql_dates, r.mysql_booleans, r.mysql_case_insensitive, r.mysql_length,
              r.round_half_even, r.grouped_by_key, r.mysql_decimal),
    "bigquery": (r.bigquery_dates, r.percentile_double, r.array_agg_limit, r.bigquery_numeric),
    "duckdb": (),
}


def normalize(dialect: str) -> str:
    """The sqlglot name of a dialect the grader accepts, or SqlRefused.

    Example:
        >>> normalize("PostgreSQL"), normalize("mysql")
        ('postgres', 'mysql')
    """
    try:
        return DIALECTS[dialect.strip().lower()]
    except KeyError:
        names = ", ".join(sorted(set(DIALECTS.values())))
        raise SqlRefused(f"unknown SQL dialect {dialect!r}: use one of {names}") from None


def to_duckdb(tree: exp.Expression, dialect: str, as_of: dt.date,
              columns: frozenset[str] = frozenset()) -> tuple[exp.Expression, list[str]]:
    """The tree rewritten so that, generated as DuckDB, it means what it meant in ``dialect``.

    ``columns`` are the warehouse's column names (never mistaken for a bare clock keyword).
    """
    warnings: list[str] = []
    tree = pin_clock(tree, as_of, columns)
    for rule in RULES.get(dialect, ()):
        tree = tree.transform(lambda node, rule=rule: rule(node, warnings), copy=False)
    return tree, warnings
