"""The logic of a query (tables, joins, filters, grouping, aggregates, windows, order) and a plain diff.

Both trees are qualified with sqlglot's optimizer (aliases resolved to table names), then compared
clause by clause in the order FROM -> JOIN -> WHERE -> GROUP BY -> HAVING -> SELECT -> ORDER BY.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

from pmdrill.core.warehouse import schema

CLAUSES = ("FROM", "JOIN", "WHERE", "GROUP BY", "HAVING", "SELECT", "ORDER BY")
_FLIP: dict[type[exp.Expression], type[exp.Binary]] = {exp.GT: exp.LT, exp.LT: exp.GT, exp.GTE: exp.LTE, exp.LTE: exp.GTE, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}


@dataclass(frozen=True)
class Join:
    kind: str  # 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS'
    table: str  # the table joined in (base table name, or '(subquery)')
    keys: frozenset[tuple[str, str]]  # equality pairs of the ON clause, each pair sorted
    tables: frozenset[str]  # base tables the ON clause touches


@dataclass
class Logic:
    """What a query does, in terms a candidate can say out loud."""

    tables: Counter[str] = field(default_factory=Counter)
    joins: list[Join] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)  # WHERE and ON conditions that are not join keys
    group_by: set[str] = field(default_factory=set)
    having: list[str] = field(default_factory=list)
    aggregates: Counter[tuple[str, bool, str]] = field(default_factory=Counter)  # (func, distinct, arg)
    windows: Counter[str] = field(default_factory=Counter)
    order_by: list[str] = field(default_factory=list)
    limit: str | None = None
    distinct: bool = False
    columns: set[str] = field(default_factory=set)  # every base column read
    literals: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Diff:
    """One difference, in two levels: ``message`` in the candidate's terms (what is wrong in their query
    and the question), ``detail`` the reference's own clause — shown only when the candidate asks for
    more. A difference about the candidate's own clause gives nothing away and has no detail."""

    clause: str
    kind: str  # e.g. 'table_missing', 'join_type', 'filter_missing', 'aggregate'
    message: str
    detail: str = ""

    def to_dict(self, *, reveal: bool = False) -> dict[str, str]:
        out = {"clause": self.clause, "kind": self.kind, "message": self.message}
        if reveal:
            out["detail"] = self.detail or self.message
        return out


@cache
def _schema() -> dict[str, dict[str, str]]:
    return {t.name: {c.name: c.type for c in t.columns} for t in schema.tables()}


def _qualified(tree: exp.Expression) -> exp.Expression:
    try:
        return qualify(tree.copy(), schema=cast(Any, _schema()), dialect="duckdb", validate_qualify_columns=False,
                       quote_identifiers=False, identify=False)
    except Exception:  # noqa: BLE001 - sqlglot raises many kinds; an unqualified tree still compares
        return tree.copy()


def _alias_map(tree: exp.Expression) -> dict[str, str]:
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    out = {}
    for t in tree.find_all(exp.Table):
        if t.name and t.name.lower() not in ctes and t.name in _schema():
            out[t.alias_or_name] = t.name
    return out


def _render(node: exp.Expression, aliases: dict[str, str]) -> str:
    """SQL text with every column named table.column (base table) or bare (CTE / subquery column)."""
    node = node.copy()
    for col in list(node.find_all(exp.Column)):
        base = aliases.get(col.table)
        col.set("table", exp.to_identifier(base) if base else None)
        col.set("db", None)
    for alias in list(node.find_all(exp.Alias)):
        if alias is not node:
            alias.replace(alias.this)
    if isinstance(node, exp.Alias):
        node = node.this
    for lit in list(node.find_all(exp.Cast)):
        # DATE '2026-05-01', CAST('2026-05-01' AS TIMESTAMP) and '2026-05-01 00:00:00' mean the same
        # bound when compared with a timestamp column: never report them as a different filter
        if isinstance(lit.this, exp.Literal) and lit.this.is_string and lit.to.is_type(*_TEMPORAL):
            if lit is node:
                return _temporal_text(lit.this.name)
            lit.replace(exp.Literal.string(_temporal_text(lit.this.name)[1:-1]))
    for text in list(node.find_all(exp.Literal)):
        if text.is_string and _MIDNIGHT.match(text.name):
            text.replace(exp.Literal.string(text.name[:10]))
    return node.sql(dialect="duckdb")


_TEMPORAL = (exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME,
             exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPNTZ)
_MIDNIGHT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]00:00(:00(\.0+)?)?$")


def _temporal_text(text: str) -> str:
    return f"'{text[:10]}'" if _MIDNIGHT.match(text) else f"'{text}'"


def _conjuncts(cond: exp.Expression | None) -> list[exp.Expression]:
    if cond is None:
        return []
    inner = cast(exp.Expression, cond.unnest())
    if isinstance(inner, exp.And):
        return _conjuncts(cast(exp.Expression, inner.left)) + _conjuncts(cast(exp.Expression, inner.right))
    return [inner]


def _normal(pred: exp.Expression, aliases: dict[str, str]) -> str:
    """One predicate as text, a column on the left of a comparison (so a < b and b > a agree)."""
    if isinstance(pred, exp.Binary) and type(pred) in _FLIP and not isinstance(pred.left, exp.Column) \
            and isinstance(pred.right, exp.Column):
        pred = cast(exp.Expression, _FLIP[type(pred)](this=pred.right.copy(), expression=pred.left.copy()))
    if isinstance(pred, exp.EQ | exp.NEQ) and isinstance(pred.left, exp.Column) and isinstance(pred.right, exp.Column):
        a, b = sorted([_render(pred.left, aliases), _render(pred.right, aliases)])
        return f"{a} {'=' if isinstance(pred, exp.EQ) else '<>'} {b}"
    return _render(pred, aliases)


def _join_key(pred: exp.Expression, aliases: dict[str, str]) -> tuple[str, str] | None:
    if isinstance(pred, exp.EQ) and isinstance(pred.left, exp.Column) and isinstance(pred.right, exp.Column):
        a, b = sorted([_render(pred.left, aliases), _render(pred.right, aliases)])
        return a, b
    return None


def extract(tree: exp.Expression) -> Logic:
    """The logic of a query, over all its scopes (CTEs and subqueries included).

    Example:
        >>> import sqlglot
        >>> lg = extract(sqlglot.parse_one("SELECT COUNT(DISTINCT e.learner_id) FROM enrollments e "
        ...                                "JOIN payments p ON p.learner_id = e.learner_id WHERE p.status = 'succeeded'"))
        >>> sorted(lg.tables), lg.joins[0].keys, lg.filters
        (['enrollments', 'payments'], frozenset({('enrollments.learner_id', 'payments.learner_id')}), ["payments.status = 'succeeded'"])
    """
    q = _qualified(tree)
    aliases = _alias_map(q)
    lg = Logic()
    for t in q.find_all(exp.Table):
        if t.name in _schema() and t.alias_or_name in aliases:
            lg.tables[t.name] += 1
    for col in q.find_all(exp.Column):
        base = aliases.get(col.table)
        if base:
            lg.columns.add(f"{base}.{col.name}")
    for lit in q.find_all(exp.Literal):
        lg.literals.add(lit.this)
    for join in q.find_all(exp.Join):
        kind = (join.side or join.kind or "INNER").upper()
        if kind in ("OUTER", ""):
            kind = "INNER"
        if join.args.get("on") is None and not join.args.get("using") and kind == "INNER":
            kind = "CROSS"
        target = join.this
        table = target.name if isinstance(target, exp.Table) and target.name in _schema() else "(subquery)"
        if isinstance(target, exp.Table) and target.name not in _schema():
            table = target.name
        keys: set[tuple[str, str]] = set()
        touched: set[str] = set()
        for pred in _conjuncts(join.args.get("on")):
            key = _join_key(pred, aliases)
            if key:
                keys.add(key)
                touched.update(k.split(".")[0] for k in key if "." in k)
            else:
                lg.filters.append(_normal(pred, aliases))
        lg.joins.append(Join(kind, table, frozenset(keys), frozenset(touched)))
    for select in q.find_all(exp.Select):
        where = select.args.get("where")
        for pred in _conjuncts(where.this if where is not None else None):
            lg.filters.append(_normal(pred, aliases))
        group = select.args.get("group")
        if group:
            lg.group_by.update(_render(g, aliases) for g in group.expressions)
        having = select.args.get("having")
        if having:
            lg.having.extend(_normal(p, aliases) for p in _conjuncts(having.this))
        if select.args.get("distinct") and select is q:
            lg.distinct = True
    for agg in q.find_all(exp.AggFunc):
        if agg.find_ancestor(exp.Window) is not None and isinstance(agg.parent, exp.Window):
            continue
        arg = agg.this
        distinct = isinstance(arg, exp.Distinct)
        if distinct:
            arg = arg.expressions[0] if arg.expressions else None
        text = "*" if arg is None or isinstance(arg, exp.Star) else _render(arg, aliases)
        lg.aggregates[(agg.key.upper(), distinct, text)] += 1
    for win in q.find_all(exp.Window):
        func = win.this.key.upper() if win.this is not None else "?"
        parts = [_render(p, aliases) for p in win.args.get("partition_by") or []]
        order = win.args.get("order")
        orders = [_render(o, aliases) for o in order.expressions] if order else []
        lg.windows[f"{func} over (partition by {', '.join(parts) or '-'}; order by {', '.join(orders) or '-'})"] += 1
    order = q.args.get("order")
    if order:
        named = {s.alias_or_name: s.unalias() for s in q.selects} if isinstance(q, exp.Query) else {}
        for o in order.expressions:
            key = o.copy()
            if isinstance(key.this, exp.Column) and not key.this.table and key.this.name in named:
                key.set("this", named[key.this.name].copy())
            lg.order_by.append(_render(key, aliases))
    limit = q.args.get("limit")
    if limit is not None:
        lg.limit = _render(limit.expression, aliases) if limit.expression is not None else limit.sql()
    return lg


def _column_of(text: str) -> str:
    """The first column named in a predicate's text (to pair a missing filter with a changed one)."""
    import re

    m = re.search(r"[A-Za-z_]+\.[A-Za-z_]+|[A-Za-z_]+", text)
    return m.group(0) if m else text


def _agg_words(key: tuple[str, bool, str]) -> str:
    func, distinct, arg = key
    return f"{func}({'DISTINCT ' if distinct else ''}{arg})"


def diff(reference: exp.Expression, answer: exp.Expression) -> list[Diff]:
    """Differences between the reference's logic and the answer's, clause by clause, taught in levels:
    ``message`` says what is wrong in the candidate's terms (about their own query and the question);
    ``detail`` gives the reference's clause, for when the candidate asks for more.

    Example:
        >>> import sqlglot
        >>> d = diff(sqlglot.parse_one("SELECT COUNT(DISTINCT learner_id) FROM payments WHERE status = 'succeeded'"),
        ...          sqlglot.parse_one("SELECT COUNT(learner_id) FROM payments WHERE status = 'succeeded'"))[0]
        >>> "DISTINCT" in d.message, "DISTINCT" in d.detail
        (False, True)
    """
    ref, ans = extract(reference), extract(answer)
    out: list[Diff] = []
    missing = sorted(set(ref.tables) - set(ans.tables))
    extra = sorted(set(ans.tables) - set(ref.tables))
    for t in missing:
        out.append(Diff("FROM", "table_missing", f"Part of what the question needs is not in the tables your query "
                        f"reads: where do the {_words(t)} come from?", f"The reference reads table {t}; your query does not."))
    for t in extra:
        out.append(Diff("FROM", "table_extra", f"Your query reads table {t}, which the answer does not need "
                                               "(an extra join can repeat or drop rows)."))
    out.extend(_join_diffs(ref, ans))
    out.extend(_predicate_diffs("WHERE", ref.filters, ans.filters))
    if ref.group_by != ans.group_by:
        if not ans.group_by:
            out.append(Diff("GROUP BY", "group_missing", "Your query returns one total; the question asks for one "
                            "row per group: what does one row of the answer stand for?",
                            f"The reference groups by {', '.join(sorted(ref.group_by))}; your query does not group."))
        elif not ref.group_by:
            out.append(Diff("GROUP BY", "group_extra",
                            f"Your query groups by {', '.join(sorted(ans.group_by))}; the answer needs no grouping."))
        else:
            out.append(Diff("GROUP BY", "group_differs", f"Your rows are one per {', '.join(sorted(ans.group_by))}; "
                            "the answer's rows stand for something else: reread what one row is.",
                            f"Grouping differs: the reference groups by {', '.join(sorted(ref.group_by))}, "
                            f"yours by {', '.join(sorted(ans.group_by))}."))
    out.extend(_predicate_diffs("HAVING", ref.having, ans.having))
    out.extend(_aggregate_diffs(ref, ans))
    if ref.distinct != ans.distinct:
        out.append(Diff("SELECT", "distinct", "Your result repeats rows that the answer lists once."
                        if ref.distinct else
                        "Your query uses SELECT DISTINCT; the reference keeps every row "
                        "(duplicates are part of the answer).",
                        "The reference removes duplicate rows with SELECT DISTINCT; yours does not."
                        if ref.distinct else ""))
    for w in sorted(set(ref.windows) - set(ans.windows)):
        out.append(Diff("SELECT", "window", "The answer ranks or compares rows within a group (the latest, the "
                        "first, the previous one); your query does not.", f"The reference uses the window {w}; yours does not."))
    for w in sorted(set(ans.windows) - set(ref.windows)):
        out.append(Diff("SELECT", "window", f"Your query uses the window {w}, which the reference does not."))
    # sort keys that differ only by an aggregate already reported are not a second finding
    if ref.order_by and [o.replace("DISTINCT ", "") for o in ref.order_by] != [o.replace("DISTINCT ", "") for o in ans.order_by]:
        out.append(Diff("ORDER BY", "order", "The question asks for the rows in an order; "
                        + (f"yours sort by {', '.join(ans.order_by)}, which is not it." if ans.order_by else "yours are not sorted."),
                        f"The reference sorts by {', '.join(ref.order_by)}"
                        + (f"; yours by {', '.join(ans.order_by)}." if ans.order_by else "; yours does not sort.")))
    if ref.limit != ans.limit and (ref.limit or ans.limit):
        out.append(Diff("ORDER BY", "limit", "Your query keeps "
                        + (f"the first {ans.limit} rows" if ans.limit else "every row")
                        + ("; the question asks for a top N: how many?" if ref.limit else "; the answer keeps every row."),
                        f"The reference keeps {('the first ' + ref.limit + ' rows') if ref.limit else 'every row'}; "
                        f"yours keeps {('the first ' + ans.limit) if ans.limit else 'every row'}."))
    return out


def _a(word: str) -> str:
    return ("an " if word[:1] in "AEIOU" else "a ") + word


def _words(name: str) -> str:
    """'enterprise_seats' -> 'enterprise seats'; 'payments.paid_at' -> 'paid at'."""
    return name.split(".")[-1].replace("_", " ")


def _unit(table: str) -> str:
    """The thing one row of a table stands for, singular: 'payments' -> 'payment'."""
    word = _words(table)
    return {"module progress": "module progress row", "enterprise accounts": "enterprise account",
            "learning events": "event"}.get(word, word[:-1] if word.endswith("s") else word)


_TIME_COLUMN = re.compile(r"\.[a-z_]*(_at|_on|date|_day|_month|_week)\b")


def rows_hint(pred: str) -> str:
    """Which rows a filter keeps, said in the question's terms without the clause itself.

    Example:
        >>> rows_hint("NOT learners.is_internal_test")
        'some accounts are not real learners (internal test accounts)'
        >>> rows_hint("payments.status = 'succeeded'")
        'not every payment counts: the question cares about its status'
        >>> rows_hint("payments.paid_at >= '2026-05-01'")
        'the question is about a period, and your query keeps rows from outside it (paid at)'
    """
    col = _column_of(pred)
    table, _, name = col.partition(".")
    if "is_internal_test" in pred:
        return "some accounts are not real learners (internal test accounts)"
    if _TIME_COLUMN.search(pred) or "INTERVAL" in pred.upper() or "CURRENT_" in pred.upper():
        return f"the question is about a period, and your query keeps rows from outside it ({_words(col)})"
    if " IS NULL" in pred.upper() or " IS NOT NULL" in pred.upper():
        return f"some {_words(table) or 'rows'} have no {_words(name)}: decide whether those count"
    if name and table:
        return f"not every {_unit(table)} counts: the question cares about its {_words(name)}"
    return "not every row counts"


def _join_diffs(ref: Logic, ans: Logic) -> list[Diff]:
    out = []
    used: set[int] = set()
    for rj in ref.joins:
        match = None
        for i, aj in enumerate(ans.joins):
            if i not in used and (aj.table == rj.table or (aj.tables and aj.tables == rj.tables)):
                match = i
                break
        if match is None:
            continue
        used.add(match)
        aj = ans.joins[match]
        if aj.kind != rj.kind:
            if aj.kind == "INNER" and rj.kind in ("LEFT", "RIGHT", "FULL"):
                level1 = (f"Your {aj.kind} JOIN to {rj.table} drops the rows that have no match there (e.g. a course "
                          "with no enrollments): should they appear, with zero?")
            elif aj.kind in ("LEFT", "RIGHT", "FULL") and rj.kind == "INNER":
                level1 = (f"Your {aj.kind} JOIN to {rj.table} keeps rows that have no match there; the answer "
                          "leaves them out.")
            else:
                level1 = f"Your {aj.kind} JOIN to {rj.table} keeps different rows from the answer's."
            out.append(Diff("JOIN", "join_type", level1, f"Join to {rj.table}: the reference uses {_a(rj.kind)} "
                            f"JOIN, yours {_a(aj.kind)} JOIN."))
        if aj.keys != rj.keys and rj.keys:
            def words(keys: frozenset[tuple[str, str]]) -> str:
                return " and ".join(f"{a} = {b}" for a, b in sorted(keys)) or "no key"
            out.append(Diff("JOIN", "join_keys", f"Your join to {rj.table} matches rows on {words(aj.keys)}: do "
                            "those columns name the same thing on both sides? A wrong key pairs unrelated rows.",
                            f"Join to {rj.table}: the reference matches on {words(rj.keys)}; yours on {words(aj.keys)}."))
    return out


def _predicate_diffs(clause: str, ref: list[str], ans: list[str]) -> list[Diff]:
    missing = [p for p in ref if p not in ans]
    extra = [p for p in ans if p not in ref]
    out = []
    paired: set[str] = set()
    word = "filter" if clause == "WHERE" else "HAVING condition"
    for p in missing:
        col = _column_of(p)
        twin = next((e for e in extra if e not in paired and _column_of(e) == col), None)
        if twin is not None:
            paired.add(twin)
            out.append(Diff(clause, "filter_differs", f"Your {word} on {col} ({twin}) keeps different rows from "
                            "the answer's: check the operator and the boundary.",
                            f"The {word} on {col} differs: the reference keeps rows where {p}; yours where {twin}."))
        else:
            out.append(Diff(clause, "filter_missing", f"Your query counts rows the question leaves out: {rows_hint(p)}.",
                            f"Missing {word}: the reference keeps only rows where {p}."))
    for e in extra:
        if e not in paired:
            out.append(Diff(clause, "filter_extra", f"Extra {word}: your query keeps only rows where {e}; "
                            "the answer has no such condition."))
    return out


def _aggregate_diffs(ref: Logic, ans: Logic) -> list[Diff]:
    out = []
    missing = list((ref.aggregates - ans.aggregates).elements())
    extra = list((ans.aggregates - ref.aggregates).elements())
    for m in missing:
        twin = next((e for e in extra if e[0] == m[0] and e[2] == m[2] and e[1] != m[1]), None)
        if twin is not None:
            extra.remove(twin)
            thing = _words(m[2]).removesuffix(" id") if m[2] != "*" else "row"
            if m[1]:
                out.append(Diff("SELECT", "aggregate_distinct", f"Your {_agg_words(twin)} counts a {thing} once "
                                f"per row, and the same {thing} can appear in several rows (repeats, e.g. "
                                "re-enrollments or a second payment, are counted again).",
                                f"The reference counts distinct values with {_agg_words(m)}; yours {_agg_words(twin)}."))
            else:
                out.append(Diff("SELECT", "aggregate_distinct", f"Your {_agg_words(twin)} collapses repeated values "
                                "that are part of the answer.",
                                f"The reference uses {_agg_words(m)}; yours {_agg_words(twin)}."))
            continue
        twin = next((e for e in extra if e[0] == m[0]), None) or next((e for e in extra if e[2] == m[2]), None)
        if twin is not None and m[0] == "COUNT" and m[1] and twin[0] == "COUNT" and not twin[1] and m[2] != "*":
            extra.remove(twin)
            thing = _words(m[2]).removesuffix(" id")
            out.append(Diff("SELECT", "aggregate", f"Your {_agg_words(twin)} counts rows; the question counts "
                            f"{thing}s, and one {thing} can appear in several rows (a second payment, a re-enrollment).",
                            f"The reference computes {_agg_words(m)}; yours {_agg_words(twin)}."))
            continue
        if twin is not None:
            extra.remove(twin)
            note = ""
            if m[0] == "COUNT" and twin[0] == "COUNT" and "*" in (m[2], twin[2]):
                note = (" COUNT(*) counts every row, NULLs included." if twin[2] == "*" else
                        f" {_agg_words(twin)} skips the rows where {_words(twin[2])} is NULL.")
            out.append(Diff("SELECT", "aggregate", f"Your {_agg_words(twin)} computes something other than what "
                            f"the question measures: what is counted or summed, and over which column?{note}",
                            f"The reference computes {_agg_words(m)}; yours {_agg_words(twin)}."))
        else:
            out.append(Diff("SELECT", "aggregate_missing", "The answer computes a value your query does not: "
                            "reread what the question asks you to measure.",
                            f"The reference computes {_agg_words(m)}; your query does not."))
    for e in extra:
        out.append(Diff("SELECT", "aggregate_extra", f"Your query computes {_agg_words(e)}, which the answer does not."))
    return out
