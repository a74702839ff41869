"""Every calibration target, planted experiment effect and other truth, measured on the default build."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmdrill.adapters.duckdb_store import open_warehouse
from pmdrill.core.warehouse.calibration import TARGETS, Target
from pmdrill.core.warehouse.effects import EFFECTS
from pmdrill.core.warehouse.truths import ALL, TRUTHS


@pytest.fixture(scope="module")
def warehouse(default_warehouse: Path):
    con = open_warehouse(default_warehouse)
    yield con
    con.close()


def _check(con, target: Target) -> None:
    value = con.execute(target.sql).fetchone()[0]
    assert value is not None, f"{target.id} measured nothing"
    assert target.passes(float(value)), f"{target.id} {target.quantity}: {float(value):.4g} not in {target.band}"


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.id)
def test_calibration_target(warehouse, target: Target) -> None:
    _check(warehouse, target)


@pytest.mark.slow
@pytest.mark.parametrize("effect", EFFECTS, ids=lambda t: t.id)
def test_planted_effect(warehouse, effect: Target) -> None:
    _check(warehouse, effect)


@pytest.mark.slow
@pytest.mark.parametrize("truth", TRUTHS, ids=lambda t: t.id)
def test_other_truth(warehouse, truth: Target) -> None:
    _check(warehouse, truth)


def test_targets_are_well_formed() -> None:
    ids = [t.id for t in ALL]
    assert len(ids) == len(set(ids))
    assert {f"T{i}" for i in range(1, 13) if i != 9} | {"T9a", "T9b", "T9c"} <= set(ids)
    for t in ALL:
        assert t.low <= t.high and t.sql.strip() and t.source
    names = {"rec_model_v2", "streak_push", "early_paywall", "easier_quizzes", "short_videos", "new_onboarding"}
    assert all(any(n in e.quantity for e in EFFECTS) for n in names)


def test_an_uncalibrated_value_fails_its_band() -> None:
    t1 = next(t for t in TARGETS if t.id == "T1")
    assert not t1.passes(0.5) and not t1.passes(None) and t1.passes(0.04)
