"""One id namespace across the banks (``sql:``, ``case:``, ``est:``, ``kpi:``, ``exp:``) and one result
shape (``Outcome``) shared by SQL verdicts, case scores and estimation, so the tracker, the debrief and
the plan treat every kind of practice alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from pmdrill.errors import UsageError

# prefix -> what it names; the bank id follows the colon unchanged
KINDS: dict[str, str] = {
    "sql": "SQL question",
    "case": "case question",
    "est": "estimation question",
    "kpi": "KPI",
    "exp": "experiment",
}
GRADED_KINDS = ("sql", "case", "est")


def item_id(kind: str, bank_id: str) -> str:
    """The namespaced id of a bank entry.

    Example:
        >>> item_id("sql", "paying-learners-may-2026")
        'sql:paying-learners-may-2026'
    """
    if kind not in KINDS:
        raise UsageError(f"unknown item kind {kind!r} (one of: {', '.join(KINDS)})")
    return f"{kind}:{bank_id}"


def split_id(value: str) -> tuple[str | None, str]:
    """(kind, bank id) of an id; kind is None for a bare bank id.

    Example:
        >>> split_id("case:rec-engine-success")
        ('case', 'rec-engine-success')
        >>> split_id("rec-engine-success")
        (None, 'rec-engine-success')
    """
    head, sep, rest = value.partition(":")
    if sep and head in KINDS:
        return head, rest
    return None, value


def adhoc_id(kind: str, text: str) -> str:
    """A stable id for an ad-hoc ``--reference`` or ``--prompt``: the kind and a hash of the text.

    Example:
        >>> adhoc_id("sql", "SELECT 1")[:12]
        'sql:adhoc-e0'
    """
    digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:10]
    return f"{kind}:adhoc-{digest}"


def is_adhoc(value: str) -> bool:
    return split_id(value)[1].startswith("adhoc-")


@dataclass(frozen=True)
class Flag:
    """A mistake the grader or the scorer marked, with the text that raised it."""

    code: str
    message: str
    evidence: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "evidence": self.evidence}


@dataclass
class Outcome:
    """The one result shape: passed, a 0-100 score, committee-dimension scores (0-100) and flags.

    ``dimensions`` holds only the committee dimensions this item measured (``coach.dimensions``);
    ``detail`` is the full verdict or score as its own module returns it (the CLI's ``--json``).
    """

    item_id: str
    kind: str                         # sql | case | est
    title: str
    passed: bool
    score: float
    dimensions: dict[str, float] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    topics: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "kind": self.kind, "title": self.title, "passed": self.passed,
                "score": round(self.score, 1),
                "dimensions": {k: round(v, 1) for k, v in self.dimensions.items()},
                "flags": [f.to_dict() for f in self.flags], "topics": list(self.topics)}
