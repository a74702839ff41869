"""The smallest counterexample: delete rows of a failing hidden database while the answers still differ.

Deletions keep every FOREIGN KEY satisfied (a row is deleted only when no remaining row references it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pmdrill.core.sqlcheck.compare import compare
from pmdrill.core.sqlcheck.types import HiddenDb, QueryResult, Runner
from pmdrill.core.warehouse import schema
from pmdrill.errors import SqlError

MAX_ATTEMPTS = 80
TIME_BUDGET_S = 1.5

Item = tuple[str, int]  # (table, row index in the original database)


def _referenced(tables: dict[str, list[tuple[Any, ...]]]) -> set[tuple[str, str, Any]]:
    """(parent table, parent column, value) for every value a remaining row points at."""
    out: set[tuple[str, str, Any]] = set()
    for name, rows in tables.items():
        t = schema.table(name)
        for col, parent, pcol in t.foreign_keys:
            i = t.column_names.index(col)
            out.update((parent, pcol, r[i]) for r in rows if r[i] is not None)
    return out


def _deletable(db: HiddenDb, kept: set[Item]) -> list[Item]:
    """Rows that no other kept row references: deleting them keeps every foreign key valid."""
    tables = _materialise(db, kept)
    refs = _referenced(tables)
    out = []
    for name, rows in db.tables.items():
        t = schema.table(name)
        keyed = [(c, t.column_names.index(c)) for c in t.column_names]
        for idx, row in enumerate(rows):
            if (name, idx) not in kept:
                continue
            if any((name, c, row[i]) in refs for c, i in keyed):
                continue
            out.append((name, idx))
    # children before parents: the leaves of the tree go first
    order = {n: i for i, n in enumerate(schema.table_names())}
    out.sort(key=lambda it: (-order[it[0]], it[1]))
    return out


def _materialise(db: HiddenDb, kept: set[Item]) -> dict[str, list[tuple[Any, ...]]]:
    return {name: [r for i, r in enumerate(rows) if (name, i) in kept] for name, rows in db.tables.items()}


def _db(db: HiddenDb, kept: set[Item]) -> HiddenDb:
    return HiddenDb({n: tuple(rows) for n, rows in _materialise(db, kept).items()}, note=db.note)


def shrink(db: HiddenDb, ref_sql: str, answer_sql: str, runner: Runner, answer_runner: Runner | None = None,
           *, ordered: bool = False, sort_cols: Sequence[int] | None = None
           ) -> tuple[HiddenDb, QueryResult, QueryResult]:
    """Delete rows (chunks first, then one by one) while reference and answer still disagree."""
    answer_runner = answer_runner or runner
    kept = {(n, i) for n, rows in db.tables.items() for i in range(len(rows))}
    best = db
    best_out: tuple[QueryResult, QueryResult] | None = None
    attempts = 0
    deadline = time.perf_counter() + TIME_BUDGET_S

    def still_differs(candidate: set[Item]) -> tuple[QueryResult, QueryResult] | None:
        nonlocal attempts
        attempts += 1
        small = _db(db, candidate)
        try:
            exp_ = runner.run(ref_sql, small)
            got = answer_runner.run(answer_sql, small)
        except SqlError:
            return None
        if compare(exp_, got, ordered=ordered, sort_cols=sort_cols).equal:
            return None
        return exp_, got

    chunk = max(1, len(kept) // 2)
    while chunk >= 1 and attempts < MAX_ATTEMPTS and time.perf_counter() < deadline:
        removed_any = False
        items = _deletable(db, kept)
        for start in range(0, len(items), chunk):
            if attempts >= MAX_ATTEMPTS or time.perf_counter() >= deadline:
                break
            part = set(items[start:start + chunk])
            part &= set(_deletable(db, kept))  # earlier deletions may have freed or taken rows
            if not part:
                continue
            out = still_differs(kept - part)
            if out is not None:
                kept -= part
                best, best_out = _db(db, kept), out
                removed_any = True
        if not removed_any:
            chunk //= 2
    if best_out is None:
        best_out = (runner.run(ref_sql, best), answer_runner.run(answer_sql, best))
    return best, best_out[0], best_out[1]


def _result(res: QueryResult) -> dict[str, Any]:
    return {"columns": list(res.columns), "rows": [list(r) for r in res.rows]}


def counterexample(db: HiddenDb, ref_sql: str, answer_sql: str, runner: Runner, answer_runner: Runner,
                   expected: QueryResult, got: QueryResult, *, ordered: bool = False,
                   sort_cols: Sequence[int] | None = None) -> dict[str, Any]:
    """{tables, expected, got}: the shrunk database and both outputs on it, as plain data."""
    try:
        small, expected, got = shrink(db, ref_sql, answer_sql, runner, answer_runner,
                                      ordered=ordered, sort_cols=sort_cols)
    except SqlError:
        small = db
    tables = {name: {"columns": list(schema.table(name).column_names), "rows": [list(r) for r in rows]}
              for name, rows in small.tables.items() if rows}
    return {"tables": tables, "expected": _result(expected), "got": _result(got),
            "rows": small.row_count, "original_rows": db.row_count}
