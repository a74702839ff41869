"""Every KPI's SQL runs live on the default warehouse with sane values; the truths hold through the KPIs."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmdrill.adapters.metrics_eval import KpiEvaluator, open_warehouse, pin_clock, read_as_of
from pmdrill.core.metrics.library import Kpi, load_library

LIB = load_library()


@pytest.fixture(scope="session")
def ev(default_warehouse: Path) -> Iterator[KpiEvaluator]:
    evaluator = KpiEvaluator(open_warehouse(default_warehouse))
    yield evaluator
    evaluator.close()


def _sane(value: float | None, unit: str, what: str) -> None:
    assert value is not None, f"{what} is NULL"
    assert math.isfinite(value), f"{what} is not finite"
    assert value >= 0, f"{what} is negative: {value}"
    if unit == "rate":
        assert value <= 1, f"{what} is a rate above 1: {value}"


def _segment(ev: KpiEvaluator, kpi_id: str, dimension_prefix: str) -> dict[str, float]:
    for cut in ev.segments(LIB.get(kpi_id)):
        if cut["dimension"].startswith(dimension_prefix):
            return {r["segment"]: r["value"] for r in cut["rows"]}
    raise AssertionError(f"{kpi_id} has no segment starting {dimension_prefix!r}")


@pytest.mark.parametrize("kpi", LIB.kpis, ids=lambda k: k.id)
def test_kpi_value_is_sane(ev: KpiEvaluator, kpi: Kpi) -> None:
    value = ev.value(kpi)
    _sane(value, kpi.unit, f"{kpi.id}.sql")
    if kpi.id != "degree_revenue":  # an honest zero is possible for degrees only in tiny builds
        assert value > 0, f"{kpi.id} is exactly 0 on the default build"


@pytest.mark.parametrize("kpi", LIB.kpis, ids=lambda k: k.id)
def test_kpi_trend_has_at_least_12_sane_months(ev: KpiEvaluator, kpi: Kpi) -> None:
    trend = ev.trend(kpi)
    months = [t["month"] for t in trend]
    assert 12 <= len(trend) <= 18, f"{kpi.id} trend has {len(trend)} months"
    assert months == sorted(set(months)), "months must be distinct and ascending"
    as_of_month = ev.as_of.isoformat()[:7]
    assert all(len(m) == 7 and "2023-01" <= m <= as_of_month for m in months), months
    for t in trend:
        _sane(t["value"], kpi.unit, f"{kpi.id}.trend[{t['month']}]")


@pytest.mark.parametrize("kpi", LIB.kpis, ids=lambda k: k.id)
def test_kpi_segments_are_sane(ev: KpiEvaluator, kpi: Kpi) -> None:
    for cut in ev.segments(kpi):
        rows = cut["rows"]
        assert rows, f"{kpi.id} segment {cut['dimension']} is empty"
        assert len({r["segment"] for r in rows}) == len(rows), "segments must be distinct"
        assert sum(r["n"] for r in rows) > 0
        for r in rows:
            assert r["n"] >= 0
            _sane(r["value"], kpi.unit, f"{kpi.id}[{cut['dimension']}={r['segment']}]")


@pytest.mark.parametrize("kpi", LIB.kpis, ids=lambda k: k.id)
def test_kpi_delta_is_computed_from_the_data(ev: KpiEvaluator, kpi: Kpi) -> None:
    value = ev.value(kpi)
    d = ev.delta(kpi, value)
    assert d is not None
    assert d.population > 0 and math.isfinite(d.population)
    for side in (d.up, d.down):
        for number in (side.units, side.learners, side.certificates, side.usd_per_year):
            assert math.isfinite(number)
    assert d.up.units == pytest.approx(-d.down.units)
    assert d.up.units == pytest.approx(d.population * value * 0.05)
    if kpi.delta.certificates_per_unit and kpi.delta.certificates_per_unit.sql:
        assert d.certificates_per_unit != 0


# --- truths of warehouse-truths.md, seen through the KPIs -------------------------------------

def test_paid_completion_far_above_audit(ev: KpiEvaluator) -> None:
    by_type = _segment(ev, "course_completion_rate", "enrollment_type")
    assert by_type["paid"] >= 4 * by_type["audit"]
    assert 0.02 <= by_type["audit"] <= 0.07  # T1


def test_stuck_learners_complete_far_less(ev: KpiEvaluator) -> None:
    by_stuck = _segment(ev, "course_completion_rate", "stuck")
    stuck = next(v for k, v in by_stuck.items() if k.startswith("stuck"))
    assert stuck < 0.75 * by_stuck["not stuck"]


def test_audit_enrollments_never_earn_certificates(ev: KpiEvaluator) -> None:
    assert _segment(ev, "enrollment_to_certificate_rate", "enrollment_type")["audit"] == 0


def test_funnel_steps_never_exceed_the_step_before(ev: KpiEvaluator) -> None:
    value = {k: ev.value(LIB.get(k)) for k in ("enrollment_start_rate", "first_module_completion_rate",
                                                "course_completion_rate", "enrollment_to_certificate_rate")}
    assert value["first_module_completion_rate"] < value["enrollment_start_rate"]
    assert value["course_completion_rate"] < value["first_module_completion_rate"]
    assert value["enrollment_to_certificate_rate"] <= value["course_completion_rate"]


def test_easier_quizzes_moves_pass_rate_far_more_than_scores(ev: KpiEvaluator) -> None:
    passed = _segment(ev, "assessment_pass_rate", "experiment arm (easier_quizzes)")
    scores = _segment(ev, "average_assessment_score", "experiment arm (easier_quizzes)")
    pass_lift = passed["treatment"] / passed["control"] - 1
    score_lift = scores["treatment"] / scores["control"] - 1
    assert pass_lift > 0.10
    assert pass_lift > 3 * abs(score_lift)


def test_early_paywall_buys_conversion_and_loses_free_learner_value(ev: KpiEvaluator) -> None:
    conversion = _segment(ev, "paid_conversion_30d", "experiment arm (early_paywall)")
    value = _segment(ev, "free_learner_ltv", "experiment arm (early_paywall)")
    assert conversion["treatment"] > conversion["control"]
    assert value["treatment"] < value["control"]


def test_long_videos_complete_less(ev: KpiEvaluator) -> None:
    by_length = _segment(ev, "module_completion_rate", "median video length")
    short = next(v for k, v in by_length.items() if "short" in k)
    long_ = next(v for k, v in by_length.items() if "long" in k)
    assert 0.10 <= 1 - long_ / short <= 0.40  # T6


def test_outcomes_follow_certificates_and_activation_follows_renewal(ev: KpiEvaluator) -> None:
    outcomes = _segment(ev, "career_outcome_rate", "certified")
    assert outcomes["certified"] > outcomes["not certified"]
    nrr = _segment(ev, "enterprise_net_retention", "seat activation band")
    assert nrr["activation >= 60%"] > nrr["activation < 40%"]
    reviews = _segment(ev, "review_rating", "reviewer completed")
    assert reviews["completed"] > reviews["did not complete"]
    referrals = _segment(ev, "alumni_referral_rate", "certified or not")
    assert referrals["certified"] > referrals["not certified"]


def test_calibrated_levels_show_through_the_kpis(ev: KpiEvaluator) -> None:
    assert 15 <= ev.value(LIB.get("learning_hours_per_certificate")) <= 45  # T7
    assert 0.40 <= ev.value(LIB.get("enterprise_seat_activation")) <= 0.70  # T11


# --- the clock -----------------------------------------------------------------------------

def test_pin_clock_replaces_every_spelling_of_now() -> None:
    sql = pin_clock("SELECT CURRENT_DATE, NOW(), CURRENT_TIMESTAMP, today(), get_current_timestamp()",
                    dt.date(2025, 3, 31))
    assert sql.count("2025-03-31") == 5
    assert "NOW(" not in sql.upper() and "TODAY(" not in sql.upper()


def test_kpis_use_the_warehouse_as_of_not_the_machine_clock(default_warehouse: Path) -> None:
    con = open_warehouse(default_warehouse)
    try:
        assert read_as_of(con) == dt.date(2026, 6, 30)
        earlier = KpiEvaluator(con, as_of=dt.date(2025, 6, 30))
        signups = earlier.value(LIB.get("registrations"))
        direct = con.execute("SELECT count(*) FROM learners WHERE NOT is_internal_test AND "
                             "signed_up_at >= DATE '2025-06-01' AND signed_up_at < DATE '2025-07-01'").fetchone()[0]
        assert signups == direct
        assert earlier.trend(LIB.get("registrations"))[-1]["month"] == "2025-06"
    finally:
        con.close()


def test_a_kpi_query_of_the_wrong_shape_or_failing_is_reported(ev: KpiEvaluator) -> None:
    from pmdrill.errors import SqlRuntimeError

    with pytest.raises(SqlRuntimeError, match="one row with a 'value' column"):
        ev.scalar("SELECT 1 AS x", "probe")
    with pytest.raises(SqlRuntimeError, match="probe failed"):
        ev.scalar("SELECT no_such_column AS value FROM learners", "probe")
