"""Which cells of two small results differ, for showing a counterexample side by side.

Rows that appear in both results (as a multiset) are left unmarked; the rest are paired in order and
their differing cells marked, so "your query returns 3 where the reference returns 4" stands out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def _key(row: Sequence[Any]) -> tuple[str, ...]:
    return tuple("NULL" if v is None else str(v) for v in row)


def differing(expected: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]]) -> tuple[list[list[bool]],
                                                                                        list[list[bool]]]:
    """For each row of each side, one flag per cell: True where it differs from the other side.

    Example:
        >>> differing([["a", 4], ["b", 2]], [["b", 2], ["a", 3]])
        ([[False, True], [False, False]], [[False, False], [False, True]])
        >>> differing([[1]], [])
        ([[True]], [])
    """
    common = Counter(_key(r) for r in expected) & Counter(_key(r) for r in got)

    def unmatched(rows: Sequence[Sequence[Any]]) -> list[int]:
        left = Counter(common)
        out = []
        for i, r in enumerate(rows):
            k = _key(r)
            if left[k] > 0:
                left[k] -= 1
            else:
                out.append(i)
        return out

    exp_marks = [[False] * len(r) for r in expected]
    got_marks = [[False] * len(r) for r in got]
    only_exp, only_got = unmatched(expected), unmatched(got)
    for i, j in zip(only_exp, only_got, strict=False):
        a, b = expected[i], got[j]
        for c in range(max(len(a), len(b))):
            same = c < len(a) and c < len(b) and _key([a[c]]) == _key([b[c]])
            if c < len(a):
                exp_marks[i][c] = not same
            if c < len(b):
                got_marks[j][c] = not same
    for i in only_exp[len(only_got):]:
        exp_marks[i] = [True] * len(expected[i])
    for j in only_got[len(only_exp):]:
        got_marks[j] = [True] * len(got[j])
    return exp_marks, got_marks
