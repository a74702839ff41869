"""The paywall value model: arithmetic by hand, and break-evens that really are break-evens (pure)."""

from __future__ import annotations

import pytest

from pmdrill.core.experiments.tradeoff import ArmOutcome, arm_value, default_assumptions, model

CONTROL = ArmOutcome(n=10_000, conversion=0.050, payments=30.0, completion=0.060, certified=0.040,
                     referrals=0.030)
EARLY = ArmOutcome(n=10_000, conversion=0.055, payments=32.0, completion=0.054, certified=0.036,
                   referrals=0.027)


def assumptions(**kw: float):
    base = dict(referral_value=200.0, champion_rate=0.01, enterprise_acv=60_000.0, acv_share=0.5,
                horizon_months=12, discount_rate=0.0)
    return default_assumptions(**{**base, **kw})


def test_value_per_learner_by_hand() -> None:
    v = arm_value(CONTROL, assumptions())
    # 30 + 0.03 referrals * 200 + 0.06 completers * 0.01 * 60,000 * 0.5
    assert (v.payments, v.referral_value, v.champion_value) == pytest.approx((30.0, 6.0, 18.0))
    assert v.total == pytest.approx(54.0)


def test_discounting_applies_to_later_value_only() -> None:
    v = arm_value(CONTROL, assumptions(discount_rate=0.25, horizon_months=24))
    factor = 1.25 ** -2
    assert v.payments == 30.0
    assert v.referral_value == pytest.approx(6.0 * factor)
    assert v.champion_value == pytest.approx(18.0 * factor)


def test_delta_and_winner_by_hand() -> None:
    t = model(CONTROL, EARLY, assumptions())
    # early: 32 + 0.027*200 + 0.054*300 = 32 + 5.4 + 16.2 = 53.6 ; control 54.0
    assert t.delta == pytest.approx(-0.4)
    assert t.winner == "control"


def test_referral_break_even_is_where_the_arms_tie() -> None:
    t = model(CONTROL, EARLY, assumptions())
    # 2 (payments) - 0.006 * 300 (champions) - 0.003 * RV = 0  ->  RV = 0.2 / 0.003
    assert t.breakeven_referral_value == pytest.approx(0.2 / 0.003)
    tie = model(CONTROL, EARLY, assumptions(referral_value=t.breakeven_referral_value))
    assert tie.delta == pytest.approx(0.0, abs=1e-9)
    assert model(CONTROL, EARLY, assumptions(referral_value=t.breakeven_referral_value + 1)).winner == "control"
    assert model(CONTROL, EARLY, assumptions(referral_value=t.breakeven_referral_value - 1)).winner == "treatment"


def test_champion_break_evens_tie_the_arms() -> None:
    t = model(CONTROL, EARLY, assumptions())
    # 2 - 0.6 (referrals) - 0.006 * 0.01 * D = 0  ->  D = 1.4 / 0.00006 credited per deal
    assert t.breakeven_champion_deal == pytest.approx(1.4 / 0.00006)
    assert model(CONTROL, EARLY, assumptions(acv_share=1.4 / 0.00006 / 60_000)).delta == pytest.approx(
        0.0, abs=1e-9)
    assert t.breakeven_champion_rate == pytest.approx(1.4 / (0.006 * 30_000))
    assert model(CONTROL, EARLY, assumptions(champion_rate=t.breakeven_champion_rate)).delta == pytest.approx(
        0.0, abs=1e-9)


def test_break_even_sentence_names_the_threshold() -> None:
    t = model(CONTROL, EARLY, assumptions())
    sentence = t.lines[-1]
    assert sentence.startswith("Break-even:")
    assert "less than $66.67" in sentence and "less than $23,333.33" in sentence


def test_when_champions_alone_sink_it_the_sentence_says_so() -> None:
    t = model(CONTROL, EARLY, assumptions(enterprise_acv=200_000.0))
    assert t.breakeven_referral_value is not None and t.breakeven_referral_value < 0
    assert t.winner == "control"
    assert "even if a referral were worth nothing" in t.lines[-1]


def test_no_break_even_when_nothing_long_term_is_lost() -> None:
    same_later = ArmOutcome(10_000, 0.055, 32.0, 0.060, 0.040, 0.030)
    t = model(CONTROL, same_later, assumptions())
    assert t.breakeven_referral_value is None and t.winner == "treatment"
    assert "none" in t.lines[-1]


def test_to_dict_lists_every_assumption_with_its_source() -> None:
    d = model(CONTROL, EARLY, assumptions()).to_dict()
    names = [a["name"] for a in d["assumptions"]]
    assert names == ["referral_value_usd", "champion_rate", "enterprise_acv_usd", "acv_share", "horizon_months",
                     "discount_rate"]
    assert all(a["source"] == "assumed" and a["flag"].startswith("--") for a in d["assumptions"])
    assert set(d["breakeven"]) == {"referral_value_usd", "champion_deal_usd", "champion_rate"}
