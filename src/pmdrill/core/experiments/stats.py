"""Experiment statistics over per-arm aggregates: SRM, proportion, mean and ratio comparisons.

Every test and interval comes from scipy.stats; this module only turns sums into its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from scipy import stats

from pmdrill.errors import StatsError

Kind = Literal["proportion", "mean", "ratio"]
KINDS: tuple[str, ...] = ("proportion", "mean", "ratio")


@dataclass(frozen=True)
class ArmStats:
    """One arm's sufficient statistics, as the metric SQL returns them.

    ``total``/``total_sq`` are the sum and sum of squares of the per-unit value (successes for a
    proportion, whose values are 0/1); ratio metrics add the denominator's sums and the cross sum.
    """

    n: int
    total: float
    total_sq: float = 0.0
    den_total: float = 0.0
    den_sq: float = 0.0
    cross: float = 0.0

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        """Sample variance (n - 1) of the per-unit value."""
        if self.n < 2:
            return math.nan
        return max(self.total_sq - self.total**2 / self.n, 0.0) / (self.n - 1)


@dataclass(frozen=True)
class SrmResult:
    counts: dict[str, int]
    expected_share: dict[str, float]
    observed_share: dict[str, float]
    chi2: float
    p_value: float
    test: str = "chi-square goodness of fit"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    """Treatment against control for one metric; ``lift`` is relative (0.1 = +10%)."""

    kind: str
    n_control: int
    n_treatment: int
    control: float
    treatment: float
    diff: float
    diff_ci: tuple[float, float]
    lift: float | None
    lift_ci: tuple[float, float] | None
    p_value: float
    statistic: float
    test: str
    interval: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def srm_test(counts: Mapping[str, int], split: Mapping[str, float]) -> SrmResult:
    """Sample ratio mismatch: chi-square goodness of fit of assignment counts against the split.

    Example:
        >>> r = srm_test({"control": 5050, "treatment": 4950}, {"control": 0.5, "treatment": 0.5})
        >>> round(r.chi2, 3), round(r.p_value, 4)
        (1.0, 0.3173)
    """
    variants = list(split)
    weight = sum(split.values())
    observed = [int(counts.get(v, 0)) for v in variants]
    total = sum(observed)
    expected = [total * split[v] / weight for v in variants]
    if total == 0:
        chi2, p = math.nan, math.nan
    else:
        res = stats.chisquare(observed, expected)
        chi2, p = float(res.statistic), float(res.pvalue)
    return SrmResult(
        counts=dict(zip(variants, observed, strict=True)),
        expected_share={v: split[v] / weight for v in variants},
        observed_share={v: (c / total if total else math.nan) for v, c in zip(variants, observed, strict=True)},
        chi2=chi2,
        p_value=p,
    )


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of one proportion (scipy's binomtest).

    Example:
        >>> [round(x, 4) for x in wilson_interval(81, 263)]
        [0.2553, 0.3662]
    """
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _log_ratio_interval(ratio: float, var_log: float, confidence: float) -> tuple[float, float]:
    """Delta-method interval of a ratio on the log scale, returned as relative lift (ratio - 1)."""
    half = _z(confidence) * math.sqrt(var_log)
    log_r = math.log(ratio)
    return math.exp(log_r - half) - 1, math.exp(log_r + half) - 1


def compare_proportions(control: ArmStats, treatment: ArmStats, confidence: float = 0.95) -> Comparison:
    """Two-proportion z-test (pooled), Newcombe hybrid score interval for the difference.

    The relative lift's interval is the delta method on the log risk ratio (Katz).

    Example:
        >>> c = compare_proportions(ArmStats(80, 48), ArmStats(70, 56))
        >>> [round(x, 4) for x in c.diff_ci]
        [0.0524, 0.3339]
    """
    n1, x1, n2, x2 = control.n, int(round(control.total)), treatment.n, int(round(treatment.total))
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p2 - p1) / se0 if se0 > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z))) if se0 > 0 else 1.0
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    d = p2 - p1
    lower = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    lift: float | None = None
    lift_ci: tuple[float, float] | None = None
    if x1 > 0 and x2 > 0:
        lift = p2 / p1 - 1
        lift_ci = _log_ratio_interval(p2 / p1, (1 - p1) / x1 + (1 - p2) / x2, confidence)
    return Comparison("proportion", n1, n2, p1, p2, d, (lower, upper), lift, lift_ci, p_value, z,
                      "two-proportion z-test (pooled)", "Newcombe hybrid score (Wilson); lift: delta method "
                      "on log ratio", confidence)


def compare_means(control: ArmStats, treatment: ArmStats, confidence: float = 0.95) -> Comparison:
    """Welch t-test from summary statistics; Welch-Satterthwaite interval for the difference."""
    m1, m2 = control.mean, treatment.mean
    v1, v2 = control.variance / control.n, treatment.variance / treatment.n
    se = math.sqrt(v1 + v2)
    d = m2 - m1
    if se > 0:
        res = stats.ttest_ind_from_stats(m2, math.sqrt(treatment.variance), treatment.n,
                                         m1, math.sqrt(control.variance), control.n, equal_var=False)
        df = (v1 + v2) ** 2 / (v1**2 / (control.n - 1) + v2**2 / (treatment.n - 1))
        half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
        t_stat, p_value = float(res.statistic), float(res.pvalue)
    else:
        half, t_stat, p_value = 0.0, 0.0, 1.0
    lift, lift_ci = _relative(m1, m2, v1, v2, confidence)
    return Comparison("mean", control.n, treatment.n, m1, m2, d, (d - half, d + half), lift, lift_ci,
                      p_value, t_stat, "Welch t-test", "Welch-Satterthwaite t; lift: delta method on log ratio",
                      confidence)


def ratio_of_sums(arm: ArmStats) -> tuple[float, float]:
    """A ratio metric (sum of numerators / sum of denominators) and its delta-method variance.

    Units (learners) are the randomisation unit, so clicks of one learner are not independent;
    the delta method keeps the variance honest for that clustering.
    """
    n = arm.n
    mx, my = arm.total / n, arm.den_total / n
    r = arm.total / arm.den_total
    sxx = (arm.total_sq - n * mx * mx) / (n - 1)
    syy = (arm.den_sq - n * my * my) / (n - 1)
    sxy = (arm.cross - n * mx * my) / (n - 1)
    var = max(sxx - 2 * r * sxy + r * r * syy, 0.0) / (n * my * my)
    return r, var


def compare_ratios(control: ArmStats, treatment: ArmStats, confidence: float = 0.95) -> Comparison:
    """Ratio-of-sums metrics (CTR per impression, pass rate per attempt): delta method, z-test."""
    r1, v1 = ratio_of_sums(control)
    r2, v2 = ratio_of_sums(treatment)
    se = math.sqrt(v1 + v2)
    d = r2 - r1
    z = d / se if se > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z))) if se > 0 else 1.0
    half = _z(confidence) * se
    lift, lift_ci = _relative(r1, r2, v1, v2, confidence)
    return Comparison("ratio", control.n, treatment.n, r1, r2, d, (d - half, d + half), lift, lift_ci,
                      p_value, z, "z-test on the delta-method variance of a ratio of sums",
                      "normal (delta method); lift: delta method on log ratio", confidence)


def _relative(m1: float, m2: float, v1: float, v2: float,
              confidence: float) -> tuple[float | None, tuple[float, float] | None]:
    if m1 <= 0 or m2 <= 0:
        return None, None
    return m2 / m1 - 1, _log_ratio_interval(m2 / m1, v1 / m1**2 + v2 / m2**2, confidence)


def compare(kind: str, control: ArmStats, treatment: ArmStats, confidence: float = 0.95) -> Comparison:
    """Dispatch on the metric kind; an arm too small to test raises StatsError."""
    if min(control.n, treatment.n) < 2:
        raise StatsError("each arm needs at least two units")
    if kind == "proportion":
        return compare_proportions(control, treatment, confidence)
    if kind == "mean":
        return compare_means(control, treatment, confidence)
    if kind == "ratio":
        return compare_ratios(control, treatment, confidence)
    raise StatsError(f"unknown metric kind {kind!r}; expected one of {', '.join(KINDS)}")
