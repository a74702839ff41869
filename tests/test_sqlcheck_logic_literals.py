"""The logic diff never reports equivalent date bounds as different filters (no false feedback)."""

from __future__ import annotations

import pytest
import sqlglot

from pmdrill.core.sqlcheck import logic_diff

REFERENCE = ("SELECT COUNT(DISTINCT learner_id) FROM payments "
             "WHERE status = 'succeeded' AND paid_at >= DATE '2026-05-01' AND paid_at < DATE '2026-06-01'")


def _messages(answer: str) -> list[str]:
    ref = sqlglot.parse_one(REFERENCE, read="duckdb")
    return [d.message for d in logic_diff.diff(ref, sqlglot.parse_one(answer, read="duckdb"))]


@pytest.mark.parametrize("bounds", [
    "paid_at >= '2026-05-01' AND paid_at < '2026-06-01'",
    "paid_at >= CAST('2026-05-01' AS TIMESTAMP) AND paid_at < TIMESTAMP '2026-06-01 00:00:00'",
    "'2026-05-01' <= paid_at AND paid_at < DATE '2026-06-01'",
])
def test_equivalent_bounds_are_not_reported(bounds: str) -> None:
    answer = f"SELECT COUNT(DISTINCT learner_id) FROM payments WHERE status = 'succeeded' AND {bounds}"
    assert _messages(answer) == []


def test_a_moved_boundary_is_still_reported() -> None:
    answer = ("SELECT COUNT(DISTINCT learner_id) FROM payments "
              "WHERE status = 'succeeded' AND paid_at >= '2026-05-01' AND paid_at <= '2026-06-01'")
    messages = _messages(answer)
    assert len(messages) == 1 and "paid_at" in messages[0] and "boundary" in messages[0]


def test_a_plan_that_names_the_month_confirms_the_window() -> None:
    from pmdrill.core.sqlcheck import logic_first

    ref = sqlglot.parse_one(REFERENCE, read="duckdb")
    named = logic_first.check_plan("keep succeeded payments in May 2026 and count distinct learners", ref)
    silent = logic_first.check_plan("keep succeeded payments and count distinct learners", ref)

    def window(parts: list[logic_first.PlanPart]) -> list[str]:
        return [p.status for p in parts if p.part == "filter" and "paid_at" in p.message + p.detail]

    assert window(named) == ["confirmed"]  # one part for the window, both bounds in it
    assert window(silent) == ["missing"]
