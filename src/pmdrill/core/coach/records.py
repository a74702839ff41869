"""Plain records the practice loop works on: attempts from the tracker, mocks, catalog items.

The tracker (adapters/tracker) stores and returns these; the coach's pure functions read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Attempt:
    """One graded answer, as recorded (append-only). Times are UTC-aware."""

    item_id: str                      # "sql:...", "case:...", "est:..." (ad hoc: "sql:adhoc-<hash>")
    kind: str                         # sql | case | est
    title: str
    answer: str
    passed: bool
    score: float                      # 0-100
    submitted_at: dt.datetime
    dimensions: dict[str, float] = field(default_factory=dict)   # committee dimension -> 0-100
    flags: list[dict[str, Any]] = field(default_factory=list)    # {code, message, evidence}
    topics: list[str] = field(default_factory=list)
    dialect: str | None = None
    hints_used: int = 0
    seconds: float | None = None      # time taken, when known
    mock_id: str | None = None
    source: str = "cli"               # cli | web | mock | import | regrade
    prompt_text: str | None = None    # the ad-hoc reference SQL or pasted prompt
    provenance: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)         # the full verdict / score JSON
    user: str = "local"
    uid: str = ""                     # a global id (uuid4 hex), stable across export and import
    id: int | None = None             # the tracker's row id

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "uid": self.uid, "user": self.user, "item_id": self.item_id, "kind": self.kind,
                "title": self.title, "answer": self.answer, "dialect": self.dialect, "passed": self.passed,
                "score": self.score, "dimensions": dict(self.dimensions), "flags": list(self.flags),
                "topics": list(self.topics), "hints_used": self.hints_used, "seconds": self.seconds,
                "submitted_at": self.submitted_at.isoformat(), "mock_id": self.mock_id, "source": self.source,
                "prompt_text": self.prompt_text, "provenance": dict(self.provenance),
                "detail": dict(self.detail)}


@dataclass(frozen=True)
class CatalogItem:
    """One thing to practise, as the mock builder and the planner see it."""

    id: str                           # namespaced: sql:..., case:..., est:..., kpi:..., exp:...
    kind: str                         # sql | case | est | kpi | exp
    title: str
    topics: tuple[str, ...] = ()      # SQL topics; for cases the case kind (metric, tradeoff, ...) and tags
    difficulty: int = 2               # 1 easy, 2 medium, 3 hard
    minutes: int = 10                 # expected time in an interview
    dimensions: tuple[str, ...] = ()  # committee dimensions it exercises

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "topics": list(self.topics),
                "difficulty": self.difficulty, "minutes": self.minutes, "dimensions": list(self.dimensions)}


@dataclass
class MockQuestion:
    """One question of a mock round, in the order asked."""

    id: str                           # namespaced item id
    kind: str                         # sql | case | est
    title: str
    minutes: int                      # its share of the round's time
    slot: str                         # what it stands for in the round: "metric definition", "SQL", ...
    answer_file: str                  # the file `mock run --answers DIR` reads for it
    why: str = ""                     # why it was picked (the weak area it targets)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "minutes": self.minutes,
                "slot": self.slot, "answer_file": self.answer_file, "why": self.why}


@dataclass
class MockRecord:
    """A mock round as stored: its questions, its state and, once finished, its debrief."""

    uid: str                          # the mock's id, e.g. "m-3f9c2a1b"
    seed: int
    focus: str                        # sql | metrics | cases | mixed
    minutes: int
    questions: list[MockQuestion]
    started_at: dt.datetime
    status: str = "running"           # running | finished | abandoned
    ended_at: dt.datetime | None = None
    debrief: dict[str, Any] | None = None
    user: str = "local"
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "user": self.user, "seed": self.seed, "focus": self.focus,
                "minutes": self.minutes, "questions": [q.to_dict() for q in self.questions],
                "started_at": self.started_at.isoformat(), "status": self.status,
                "ended_at": self.ended_at.isoformat() if self.ended_at else None, "debrief": self.debrief}
