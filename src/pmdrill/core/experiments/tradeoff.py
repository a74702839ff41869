"""The paywall-placement value model: short-term payments against referrals and champion-sourced deals.

Pure arithmetic over per-arm outcomes and named assumptions; the break-even is the sentence that matters.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Assumption:
    """One number the model rests on, where it came from, and how to change it."""

    name: str
    value: float
    source: str        # 'derived' (from the warehouse) | 'assumed' (a default) | 'flag' (set by the user)
    how: str           # the derivation or the reason for the default
    flag: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ArmOutcome:
    """What one arm did per assigned learner within the horizon (shares and means per learner)."""

    n: int
    conversion: float               # paid within 30 days of assignment
    payments: float                 # USD of succeeded payments per learner within the horizon
    completion: float               # share that completed a course: the pool champions come from
    certified: float                # share earning a certificate (shown, not valued)
    referrals: float                # learners referred per learner
    champion_acv: float = 0.0       # observed: ACV of accounts these learners championed, per learner


@dataclass(frozen=True)
class Assumptions:
    referral_value: Assumption      # USD one referred learner is worth
    champion_rate: Assumption       # probability a completer becomes an enterprise champion
    enterprise_acv: Assumption      # USD annual contract value of a champion-sourced account
    acv_share: Assumption           # share of that ACV the champion deserves credit for
    horizon_months: Assumption
    discount_rate: Assumption       # annual; later value (referrals, deals) is discounted one horizon

    def all(self) -> tuple[Assumption, ...]:
        return (self.referral_value, self.champion_rate, self.enterprise_acv, self.acv_share,
                self.horizon_months, self.discount_rate)

    @property
    def discount(self) -> float:
        return (1 + self.discount_rate.value) ** (-self.horizon_months.value / 12)

    @property
    def champion_value_per_completer(self) -> float:
        """Expected, discounted enterprise value one course completer brings as a champion."""
        return self.champion_rate.value * self.enterprise_acv.value * self.acv_share.value * self.discount


@dataclass(frozen=True)
class ArmValue:
    payments: float
    referral_value: float
    champion_value: float

    @property
    def total(self) -> float:
        return self.payments + self.referral_value + self.champion_value

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total": self.total}


def arm_value(arm: ArmOutcome, a: Assumptions) -> ArmValue:
    """Value per assigned learner: payments + discounted referral value + discounted champion value.

    Champion value is completers x champion rate x ACV x credited share: only finishers become champions.

    Example:
        >>> a = default_assumptions(referral_value=100, champion_rate=0.01, enterprise_acv=50_000,
        ...                         acv_share=0.5, horizon_months=12, discount_rate=0.0)
        >>> arm_value(ArmOutcome(1000, 0.1, 20.0, 0.05, 0.04, 0.02), a).total
        34.5
    """
    return ArmValue(arm.payments, arm.referrals * a.referral_value.value * a.discount,
                    arm.completion * a.champion_value_per_completer)


@dataclass(frozen=True)
class Tradeoff:
    control: ArmOutcome
    treatment: ArmOutcome
    assumptions: Assumptions
    control_value: ArmValue
    treatment_value: ArmValue
    breakeven_referral_value: float | None      # USD per referral at which the arms tie
    breakeven_champion_deal: float | None       # USD credited per champion deal (ACV x share) at a tie
    breakeven_champion_rate: float | None
    lines: tuple[str, ...]

    @property
    def delta(self) -> float:
        """Treatment (early paywall) minus control, value per learner."""
        return self.treatment_value.total - self.control_value.total

    @property
    def winner(self) -> str:
        return "treatment" if self.delta > 0 else "control"

    def to_dict(self) -> dict[str, Any]:
        return {"control": asdict(self.control), "treatment": asdict(self.treatment),
                "assumptions": [x.to_dict() for x in self.assumptions.all()],
                "value_per_learner": {"control": self.control_value.to_dict(),
                                      "treatment": self.treatment_value.to_dict()},
                "delta_per_learner": self.delta, "winner": self.winner,
                "breakeven": {"referral_value_usd": self.breakeven_referral_value,
                              "champion_deal_usd": self.breakeven_champion_deal,
                              "champion_rate": self.breakeven_champion_rate},
                "readout": list(self.lines)}


def default_assumptions(*, referral_value: float, champion_rate: float, enterprise_acv: float,
                        acv_share: float, horizon_months: float, discount_rate: float) -> Assumptions:
    """Assumptions all marked 'assumed' (tests and callers without a warehouse)."""
    def a(name: str, v: float, flag: str) -> Assumption:
        return Assumption(name, float(v), "assumed", "given", flag)

    return Assumptions(a("referral_value_usd", referral_value, "--referral-value"),
                       a("champion_rate", champion_rate, "--champion-rate"),
                       a("enterprise_acv_usd", enterprise_acv, "--enterprise-acv"),
                       a("acv_share", acv_share, "--acv-share"),
                       a("horizon_months", horizon_months, "--horizon-months"),
                       a("discount_rate", discount_rate, "--discount-rate"))


def _solve(constant: float, slope: float) -> float | None:
    """The x where constant + slope * x = 0, or None when x does not move the balance."""
    if slope == 0 or math.isclose(slope, 0.0, abs_tol=1e-15):
        return None
    return -constant / slope


def model(control: ArmOutcome, treatment: ArmOutcome, a: Assumptions) -> Tradeoff:
    """Value per learner in each arm, who wins at the stated assumptions, and the break-evens.

    Example:
        >>> a = default_assumptions(referral_value=100, champion_rate=0.01, enterprise_acv=50_000,
        ...                         acv_share=0.5, horizon_months=12, discount_rate=0.0)
        >>> t = model(ArmOutcome(1000, 0.10, 20.0, 0.05, 0.040, 0.020),
        ...           ArmOutcome(1000, 0.11, 21.0, 0.04, 0.035, 0.015), a)
        >>> round(t.delta, 2), round(t.breakeven_referral_value, 2)
        (-2.0, -300.0)
    """
    cv, tv = arm_value(control, a), arm_value(treatment, a)
    d_pay = treatment.payments - control.payments
    d_ref = treatment.referrals - control.referrals
    d_comp = treatment.completion - control.completion
    disc = a.discount
    champion_delta = d_comp * a.champion_value_per_completer
    referral_delta = d_ref * a.referral_value.value * disc
    be_referral = _solve(d_pay + champion_delta, d_ref * disc)
    be_deal = _solve(d_pay + referral_delta, d_comp * a.champion_rate.value * disc)
    be_rate = _solve(d_pay + referral_delta, d_comp * a.enterprise_acv.value * a.acv_share.value * disc)
    t = Tradeoff(control, treatment, a, cv, tv, be_referral, be_deal, be_rate, ())
    return replace(t, lines=_lines(t, d_pay, d_ref, d_comp))


def _money(x: float) -> str:
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def _lines(t: Tradeoff, d_pay: float, d_ref: float, d_comp: float) -> tuple[str, ...]:
    a = t.assumptions
    h = int(a.horizon_months.value)
    c, tr = t.control, t.treatment
    out = [
        f"Short term the early paywall pays: 30-day paid conversion {tr.conversion:.2%} vs {c.conversion:.2%} "
        f"({(tr.conversion / c.conversion - 1) if c.conversion else math.nan:+.1%}), payments per learner in "
        f"{h} months {_money(tr.payments)} vs {_money(c.payments)} ({_money(d_pay)} per learner).",
        f"Later value moves too: learners completing a course {tr.completion:.2%} vs {c.completion:.2%} "
        f"({d_comp * 1000:+.1f} completers per 1,000 learners), referrals {d_ref * 1000:+.1f} per 1,000 learners.",
        f"Value per learner over {h} months (payments + referrals x {_money(a.referral_value.value)} + "
        f"completers x {a.champion_rate.value:.3%} champion rate x {_money(a.enterprise_acv.value)} ACV x "
        f"{a.acv_share.value:.0%} credit, later value discounted at {a.discount_rate.value:.0%}/yr): early paywall "
        f"{_money(t.treatment_value.total)} vs control {_money(t.control_value.total)}; "
        f"{'the early paywall' if t.winner == 'treatment' else 'control (paywall at module 2)'} wins by "
        f"{_money(abs(t.delta))} per learner (${abs(t.delta) * 100_000:,.0f} per 100,000 learners).",
    ]
    if c.champion_acv or tr.champion_acv:
        # the model values completers; the warehouse also records the deals themselves, rare and noisy
        observed = (d_pay + (tr.referrals - c.referrals) * a.referral_value.value * a.discount
                    + (tr.champion_acv - c.champion_acv) * a.acv_share.value * a.discount)
        out.append(f"Observed directly rather than modelled, champion-sourced ACV is {_money(tr.champion_acv)} vs "
                   f"{_money(c.champion_acv)} per learner (a handful of accounts, too few to be precise); valued "
                   f"that way, {'the early paywall' if observed > 0 else 'control'} would win by "
                   f"{_money(abs(observed))} per learner.")
    out.append(_breakeven_sentence(t, d_pay, d_ref, d_comp))
    return tuple(out)


def _breakeven_sentence(t: Tradeoff, d_pay: float, d_ref: float, d_comp: float) -> str:
    a = t.assumptions
    be_r, be_d = t.breakeven_referral_value, t.breakeven_champion_deal
    deal_now = a.enterprise_acv.value * a.acv_share.value
    parts = []
    if be_r is not None and d_ref < 0:
        if be_r <= 0:
            parts.append("even if a referral were worth nothing, the early paywall would still lose on "
                         "champion value alone")
        else:
            parts.append(f"the early paywall wins only while a referred learner is worth less than "
                         f"{_money(be_r)} (the default is {_money(a.referral_value.value)}, "
                         f"{a.referral_value.source})")
    if be_d is not None and d_comp < 0:
        if be_d <= 0:
            parts.append("even with no champion value, the referrals it loses outweigh its extra payments")
        else:
            parts.append(f"holding referrals at the default, it wins only while a champion-sourced deal is "
                         f"credited less than {_money(be_d)} (the default is {_money(deal_now)})")
    if not parts:
        if d_pay <= 0:
            return "Break-even: none; the early paywall does not even win on short-term payments."
        return "Break-even: none; the early paywall costs no referrals or completers here."
    return "Break-even: " + "; ".join(parts) + "."
