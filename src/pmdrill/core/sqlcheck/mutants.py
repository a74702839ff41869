"""Mutants of a reference query: the plausible wrong answers hidden databases must tell apart.

Each operator changes one site (join type, comparison, aggregate, DISTINCT, a dropped predicate,
AND/OR, a swapped column, an integer or date off by one, NULL handling, ranking ties, sort direction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

from pmdrill.core.warehouse import schema

MAX_MUTANTS = 160


@dataclass(frozen=True)
class Mutant:
    sql: str
    label: str  # what changed, in words: "LEFT JOIN -> INNER JOIN (courses)"
    operator: str  # 'join', 'compare', 'aggregate', 'distinct', 'drop', 'andor', 'column', 'literal', ...


@cache
def _schema() -> dict[str, dict[str, str]]:
    return {t.name: {c.name: c.type for c in t.columns} for t in schema.tables()}


def qualified(tree: exp.Expression) -> exp.Expression:
    """The tree with every column qualified by its table alias (needed to swap columns safely)."""
    try:
        return qualify(tree.copy(), schema=cast(Any, _schema()), dialect="duckdb", validate_qualify_columns=False,
                       quote_identifiers=False, identify=False)
    except Exception:  # noqa: BLE001 - fall back to the tree as written
        return tree.copy()


_CMP_SWAPS: dict[type[exp.Expression], tuple[type[exp.Expression], ...]] = {
    exp.GT: (exp.GTE, exp.LT), exp.GTE: (exp.GT, exp.LTE), exp.LT: (exp.LTE, exp.GT),
    exp.LTE: (exp.LT, exp.GTE), exp.EQ: (exp.NEQ, exp.GTE, exp.LTE), exp.NEQ: (exp.EQ,),
}
_SYMBOL = {exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=", exp.EQ: "=", exp.NEQ: "<>"}
_RANKS: tuple[type[exp.Expression], ...] = (exp.RowNumber, exp.Rank, exp.DenseRank)
_TYPE_FAMILY = {"INTEGER": "int", "BIGINT": "int", "TIMESTAMP": "time", "DATE": "time", "VARCHAR": "text",
                "BOOLEAN": "bool"}


def _family(kind: str) -> str:
    return _TYPE_FAMILY.get(kind, "num" if kind.startswith("DECIMAL") else kind)


Edit = Callable[[exp.Expression], tuple[exp.Expression, str, str] | None]


def _sites(node: exp.Expression, aliases: dict[str, str]) -> Iterator[tuple[Edit, str]]:
    """Mutation edits that apply at ``node``; each edit returns (replacement, label, operator)."""
    if isinstance(node, exp.Join):
        side = (node.side or "").upper()
        kind = (node.kind or "").upper()
        if kind in ("CROSS", "SEMI", "ANTI") or (node.args.get("on") is None and not node.args.get("using")):
            return
        current = side or "INNER"
        for new in ("INNER", "LEFT", "RIGHT", "FULL"):
            if new == current or (current == "INNER" and new in ("RIGHT", "FULL")):
                continue

            def edit_1(n: exp.Expression, new: str = new, current: str = current) -> tuple[exp.Expression, str, str]:
                n.set("side", None if new == "INNER" else new)
                n.set("kind", None)
                return n, f"{current} JOIN -> {new} JOIN ({n.this.sql('duckdb')})", "join"
            yield edit_1, "join"
    if type(node) in _CMP_SWAPS and not (isinstance(node, exp.EQ) and isinstance(node.left, exp.Column)
                                         and isinstance(node.right, exp.Column)):
        # a join key a.x = b.y as a.x <> b.y is no plausible mistake (a wrong key column is, below)
        for new_t in _CMP_SWAPS[type(node)]:
            def edit_2(n: exp.Expression, new_t: type[exp.Expression] = new_t) -> tuple[exp.Expression, str, str]:
                m = new_t(this=n.this.copy(), expression=n.expression.copy())
                return m, f"{n.sql('duckdb')} -> {m.sql('duckdb')}", "compare"
            yield edit_2, "compare"
    if isinstance(node, exp.Count):
        arg = node.this
        if isinstance(arg, exp.Distinct):
            def edit_3(n: exp.Expression) -> tuple[exp.Expression, str, str]:
                inner = n.this.expressions[0].copy() if n.this.expressions else exp.Star()
                return exp.Count(this=inner), "COUNT(DISTINCT x) -> COUNT(x)", "aggregate"
            yield edit_3, "aggregate"
        elif arg is not None and not isinstance(arg, exp.Star):
            def edit_4(n: exp.Expression) -> tuple[exp.Expression, str, str]:
                return exp.Count(this=exp.Distinct(expressions=[n.this.copy()])), "COUNT(x) -> COUNT(DISTINCT x)", "aggregate"
            yield edit_4, "aggregate"

            def edit2_5(n: exp.Expression) -> tuple[exp.Expression, str, str]:
                return exp.Count(this=exp.Star()), "COUNT(x) -> COUNT(*)", "null"
            yield edit2_5, "null"
        elif isinstance(arg, exp.Star) or arg is None:
            # COUNT(*) -> COUNT(a nullable column): counting a column skips its NULLs
            select = node.find_ancestor(exp.Select)
            scope = {t.alias_or_name: t.name for t in (select.find_all(exp.Table) if select else [])
                     if t.name in _schema()}
            options = [(alias, c.name) for alias, name in sorted(scope.items())
                       for c in schema.table(name).columns if c.nullable][:4]
            for alias, colname in options:
                def edit3_6(n: exp.Expression, alias: str = alias, colname: str = colname) -> tuple[exp.Expression, str, str]:
                    return exp.Count(this=exp.column(colname, table=alias)), \
                        f"COUNT(*) -> COUNT({colname})", "null"
                yield edit3_6, "null"
    for a, b in ((exp.Sum, exp.Avg), (exp.Avg, exp.Sum), (exp.Min, exp.Max), (exp.Max, exp.Min)):
        if type(node) is a:
            def edit_7(n: exp.Expression, b: type[exp.Expression] = b) -> tuple[exp.Expression, str, str]:
                return b(this=n.this.copy()), f"{n.key.upper()} -> {b.key.upper()}", "aggregate"
            yield edit_7, "aggregate"
    if isinstance(node, exp.Select):
        def edit_8(n: exp.Expression) -> tuple[exp.Expression, str, str]:
            if n.args.get("distinct"):
                n.set("distinct", None)
                return n, "SELECT DISTINCT -> SELECT", "distinct"
            n.set("distinct", exp.Distinct())
            return n, "SELECT -> SELECT DISTINCT", "distinct"
        yield edit_8, "distinct"
    if isinstance(node, exp.And | exp.Or):
        def edit_9(n: exp.Expression) -> tuple[exp.Expression, str, str]:
            other = exp.Or if isinstance(n, exp.And) else exp.And
            return other(this=exp.Paren(this=n.this.copy()), expression=exp.Paren(this=n.expression.copy())), \
                f"{n.key.upper()} -> {other.key.upper()}", "andor"
        yield edit_9, "andor"
        for keep in ("this", "expression"):
            def drop_10(n: exp.Expression, keep: str = keep) -> tuple[exp.Expression, str, str]:
                gone = n.expression if keep == "this" else n.this
                return n.args[keep].copy(), f"condition dropped: {gone.sql('duckdb')}", "drop"
            yield drop_10, "drop"
    if isinstance(node, exp.Where | exp.Having) and not isinstance(node.this, exp.And | exp.Or):
        def edit_11(n: exp.Expression) -> tuple[exp.Expression, str, str]:
            gone = n.this.sql("duckdb")
            n.set("this", exp.Boolean(this=True))
            return n, f"condition dropped: {gone}", "drop"
        yield edit_11, "drop_where"
    if isinstance(node, exp.Not):
        def edit_12(n: exp.Expression) -> tuple[exp.Expression, str, str]:
            return n.this.copy(), f"NOT dropped: {n.sql('duckdb')}", "null"
        yield edit_12, "null"
    if isinstance(node, exp.Is) and not isinstance(node.parent, exp.Not):
        def edit_13(n: exp.Expression) -> tuple[exp.Expression, str, str]:
            return exp.Not(this=n.copy()), f"{n.sql('duckdb')} -> NOT", "null"
        yield edit_13, "null"
    if isinstance(node, exp.Coalesce):
        def edit_14(n: exp.Expression) -> tuple[exp.Expression, str, str]:
            return n.this.copy(), "COALESCE dropped", "null"
        yield edit_14, "null"
    if type(node) in _RANKS:
        for rank_t in _RANKS:
            if rank_t is type(node):
                continue

            def edit_15(n: exp.Expression, rank_t: type[exp.Expression] = rank_t) -> tuple[exp.Expression, str, str]:
                return rank_t(), f"{n.key.upper()} -> {rank_t.key.upper()}", "ties"
            yield edit_15, "ties"
    if isinstance(node, exp.Ordered) and isinstance(node.parent, exp.Order):
        def edit_16(n: exp.Expression) -> tuple[exp.Expression, str, str]:
            n.set("desc", not n.args.get("desc"))
            n.set("nulls_first", None)
            return n, f"sort direction flipped: {n.this.sql('duckdb')}", "order"
        yield edit_16, "order"
    if isinstance(node, exp.Union):
        def edit_17(n: exp.Expression) -> tuple[exp.Expression, str, str]:
            n.set("distinct", not n.args.get("distinct"))
            return n, "UNION <-> UNION ALL", "distinct"
        yield edit_17, "distinct"
    if isinstance(node, exp.Literal) and node.is_int and not _positional(node):
        for delta in (-1, 1):
            def edit_18(n: exp.Expression, delta: int = delta) -> tuple[exp.Expression, str, str]:
                return exp.Literal.number(int(n.this) + delta), f"{n.this} -> {int(n.this) + delta}", "literal"
            yield edit_18, "literal"
    if isinstance(node, exp.Literal) and node.is_string and isinstance(node.parent, exp.Interval):
        try:
            value = int(node.this)
        except ValueError:
            value = None
        if value is not None:
            for delta in (-1, 1):
                def edit_19(n: exp.Expression, delta: int = delta, value: int = value) -> tuple[exp.Expression, str, str]:
                    return exp.Literal.string(str(value + delta)), f"interval {value} -> {value + delta}", "literal"
                yield edit_19, "literal"
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        parsed = _date_literal(node.this.this)
        if parsed is not None:
            for delta in (-1, 1):
                def edit_20(n: exp.Expression, delta: int = delta) -> tuple[exp.Expression, str, str]:
                    d = _date_literal(n.this.this)
                    assert d is not None
                    new = d + dt.timedelta(days=delta)
                    text = new.isoformat(sep=" ") if isinstance(new, dt.datetime) and ":" in n.this.this else new.strftime("%Y-%m-%d")
                    return exp.Cast(this=exp.Literal.string(text), to=n.args["to"].copy()), \
                        f"date {n.this.this} -> {text}", "literal"
                yield edit_20, "literal"
    if isinstance(node, exp.Between):
        # a range with one end left out: "after Jan 1" for "from Jan 1", "before Dec 31" for "to Dec 31"
        for low_op, high_op, says in ((exp.GT, exp.LTE, "low end excluded"), (exp.GTE, exp.LT, "high end excluded")):
            def edit_22(n: exp.Expression, low_op: type[exp.Expression] = low_op, high_op: type[exp.Expression] = high_op,
                        says: str = says) -> tuple[exp.Expression, str, str]:
                x = n.this
                both = exp.And(this=low_op(this=x.copy(), expression=n.args["low"].copy()),
                               expression=high_op(this=x.copy(), expression=n.args["high"].copy()))
                return exp.Paren(this=both), f"BETWEEN -> {says}", "compare"
            yield edit_22, "compare"
    if isinstance(node, exp.LT | exp.LTE) and isinstance(node.this, exp.Column) and _timestamp_column(node.this, aliases):
        # the last second: "< April 1" written "<= March 31 23:59:59" (or BETWEEN ... '23:59:59'), which
        # drops 23:59:59.5; and the reverse. Only sub-second data tells them apart.
        bound = _literal_time(node.expression)
        if bound is not None and (isinstance(node, exp.LT) and bound.time() == dt.time(0)
                                  or isinstance(node, exp.LTE) and bound.time() == dt.time(23, 59, 59)):
            def edit_23(n: exp.Expression) -> tuple[exp.Expression, str, str]:
                b = _literal_time(n.expression)
                assert b is not None
                new_t: type[exp.LT] | type[exp.LTE]
                if isinstance(n, exp.LT):
                    new_b, new_t, says = b - dt.timedelta(seconds=1), exp.LTE, "the last second dropped"
                else:
                    new_b, new_t, says = b + dt.timedelta(seconds=1), exp.LT, "up to the next second"
                lit = exp.cast(exp.Literal.string(new_b.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))
                return new_t(this=n.this.copy(), expression=lit), f"{n.sql('duckdb')} -> {says}", "compare"
            yield edit_23, "compare"
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Exists):
        # NOT EXISTS (... WHERE inner.k = outer.k) written as outer.k NOT IN (SELECT inner.k ...): a NULL
        # among the inner keys makes NOT IN true for nobody
        def edit_24(n: exp.Expression) -> tuple[exp.Expression, str, str] | None:
            sub = n.this.this
            if not isinstance(sub, exp.Select) or sub.args.get("where") is None:
                return None
            inner = {t.alias_or_name for t in sub.find_all(exp.Table)}
            conds = _conjunct_list(sub.args["where"].this)
            for i, c in enumerate(conds):
                if not (isinstance(c, exp.EQ) and isinstance(c.left, exp.Column) and isinstance(c.right, exp.Column)):
                    continue
                for mine, theirs in ((c.left, c.right), (c.right, c.left)):
                    if mine.table in inner and theirs.table and theirs.table not in inner:
                        rest = conds[:i] + conds[i + 1:]
                        new_sub = sub.copy()
                        new_sub.set("expressions", [mine.copy()])
                        if rest:
                            new_sub.set("where", exp.Where(this=exp.and_(*[r.copy() for r in rest])))
                        else:
                            new_sub.set("where", None)
                        return (exp.Not(this=exp.In(this=theirs.copy(), query=exp.Subquery(this=new_sub))),
                                "NOT EXISTS -> NOT IN (NULL keys)", "null")
            return None
        yield edit_24, "null"
    if isinstance(node, exp.In) and node.args.get("query") is not None and isinstance(node.parent, exp.Not) \
            and isinstance(node.this, exp.Column):
        # and the reverse: NOT IN (SELECT k ...) as NOT EXISTS, which ignores a NULL key
        def edit_25(n: exp.Expression) -> tuple[exp.Expression, str, str] | None:
            query = n.args["query"]
            sub = query.this if isinstance(query, exp.Subquery) else query
            if not isinstance(sub, exp.Select) or len(sub.expressions) != 1:
                return None
            wrapped = exp.select("1").from_(exp.Subquery(this=sub.copy(), alias=exp.TableAlias(
                this=exp.to_identifier("_nin"), columns=[exp.to_identifier("_k")])))
            wrapped = wrapped.where(exp.EQ(this=exp.column("_k", table="_nin"), expression=n.this.copy()))
            # the NOT above stays: NOT (EXISTS ...)
            return exp.Exists(this=wrapped), "NOT IN -> NOT EXISTS (NULL keys)", "null"
        yield edit_25, "null"
    if isinstance(node, exp.Column) and node.table in aliases and _in_condition(node):
        table = aliases[node.table]
        cols = _schema()[table]
        if node.name in cols:
            fam = _family(cols[node.name])
            for other, kind in cols.items():
                if other != node.name and _family(kind) == fam:
                    def edit_21(n: exp.Expression, other: str = other, table: str = table) -> tuple[exp.Expression, str, str]:
                        return exp.column(other, table=n.text("table")), f"{table}.{n.name} -> {table}.{other}", "column"
                    yield edit_21, "column"


def _conjunct_list(cond: exp.Expression) -> list[exp.Expression]:
    while isinstance(cond, exp.Paren) and isinstance(cond.this, exp.Expression):
        cond = cond.this
    if isinstance(cond, exp.And):
        return _conjunct_list(cond.this) + _conjunct_list(cond.expression)
    return [cond]


def _timestamp_column(col: exp.Column, aliases: dict[str, str]) -> bool:
    table = aliases.get(col.table)
    return table is not None and _schema()[table].get(col.name) == "TIMESTAMP"


def _literal_time(node: exp.Expression) -> dt.datetime | None:
    """The value of a constant timestamp: CAST('...' AS TIMESTAMP | DATE) or a bare string."""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        d = _date_literal(node.this)
        return d if isinstance(d, dt.datetime) else None
    return None


def _in_condition(node: exp.Expression) -> bool:
    """A column inside ON / WHERE / HAVING, an aggregate or a window: a one-site swap is plausible there
    (a column in SELECT and GROUP BY is swapped everywhere at once instead)."""
    return node.find_ancestor(exp.Where, exp.Having, exp.Join, exp.AggFunc, exp.Window) is not None


def _positional(node: exp.Literal) -> bool:
    """An ORDER BY 2 or GROUP BY 1 position, not a value."""
    parent = node.parent
    if isinstance(parent, exp.Ordered):
        parent = parent.parent
    return isinstance(parent, exp.Group | exp.Order)


def _date_literal(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _aliases(tree: exp.Expression) -> dict[str, str]:
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    return {t.alias_or_name: t.name for t in tree.find_all(exp.Table)
            if t.name in _schema() and t.name.lower() not in ctes}


def _column_swaps_everywhere(base: exp.Expression, aliases: dict[str, str]) -> list[Mutant]:
    """One column read in place of another everywhere it appears (SELECT, GROUP BY and all)."""
    used = sorted({(aliases[c.table], c.name) for c in base.find_all(exp.Column)
                   if c.table in aliases and c.name in _schema()[aliases[c.table]]})
    out = []
    for table, name in used:
        fam = _family(_schema()[table][name])
        for other, kind in _schema()[table].items():
            if other == name or _family(kind) != fam:
                continue
            copy = base.copy()
            for c in list(copy.find_all(exp.Column)):
                if aliases.get(c.table) == table and c.name == name:
                    c.set("this", exp.to_identifier(other))
            out.append(Mutant(copy.sql(dialect="duckdb"), f"{table}.{name} -> {table}.{other} everywhere", "column"))
    return out


def generate(tree: exp.Expression, limit: int = MAX_MUTANTS, *, qualify_columns: bool = True) -> list[Mutant]:
    """Every single-site mutant of ``tree`` (DuckDB dialect), deduplicated, at most ``limit``.

    Example:
        >>> import sqlglot
        >>> ms = generate(sqlglot.parse_one("SELECT COUNT(DISTINCT learner_id) FROM enrollments WHERE course_id > 3"))
        >>> any(m.label == "COUNT(DISTINCT x) -> COUNT(x)" for m in ms), any(m.operator == "compare" for m in ms)
        (True, True)
    """
    base = qualified(tree) if qualify_columns else tree.copy()
    aliases = _aliases(base)
    seen = {base.sql(dialect="duckdb"), tree.sql(dialect="duckdb")}
    out: list[Mutant] = []
    for raw in list(base.walk()):
        node = cast(exp.Expression, raw)
        for edit, _op in _sites(node, aliases):
            try:
                result = edit(node.copy())
            except Exception:  # noqa: BLE001 - an edit that does not fit this node is skipped
                continue
            if result is None:
                continue
            repl, label, operator = result
            # swap the edited copy in, print, swap the original back: no copy of the whole tree
            if node is base:
                sql = repl.sql(dialect="duckdb")
            else:
                node.replace(repl)
                try:
                    sql = base.sql(dialect="duckdb")
                finally:
                    repl.replace(node)
            if sql in seen:
                continue
            seen.add(sql)
            out.append(Mutant(sql, label, operator))
    if isinstance(base, exp.Select | exp.Union) and base.args.get("limit") is None:
        # the first row only (ORDER BY ... LIMIT 1 for "the course with the most"): a database where the
        # reference returns several rows (a tie at the top) tells it apart
        only = exp.select("*").from_(exp.Subquery(this=base.copy(), alias=exp.TableAlias(this=exp.to_identifier("q"))))
        out.append(Mutant(only.limit(1).sql(dialect="duckdb"), "only the first row (ties at the top dropped)", "ties"))
        seen.add(out[-1].sql)
    for m in _column_swaps_everywhere(base, aliases):
        if m.sql not in seen:
            seen.add(m.sql)
            out.append(m)
    if len(out) > limit:
        # keep every operator represented: round-robin over operators
        by_op: dict[str, list[Mutant]] = {}
        for m in out:
            by_op.setdefault(m.operator, []).append(m)
        picked: list[Mutant] = []
        while len(picked) < limit:
            for ms in by_op.values():
                if ms and len(picked) < limit:
                    picked.append(ms.pop(0))
        out = picked
    return out
