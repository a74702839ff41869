"""Compare a candidate's result with the reference's, by the rules of spec/grading.md.

Rows are a multiset (ordered only when the reference orders), columns match by value, numbers by rounding.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pmdrill.core.sqlcheck.types import QueryResult

_MAX_DECIMALS = 12  # floats carry binary noise beyond this; never ask for more precision
_MAX_PERMUTATIONS = 2000
_NULL = ("null",)


@dataclass(frozen=True)
class Comparison:
    """The verdict on one pair of results, with plain-language findings when they differ."""

    equal: bool
    reason: str = ""  # '', 'columns', 'rows', 'order', 'truncated'
    findings: tuple[str, ...] = ()
    column_map: tuple[int, ...] = ()  # expected column i is the candidate's column column_map[i]
    extra: dict[str, Any] = field(default_factory=dict)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | decimal.Decimal) and not isinstance(v, bool)


def _decimals(v: Any) -> int:
    """How many decimals a value carries (its precision), 0 for integers."""
    if isinstance(v, int):
        return 0
    if isinstance(v, float):
        if not math.isfinite(v) or v == int(v):
            return 0
        text = repr(v)
        if "e" in text or "E" in text:
            return _MAX_DECIMALS
        return min(len(text.split(".")[1]), _MAX_DECIMALS)
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            return 0
        exp_ = v.normalize().as_tuple().exponent
        return min(max(0, -int(exp_)), _MAX_DECIMALS)  # type: ignore[arg-type]
    return 0


def column_precision(values: Sequence[Any]) -> int:
    """The precision of a column: the most decimals any of its numbers carries.

    Example:
        >>> column_precision([0.5, 0.46, 3])
        2
    """
    return max((_decimals(v) for v in values if _is_number(v)), default=0)


def _is_null(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def canon(v: Any, places: int, rounding: str = decimal.ROUND_HALF_EVEN) -> tuple[Any, ...]:
    """A hashable, type-tagged key: numbers rounded to ``places``, dates as midnight timestamps."""
    if _is_null(v):
        return _NULL
    if isinstance(v, bool):  # a 1/0 flag and TRUE/FALSE carry the same information
        return ("n", decimal.Decimal(int(v)))
    if _is_number(v):
        if isinstance(v, float) and math.isinf(v):
            return ("n", str(v))
        d = decimal.Decimal(repr(v)) if isinstance(v, float) else decimal.Decimal(v)
        q = decimal.Decimal(1).scaleb(-places)
        try:
            return ("n", d.quantize(q, rounding=rounding).normalize())
        except decimal.InvalidOperation:  # too many digits for the context: compare as is
            return ("n", d.normalize())
    if isinstance(v, dt.datetime):
        return ("t", v.replace(tzinfo=None) if v.tzinfo is None else v.astimezone(dt.UTC).replace(tzinfo=None))
    if isinstance(v, dt.date):
        return ("t", dt.datetime(v.year, v.month, v.day))
    if isinstance(v, str | bytes | dt.time | dt.timedelta | int):
        return (type(v).__name__, v)
    return ("r", repr(v))


def _pair_places(exp_col: Sequence[Any], got_col: Sequence[Any]) -> int:
    # compare at the coarser of the two precisions, but never coarser than 2 decimals
    return max(2, min(column_precision(exp_col), column_precision(got_col)))


def _column_keys(col: Sequence[Any], places: int, rounding: str) -> list[tuple[Any, ...]]:
    return [canon(v, places, rounding) for v in col]


def _columns(res: QueryResult) -> list[list[Any]]:
    n = len(res.columns)
    return [[row[i] for row in res.rows] for i in range(n)]


def _percent_mixup(exp_col: Sequence[Any], got_col: Sequence[Any]) -> bool:
    """True when the candidate's column is the reference's times 100 (or divided by 100)."""
    exp_nums, got_nums = sorted(_nums(exp_col)), sorted(_nums(got_col))
    if not exp_nums or len(exp_nums) != len(got_nums) or all(e == 0 for e in exp_nums):
        return False
    return any(all(abs(e * f - g) <= 0.006 * max(1.0, abs(e * f)) for e, g in zip(exp_nums, got_nums, strict=True))
               for f in (100.0, 0.01))


def _nums(col: Sequence[Any]) -> list[float]:
    return [float(v) for v in col if _is_number(v) and not _is_null(v)]


def _tie_groups(rows: Sequence[Sequence[Any]], sort_cols: Sequence[int] | None) -> list[tuple[int, int]]:
    """Runs [start, end) of rows that share the same sort-key values (any order allowed inside)."""
    if not rows:
        return []
    def key(r: Sequence[Any]) -> tuple[Any, ...]:
        # sort keys unknown: only identical neighbouring rows may swap
        cols = range(len(r)) if sort_cols is None else sort_cols
        return tuple(canon(r[i], _MAX_DECIMALS) for i in cols)
    groups = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or key(rows[i]) != key(rows[start]):
            groups.append((start, i))
            start = i
    return groups


def compare(expected: QueryResult, got: QueryResult, *, ordered: bool = False,
            sort_cols: Sequence[int] | None = None) -> Comparison:
    """Judge ``got`` against ``expected``.

    ``ordered``: the reference's outermost query has ORDER BY; ``sort_cols`` are the reference's
    output columns holding its sort keys (None when a key is not in the output).

    Example:
        >>> e = QueryResult(("a", "b"), ("INTEGER", "DOUBLE"), ((1, 0.4567),))
        >>> compare(e, QueryResult(("x", "y"), ("DOUBLE", "INTEGER"), ((0.46, 1),))).equal
        True
        >>> compare(e, QueryResult(("y",), ("DOUBLE",), ((0.46,),))).reason
        'columns'
    """
    n_exp, n_got = len(expected.columns), len(got.columns)
    if got.truncated and expected.truncated:
        return Comparison(False, "too_large", (f"Both results have more than {len(expected.rows):,} rows, more "
                                               "than a grading compares; ask for a summary the question can "
                                               "check (a count, a total, the top rows).",))
    if got.truncated and not expected.truncated:
        return Comparison(False, "truncated", ("Your query returns far more rows than the answer needs "
                                               f"(more than {len(got.rows)}).",))
    if n_exp != n_got:
        return _column_count_mismatch(expected, got)
    if len(expected.rows) != len(got.rows):
        return _row_count_mismatch(expected, got)
    if _identical(expected, got, ordered):
        return Comparison(True, column_map=tuple(range(n_exp)))
    exp_cols, got_cols = _columns(expected), _columns(got)
    places = [[_pair_places(exp_cols[i], got_cols[j]) for j in range(n_got)] for i in range(n_exp)]
    for rounding in (decimal.ROUND_HALF_EVEN, decimal.ROUND_HALF_UP):
        candidates: list[list[int]] = []
        for i in range(n_exp):
            options = []
            for j in range(n_got):
                p = places[i][j]
                if Counter(_column_keys(exp_cols[i], p, rounding)) == Counter(_column_keys(got_cols[j], p, rounding)):
                    options.append(j)
            # the same position first: the likeliest match, and stable when columns repeat
            options.sort(key=lambda j, here=i: (j != here, j))  # type: ignore[misc]
            candidates.append(options)
        if any(not c for c in candidates):
            continue
        order_failed = False
        for mapping in itertools.islice(_permutations(candidates), _MAX_PERMUTATIONS):
            exp_rows = [tuple(canon(r[i], places[i][mapping[i]], rounding) for i in range(n_exp))
                        for r in expected.rows]
            got_rows = [tuple(canon(r[mapping[i]], places[i][mapping[i]], rounding) for i in range(n_exp))
                        for r in got.rows]
            if Counter(exp_rows) != Counter(got_rows):
                continue
            if not ordered:
                return Comparison(True, column_map=tuple(mapping))
            if all(Counter(exp_rows[a:b]) == Counter(got_rows[a:b])
                   for a, b in _tie_groups(expected.rows, sort_cols)):
                return Comparison(True, column_map=tuple(mapping))
            order_failed = True
        if order_failed:
            return Comparison(False, "order", ("The rows are right but in the wrong order: the question "
                                               "asks for them sorted the way the reference sorts them.",))
    return _value_mismatch(exp_cols, got_cols)


# Python types whose == is exact and agrees with ``canon``: equal values give equal keys.
# (float too: equal floats have the same repr, so the same rounded key; NaN is never equal to itself.)
_EXACT_TYPES = frozenset({type(None), bool, int, float, str, decimal.Decimal, dt.date, dt.datetime})


def _identical(expected: QueryResult, got: QueryResult, ordered: bool) -> bool:
    """The fast path for a right answer: the same engine types and the very same rows (in the same
    order when ordered, as a multiset otherwise), every value of a type whose equality is exact.
    Whatever it accepts, the full comparison accepts with the identity column map; anything else
    (NaN, lists, another column order, rounding) goes the full way."""
    if expected.types != got.types or expected.truncated != got.truncated:
        return False
    exact = _EXACT_TYPES
    for row in expected.rows:
        for v in row:
            if type(v) not in exact or (type(v) is dt.datetime and v.tzinfo is not None):
                return False
    for row in got.rows:
        for v in row:
            if type(v) not in exact or (type(v) is dt.datetime and v.tzinfo is not None):
                return False
    if ordered:
        return expected.rows == got.rows
    return expected.rows == got.rows or Counter(expected.rows) == Counter(got.rows)


def _permutations(candidates: list[list[int]]):  # type: ignore[no-untyped-def]
    """Injective choices of one candidate column per expected column (backtracking)."""
    n = len(candidates)
    chosen: list[int] = []
    used: set[int] = set()

    def rec(i: int):  # type: ignore[no-untyped-def]
        if i == n:
            yield list(chosen)
            return
        for j in candidates[i]:
            if j in used:
                continue
            used.add(j)
            chosen.append(j)
            yield from rec(i + 1)
            chosen.pop()
            used.discard(j)

    yield from rec(0)


def _column_count_mismatch(expected: QueryResult, got: QueryResult) -> Comparison:
    n_exp, n_got = len(expected.columns), len(got.columns)
    if n_got > n_exp:
        msg = (f"Your query returns {n_got} columns; the answer has {n_exp}. Return only the columns "
               "the question asks for (extra columns make the answer wrong).")
    else:
        msg = (f"Your query returns {n_got} column{'s' if n_got != 1 else ''}; the answer has {n_exp}. "
               "A column the question asks for is missing.")
    return Comparison(False, "columns", (msg,))


def _row_count_mismatch(expected: QueryResult, got: QueryResult) -> Comparison:
    ne, ng = len(expected.rows), len(got.rows)
    findings = [f"Your query returns {ng} row{'s' if ng != 1 else ''}; the answer has {ne}."]
    if ng > ne and ne:
        got_keys = [tuple(canon(v, _MAX_DECIMALS) for v in r) for r in got.rows]
        if len(set(got_keys)) < len(got_keys) and len(set(got_keys)) <= ne:
            findings.append("Some rows appear more than once: check for a missing DISTINCT, a join that "
                            "repeats rows, or a grouping that is too fine.")
        else:
            findings.append("Too many rows: a filter may be missing or the grouping may be too fine.")
    elif ng < ne:
        findings.append("Too few rows: a filter may be too strict, an inner join may drop rows that "
                        "have no match, or the grouping may be too coarse.")
    return Comparison(False, "rows", tuple(findings))


def _value_mismatch(exp_cols: list[list[Any]], got_cols: list[list[Any]]) -> Comparison:
    findings = []
    matched_got: set[int] = set()
    unmatched_exp = []
    for i, ec in enumerate(exp_cols):
        hit = None
        for j, gc in enumerate(got_cols):
            if j in matched_got:
                continue
            p = _pair_places(ec, gc)
            if Counter(_column_keys(ec, p, decimal.ROUND_HALF_EVEN)) == Counter(_column_keys(gc, p, decimal.ROUND_HALF_EVEN)):
                hit = j
                break
        if hit is None:
            unmatched_exp.append(i)
        else:
            matched_got.add(hit)
    for i in unmatched_exp:
        ec = exp_cols[i]
        for j, gc in enumerate(got_cols):
            if j not in matched_got and _percent_mixup(ec, gc):
                findings.append(f"Column {j + 1} looks like the right numbers on another scale: a fraction "
                                "(0.4567) versus a percent (45.67). Return the scale the question asks for.")
                break
        else:
            for j, gc in enumerate(got_cols):
                if j in matched_got:
                    continue
                why = near_miss(ec, gc)
                if why:
                    findings.append(f"Column {j + 1} {why}")
                    break
    if unmatched_exp and len(unmatched_exp) < len(exp_cols):
        findings.append(f"{len(exp_cols) - len(unmatched_exp)} of {len(exp_cols)} columns match; "
                        "the others hold different values.")
    elif unmatched_exp:
        findings.append("Your query returns different values from the reference's.")
    else:
        findings.append("Each column holds the right values, but they are combined into the wrong rows.")
    return Comparison(False, "rows", tuple(findings))


def near_miss(ec: Sequence[Any], gc: Sequence[Any]) -> str | None:
    """What explains a numeric column that is almost the reference's, in the candidate's terms, or
    None. Rounding, truncation and integer division are named only when they reproduce every value:

    >>> near_miss([0.4567, 1.5], [0.46, 1.5])
    >>> near_miss([0.4567, 1.25], [0.5, 1.3])
    'is the answer rounded to 1 decimal: keep at least 2 decimals.'
    >>> near_miss([12.7, 3.5], [12, 3])
    'holds whole numbers where the answer has fractions: check integer division (7/2 = 3 in PostgreSQL) or a cast to an integer.'
    >>> print(near_miss([41, 120], [42, 120]))
    holds whole numbers close to the answer's but not equal (off by up to 1): some rows are counted differently; check boundaries, duplicates and which rows are excluded.
    """
    a, b = sorted(_nums(ec)), sorted(_nums(gc))
    if not a or len(a) != len(b) or len(a) != len([v for v in ec if not _is_null(v)]):
        return None
    if all(x == y for x, y in zip(a, b, strict=True)):
        return None
    whole = all(float(y).is_integer() for y in b)
    if all(float(x).is_integer() for x in a) and whole:
        if all(abs(x - y) <= max(1.0, 0.02 * abs(x)) for x, y in zip(a, b, strict=True)):
            off = max(abs(x - y) for x, y in zip(a, b, strict=True))
            return (f"holds whole numbers close to the answer's but not equal (off by up to {off:g}): some rows "
                    "are counted differently; check boundaries, duplicates and which rows are excluded.")
        return None
    pairs = [(decimal.Decimal(repr(x)), decimal.Decimal(repr(y))) for x, y in zip(a, b, strict=True)]
    if whole and all(y == x.to_integral_value(decimal.ROUND_DOWN) for x, y in pairs):
        return ("holds whole numbers where the answer has fractions: check integer division "
                "(7/2 = 3 in PostgreSQL) or a cast to an integer.")
    for places in range(0, 7):
        q = decimal.Decimal(1).scaleb(-places)
        # rounding to 2 decimals or more is accepted by the comparison itself (spec/grading.md)
        modes = ((decimal.ROUND_HALF_UP, "rounded"), (decimal.ROUND_HALF_EVEN, "rounded"))
        if places >= 2 and any(all(y == x.quantize(q, rounding=m) for x, y in pairs) for m, _ in modes):
            return None
        for mode, how in (*modes, (decimal.ROUND_DOWN, "truncated"), (decimal.ROUND_FLOOR, "truncated")):
            if all(y == x.quantize(q, rounding=mode) for x, y in pairs):
                unit = f"{places} decimal{'s' if places != 1 else ''}"
                if how == "truncated":
                    return f"is the answer truncated to {unit}: round (ROUND(x, 2)) instead of cutting digits off."
                return f"is the answer rounded to {unit}: keep at least 2 decimals."
    if all(abs(x - y) <= 0.02 * max(1.0, abs(x)) for x, y in zip(a, b, strict=True)):
        return ("is close to the answer's but not equal, and rounding does not explain it: some rows are "
                "counted differently, or a filter or boundary differs.")
    return None
