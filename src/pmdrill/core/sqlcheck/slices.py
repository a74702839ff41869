"""Warehouse slices: a few real rows and everything they need, as a small candidate hidden database.

Real rows agree along every join path (a module of the enrollment's own course, the planted experiment
names), which random rows rarely do. Upward closure over every FOREIGN KEY keeps the slice valid.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from pmdrill.core.sqlcheck.types import HiddenDb, Runner
from pmdrill.core.warehouse import schema
from pmdrill.errors import SqlError

MAX_ROWS_PER_TABLE = 14


def _cols(table: str) -> str:
    return ", ".join(f'"{c}"' for c in schema.table(table).column_names)


def _ids(values: set[Any]) -> str:
    return ", ".join(str(int(v)) for v in sorted(values))


class _Slice:
    def __init__(self, runner: Runner, seed: int) -> None:
        self.runner = runner
        self.seed = seed
        self.rows: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = {}

    def add(self, table: str, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        t = schema.table(table)
        pk = [t.column_names.index(c) for c in t.primary_key]
        mine = self.rows.setdefault(table, {})
        new = []
        for r in rows:
            key = tuple(r[i] for i in pk)
            if key not in mine:
                mine[key] = tuple(r)
                new.append(tuple(r))
        return new

    def fetch(self, table: str, where: str, limit: int | None = None) -> list[tuple[Any, ...]]:
        t = schema.table(table)
        order = ", ".join(f'"{c}"' for c in t.primary_key)
        sql = f"SELECT {_cols(table)} FROM {table} WHERE {where}"
        if limit is not None:
            sql += f" ORDER BY hash({order}, {self.seed}) LIMIT {limit}"
        return [tuple(r) for r in self.runner.run(sql, None).rows]

    def upward(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Add the parent of every foreign key of ``rows`` (recursively): the slice stays valid."""
        t = schema.table(table)
        for col, parent, pcol in t.foreign_keys:
            i = t.column_names.index(col)
            have = {r[schema.table(parent).column_names.index(pcol)] for r in self.rows.get(parent, {}).values()}
            need = {r[i] for r in rows if r[i] is not None} - have
            if need:
                got = self.add(parent, self.fetch(parent, f'"{pcol}" IN ({_ids(need)})'))
                self.upward(parent, got)

    def db(self) -> HiddenDb:
        return HiddenDb({t: _parents_first(t, list(rows.values())) for t, rows in self.rows.items()})


def _parents_first(table: str, rows: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...], ...]:
    """Rows of a self-referencing table (a learner referred by a learner) with every referee first,
    so the rows load one by one under the FOREIGN KEY."""
    t = schema.table(table)
    selfs = [(t.column_names.index(c), t.column_names.index(pc)) for c, p, pc in t.foreign_keys if p == table]
    if not selfs:
        return tuple(rows)
    out: list[tuple[Any, ...]] = []
    placed: set[Any] = set()
    pending = list(rows)
    while pending:
        ready = [r for r in pending if all(r[c] is None or r[c] in placed for c, _pc in selfs)] or pending[:1]
        for r in ready:
            out.append(r)
            placed.update(r[pc] for _c, pc in selfs)
            pending.remove(r)
    return tuple(out)


def _quote(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def warehouse_slice(runner: Runner, tables: Sequence[str], seed: int, *, roots: int = 3,
                    equals: dict[str, list[str]] | None = None, cap: int = MAX_ROWS_PER_TABLE) -> HiddenDb | None:
    """A few rows of one read table, the rows of the other read tables that hang off the same
    parents (at most ``cap`` each), and every parent they need. None if the warehouse fails.

    ``equals`` (column name -> text literals the query compares it with) steers the root rows to
    the ones the query keeps, e.g. the experiment named in its WHERE.
    """
    rng = random.Random(seed)
    s = _Slice(runner, seed)
    read = [t for t in schema.table_names() if t in tables]
    if not read:
        return None
    try:
        steered = [t for t in read if any(c in (equals or {}) for c in schema.table(t).column_names)]
        root = rng.choice(steered) if steered and rng.random() < 0.6 else rng.choice(read)
        where = " AND ".join(f'"{c}" IN ({", ".join(_quote(v) for v in (equals or {})[c])})'
                             for c in schema.table(root).column_names if c in (equals or {})) or "TRUE"
        first = s.add(root, s.fetch(root, where, roots)) if where != "TRUE" else []
        if not first:
            first = s.add(root, s.fetch(root, "TRUE", roots))
        s.upward(root, first)
        # children in the read tables of anything selected so far (contract order: parents first)
        for _ in range(2):
            for t in read:
                for col, parent, pcol in schema.table(t).foreign_keys:
                    if parent == t or parent not in s.rows:
                        continue
                    idx = schema.table(parent).column_names.index(pcol)
                    ids = {r[idx] for r in s.rows[parent].values()}
                    room = cap - len(s.rows.get(t, {}))
                    if ids and room > 0:
                        got = s.add(t, s.fetch(t, f'"{col}" IN ({_ids(ids)})', room))
                        s.upward(t, got)
    except (SqlError, ValueError, TypeError):
        return None
    return s.db()
