"""Experiment statistics against values computed by hand or published in textbooks (pure, no warehouse)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from pmdrill.core.experiments.stats import (
    ArmStats,
    compare,
    compare_means,
    compare_proportions,
    compare_ratios,
    ratio_of_sums,
    srm_test,
    wilson_interval,
)
from pmdrill.errors import StatsError

HALF = {"control": 0.5, "treatment": 0.5}


def arm_from(values: list[float], dens: list[float] | None = None) -> ArmStats:
    x = np.asarray(values, dtype=float)
    y = np.asarray(dens if dens is not None else np.ones_like(x), dtype=float)
    return ArmStats(len(x), float(x.sum()), float((x * x).sum()), float(y.sum()), float((y * y).sum()),
                    float((x * y).sum()))


def test_srm_by_hand() -> None:
    # (5050-5000)^2/5000 + (4950-5000)^2/5000 = 1.0; P(chi2_1 > 1) = erfc(sqrt(1/2))
    r = srm_test({"control": 5050, "treatment": 4950}, HALF)
    assert r.chi2 == pytest.approx(1.0)
    assert r.p_value == pytest.approx(math.erfc(math.sqrt(0.5)))
    assert r.observed_share["control"] == pytest.approx(0.505)


def test_srm_respects_an_uneven_split() -> None:
    assert srm_test({"control": 600, "treatment": 400}, {"control": 0.6, "treatment": 0.4}).chi2 == 0.0
    r = srm_test({"control": 600, "treatment": 400}, HALF)
    assert r.chi2 == pytest.approx(40.0)  # 100^2/500 * 2
    assert r.p_value < 1e-9


def test_srm_of_a_52_percent_split_at_ten_thousand() -> None:
    # 4800 vs 5200: chi2 = 2 * 200^2 / 5000 = 16, p = erfc(sqrt(8)) ~ 6.3e-5 < 0.001
    r = srm_test({"control": 4800, "treatment": 5200}, HALF)
    assert r.chi2 == pytest.approx(16.0)
    assert r.p_value == pytest.approx(math.erfc(math.sqrt(8.0)))


def test_two_proportion_z_equals_the_2x2_chi_square_by_hand() -> None:
    # 30/100 vs 45/100: expected 37.5 / 62.5 per row -> chi2 = 2*56.25/37.5 + 2*56.25/62.5 = 4.8
    c = compare_proportions(ArmStats(100, 30), ArmStats(100, 45))
    assert c.statistic**2 == pytest.approx(4.8)
    assert c.p_value == pytest.approx(math.erfc(math.sqrt(4.8 / 2)))
    assert c.diff == pytest.approx(0.15)
    assert c.lift == pytest.approx(0.5)


def test_wilson_interval_matches_newcombe_1998() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, 81/263: 0.2553 to 0.3662
    lo, hi = wilson_interval(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


def test_newcombe_difference_interval_matches_the_paper() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, 56/70 - 48/80, method 10: +0.0524 to +0.3339
    c = compare_proportions(ArmStats(80, 48), ArmStats(70, 56))
    assert (round(c.diff_ci[0], 4), round(c.diff_ci[1], 4)) == (0.0524, 0.3339)


def test_relative_lift_interval_is_the_katz_log_interval() -> None:
    c = compare_proportions(ArmStats(80, 48), ArmStats(70, 56))
    se = math.sqrt((1 - 0.6) / 48 + (1 - 0.8) / 56)
    z = 1.959963984540054
    assert c.lift == pytest.approx(0.8 / 0.6 - 1)
    assert c.lift_ci == pytest.approx((0.8 / 0.6 * math.exp(-z * se) - 1, 0.8 / 0.6 * math.exp(z * se) - 1))


def test_welch_from_sums_matches_scipy_on_the_raw_data() -> None:
    a = [4.0, 5.0, 6.0, 5.5, 4.5, 7.0, 3.0]
    b = [6.0, 7.5, 8.0, 6.5, 9.0, 7.0, 8.5, 10.0]
    c = compare_means(arm_from(a), arm_from(b))
    raw = sps.ttest_ind(b, a, equal_var=False)
    ci = raw.confidence_interval(0.95)
    assert c.statistic == pytest.approx(raw.statistic)
    assert c.p_value == pytest.approx(raw.pvalue)
    assert c.diff_ci == pytest.approx((ci.low, ci.high))
    assert c.diff == pytest.approx(np.mean(b) - np.mean(a))


def test_welch_statistic_by_hand() -> None:
    # a = 1..5: mean 3, var 2.5; b = 2,4,..,12: mean 7, var 14
    c = compare_means(arm_from([1, 2, 3, 4, 5]), arm_from([2, 4, 6, 8, 10, 12]))
    se = math.sqrt(2.5 / 5 + 14 / 6)
    assert c.statistic == pytest.approx(4 / se)
    df = (2.5 / 5 + 14 / 6) ** 2 / ((2.5 / 5) ** 2 / 4 + (14 / 6) ** 2 / 5)
    assert c.p_value == pytest.approx(2 * sps.t.sf(4 / se, df))


def test_ratio_with_unit_denominators_is_the_mean() -> None:
    values = [0.0, 1.0, 3.0, 2.0, 2.0, 5.0]
    r, var = ratio_of_sums(arm_from(values))
    assert r == pytest.approx(np.mean(values))
    assert var == pytest.approx(np.var(values, ddof=1) / len(values))


def test_ratio_delta_method_by_hand() -> None:
    # clicks x over impressions y for four learners
    x, y = [1.0, 0.0, 2.0, 1.0], [4.0, 2.0, 5.0, 3.0]
    r, var = ratio_of_sums(arm_from(x, y))
    assert r == pytest.approx(4 / 14)
    resid = np.asarray(x) - r * np.asarray(y)  # linearised ratio: (x - r y) / mean(y)
    assert var == pytest.approx(np.var(resid, ddof=1) / (len(x) * np.mean(y) ** 2))


def test_ratio_comparison_is_a_z_test() -> None:
    c = compare_ratios(arm_from([1, 0, 2, 1, 1], [4, 2, 5, 3, 4]), arm_from([2, 1, 2, 3, 1], [4, 3, 5, 4, 3]))
    assert c.p_value == pytest.approx(2 * sps.norm.sf(abs(c.statistic)))
    assert c.diff_ci[0] < c.diff < c.diff_ci[1]


def test_compare_refuses_tiny_arms_and_unknown_kinds() -> None:
    with pytest.raises(StatsError, match="at least two"):
        compare("mean", ArmStats(1, 1.0, 1.0), ArmStats(5, 5.0, 5.0))
    with pytest.raises(StatsError, match="unknown metric kind"):
        compare("median", ArmStats(5, 5.0, 5.0), ArmStats(5, 5.0, 5.0))


def test_identical_arms_show_no_effect() -> None:
    c = compare_proportions(ArmStats(1000, 100), ArmStats(1000, 100))
    assert c.diff == 0 and c.p_value == pytest.approx(1.0)
    assert c.diff_ci[0] < 0 < c.diff_ci[1]
    assert c.lift_ci is not None and c.lift_ci[0] < 0 < c.lift_ci[1]
