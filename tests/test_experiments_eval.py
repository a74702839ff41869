"""The evaluator on a hand-made warehouse (contract DDL plus a few rows): sums, windows, pinned clock, cuts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pmdrill.adapters.experiments_eval import ExperimentEvaluator, pin_clock
from pmdrill.core.experiments import definitions as catalog
from pmdrill.core.experiments.stats import ArmStats
from pmdrill.core.warehouse.schema import contract_sql
from pmdrill.errors import WarehouseError

# learner: (variant, platform, internal)
LEARNERS = {1: ("control", "web", False), 2: ("control", "web", False), 3: ("control", "android", False),
            4: ("treatment", "web", False), 5: ("treatment", "android", False),
            6: ("treatment", "web", True)}
# app opens: learner -> timestamps; assignment 2026-01-10, experiment ends 2026-03-01, as-of 2026-02-15
OPENS = {1: ["2026-01-11", "2026-02-01", "2026-01-05"],     # the last is before assignment
         4: ["2026-01-12", "2026-01-13", "2026-02-15 12:00"],
         5: ["2026-01-20", "2026-02-20"],                     # the last is after the as-of date
         6: ["2026-01-20"] * 10}                              # internal test account
ANDROID_OPENS = {(4, "2026-02-15 12:00")}                    # every other open is on the web


@pytest.fixture(scope="module")
def hand_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hand") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute(contract_sql())
    con.execute("ALTER TABLE learners ADD COLUMN signup_platform VARCHAR")
    con.execute("CREATE TABLE _pmdrill_meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO _pmdrill_meta VALUES ('as_of', '2026-02-15')")
    con.execute("INSERT INTO experiments VALUES (1, 'streak_push', 'h', 'app opens', '2026-01-10', '2026-03-01')")
    event_id = 0
    for lid, (variant, platform, internal) in LEARNERS.items():
        con.execute("INSERT INTO learners (learner_id, signed_up_at, country, acquisition_channel, learner_goal, "
                    "is_internal_test, signup_platform) VALUES (?, '2025-06-01', 'US', 'direct', NULL, ?, ?)",
                    [lid, internal, platform])
        con.execute("INSERT INTO experiment_assignments VALUES (1, ?, ?, '2026-01-10')", [lid, variant])
        for ts in OPENS.get(lid, []):
            event_id += 1
            device = "android" if (lid, ts) in ANDROID_OPENS else "web"
            con.execute("INSERT INTO learning_events VALUES (?, ?, NULL, NULL, ?, 'app_open', ?, 0)",
                        [event_id, lid, ts, device])
    con.close()
    return path


def test_pin_clock_replaces_every_spelling_of_now() -> None:
    out = pin_clock("SELECT CURRENT_DATE, CURRENT_TIMESTAMP, NOW(), today()", dt.date(2026, 6, 30))
    assert "CURRENT" not in out.upper() and "NOW" not in out.upper() and "TODAY" not in out.upper()
    assert out.count("'2026-06-30'") == 2 and out.count("'2026-06-30 23:59:59'") == 2


def test_assignment_counts_exclude_internal_accounts(hand_warehouse: Path) -> None:
    exp = catalog.get("streak_push")
    with ExperimentEvaluator.open(hand_warehouse) as ev:
        assert ev.as_of == dt.date(2026, 2, 15)
        counts, cuts = ev.assignment_counts(exp)
    assert counts == {"control": 3, "treatment": 2}
    assert cuts["signup_platform"] == {"web": {"control": 2, "treatment": 1},
                                       "android": {"control": 1, "treatment": 1}}
    assert cuts["learner_goal"] == {"unknown": {"control": 3, "treatment": 2}}


def test_metric_sums_respect_assignment_and_the_pinned_as_of(hand_warehouse: Path) -> None:
    exp = catalog.get("streak_push")
    with ExperimentEvaluator.open(hand_warehouse) as ev:
        overall, cuts = ev.metric_arms(exp, exp.primary, segments=True)
    # control opens per learner [2, 0, 0]; treatment [3, 1] (learner 5's second open is after the as-of)
    assert overall["control"] == ArmStats(3, 2.0, 4.0)
    assert overall["treatment"] == ArmStats(2, 4.0, 10.0)
    assert cuts["signup_platform"]["web"]["treatment"] == ArmStats(1, 3.0, 9.0)
    assert cuts["signup_platform"]["android"]["control"] == ArmStats(1, 0.0, 0.0)


def test_readout_on_the_hand_warehouse(hand_warehouse: Path) -> None:
    with ExperimentEvaluator.open(hand_warehouse) as ev:
        r = ev.readout(catalog.get("streak_push"))
    assert r.srm.counts == {"control": 3, "treatment": 2}
    c = r.primary.comparison
    assert c is not None and (c.control, c.treatment) == pytest.approx((2 / 3, 2.0))
    flat = r.guardrails[0]  # nobody completed a module: a zero difference, not an error
    assert flat.comparison is not None and flat.comparison.diff == 0 and flat.verdict == "no detectable change"


def test_an_experiment_missing_from_the_warehouse_is_a_clear_error(hand_warehouse: Path) -> None:
    with ExperimentEvaluator.open(hand_warehouse) as ev, pytest.raises(WarehouseError, match="no assignments"):
        ev.readout(catalog.get("early_paywall"))


def test_missing_warehouse_file(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse"):
        ExperimentEvaluator.open(tmp_path / "absent.duckdb")


PER_DEVICE = """
name: streak_push
unit: learner
primary:
  id: opens_by_device
  label: App opens per learner
  kind: mean
  segments: [device]
  sql: |
    SELECT a.learner_id, a.variant, e.platform AS device, COUNT(*) AS value
    FROM assigned a
    JOIN learning_events e ON e.learner_id = a.learner_id AND e.event_at >= a.assigned_at
     AND e.event_at < a.window_end
    GROUP BY a.learner_id, a.variant, e.platform
segments: [device]
"""


def test_unit_level_segments_add_up_per_learner(hand_warehouse: Path) -> None:
    exp = catalog.parse(PER_DEVICE, "per_device.yaml")
    with ExperimentEvaluator.open(hand_warehouse) as ev:
        overall, cuts = ev.metric_arms(exp, exp.primary, segments=True)
    # learner 4 has two web opens and one android open: one unit of 3 overall, one unit per device cut
    assert overall["treatment"] == ArmStats(2, 4.0, 10.0)
    assert cuts["device"]["web"]["treatment"] == ArmStats(2, 3.0, 5.0)
    assert cuts["device"]["android"]["treatment"] == ArmStats(1, 1.0, 1.0)


def _every_metric() -> list[tuple[str, str]]:
    return [(e.name, m.id) for e in catalog.catalog().values() for m in (*e.metrics, *e.extras.values())]


@pytest.mark.parametrize(("name", "metric_id"), _every_metric(), ids=[f"{n}.{m}" for n, m in _every_metric()])
def test_every_catalog_metric_runs_on_the_contract(hand_warehouse: Path, name: str, metric_id: str) -> None:
    exp = catalog.get(name)
    metric = exp.metric(metric_id)
    with ExperimentEvaluator.open(hand_warehouse) as ev:
        overall, cuts = ev.metric_arms(exp, metric, segments=metric is exp.primary)
    assert set(overall) <= {"control", "treatment"}
    if metric is exp.primary:
        assert set(cuts) == set(exp.segments)


def _every_derived() -> list[tuple[str, str]]:
    return [(e.name, d) for e in catalog.catalog().values() for d in e.derived]


@pytest.mark.parametrize(("name", "derived"), _every_derived(), ids=[f"{n}.{d}" for n, d in _every_derived()])
def test_every_derived_default_runs_on_the_contract(hand_warehouse: Path, name: str, derived: str) -> None:
    d = catalog.get(name).derived[derived]
    with ExperimentEvaluator.open(hand_warehouse) as ev:
        rows = ev.rows(ev.pin(d.sql.replace("{horizon_months}", "12")), None, d.name)
    assert len(rows) == 1 and {"value", "n"} <= set(rows[0])
