"""Tree rewrites that keep a PostgreSQL, MySQL or BigQuery query's meaning once sqlglot writes it as DuckDB.

Each rule looks at one node and returns it, a replacement, or raises SqlRefused for what DuckDB cannot
reproduce. The cases they fix are listed, with the source engine's answers, in test_sqlcheck_dialects.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp

from pmdrill.core.sqlcheck.typeguess import NON_INT, kind
from pmdrill.errors import SqlRefused

NodeRuleT = Callable[[exp.Expression, list[str]], exp.Expression]
_INTS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT')"


def _template(sql: str, **parts: exp.Expression) -> exp.Expression:
    """A DuckDB expression with placeholders ``__name`` replaced by copies of ``parts``."""
    tree = sqlglot.parse_one(sql, read="duckdb")

    def fill(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and n.name.startswith("__") and n.name[2:] in parts:
            return parts[n.name[2:]].copy()
        return n

    return exp.Paren(this=tree.transform(fill))


# -- PostgreSQL ----------------------------------------------------------------------------------
def pg_int_div(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """integer / integer truncates toward zero in PostgreSQL (5 / 2 = 2, -7 / 2 = -3)."""
    if not isinstance(node, exp.Div):
        return node
    a, b = node.this, node.expression
    ka, kb = kind(a), kind(b)
    if ka == "int" and kb == "int":
        return exp.IntDiv(this=a, expression=b)
    if ka in NON_INT or kb in NON_INT:
        return node
    # unknown operand types (CTE columns, expressions): decide on the types DuckDB infers
    return _template(f"CASE WHEN typeof(__a) IN {_INTS} AND typeof(__b) IN {_INTS} "
                     "THEN __a // __b ELSE __a / __b END", a=a, b=b)


def pg_round(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """round(double) rounds half to even; round(double, digits) does not exist in PostgreSQL."""
    if isinstance(node, exp.Round) and kind(node.this) == "float" and node.args.get("decimals") is not None:
        raise SqlRefused("ROUND(double precision, digits) does not exist in PostgreSQL: cast the value "
                         "to numeric first, e.g. ROUND(x::numeric, 2)")
    return round_half_even(node, warnings)


def round_half_even(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """ROUND of a float value rounds half to even in PostgreSQL and (on glibc) MySQL; DuckDB rounds away."""
    if isinstance(node, exp.Round) and kind(node.this) == "float":
        digits = node.args.get("decimals") or exp.Literal.number(0)
        return exp.Anonymous(this="round_even", expressions=[node.this, digits])
    return node


_STRFTIME_OK = re.compile(r"%[YymdHIMSjVGf%]")


def pg_to_char(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """TO_CHAR: keep only the patterns sqlglot maps exactly (YYYY, MM, DD, HH24, MI, SS, IW, Mon)."""
    if not isinstance(node, exp.TimeToStr):
        return node
    fmt = node.args.get("format")
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise SqlRefused("TO_CHAR needs a constant format to be translated")
    text = fmt.this.replace("Mon", "%b")  # sqlglot leaves PostgreSQL's 'Mon' untouched
    rest = _STRFTIME_OK.sub("", text.replace("%b", ""))
    if re.search(r"[A-Za-z%]", rest) or kind(node.this) in ("int", "exact", "float"):
        raise SqlRefused(f"TO_CHAR with format {fmt.this!r} cannot be translated faithfully: use the "
                         "patterns YYYY, MM, DD, HH24, MI, SS, IW or Mon, or EXTRACT / DATE_TRUNC")
    fmt.set("this", text)
    return node


def pg_similar_to(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """SIMILAR TO uses % and _ as wildcards; DuckDB's SIMILAR TO is a plain regular expression."""
    if not isinstance(node, exp.SimilarTo):
        return node
    pattern = node.expression
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        raise SqlRefused("SIMILAR TO needs a constant pattern to be translated")
    regex = pattern.this.replace(".", "\\.").replace("%", ".*").replace("_", ".")
    return exp.Anonymous(this="regexp_full_match", expressions=[node.this, exp.Literal.string(regex)])


# -- MySQL ---------------------------------------------------------------------------------------
_DATE_FUNCS = (exp.LastDay, exp.DayOfWeek, exp.DayOfMonth, exp.DayOfYear, exp.Month, exp.Year, exp.Quarter,
               exp.Dayname, exp.Monthname, exp.Week, exp.TsOrDsToDate, exp.Hour, exp.Minute, exp.Second)
_DATE_CALLS = frozenset({"dayname", "monthname", "last_day", "weekday", "yearweek", "dayofmonth", "dayofyear",
                         "hour", "minute", "second"})


def cast_literal(arg: exp.Expression) -> exp.Expression:
    """A string literal used as a date ('2026-06-30' or '2026-06-30 10:00:00') becomes a typed value."""
    if isinstance(arg, exp.Literal) and arg.is_string:
        return exp.cast(arg, exp.DataType.build("TIMESTAMP" if ":" in arg.this else "DATE"))
    return arg


def mysql_dates(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """String dates, DAYOFWEEK (1 = Sunday) and WEEKDAY (0 = Monday) numbering, WEEK modes, TIMESTAMPDIFF."""
    if isinstance(node, _DATE_FUNCS) and isinstance(node.this, exp.Literal):
        node.set("this", cast_literal(node.this))
    if isinstance(node, exp.Anonymous) and node.name.lower() in _DATE_CALLS:
        node.set("expressions", [cast_literal(a) for a in node.expressions])
    if isinstance(node, exp.DayOfWeek):  # DuckDB: 0 = Sunday
        return exp.Paren(this=exp.Add(this=node, expression=exp.Literal.number(1)))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "weekday":
        return _template("isodow(__d) - 1", d=node.expressions[0])
    if isinstance(node, exp.Week) or (isinstance(node, exp.Anonymous) and node.name.lower() == "yearweek"):
        is_week = isinstance(node, exp.Week)
        mode = node.args.get("mode") if is_week else (node.expressions[1] if len(node.expressions) > 1 else None)
        name = "WEEK" if is_week else "YEARWEEK"
        if not (isinstance(mode, exp.Literal) and mode.this == "3"):
            raise SqlRefused(f"{name}() in MySQL numbers weeks by a mode (default 0: weeks start on Sunday) "
                             f"that DuckDB cannot reproduce: write {name}(date, 3) for ISO weeks")
        if is_week:
            node.set("mode", None)
        else:
            node.set("expressions", node.expressions[:1])
    if isinstance(node, exp.Extract) and node.this.name.upper() == "WEEK":
        raise SqlRefused("EXTRACT(WEEK ...) in MySQL numbers weeks from Sunday (mode 0), which DuckDB "
                         "cannot reproduce: write WEEK(date, 3) for ISO weeks")
    if isinstance(node, exp.TimestampDiff):  # sqlglot keeps (unit, end=this, start=expression)
        return whole_units(node.args.get("unit"), node.expression, node.this, "TIMESTAMPDIFF")
    return node


def whole_units(unit_node: exp.Expression | None, start: exp.Expression, end: exp.Expression,
                name: str) -> exp.Expression:
    """Whole units from start to end, truncated toward zero (MySQL TIMESTAMPDIFF, BigQuery TIMESTAMP_DIFF)."""
    unit = (unit_node.name if unit_node is not None else "DAY").upper()
    a = exp.cast(cast_literal(start), exp.DataType.build("TIMESTAMP"))
    b = exp.cast(cast_literal(end), exp.DataType.build("TIMESTAMP"))
    if unit in ("MONTH", "QUARTER", "YEAR"):
        months = "((year(__b) - year(__a)) * 12 + month(__b) - month(__a))"
        rest_a, rest_b = "strftime(__a, '%d%H%M%S%f')", "strftime(__b, '%d%H%M%S%f')"
        whole = (f"({months} - CASE WHEN {months} > 0 AND {rest_b} < {rest_a} THEN 1 "
                 f"WHEN {months} < 0 AND {rest_b} > {rest_a} THEN -1 ELSE 0 END)")
        per = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[unit]
        return _template(whole if per == 1 else f"CAST(trunc({whole} / {per}) AS BIGINT)", a=a, b=b)
    if unit in ("MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK"):
        return _template(f"date_sub('{unit.lower()}', __a, __b)", a=a, b=b)
    raise SqlRefused(f"{name} with unit {unit} cannot be translated")


def mysql_case_insensitive(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """MySQL's default collation compares strings without case: 'US' = 'us', LIKE 'a%' matches 'A'."""
    if isinstance(node, exp.Like):
        return exp.ILike(this=node.this, expression=node.expression)
    if isinstance(node, (exp.EQ, exp.NEQ)):
        a, b = node.this, node.expression
        if _texty(a) and _texty(b) and (_is_text(a) or _is_text(b) or (kind(a) == kind(b) == "text")):
            node.set("this", _lower(a))
            node.set("expression", _lower(b))
    if isinstance(node, exp.In) and node.expressions and all(_is_text(e) for e in node.expressions):
        if _texty(node.this):
            node.set("this", _lower(node.this))
            node.set("expressions", [_lower(e) for e in node.expressions])
    if isinstance(node, (exp.Group, exp.Distinct)) and "case" not in " ".join(warnings):
        warnings.append("MySQL groups strings without regard to case; the translation groups them as "
                        "written (the warehouse's values are consistently cased)")
    return node


def _is_text(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _texty(node: exp.Expression) -> bool:
    return kind(node) in ("text", None) and not isinstance(node, (exp.Null, exp.Boolean))


def _lower(node: exp.Expression) -> exp.Expression:
    return exp.Literal.string(node.this.lower()) if _is_text(node) else exp.Lower(this=node)


def mysql_length(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """LENGTH counts bytes in MySQL (CHAR_LENGTH counts characters)."""
    if isinstance(node, exp.Length) and node.args.get("binary"):
        return exp.Anonymous(this="strlen", expressions=[exp.cast(node.this, exp.DataType.build("VARCHAR"))])
    return node


_PREDICATES = (exp.Predicate, exp.Not, exp.And, exp.Or, exp.Boolean)


def mysql_booleans(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """MySQL booleans are integers: AVG(x > 1) and TRUE + TRUE are numbers."""
    if isinstance(node, (exp.Avg, exp.Sum, exp.Add, exp.Sub, exp.Mul, exp.Div)):
        for key in ("this", "expression"):
            child = node.args.get(key)
            if isinstance(child, _PREDICATES):
                node.set(key, exp.cast(exp.Paren(this=child), exp.DataType.build("INT")))
    return node


# -- BigQuery ------------------------------------------------------------------------------------
def bigquery_dates(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """TIMESTAMP_DIFF / DATETIME_DIFF count whole units; EXTRACT(DAYOFWEEK) is 1 = Sunday."""
    if isinstance(node, (exp.TimestampDiff, exp.DatetimeDiff)):
        return whole_units(node.args.get("unit"), node.expression, node.this, "TIMESTAMP_DIFF")
    if isinstance(node, exp.Extract) and node.this.name.upper() == "DAYOFWEEK":
        return exp.Paren(this=exp.Add(this=node, expression=exp.Literal.number(1)))
    return node


# -- PostgreSQL and MySQL: functional dependence ---------------------------------------------------
def grouped_by_key(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """Grouping by a table's primary key lets the other columns of that table be selected as they are
    (PostgreSQL and MySQL's ONLY_FULL_GROUP_BY both allow it; DuckDB does not): add them to GROUP BY,
    which groups the same rows.

    Example:
        >>> sql = "SELECT c.course_id, c.title, COUNT(*) FROM courses c JOIN enrollments e ON " \\
        ...       "e.course_id = c.course_id GROUP BY c.course_id"
        >>> tree = sqlglot.parse_one(sql, read="postgres")
        >>> grouped_by_key(tree, []).args["group"].sql("duckdb")
        'GROUP BY c.course_id, c.title'
    """
    if not isinstance(node, exp.Select) or node.args.get("group") is None:
        return node
    from pmdrill.core.warehouse import schema

    names = set(schema.table_names())
    aliases: dict[str, str] = {}
    for t in node.find_all(exp.Table):
        if t.find_ancestor(exp.Select) is node and t.name in names:
            aliases[(t.alias_or_name or t.name).lower()] = t.name
    group = node.args["group"]
    grouped = {(c.table.lower(), c.name.lower()) for c in group.expressions if isinstance(c, exp.Column)}
    if len(aliases) == 1:  # an unqualified column then belongs to the only table
        only = next(iter(aliases))
        grouped |= {(only, n) for t, n in grouped if t == ""}

    def table_of(col: exp.Column) -> str | None:
        if col.table:
            return col.table.lower() if col.table.lower() in aliases else None
        owners = [a for a, t in aliases.items() if col.name in schema.table(t).column_names]
        return owners[0] if len(owners) == 1 else None

    added: list[exp.Expression] = []
    for sel in node.expressions:
        target = sel.unalias()
        if not isinstance(target, exp.Column):
            continue
        alias = table_of(target)
        if alias is None or (alias, target.name.lower()) in grouped:
            continue
        pk = schema.table(aliases[alias]).primary_key
        if pk and all((alias, k) in grouped or ("", k) in grouped for k in pk):
            added.append(target.copy())
            grouped.add((alias, target.name.lower()))
    if added:
        group.set("expressions", [*group.expressions, *added])
    return node


# -- PostgreSQL and BigQuery: aggregates DuckDB types or limits differently ------------------------
def percentile_double(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """percentile_cont returns double precision in PostgreSQL and FLOAT64 in BigQuery whatever the input;
    DuckDB's quantile_cont of a DECIMAL stays DECIMAL at the input's scale (990.668 becomes 990.66)."""
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        order = node.expression
        if isinstance(order, exp.Order) and len(order.expressions) == 1:
            key = order.expressions[0]
            key.set("this", exp.cast(key.this.copy(), exp.DataType.build("DOUBLE")))
        return node
    if isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup) \
            and node.this is not None and not isinstance(node.this, exp.Literal):
        node.set("this", exp.cast(node.this.copy(), exp.DataType.build("DOUBLE")))
    return node


def array_agg_limit(node: exp.Expression, warnings: list[str]) -> exp.Expression:
    """BigQuery's ARRAY_AGG(x ORDER BY y LIMIT n) keeps the first n elements: DuckDB has no LIMIT inside
    an aggregate, so slice the ordered list (list_slice is 1-based, both ends included).

    Example:
        >>> tree = sqlglot.parse_one("SELECT ARRAY_AGG(p ORDER BY t LIMIT 1)[OFFSET(0)] FROM e", read="bigquery")
        >>> tree.transform(lambda n: array_agg_limit(n, [])).sql("duckdb")
        'SELECT LIST_SLICE(ARRAY_AGG(p ORDER BY t NULLS FIRST), 1, 1)[1] FROM e'
    """
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Limit):
        limit = node.this
        n = limit.expression
        if not (isinstance(n, exp.Literal) and not n.is_string):
            raise SqlRefused("ARRAY_AGG(... LIMIT n) needs a literal n to be graded")
        inner = node.copy()
        inner.set("this", limit.this.copy())
        return exp.Anonymous(this="list_slice", expressions=[inner, exp.Literal.number(1), n.copy()])
    return node


# -- a DECIMAL without precision means something else in each engine ------------------------------
def _sized_decimal(width: int, scale: int) -> NodeRuleT:
    def rule(node: exp.Expression, warnings: list[str]) -> exp.Expression:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.DECIMAL and not node.expressions:
            return exp.DataType.build(f"DECIMAL({width}, {scale})")
        return node
    return rule


# PostgreSQL's numeric has no fixed scale: x::numeric keeps every digit (DuckDB's bare DECIMAL is
# DECIMAL(18,3), so ROUND(x::numeric, 4) would round an already rounded 0.123); 12 digits keep what a
# double holds of a ratio while leaving room for products
pg_numeric = _sized_decimal(38, 12)
# MySQL's bare DECIMAL is DECIMAL(10,0): CAST(0.6 AS DECIMAL) is 1
mysql_decimal = _sized_decimal(10, 0)
# BigQuery's NUMERIC is DECIMAL(38,9)
bigquery_numeric = _sized_decimal(38, 9)
