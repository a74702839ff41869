"""The seven dimensions a hiring committee debriefs on, and how each kind of answer feeds them.

Case rubrics score their own dimensions (``core.judgement.model.DIMENSIONS``); SQL verdicts score
logic and correctness. Both are mapped here onto the committee's seven, 0-100 each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

COMMITTEE: tuple[str, ...] = (
    "signal_selection",
    "learner_outcomes",
    "sql_logic",
    "sql_correctness",
    "tradeoffs",
    "data_skepticism",
    "communication",
)
TITLES: dict[str, str] = {
    "signal_selection": "Signal selection",
    "learner_outcomes": "Learner-outcome anchoring",
    "sql_logic": "SQL logic",
    "sql_correctness": "SQL correctness",
    "tradeoffs": "Trade-off quantification",
    "data_skepticism": "Data skepticism",
    "communication": "Communication",
}
# case rubric dimension -> committee dimension (several rubric dimensions may feed one)
FROM_RUBRIC: dict[str, str] = {
    "metric_choice": "signal_selection",
    "segmentation": "data_skepticism",
    "learner_outcomes": "learner_outcomes",
    "tradeoffs": "tradeoffs",
    "estimate": "tradeoffs",
    "data_skepticism": "data_skepticism",
    "structure": "communication",
    "communication": "communication",
}


def from_case_dimensions(dims: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Committee scores (0-100) from a case score's ``dimensions`` (rubric scores 0-1, with weights).

    Only the dimensions the case asked (or that counted) feed the committee's; weighted means.

    Example:
        >>> from_case_dimensions([
        ...     {"name": "metric_choice", "weight": 2, "score": 0.5, "asked": True},
        ...     {"name": "structure", "weight": 1, "score": 1.0, "asked": True},
        ...     {"name": "communication", "weight": 1, "score": 0.5, "asked": True},
        ...     {"name": "segmentation", "weight": 1, "score": 0.0, "asked": False, "counted": False}])
        {'signal_selection': 50.0, 'communication': 75.0}
    """
    sums: dict[str, list[float]] = {}
    for d in dims:
        if not (d.get("asked", True) or d.get("counted", False)):
            continue
        target = FROM_RUBRIC.get(str(d["name"]))
        if target is None:
            continue
        weight = float(d.get("weight", 1.0))
        acc = sums.setdefault(target, [0.0, 0.0])
        acc[0] += weight * float(d["score"])
        acc[1] += weight
    return {k: round(100.0 * s / w, 1) for k, (s, w) in sorted(sums.items(), key=lambda kv: COMMITTEE.index(kv[0]))
            if w > 0}


def from_sql_verdict(correct: bool, *, warehouse_matched: bool, logic_findings: int,
                     syntax_error: bool, plan_share: float | None = None) -> dict[str, float]:
    """Committee scores of one SQL answer.

    Correctness: 100 when right; 50 when only hidden data exposed it; 0 otherwise. Logic read from the
    SQL: 100 for a right answer, 100 - 25 per logic difference found (never below 0; 0 for an answer
    that did not parse); with a logic-first plan, the mean of that and the plan's confirmed share.

    Example:
        >>> from_sql_verdict(False, warehouse_matched=True, logic_findings=1, syntax_error=False)
        {'sql_logic': 75.0, 'sql_correctness': 50.0}
        >>> from_sql_verdict(True, warehouse_matched=True, logic_findings=0, syntax_error=False, plan_share=0.5)
        {'sql_logic': 75.0, 'sql_correctness': 100.0}
    """
    correctness = 100.0 if correct else (50.0 if warehouse_matched else 0.0)
    if syntax_error:
        logic = 0.0
    elif correct:
        logic = 100.0
    else:
        logic = max(0.0, 100.0 - 25.0 * logic_findings)
    if plan_share is not None:
        logic = (logic + 100.0 * max(0.0, min(1.0, plan_share))) / 2
    return {"sql_logic": logic, "sql_correctness": correctness}
