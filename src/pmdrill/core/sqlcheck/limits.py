"""Bounds the gate puts on queries that are valid SQL but blow up: amplifiers, products, recursion.

DuckDB's memory limit and interrupts do not stop one huge scalar call (``repeat('x', 2e9)``), so
these are refused before the engine sees them; the sandbox's process limits are the second layer.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlglot import exp

from pmdrill.errors import SqlRefused

MAX_STRING_LITERAL = 10_000  # characters in one string constant
MAX_REPEAT = 10_000  # result length of repeat / lpad / rpad / list_resize
MAX_SERIES = 1_000_000  # elements of one generate_series / range
MAX_BAR_WIDTH = 1_000
MAX_DEPTH = 150  # nesting of the expression tree

# Tables small enough that a product of two of them is harmless (a few thousand rows at most).
SMALL_TABLES = frozenset({"partners", "courses", "programs", "program_courses", "modules",
                          "experiments", "enterprise_accounts"})

_UNIT_SECONDS = {"microsecond": 1e-6, "millisecond": 1e-3, "second": 1, "minute": 60, "hour": 3600,
                 "day": 86400, "week": 7 * 86400, "month": 28 * 86400, "quarter": 90 * 86400,
                 "year": 365 * 86400}


def const_number(node: exp.Expression | None) -> float | None:
    """The value of a numeric constant expression (literals, casts, + - * / ^), else None."""
    if node is None:
        return None
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    if isinstance(node, exp.Literal):  # '2000000000'::INT
        try:
            return float(node.this)
        except ValueError:
            return None
    if isinstance(node, (exp.Paren, exp.Cast, exp.TryCast)):
        return const_number(node.this)
    if isinstance(node, exp.Neg):
        v = const_number(node.this)
        return None if v is None else -v
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Pow)):
        a, b = const_number(node.this), const_number(node.expression)
        if a is None or b is None:
            return None
        try:
            if isinstance(node, exp.Add):
                return a + b
            if isinstance(node, exp.Sub):
                return a - b
            if isinstance(node, exp.Mul):
                return a * b
            if isinstance(node, exp.Pow):
                return float(a ** b) if abs(b) < 400 else float("inf")
            return a / b if b else None
        except (OverflowError, ValueError):
            return float("inf")
    return None


def _const_time(node: exp.Expression) -> dt.datetime | None:
    """DATE '...' / TIMESTAMP '...' / '...'::DATE as a datetime, else None."""
    while isinstance(node, (exp.Paren, exp.Cast, exp.TryCast)) and not isinstance(node.this, exp.Literal):
        node = node.this
    if isinstance(node, (exp.Cast, exp.TryCast)):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        try:
            return dt.datetime.fromisoformat(node.this.strip())
        except ValueError:
            return None
    return None


def _interval_seconds(node: exp.Expression | None) -> float | None:
    if not isinstance(node, exp.Interval):
        return None
    unit = node.unit.name.lower() if node.unit else ""
    text = node.this.name if node.this is not None else ""
    if not unit:  # INTERVAL '1 day'
        m = re.fullmatch(r"\s*(-?[\d.]+)\s*([a-z]+?)s?\s*", text.lower())
        if not m:
            return None
        text, unit = m.group(1), m.group(2)
    unit = unit.rstrip("s") if unit.endswith("s") and unit[:-1] in _UNIT_SECONDS else unit
    try:
        return float(text) * _UNIT_SECONDS[unit]
    except (KeyError, ValueError):
        return None


def series_length(start: exp.Expression | None, end: exp.Expression | None,
                  step: exp.Expression | None) -> float | None:
    """How many elements generate_series/range(start, end, step) yields when all are constants."""
    if end is None:  # range(n)
        n = const_number(start)
        return None if n is None else max(n, 0)
    a, b = const_number(start), const_number(end)
    if a is not None and b is not None:
        s = const_number(step) if step is not None else 1.0
        return None if not s else max((b - a) / s, 0) + 1
    ta, tb = _const_time(start) if start else None, _const_time(end)
    secs = _interval_seconds(step)
    if ta is not None and tb is not None and secs:
        return abs((tb - ta).total_seconds()) / abs(secs) + 1
    return None


def _simple_bound(node: exp.Expression | None) -> bool:
    """A column, a constant, or a cast/± interval of one: bounded by the data, not by arithmetic."""
    if node is None:
        return True
    if isinstance(node, (exp.Column, exp.Literal, exp.Interval, exp.CurrentDate, exp.CurrentTimestamp)):
        return True
    if isinstance(node, (exp.Cast, exp.TryCast, exp.Paren)):
        return _simple_bound(node.this)
    if isinstance(node, (exp.Add, exp.Sub)):
        return _simple_bound(node.this) and _simple_bound(node.expression)
    return const_number(node) is not None


def check_series(name: str, start: exp.Expression | None, end: exp.Expression | None,
                 step: exp.Expression | None) -> None:
    n = series_length(start, end, step)
    if n is not None and name == "range" and end is not None:
        n = max(n - 1, 0)  # range() leaves out its end
    if n is not None:
        if n > MAX_SERIES:
            raise SqlRefused(f"{name}() would produce about {n:,.0f} values; at most {MAX_SERIES:,} "
                             "are allowed (a series over a month by day is fine, over years by second "
                             "is not)")
        return
    secs = _interval_seconds(step)
    if secs is not None and secs < 3600:
        raise SqlRefused(f"{name}() with a step under one hour needs constant bounds "
                         "(DATE '...' literals) so its size can be checked")
    if not all(_simple_bound(x) for x in (start, end, step)):
        raise SqlRefused(f"{name}() bounds must be columns or constants so its size stays bounded")


def check_count(name: str, node: exp.Expression | None, limit: int = MAX_REPEAT) -> None:
    """The size argument of repeat / lpad / rpad / list_resize / bar: a constant up to ``limit``."""
    n = const_number(node)
    if n is None:
        raise SqlRefused(f"{name}() needs a constant length (at most {limit:,}) so its output "
                         "size can be checked")
    if n > limit:
        raise SqlRefused(f"{name}() with length {n:,.0f} is refused: at most {limit:,} is allowed")


def check_format_width(name: str, node: exp.Expression | None) -> None:
    if isinstance(node, exp.Literal) and node.is_string and re.search(r"\d{5,}", node.this):
        raise SqlRefused(f"{name}() format with a width of 10,000 or more characters is refused")


def tree_depth(root: exp.Expression) -> int:
    """Deepest nesting of the tree, walked without recursion."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        for child in node.iter_expressions():
            stack.append((child, d + 1))
    return deepest


def check_recursive_ctes(root: exp.Expression) -> None:
    """A recursive CTE's recursive member must have a stopping condition (WHERE or a join key)."""
    for with_ in root.find_all(exp.With):
        if not with_.args.get("recursive"):
            continue
        for cte in with_.expressions:
            name = cte.alias_or_name.lower()
            body = cte.this
            if not isinstance(body, exp.SetOperation):
                continue
            member = body.expression
            refs = [t for t in member.find_all(exp.Table) if t.name.lower() == name]
            if not refs:
                continue
            selects = [member] if isinstance(member, exp.Select) else list(member.find_all(exp.Select))
            bounded = any(s.args.get("where") is not None or
                          any(j.args.get("on") is not None or j.args.get("using") for j in s.args.get("joins") or [])
                          for s in selects)
            if not bounded:
                raise SqlRefused(f"recursive CTE {cte.alias_or_name!r} has no stopping condition: add a "
                                 "WHERE to its recursive part (e.g. WHERE n < 100)")


class _Links:
    """Union-find over the aliases of one SELECT's big tables."""

    def __init__(self, names: list[str]) -> None:
        self.parent = {n: n for n in names}

    def find(self, n: str) -> str:
        while self.parent[n] != n:
            n = self.parent[n]
        return n

    def join(self, a: str, b: str) -> None:
        if a in self.parent and b in self.parent:
            self.parent[self.find(a)] = self.find(b)


def _equalities(cond: exp.Expression | None) -> list[exp.EQ]:
    return [] if cond is None else list(cond.find_all(exp.EQ))


def check_products(root: exp.Expression, warehouse: frozenset[str]) -> None:
    """Refuse a SELECT that pairs two large warehouse tables with no equality between them."""
    for select in root.find_all(exp.Select):
        sources: list[tuple[str, str, exp.Join | None]] = []  # (alias, table, join)
        from_ = select.args.get("from_") or select.args.get("from")
        items = ([(from_.this, None)] if from_ is not None else []) + \
            [(j.this, j) for j in select.args.get("joins") or []]
        for item, join in items:
            if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
                t = item.name.lower()
                if t in warehouse and t not in SMALL_TABLES:
                    sources.append(((item.alias_or_name or t).lower(), t, join))
        if len(sources) < 2:
            continue
        links = _Links([a for a, _, _ in sources])
        first = sources[0][0]
        for alias, _t, join in sources:
            if join is None:
                continue
            kind = (join.args.get("kind") or "").upper()
            method = (join.args.get("method") or "").upper()
            if join.args.get("using") or method in ("NATURAL", "ASOF", "POSITIONAL") or kind in ("SEMI", "ANTI"):
                links.join(alias, first)
            for eq in _equalities(join.args.get("on")):
                a, b = eq.this, eq.expression
                if isinstance(a, exp.Column) and isinstance(b, exp.Column):
                    qa, qb = a.table.lower(), b.table.lower()
                    if qa and qb:
                        links.join(qa, qb)
                    else:  # unqualified: resolvable only with the schema; assume it links this join
                        links.join(alias, first)
        for eq in _equalities(select.args.get("where")):
            a, b = eq.this, eq.expression
            if isinstance(a, exp.Column) and isinstance(b, exp.Column) and a.table and b.table:
                links.join(a.table.lower(), b.table.lower())
        groups: dict[str, list[str]] = {}
        for alias, t, _ in sources:
            groups.setdefault(links.find(alias), []).append(t)
        if len(groups) > 1:
            names = [g[0] for g in groups.values()]
            raise SqlRefused(f"{names[0]} is paired with {names[1]} with no equality between their "
                             "columns: that is a cross product (every row with every row). "
                             "Add a join key, e.g. ON a.learner_id = b.learner_id")
