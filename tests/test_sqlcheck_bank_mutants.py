"""Every bank question: its hidden databases kill every mutant of its reference that differs anywhere,
and every listed wrong answer is graded wrong (even the ones that match on the warehouse).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pmdrill import settings
from pmdrill.adapters.local_runner import LocalRunner
from pmdrill.core.sqlcheck import bank, datagen, gate, hidden, mutants
from pmdrill.core.sqlcheck.compare import compare
from pmdrill.core.sqlcheck.grade import grade, order_spec, prepare_reference
from pmdrill.core.sqlcheck.types import HiddenDb, QueryResult
from pmdrill.errors import SqlError

QUESTIONS = bank.load_bank()
AS_OF = dt.date.fromisoformat(settings.SETTINGS[[s.name for s in settings.SETTINGS].index("as_of")].default)
# a generous budget so the candidate cap (hidden.MAX_CANDIDATES), not the clock, ends a build: the
# result does not depend on how loaded the machine is (production builds stop at 2 s); most builds
# stop far earlier, when every mutant is killed
BUDGET_S = 40.0
SUMMARY: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def runner(tiny_warehouse: Path):  # type: ignore[no-untyped-def]
    r = LocalRunner(tiny_warehouse)
    yield r
    r.close()


@pytest.fixture(scope="module", autouse=True)
def _summary(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield
    if SUMMARY:
        total = {k: sum(v[k] for v in SUMMARY.values()) for k in ("mutants", "valid", "differ", "killed")}
        out = tmp_path_factory.getbasetemp() / "bank-mutant-kills.json"
        out.write_text(json.dumps({"total": total, "questions": SUMMARY}, indent=1))
        print(f"\nbank mutants: {total} (per question: {out})")


def _differs(runner: LocalRunner, expected: QueryResult, sql: str, db: HiddenDb | None,
             ordered: bool, sort_cols: tuple[int, ...] | None) -> bool | None:
    """True/False, or None when the mutant does not run at all (an invalid mutant)."""
    try:
        got = runner.run(sql, db)
    except SqlError as exc:
        return None if db is None else "Binder Error" not in exc.message
    return not compare(expected, got, ordered=ordered, sort_cols=sort_cols).equal


_BUILT: dict[str, tuple[list[HiddenDb], hidden.BuildReport]] = {}


def _hidden(q: bank.Question, runner: LocalRunner) -> tuple[list[HiddenDb], hidden.BuildReport]:
    """Each question's hidden databases, built once per test run (as the cache file does for users)."""
    if q.id not in _BUILT:
        ref = prepare_reference(q, as_of=AS_OF)
        _BUILT[q.id] = hidden.build(ref.tree, ref.sql, runner, as_of=AS_OF, budget_s=BUDGET_S,
                                    extra=ref.wrong_answers)
    return _BUILT[q.id]


# Questions whose hidden databases miss a mutant that differs on the warehouse. Empty: the targeted
# candidates (runs of k consecutive days per parent for a literal k, k parents sharing one enum value
# for rank cut-offs and ties, children timed on the edge of a sibling's timestamp) kill every one.
# An entry belongs here only with a proof that the mutant equals the reference on every database
# that keeps the contract and the as-of rule (then say why, next to the entry).
KNOWN_GAPS: set[str] = set()


def _params() -> list[Any]:
    return [pytest.param(q, id=q.id, marks=pytest.mark.xfail(strict=False, reason="known hidden-DB gap"))
            if q.id in KNOWN_GAPS else pytest.param(q, id=q.id) for q in QUESTIONS]


@pytest.mark.parametrize("q", _params())
def test_hidden_dbs_kill_every_mutant_that_differs(q: bank.Question, runner: LocalRunner) -> None:
    g = gate.check(q.reference, as_of=AS_OF)
    dbs, report = _hidden(q, runner)
    assert dbs, "no hidden database was kept"
    for db in dbs:  # keys, the as-of day and the business invariants (core.warehouse.invariants)
        assert datagen.check_db(db, AS_OF) == [], db.note
    ordered, sort_cols = order_spec(g.tree)
    ref_wh = runner.run(g.duckdb_sql)
    ref_hidden = [runner.run(g.duckdb_sql, db) for db in dbs]
    differ = killed = valid = 0
    survivors = []
    ms = mutants.generate(g.tree)
    for m in ms:
        on_wh = _differs(runner, ref_wh, m.sql, None, ordered, sort_cols)
        if on_wh is None:
            continue
        valid += 1
        on_hidden = [_differs(runner, e, m.sql, db, ordered, sort_cols) for e, db in zip(ref_hidden, dbs, strict=True)]
        if any(on_hidden):
            killed += 1
            differ += 1
        elif on_wh:
            differ += 1
            survivors.append(m.label)
    SUMMARY[q.id] = {"mutants": len(ms), "valid": valid, "differ": differ, "killed": killed,
                     "hidden_dbs": len(dbs), "rows": [d.row_count for d in dbs],
                     "build_ms": round(report.elapsed_ms), "survivors": survivors}
    assert survivors == [], f"{len(survivors)} mutants differ on the warehouse but on no hidden db: {survivors}"


# Listed wrong answers that give the reference's result on every database at this as-of date (none:
# the quarter-maturity wrong answer that was equivalent at 2026-06-30 was replaced by one that is wrong)
EQUIVALENT_AT_AS_OF: set[str] = set()
# Listed wrong answers the hidden databases do not catch (none)
WRONG_ANSWER_GAPS: set[str] = set()


@pytest.mark.parametrize("q", [
    pytest.param(q, id=q.id, marks=pytest.mark.xfail(strict=False, reason="wrong answer equivalent at as-of"))
    if q.id in EQUIVALENT_AT_AS_OF else
    pytest.param(q, id=q.id, marks=pytest.mark.xfail(strict=False, reason="known hidden-DB gap"))
    if q.id in WRONG_ANSWER_GAPS else pytest.param(q, id=q.id) for q in QUESTIONS])
def test_every_listed_wrong_answer_is_graded_wrong(q: bank.Question, runner: LocalRunner) -> None:
    if not q.wrong_answers:
        pytest.skip("no wrong answers listed")
    ref = prepare_reference(q, as_of=AS_OF)
    dbs, _report = _hidden(q, runner)
    for wrong in q.wrong_answers:
        result = grade(ref, wrong.sql, runner=runner, hidden_dbs=dbs, as_of=AS_OF, explain=False)
        assert result.correct is False, f"graded right: {wrong.why}"
