"""The read-out from aggregates (pure) and the experiment catalog files."""

from __future__ import annotations

import re

import pytest

from pmdrill.core.experiments import definitions as catalog
from pmdrill.core.experiments import readout
from pmdrill.core.experiments.stats import ArmStats
from pmdrill.errors import ContentError, NotFoundError

YAML = """
name: demo
title: Demo test
unit: learner
primary: {id: conv, label: Conversion, kind: proportion, sql: SELECT 1}
guardrails:
  - {id: unsubs, label: Unsubscribes per learner, kind: mean, better: lower, sql: SELECT 1}
segments: [signup_platform]
decision_notes: Weigh the conversion against the unsubscribes.
"""
EXP = catalog.parse(YAML, "demo.yaml")


def mean_arm(n: int, mean: float, sd: float) -> ArmStats:
    # sums that reproduce a mean and a sample standard deviation exactly
    total = n * mean
    return ArmStats(n, total, sd**2 * (n - 1) + total**2 / n)


def test_srm_failure_says_untrustworthy_first_and_shows_the_segment() -> None:
    counts = {"control": 4800, "treatment": 5200}
    seg_counts = {"signup_platform": {"android": {"control": 1100, "treatment": 1500},
                                      "web": {"control": 3700, "treatment": 3700}}}
    arms = {"conv": (ArmStats(4800, 480), ArmStats(5200, 572)),
            "unsubs": (mean_arm(4800, 0.1, 0.3), mean_arm(5200, 0.1, 0.3))}
    seg_arms = {"signup_platform": {"web": (ArmStats(3700, 370), ArmStats(3700, 371)),
                                    "android": (ArmStats(1100, 110), ArmStats(1500, 201))}}
    r = readout.build(EXP, counts, arms, seg_counts, seg_arms)
    assert r.decision == "invalid" and not r.trustworthy
    assert "cannot be trusted" in r.lines[0]
    assert [(c.dimension, c.value) for c in r.imbalance] == [("signup_platform", "android")]
    assert "signup_platform = android" in r.lines[1]
    assert any("balanced (signup_platform = web" in line for line in r.lines)
    assert r.to_dict()["trustworthy"] is False


def test_primary_up_guardrail_worse_is_a_trade_off_with_sizes() -> None:
    arms = {"conv": (ArmStats(10_000, 1000), ArmStats(10_000, 1150)),
            "unsubs": (mean_arm(10_000, 0.10, 0.3), mean_arm(10_000, 0.13, 0.35))}
    r = readout.build(EXP, {"control": 10_000, "treatment": 10_000}, arms)
    assert r.srm.p_value == pytest.approx(1.0)
    assert r.primary.verdict == "better" and r.guardrails[0].verdict == "worse"
    assert r.decision == "trade-off"
    text = " ".join(r.lines)
    assert "Assignment looks healthy" in r.lines[0]
    assert "+15.0% relative" in text and "95% CI" in text
    decision = next(line for line in r.lines if line.startswith("Decision"))
    assert "do not ship as is" in decision and "worse Unsubscribes per learner" in decision
    assert "Weigh the conversion" in text
    assert "significant" not in text.lower()


def test_no_effect_states_the_interval() -> None:
    arms = {"conv": (ArmStats(5000, 500), ArmStats(5000, 505)),
            "unsubs": (mean_arm(5000, 0.1, 0.3), mean_arm(5000, 0.1, 0.3))}
    r = readout.build(EXP, {"control": 5000, "treatment": 5000}, arms)
    assert r.decision == "no effect"
    decision = next(line for line in r.lines if line.startswith("Decision"))
    assert re.search(r"outside [-+]\d+\.\d% to [-+]\d+\.\d%", decision)


def test_ship_when_primary_up_and_guardrails_hold() -> None:
    arms = {"conv": (ArmStats(10_000, 1000), ArmStats(10_000, 1150)),
            "unsubs": (mean_arm(10_000, 0.10, 0.3), mean_arm(10_000, 0.10, 0.3))}
    assert readout.build(EXP, {"control": 10_000, "treatment": 10_000}, arms).decision == "ship"


def test_an_imprecise_guardrail_means_not_yet() -> None:
    # unsubscribes +10% with an interval reaching far past a 10% harm: not checked, only not failed
    arms = {"conv": (ArmStats(10_000, 1000), ArmStats(10_000, 1150)),
            "unsubs": (mean_arm(1000, 0.10, 0.3), mean_arm(1000, 0.11, 0.3))}
    r = readout.build(EXP, {"control": 10_000, "treatment": 10_000}, arms)
    g = r.guardrails[0]
    assert g.verdict == "no detectable change" and g.possible_harm is not None and g.possible_harm > 0.10
    assert r.decision == "not yet"
    decision = next(line for line in r.lines if line.startswith("Decision"))
    assert "Unsubscribes per learner could still be" in decision


def test_missing_arm_is_reported_not_raised() -> None:
    r = readout.build(EXP, {"control": 10, "treatment": 10}, {"conv": None})
    assert r.primary.comparison is None and "not computable" in r.lines[1]


def test_every_catalog_file_loads_with_its_planted_experiment() -> None:
    names = set(catalog.catalog())
    assert names == {"rec_model_v2", "streak_push", "early_paywall", "easier_quizzes", "short_videos",
                     "new_onboarding"}
    for exp in catalog.catalog().values():
        assert exp.guardrails, exp.name
        assert "signup_platform" in exp.segments


def test_unknown_experiment_lists_the_known_names() -> None:
    with pytest.raises(NotFoundError) as info:
        catalog.get("nope")
    assert "early_paywall" in str(info.value) and "new_onboarding" in str(info.value)


def test_bad_kind_names_file_and_line() -> None:
    bad = YAML.replace("kind: mean", "kind: median")
    with pytest.raises(ContentError) as info:
        catalog.parse(bad, "demo.yaml")
    assert info.value.where == "demo.yaml:7" and "median" in str(info.value)


def test_segment_must_exist() -> None:
    with pytest.raises(ContentError, match="enrollment_type"):
        catalog.parse(YAML.replace("[signup_platform]", "[enrollment_type]"), "demo.yaml")


def test_srm_confined_to_one_segment_is_caught_when_the_overall_test_lacks_power() -> None:
    counts = {"control": 1292, "treatment": 1400}  # 52.0%: overall p ~ 0.04, not below 0.001
    seg_counts = {"signup_platform": {"android": {"control": 252, "treatment": 360},
                                      "web": {"control": 1040, "treatment": 1040}}}
    arms = {"conv": (ArmStats(1292, 129), ArmStats(1400, 150)),
            "unsubs": (mean_arm(1292, 0.1, 0.3), mean_arm(1400, 0.1, 0.3))}
    r = readout.build(EXP, counts, arms, seg_counts, {})
    assert 0.001 < r.srm.p_value < 0.05
    assert r.decision == "invalid"
    assert r.lines[0].startswith("Sample ratio mismatch inside a segment") and "cannot be trusted" in r.lines[0]
    assert "signup_platform = android" in r.lines[1]


def test_segment_srm_is_corrected_for_the_number_of_cells() -> None:
    # one cell at p ~ 0.0005 among four cells: below 0.001 but not below 0.001 / 4
    seg_counts = {"signup_platform": {"android": {"control": 1890, "treatment": 2110},
                                      "web": {"control": 3110, "treatment": 2890}},
                  "learner_goal": {"a": {"control": 2500, "treatment": 2500},
                                   "b": {"control": 2500, "treatment": 2500}}}
    exp = catalog.parse(YAML.replace("[signup_platform]", "[signup_platform, learner_goal]"), "demo.yaml")
    arms = {"conv": (ArmStats(5000, 500), ArmStats(5000, 500)),
            "unsubs": (mean_arm(5000, 0.1, 0.3), mean_arm(5000, 0.1, 0.3))}
    r = readout.build(exp, {"control": 5000, "treatment": 5000}, arms, seg_counts, {})
    android = next(s for s in r.segments if s.value == "android")
    assert 0.00025 < android.srm.p_value < 0.001
    assert r.imbalance == () and r.decision != "invalid"
