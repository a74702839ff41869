"""`pmdrill tradeoff paywall`: the paywall-placement trade-off from the early_paywall experiment's arms.

Every assumption is printed with its source (derived from the warehouse, assumed, or set by a flag).
"""

from __future__ import annotations

from typing import Any

import typer

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, esc, lazy

experiments = lazy("pmdrill.app.experiments")

app = typer.Typer(help="Quantified trade-offs: short-term revenue against long-term value.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Quantified trade-offs: short-term revenue against long-term value."""  # keeps `paywall` a subcommand


def _num(x: float, name: str) -> str:
    if name == "champion_rate":
        return f"{x:.3%}"
    if name in ("acv_share", "discount_rate"):
        return f"{x:.0%}"
    if name == "horizon_months":
        return f"{x:.0f}"
    return f"${x:,.2f}"


def render(data: dict[str, Any]) -> None:
    console.print(f"[bold]Paywall placement trade-off[/] (early_paywall arms, as of {esc(data['as_of'])})")
    arms = Table("per learner", "control (module 2)", "early paywall (module 1)")
    c, t = data["control"], data["treatment"]
    arms.add_row("learners (horizon cohort)", f"{c['n']:,}", f"{t['n']:,}")
    arms.add_row("paid within 30 days", f"{c['conversion']:.2%}", f"{t['conversion']:.2%}")
    arms.add_row("payments in horizon", f"${c['payments']:,.2f}", f"${t['payments']:,.2f}")
    arms.add_row("completed a course", f"{c['completion']:.2%}", f"{t['completion']:.2%}")
    arms.add_row("earned a certificate", f"{c['certified']:.2%}", f"{t['certified']:.2%}")
    arms.add_row("referrals per 1,000", f"{c['referrals'] * 1000:.1f}", f"{t['referrals'] * 1000:.1f}")
    v = data["value_per_learner"]
    for part in ("payments", "referral_value", "champion_value", "total"):
        arms.add_row(f"value: {part.replace('_', ' ')}", f"${v['control'][part]:,.2f}",
                     f"${v['treatment'][part]:,.2f}")
    console.print(arms)
    table = Table("assumption", "value", "source", "how", "change with")
    for a in data["assumptions"]:
        table.add_row(a["name"], _num(a["value"], a["name"]), a["source"], a["how"], a["flag"])
    console.print(table)
    for line in data["readout"]:
        console.print(f"  {esc(line)}")


@app.command("paywall")
def paywall(
    horizon_months: int = typer.Option(12, "--horizon-months", min=1, max=36,
                                       help="Months of payments and referrals counted after assignment."),
    referral_value: float = typer.Option(None, "--referral-value", min=0,
                                         help="USD one referred learner is worth (default: derived)."),
    champion_rate: float = typer.Option(None, "--champion-rate", min=0, max=1,
                                        help="Enterprise champions per certified alumnus (default: derived)."),
    enterprise_acv: float = typer.Option(None, "--enterprise-acv", min=0,
                                         help="USD ACV of a champion-sourced account (default: derived)."),
    acv_share: float = typer.Option(None, "--acv-share", min=0, max=1,
                                    help="Share of that ACV credited to the champion (default: assumed 0.5)."),
    discount_rate: float = typer.Option(None, "--discount-rate", min=0, max=1,
                                        help="Annual discount rate for later value (default: assumed 0.10)."),
    json_: bool = JsonOpt,
) -> None:
    """Short-term conversion and revenue against completion, referrals and champion-sourced value."""
    data = experiments.paywall(app_ctx(), horizon_months=horizon_months, overrides={
        "referral_value_usd": referral_value, "champion_rate": champion_rate,
        "enterprise_acv_usd": enterprise_acv, "acv_share": acv_share, "discount_rate": discount_rate})
    emit(data, json_, render)
