"""A small guess of an expression's kind of value (integer, exact, float, text, time) from literals,
casts and the warehouse contract: enough to translate division and rounding faithfully."""

from __future__ import annotations

from functools import cache

from sqlglot import exp

_INT_TYPES = ("INT", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINT", "SERIAL", "SIGNED")
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
NON_INT = ("exact", "float", "time", "text")


def kind_of_type(name: str) -> str:
    """'int' | 'exact' | 'float' | 'text' | 'time' | 'other' for a SQL type name.

    Example:
        >>> kind_of_type("DECIMAL(8,2)"), kind_of_type("BIGINT"), kind_of_type("DOUBLE")
        ('exact', 'int', 'float')
    """
    name = name.upper()
    if name.startswith(_INT_TYPES) or name in ("INT4", "INT8", "INT2", "UNSIGNED"):
        return "int"
    if name.startswith(("DECIMAL", "NUMERIC")):
        return "exact"
    if name.startswith(_FLOAT_TYPES):
        return "float"
    if name.startswith(("VARCHAR", "TEXT", "CHAR", "STRING")):
        return "text"
    if name.startswith(("DATE", "TIME")):
        return "time"
    return "other"


@cache
def _column_kinds() -> dict[str, str]:
    """Column name -> kind, when every warehouse column of that name agrees."""
    from pmdrill.core.warehouse import schema

    seen: dict[str, set[str]] = {}
    for t in schema.tables():
        for c in t.columns:
            seen.setdefault(c.name, set()).add(kind_of_type(c.type))
    return {n: next(iter(k)) for n, k in seen.items() if len(k) == 1}


@cache
def _bigints() -> frozenset[str]:
    from pmdrill.core.warehouse import schema

    return frozenset(c.name for t in schema.tables() for c in t.columns if c.type.upper() == "BIGINT")


def kind(node: exp.Expression | None) -> str | None:
    """The kind of value ``node`` yields in PostgreSQL/MySQL terms, or None when unknown.

    Example:
        >>> import sqlglot
        >>> kind(sqlglot.parse_one("count(*) + 1")), kind(sqlglot.parse_one("avg(minutes)"))
        ('int', 'exact')
    """
    if node is None:
        return None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "text"
        text = str(node.this).lower()
        return "float" if "e" in text else "exact" if "." in text else "int"
    if isinstance(node, exp.Column):
        return _column_kinds().get(node.name)
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return kind_of_type(node.to.sql("duckdb"))
    if isinstance(node, (exp.Count, exp.CountIf, exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile,
                         exp.Length, exp.IntDiv)):
        return "int"
    if isinstance(node, (exp.Avg, exp.Extract)):
        return "exact"  # numeric in PostgreSQL 14+ and MySQL
    if isinstance(node, exp.Sum) and isinstance(node.this, exp.Column) and node.this.name in _bigints():
        return "exact"  # PostgreSQL: sum(bigint) is numeric
    if isinstance(node, (exp.Paren, exp.Neg, exp.Abs, exp.Sum, exp.Min, exp.Max, exp.Round)):
        return kind(node.this)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Mod, exp.Div)):
        a, b = kind(node.this), kind(node.expression)
        if a == b and a in ("int", "exact", "float"):
            return a
        if "float" in (a, b):
            return "float"
        return "exact" if {a, b} == {"int", "exact"} else None
    return None
