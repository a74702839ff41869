"""Plain data shared by the SQL grader's parts: query results, hidden databases, the runner protocol.

The core never runs SQL itself: it is handed a ``Runner`` (the sandbox adapter, or PostgreSQL).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class QueryResult:
    """What one statement returned: column names, engine type names, rows as tuples."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool = False  # more rows existed than the row cap allowed
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "types": list(self.types),
                "rows": [list(r) for r in self.rows], "truncated": self.truncated}


@dataclass(frozen=True)
class HiddenDb:
    """A small test database: table name -> rows (tuples in contract column order).

    Tables not listed are empty. ``key`` is a content hash, so a runner can cache the loaded copy.
    """

    tables: dict[str, tuple[tuple[Any, ...], ...]]
    note: str = ""  # why it exists, e.g. "kills: LEFT JOIN -> INNER JOIN"
    key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.key:
            blob = json.dumps({t: [list(r) for r in rows] for t, rows in sorted(self.tables.items())},
                              default=str, sort_keys=True)
            object.__setattr__(self, "key", hashlib.sha256(blob.encode()).hexdigest()[:20])

    @property
    def row_count(self) -> int:
        return sum(len(r) for r in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "note": self.note,
                "tables": {t: [list(r) for r in rows] for t, rows in self.tables.items() if rows}}


class Runner(Protocol):
    """Runs one already-gated DuckDB-dialect SELECT on the warehouse (db=None) or a hidden database."""

    def run(self, sql: str, db: HiddenDb | None = None) -> QueryResult: ...
