"""The interview's frameworks as drills on live data: the B2B2C flywheel with the warehouse's value on
each arrow, and the Delta Framework as an exercise (propose a metric, say what +5% and -5% mean)."""

from __future__ import annotations

from typing import Any

from pmdrill.app import case_practice
from pmdrill.context import Context

# the loop a Coursera-style platform runs on; each stage with the KPIs that measure it
FLYWHEEL: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("learner_success", "Learner success: learners finish, certify and get outcomes",
     ("course_completion_rate", "enrollment_to_certificate_rate", "career_outcome_rate")),
    ("partner_deals", "Partner and university deals: proven outcomes win content and degree partners",
     ("degree_revenue", "review_rating")),
    ("more_learners", "More learners: new catalogue and credentials bring new learners",
     ("paid_conversion_30d", "free_learner_ltv")),
    ("alumni_champions", "Alumni champions: certified alumni refer peers and open doors at work",
     ("alumni_referral_rate",)),
    ("enterprise_accounts", "Enterprise accounts: champions bring seats that renew when learners use them",
     ("champion_sourced_acv_share", "enterprise_seat_activation", "enterprise_net_retention")),
)


def flywheel(ctx: Context) -> dict[str, Any]:
    """Each stage of the flywheel with the live value of its KPIs (and what links it to the next)."""
    from pmdrill.adapters.metrics_eval import KpiEvaluator
    from pmdrill.core.metrics.library import format_value

    lib = ctx.kpi_library()
    stages = []
    with KpiEvaluator.open(ctx.warehouse()) as ev:
        for key, title, kpi_ids in FLYWHEEL:
            values = []
            for kid in kpi_ids:
                k = lib.get(kid)
                v = ev.value(k)
                values.append({"id": kid, "name": k.name, "value": v, "display": format_value(v, k.unit),
                               "kind": k.kind})
            stages.append({"key": key, "title": title, "kpis": values})
        as_of = ev.as_of.isoformat()
    arrows = [{"from": a["key"], "to": b["key"]} for a, b in zip(stages, stages[1:] + stages[:1], strict=True)]
    return {"as_of": as_of, "stages": stages, "arrows": arrows}


def delta_prompt(kpi_name: str) -> str:
    return (f"Delta Framework drill: {kpi_name} rises 5% next quarter. What is that worth (in learners, "
            f"certificates and dollars), what would a 5% fall signal, what would you check before believing "
            f"either, and which counter-metric would you watch?")


def delta_drill(ctx: Context, kpi: str, answer: str) -> dict[str, Any]:
    """Score a Delta Framework answer like a case, beside the warehouse's own +/-5% numbers for that KPI."""
    from pmdrill.app import metrics

    shown = metrics.show(ctx, kpi)
    scored = case_practice.score(ctx, None, answer, prompt=delta_prompt(shown["name"]), where="answer")
    return {"kpi": shown["id"], "name": shown["name"], "prompt": delta_prompt(shown["name"]),
            "score": scored.to_dict(), "delta": shown["delta_result"], "assumptions": shown["delta_assumptions"],
            "value_display": shown["value_display"]}
