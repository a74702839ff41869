"""A syntax error in a candidate's words: the misspelled keyword and its likely fix, or what is missing
where, instead of the parser's internal message ("Required keyword: 'expression' missing for Mul").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

# keywords a query is built from: a word close to one of these (and not a name) is a likely typo
KEYWORDS: tuple[str, ...] = (
    "SELECT", "FROM", "WHERE", "GROUP", "ORDER", "BY", "HAVING", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER",
    "FULL", "CROSS", "ON", "USING", "AS", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "BETWEEN",
    "EXISTS", "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT", "LIMIT", "OFFSET", "UNION", "INTERSECT",
    "EXCEPT", "WITH", "OVER", "PARTITION", "ROWS", "RANGE", "PRECEDING", "FOLLOWING", "UNBOUNDED", "CURRENT",
    "DESC", "ASC", "INTERVAL", "CAST", "FILTER", "QUALIFY", "VALUES", "COUNT", "SUM", "AVG", "MIN", "MAX",
    "COALESCE", "ROUND", "EXTRACT", "DATE_TRUNC", "CURRENT_DATE", "ROW_NUMBER", "RANK", "DENSE_RANK", "LAG",
    "LEAD", "TRUE", "FALSE",
)
# keywords run together without their space
JOINED: dict[str, str] = {"GROUPBY": "GROUP BY", "ORDERBY": "ORDER BY", "LEFTJOIN": "LEFT JOIN",
                          "INNERJOIN": "INNER JOIN", "PARTITIONBY": "PARTITION BY", "UNIONALL": "UNION ALL",
                          "ISNULL": "IS NULL", "NOTNULL": "IS NOT NULL", "NOTIN": "NOT IN"}
# what follows a column alias; a keyword typo is followed by its operand instead
_ALIAS_FOLLOWERS = frozenset({"FROM", "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", ",", ")", "ON", "JOIN",
                              "LEFT", "INNER", "UNION", ";"})
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRIP = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|`[^`]*`|--[^\n]*|/\*.*?\*/", re.S)


@dataclass(frozen=True)
class Explained:
    message: str
    line: int
    column: int
    fragment: str


@cache
def _names() -> frozenset[str]:
    """Table and column names of the contract: never typos, however close to a keyword."""
    from pmdrill.core.warehouse import schema

    names = set()
    for t in schema.tables():
        names.add(t.name.upper())
        names.update(c.name.upper() for c in t.columns)
    return frozenset(names)


def _position(sql: str, offset: int) -> tuple[int, int]:
    line = sql.count("\n", 0, offset) + 1
    return line, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def _offset(sql: str, line: int, column: int) -> int:
    starts = [0] + [m.end() for m in re.finditer("\n", sql)]
    return min(len(sql), starts[min(line, len(starts)) - 1] + max(column, 1) - 1)


def misspelled(sql: str, *, before: int | None = None, window: int = 3) -> tuple[str, str, int] | None:
    """The word that looks like a misspelled keyword: (word, likely keyword, offset).

    With ``before`` (where the parser stopped), only the last ``window`` words up to there are looked at:
    the parser trips just after a typo, and an alias further back that resembles a keyword is not one.
    Words inside quotes and comments, names of the warehouse, real keywords and words used twice (names
    the query defines) pass.

    Example:
        >>> misspelled("SELEC * FROM courses")
        ('SELEC', 'SELECT', 0)
        >>> misspelled("SELECT level FROM courses GROUPBY level")
        ('GROUPBY', 'GROUP BY', 26)
        >>> misspelled("SELECT title FROM courses") is None
        True
    """
    masked = _STRIP.sub(lambda m: " " * len(m.group(0)), sql)
    names = _names()
    words = list(_WORD.finditer(masked))
    uses: dict[str, int] = {}
    for m in words:
        uses[m.group(0).upper()] = uses.get(m.group(0).upper(), 0) + 1
    defined = {m.group(1).upper() for m in re.finditer(r"(?i)\bAS\s+([A-Za-z_][A-Za-z0-9_]*)", masked)}
    if before is not None:
        upto = [m for m in words if m.start() <= before]
        words = upto[-(window + 1):]
        words.reverse()  # the nearest to the error first
    for m in words:
        word = m.group(0).upper()
        if word in KEYWORDS or word in names or word in defined or len(word) < 3 or uses[word] > 1:
            continue
        if word in JOINED:
            return m.group(0), JOINED[word], m.start()
        nxt = re.match(r"\s*([A-Za-z_]+|.)", masked[m.end():])
        after = nxt.group(1).upper() if nxt else ""
        if after in _ALIAS_FOLLOWERS:
            continue  # "SUM(x) sums FROM ...": a name the query gives, not a keyword
        close = difflib.get_close_matches(word, KEYWORDS, n=1, cutoff=0.75)
        followed_by_paren = masked[m.end():m.end() + 1] == "("
        if close and (not followed_by_paren or close[0] in ("COUNT", "SUM", "AVG", "MIN", "MAX", "COALESCE",
                                                                "ROUND", "EXTRACT", "CAST")):
            return m.group(0), close[0], m.start()
    return None


def explain(sql: str, description: str, line: int, column: int, fragment: str = "") -> Explained:
    """The parser's error said for a candidate: line and column, what is wrong, the likely fix.

    Example:
        >>> e = explain("SELEC * FROM courses", "Required keyword: 'expression' missing for "
        ...             "<class 'sqlglot.expressions.core.Mul'>", 1, 12, "FROM")
        >>> e.message, e.line, e.column
        ("unknown word 'SELEC': did you mean SELECT?", 1, 1)
    """
    at = _offset(sql, line, column)
    masked = _STRIP.sub(lambda m: " " * len(m.group(0)), sql)
    no_by = re.search(r"(?i)\b(GROUP|ORDER|PARTITION)\s+(?!BY\b)([A-Za-z_(])", masked)
    if no_by and no_by.start() <= at:
        line_, col = _position(sql, no_by.start())
        word = no_by.group(1).upper()
        return Explained(f"{word} needs BY: write {word} BY", line_, col, no_by.group(1))
    typo = misspelled(sql, before=at)
    if typo is not None:
        word, keyword, offset = typo
        line_, col = _position(sql, offset)
        return Explained(f"unknown word {word!r}: did you mean {keyword}?", line_, col, word)
    near = f" near {fragment!r}" if fragment else ""
    missing = re.search(r"Required keyword: '(\w+)' missing for <class '[\w.]*\.(\w+)'>", description)
    if missing:
        what = {"Where": "WHERE needs a condition after it", "Order": "ORDER BY needs what to sort by",
                "Group": "GROUP BY needs what to group by", "Having": "HAVING needs a condition after it",
                "Join": "the JOIN needs a table", "Limit": "LIMIT needs a number",
                "Select": "SELECT needs the columns to return", "From": "FROM needs a table"}.get(missing.group(2))
        return Explained(what or f"something is missing{near}: an expression, a name or a comma", line, column,
                         fragment)
    if description.startswith("Expecting )"):
        return Explained(f"a parenthesis is opened but not closed before {fragment!r}: add ')'", line, column,
                         fragment)
    if "Expected END after CASE" in description:
        return Explained("CASE needs END after its last WHEN/ELSE", line, column, fragment)
    if "Unexpected token" in description or "Invalid expression" in description:
        return Explained(f"unexpected {fragment!r}: is a comma, an operator or a keyword missing before it?",
                         line, column, fragment)
    cleaned = re.sub(r"<class '[\w.]*\.(\w+)'>", r"\1", description)
    return Explained(f"{cleaned}{near}", line, column, fragment)
