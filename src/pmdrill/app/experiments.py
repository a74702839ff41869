"""Experiments: the planted ones listed, one read out (SRM, metrics, guardrails, segments), the paywall
trade-off with its assumptions (derived from the data, assumed, or set by you).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmdrill.context import Context
from pmdrill.core.items import split_id
from pmdrill.errors import NotFoundError, UsageError

OVERRIDES = ("referral_value_usd", "champion_rate", "enterprise_acv_usd", "acv_share", "discount_rate")


def name_of(value: str) -> str:
    kind, bare = split_id(value)
    if kind not in (None, "exp"):
        raise NotFoundError(f"{value!r} is not an experiment id")
    return bare


def list_experiments(ctx: Context) -> list[dict[str, Any]]:
    from pmdrill.adapters.experiments_eval import ExperimentEvaluator

    with ExperimentEvaluator.open(ctx.warehouse()) as ev:
        return ev.listing()


def analyze(ctx: Context, name: str) -> dict[str, Any]:
    """SRM first, then the primary metric, the guardrails, segment cuts and the decision."""
    from pmdrill.adapters.experiments_eval import analyze as run_analysis
    from pmdrill.core.experiments import definitions

    exp_def = definitions.get(name_of(name))  # unknown names fail before the warehouse is opened
    return run_analysis(exp_def.name, ctx.warehouse()).to_dict()


def paywall(ctx: Context, *, horizon_months: int = 12,
            overrides: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """Short-term conversion and revenue against completion, referrals and champion-sourced value."""
    from pmdrill.adapters.experiments_eval import paywall_tradeoff

    if not 1 <= horizon_months <= 36:
        raise UsageError(f"{horizon_months} is not between 1 and 36", where="--horizon-months")
    given = dict(overrides or {})
    unknown = sorted(set(given) - set(OVERRIDES))
    if unknown:
        raise UsageError(f"unknown assumption {unknown[0]!r} (one of {', '.join(OVERRIDES)})")
    for name, value in given.items():
        if value is not None and (value < 0 or name in ("champion_rate", "acv_share", "discount_rate") and value > 1):
            raise UsageError(f"{value:g} is out of range", where=name)
    return paywall_tradeoff(ctx.warehouse(), horizon_months=horizon_months, overrides=given)
