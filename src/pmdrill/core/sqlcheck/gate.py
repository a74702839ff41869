"""The gate every SQL answer passes before it runs: one read-only query over the warehouse, or a refusal.

Pure (sqlglot only). It parses in the candidate's dialect, translates to DuckDB, re-parses what will
run and checks that: statement kind, tables, functions and the size of amplifiers.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError

from pmdrill.core.sqlcheck import allowlist, dialects, limits, syntax_help
from pmdrill.core.warehouse import schema
from pmdrill.errors import SqlRefused, SqlSyntaxError

MAX_SQL_CHARS = 20_000
MAX_PAREN_DEPTH = 60

# Statement kinds that may not appear anywhere in an answer, with the reason shown to the user.
_FORBIDDEN: tuple[tuple[type[exp.Expression], str], ...] = tuple(
    (kind, f"{word} is not allowed: answers may only read the warehouse")
    for kind, word in (
        (exp.Copy, "COPY"), (exp.Export, "EXPORT"), (exp.Attach, "ATTACH"), (exp.Detach, "DETACH"),
        (exp.Install, "INSTALL"), (exp.Set, "SET"), (exp.Pragma, "PRAGMA"), (exp.Use, "USE"),
        (exp.Create, "CREATE"), (exp.Insert, "INSERT"), (exp.Update, "UPDATE"), (exp.Delete, "DELETE"),
        (exp.Drop, "DROP"), (exp.Alter, "ALTER"), (exp.Merge, "MERGE"), (exp.TruncateTable, "TRUNCATE"),
        (exp.Describe, "DESCRIBE"), (exp.Show, "SHOW"), (exp.Summarize, "SUMMARIZE"),
        (exp.Transaction, "BEGIN"), (exp.Commit, "COMMIT"), (exp.Rollback, "ROLLBACK"),
        (exp.Into, "SELECT ... INTO"), (exp.Command, "this statement"), (exp.Pivot, "PIVOT/UNPIVOT"),
        (exp.Placeholder, "a parameter placeholder"), (exp.Parameter, "a parameter"),
        (exp.SessionParameter, "a session variable (@@name)"),
    )
)
# First words of statements that are not queries: named in the refusal even when sqlglot cannot parse them.
_STATEMENT_WORDS = frozenset({
    "COPY", "EXPORT", "IMPORT", "ATTACH", "DETACH", "INSTALL", "FORCE", "LOAD", "SET", "RESET", "PRAGMA",
    "USE", "CREATE", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "MERGE", "TRUNCATE", "CHECKPOINT",
    "CALL", "BEGIN", "COMMIT", "ROLLBACK", "ABORT", "VACUUM", "ANALYZE", "DESCRIBE", "DESC", "SHOW",
    "SUMMARIZE", "EXPLAIN", "PREPARE", "EXECUTE", "DEALLOCATE", "PIVOT", "UNPIVOT", "GRANT", "REVOKE",
    "COMMENT", "UPSERT", "REPLACE", "HANDLER", "LOCK", "UNLOCK", "KILL", "SHUTDOWN", "GET", "PUT", "REMOVE",
    "LIST", "UNDROP", "REFRESH", "CACHE", "UNCACHE", "OPTIMIZE", "FLUSH", "RENAME", "DO", "LISTEN", "NOTIFY",
})
_CONTROL_OK = {"\t", "\n", "\r"}
_QUERY_ROOTS = (exp.Query, exp.Values)


@dataclass(frozen=True)
class GatedSql:
    """A query that passed the gate: the DuckDB text that will run and what it reads."""

    duckdb_sql: str
    tree: exp.Expression  # DuckDB dialect
    dialect: str
    tables: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)


@cache
def _warehouse() -> frozenset[str]:
    return frozenset(schema.table_names())


@cache
def _columns() -> frozenset[str]:
    return frozenset(c.name for t in schema.tables() for c in t.columns)


# Accepted answers by (text, dialect, as-of date): a resubmission or a re-run is not parsed again.
# Only accepted answers are kept (a refusal is re-derived, so its message is always fresh).
# The cached GatedSql (and its tree) is shared: callers must not modify the tree (copy it first).
CACHE_SIZE = 512
_CACHE: OrderedDict[tuple[str, str, dt.date], GatedSql] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def check(sql: str, dialect: str = "duckdb", *, as_of: dt.date) -> GatedSql:
    """Gate and translate one answer, or raise SqlRefused / SqlSyntaxError saying why.

    Results are cached per (sql, dialect, as_of): checking the same text again costs a lookup.

    Example:
        >>> g = check("SELECT COUNT(*) FROM learners WHERE signed_up_at < NOW()", as_of=dt.date(2026, 6, 30))
        >>> g.tables
        ('learners',)
        >>> check("COPY learners TO 'x.csv'", as_of=dt.date(2026, 6, 30))
        Traceback (most recent call last):
        ...
        pmdrill.errors.SqlRefused: COPY is not allowed: answers may only read the warehouse
    """
    source = dialects.normalize(dialect)
    key = (sql, source, as_of)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    gated = _check_uncached(sql, source, as_of)
    with _CACHE_LOCK:
        _CACHE[key] = gated
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return gated


def _check_uncached(sql: str, source: str, as_of: dt.date) -> GatedSql:
    _check_text(sql)
    try:
        tree = _parse_one(sql, source)
        _check_structure(tree, sql)
        translated, warnings = dialects.to_duckdb(tree, source, as_of, _columns())
        # comments are dropped: nested-comment rules differ between dialects
        duck_sql = translated.sql(dialect="duckdb", comments=False)
        # what runs is what is checked: the generated text, parsed back as DuckDB
        final = _parse_one(duck_sql, "duckdb", generated=True)
        nodes = _nodes(final)  # one walk of the tree serves every check below
        _check_structure(final, duck_sql, nodes)
        tables = _check_tables(final, nodes)
        _check_functions(final, nodes)
        limits.check_recursive_ctes(final)
        limits.check_products(final, _warehouse())
    except RecursionError:
        raise SqlRefused("the query is nested too deeply to check") from None
    return GatedSql(duck_sql, final, source, tables, tuple(warnings))


_N = TypeVar("_N", bound=exp.Expr)


def _nodes(tree: exp.Expr) -> list[exp.Expr]:
    """Every node of the tree in breadth-first order (the order ``find_all`` yields them)."""
    return list(tree.walk(bfs=True))


def _of(nodes: Sequence[exp.Expr], kind: type[_N]) -> list[_N]:
    return [n for n in nodes if isinstance(n, kind)]


def _check_text(sql: str) -> None:
    if not sql or not sql.strip():
        raise SqlRefused("the answer is empty: write one SELECT query")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"the answer is {len(sql):,} characters long; at most {MAX_SQL_CHARS:,} are allowed")
    for i, ch in enumerate(sql):
        if ch in _CONTROL_OK:
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            line = sql.count("\n", 0, i) + 1
            col = i - (sql.rfind("\n", 0, i) + 1) + 1
            raise SqlRefused(f"invisible control character U+{ord(ch):04X} at line {line}, column {col}: "
                             "retype the query without it")
    depth = deepest = 0
    for ch in sql:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_PAREN_DEPTH:
        raise SqlRefused(f"the query nests brackets {deepest} deep; at most {MAX_PAREN_DEPTH} are allowed")


def _parse_one(sql: str, dialect: str, *, generated: bool = False) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as e:
        _refuse_statement(sql)
        if generated:
            raise SqlRefused(f"the translated query does not parse as DuckDB ({e.errors[0]['description']})") from None
        err = e.errors[0] if e.errors else {}
        description = re.sub(r"<Token token_type: [^,]+, text: ([^,]*),.*?>", r"'\1'",
                             str(err.get("description", e)))
        said = syntax_help.explain(sql, description, int(err.get("line") or 1), int(err.get("col") or 1),
                                   str(err.get("highlight") or ""))
        raise SqlSyntaxError(f"syntax error: {said.message}", line=said.line, column=said.column,
                             fragment=said.fragment) from None
    except TokenError as e:
        _refuse_statement(sql)
        line, col, fragment = _token_error_position(sql, str(e))
        raise SqlSyntaxError("syntax error: a quote, identifier or comment is never closed",
                             line=line, column=col, fragment=fragment) from None
    except SqlglotError as e:
        raise SqlSyntaxError(f"syntax error: {e}", line=1, column=1) from None
    if not statements:
        raise SqlRefused("the answer has no statement: write one SELECT query")
    if len(statements) > 1:
        raise SqlRefused(f"the answer has {len(statements)} statements; only one SELECT query may run")
    root: exp.Expression = statements[0]  # type: ignore[assignment]
    return root


def _token_error_position(sql: str, message: str) -> tuple[int, int, str]:
    """Where an unclosed quote or comment starts (sqlglot's TokenError carries no position)."""
    m = re.search(r"'/\*|--|\$\$|['\"`]", sql)
    starts = [i for i, ch in enumerate(sql) if ch in "'\"`"] or [m.start() if m else 0]
    i = starts[-1] if starts else 0
    if "/*" in sql and sql.rfind("/*") > sql.rfind("*/"):
        i = sql.rfind("/*")
    line = sql.count("\n", 0, i) + 1
    col = i - (sql.rfind("\n", 0, i) + 1) + 1
    return line, col, sql[i:i + 20]


def _first_word(sql: str) -> str:
    text = re.sub(r"(?s)/\*.*?\*/|--[^\n]*|#[^\n]*", " ", sql)
    m = re.search(r"[A-Za-z_]+", text)
    return m.group(0).upper() if m else ""


def _refuse_statement(sql: str) -> None:
    """Name the statement when the answer starts with one that is not a query."""
    word = _first_word(sql)
    if word in _STATEMENT_WORDS:
        raise SqlRefused(f"{word} is not allowed: answers may only read the warehouse")


def _check_structure(tree: exp.Expression, sql: str, nodes: Sequence[exp.Expr] | None = None) -> None:
    if not isinstance(tree, _QUERY_ROOTS):
        _refuse_statement(sql)
    if nodes is None:
        nodes = _nodes(tree)
    # every node class present (the root included), checked against each forbidden kind in order
    present = {type(n) for n in nodes}
    for kind, reason in _FORBIDDEN:
        if any(issubclass(t, kind) for t in present):
            raise SqlRefused(reason)
    if not isinstance(tree, _QUERY_ROOTS):
        word = _first_word(sql) or type(tree).__name__.upper()
        raise SqlRefused(f"{word} is not allowed: only one read-only query (SELECT, WITH or VALUES) may run")
    if any(issubclass(t, exp.Lock) for t in present):
        raise SqlRefused("FOR UPDATE / FOR SHARE is not allowed: answers only read")


def _check_tables(tree: exp.Expression, nodes: Sequence[exp.Expr] | None = None) -> tuple[str, ...]:
    if nodes is None:
        nodes = _nodes(tree)
    ctes = {c.alias_or_name.lower() for c in _of(nodes, exp.CTE)}
    warehouse = _warehouse()
    used: set[str] = set()
    for table in _of(nodes, exp.Table):
        if isinstance(table.this, exp.Func):
            _check_table_function(table.this)
            continue
        name = table.name
        if table.args.get("db") is not None or table.args.get("catalog") is not None:
            raise SqlRefused(f"{table.sql('duckdb')} is not allowed: write the table name alone "
                             f"({name}), without a schema or database")
        low = name.lower()
        if low in ctes:
            continue
        if low not in warehouse:
            raise SqlRefused(f"unknown table {name!r}: answers may read only the warehouse tables "
                             f"({', '.join(sorted(warehouse))}) and their own CTEs")
        used.add(low)
    for unnest in _of(nodes, exp.Unnest):
        for arg in unnest.expressions:
            if isinstance(arg, exp.GenerateSeries):
                _check_series(arg)
    if limits.tree_depth(tree) > limits.MAX_DEPTH:
        raise SqlRefused(f"the query nests expressions more than {limits.MAX_DEPTH} deep")
    return tuple(sorted(used))


def function_name(node: exp.Func) -> str | None:
    """The DuckDB function a sqlglot node calls, or None for syntax that is not a call (CASE, ->)."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    text = node.sql(dialect="duckdb")
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(", text)
    return m.group(1).lower() if m else None


def _check_table_function(func: exp.Func) -> None:
    name = function_name(func) or type(func).__name__.lower()
    if name not in allowlist.allowed_table_functions():
        why = allowlist.deny_reason(name) or "answers may read only the warehouse tables"
        raise SqlRefused(f"table function {name}() is not allowed: {why} "
                         "(generate_series, range and unnest are the table functions allowed)")
    if isinstance(func, exp.GenerateSeries):
        _check_series(func)
    elif isinstance(func, exp.Anonymous) and name in ("range", "generate_series"):
        _check_amplifier(name, func)


def _check_series(node: exp.GenerateSeries) -> None:
    name = "range" if node.args.get("is_end_exclusive") else "generate_series"
    limits.check_series(name, node.args.get("start"), node.args.get("end"), node.args.get("step"))


def _check_functions(tree: exp.Expression, nodes: Sequence[exp.Expr] | None = None) -> None:
    if nodes is None:
        nodes = _nodes(tree)
    allowed = allowlist.allowed_functions()
    for node in _of(nodes, exp.Func):
        if isinstance(node.parent, exp.Table) and node.parent.this is node:
            continue  # table functions were checked with the tables
        name = function_name(node)
        if name is None:
            continue
        if name not in allowed:
            why = allowlist.deny_reason(name) or "it is not a DuckDB function the grader allows"
            raise SqlRefused(f"function {name}() is not allowed: {why}")
        _check_amplifier(name, node)
    for lit in _of(nodes, exp.Literal):
        if lit.is_string and len(lit.this) > limits.MAX_STRING_LITERAL:
            raise SqlRefused(f"a string constant of {len(lit.this):,} characters is refused; "
                             f"at most {limits.MAX_STRING_LITERAL:,} are allowed")


def _args(node: exp.Func) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    return [v for k, v in node.args.items() if isinstance(v, exp.Expression)]


def _check_amplifier(name: str, node: exp.Func) -> None:
    if isinstance(node, exp.GenerateSeries):
        _check_series(node)
    elif isinstance(node, exp.Repeat):
        limits.check_count(name, node.args.get("times"))
    elif isinstance(node, exp.Pad):
        limits.check_count(name, node.expression)
    elif name in ("repeat", "lpad", "rpad", "list_resize", "array_resize"):
        args = _args(node)
        limits.check_count(name, args[1] if len(args) > 1 else None)
    elif name == "bar":
        args = _args(node)
        if len(args) > 3:
            limits.check_count(name, args[3], limits.MAX_BAR_WIDTH)
    elif name in ("range", "generate_series"):
        given: list[exp.Expression | None] = [*_args(node), None, None, None]
        if sum(a is not None for a in given) == 1:
            limits.check_series(name, given[0], None, None)
        else:
            limits.check_series(name, given[0], given[1], given[2])
    elif name in ("printf", "format"):
        args = _args(node)
        limits.check_format_width(name, args[0] if args else None)
