"""Mutants of a reference: every operator of the spec fires, each mutant is valid SQL and differs in text."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlglot

from pmdrill.core.sqlcheck import gate, mutants

AS_OF = dt.date(2026, 6, 30)

RICH = """
WITH last AS (
  SELECT learner_id, amount_usd,
         ROW_NUMBER() OVER (PARTITION BY learner_id ORDER BY paid_at DESC) AS rn
  FROM payments WHERE status = 'succeeded'
)
SELECT c.domain, COUNT(DISTINCT e.learner_id) AS learners, SUM(l.amount_usd) AS revenue,
       MIN(e.enrolled_at) AS first_at
FROM courses c
LEFT JOIN enrollments e ON e.course_id = c.course_id AND e.enrolled_at >= CURRENT_DATE - INTERVAL 30 DAY
JOIN last l ON l.learner_id = e.learner_id AND l.rn = 1
WHERE c.level <> 'advanced' OR e.completed_at IS NULL
GROUP BY c.domain
HAVING COUNT(*) > 2
ORDER BY learners DESC
LIMIT 5
"""


def _rich() -> list[mutants.Mutant]:
    g = gate.check(RICH, as_of=AS_OF)
    return mutants.generate(g.tree)


def test_every_operator_of_the_spec_is_generated() -> None:
    ops = Counter(m.operator for m in _rich())
    for op in ("join", "compare", "aggregate", "distinct", "drop", "andor", "column", "literal", "null",
               "ties", "order"):
        assert ops[op] > 0, op


def test_specific_mutations_are_present() -> None:
    labels = {m.label for m in _rich()}
    assert any(lbl.startswith("LEFT JOIN -> INNER JOIN") for lbl in labels)
    assert "COUNT(DISTINCT x) -> COUNT(x)" in labels
    assert "SUM -> AVG" in labels and "MIN -> MAX" in labels
    assert "ROWNUMBER -> RANK" in labels and "ROWNUMBER -> DENSERANK" in labels
    assert "interval 30 -> 29" in labels and "interval 30 -> 31" in labels
    assert "2 -> 3" in labels and "5 -> 4" in labels  # HAVING threshold and LIMIT, off by one
    assert any("e.completed_at IS NULL -> NOT" in lbl for lbl in labels)
    assert any(lbl == "OR -> AND" for lbl in labels)
    assert any(lbl.startswith("condition dropped") for lbl in labels)
    assert any(lbl == "enrollments.learner_id -> enrollments.enrollment_id" for lbl in labels)


def test_mutants_are_distinct_parseable_and_differ_from_the_reference() -> None:
    ms = _rich()
    g = gate.check(RICH, as_of=AS_OF)
    texts = [m.sql for m in ms]
    assert len(texts) == len(set(texts))
    assert g.duckdb_sql not in texts
    for m in ms:
        assert sqlglot.parse_one(m.sql, read="duckdb") is not None


def test_positional_group_and_order_literals_are_not_mutated() -> None:
    g = gate.check("SELECT domain, COUNT(*) FROM courses GROUP BY 1 ORDER BY 2", as_of=AS_OF)
    labels = [m.label for m in mutants.generate(g.tree, qualify_columns=False)]
    assert not any(lbl in ("1 -> 0", "1 -> 2", "2 -> 1", "2 -> 3") for lbl in labels)


def test_date_literals_move_by_one_day() -> None:
    g = gate.check("SELECT COUNT(*) FROM learners WHERE signed_up_at >= DATE '2026-01-01'", as_of=AS_OF)
    labels = {m.label for m in mutants.generate(g.tree)}
    assert "date 2026-01-01 -> 2025-12-31" in labels and "date 2026-01-01 -> 2026-01-02" in labels


def test_limit_caps_the_number_but_keeps_every_operator() -> None:
    g = gate.check(RICH, as_of=AS_OF)
    every = mutants.generate(g.tree, limit=10_000)
    few = mutants.generate(g.tree, limit=15)
    assert len(few) == 15 < len(every)
    assert len({m.operator for m in few}) >= min(11, len({m.operator for m in every}))
