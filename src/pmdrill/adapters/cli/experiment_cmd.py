"""`pmdrill experiment`: list the planted experiments and analyze one (SRM, metrics, segments, read-out).

Thin: app.experiments runs the read-out; this module prints it.
"""

from __future__ import annotations

import math
from typing import Any

import typer

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, esc, lazy

experiments = lazy("pmdrill.app.experiments")

app = typer.Typer(help="Experiment read-outs: sample ratio mismatch, metrics with intervals, segments.",
                  no_args_is_help=True)


@app.command("list")
def list_(json_: bool = JsonOpt) -> None:
    """The experiments in the catalog, with their dates and assignments in the warehouse."""
    rows = experiments.list_experiments(app_ctx())

    def render(items: list[dict[str, Any]]) -> None:
        table = Table("name", "primary metric", "guardrails", "assigned", "started", "ended")
        for r in items:
            table.add_row(r["name"], r["primary"], str(len(r["guardrails"])), f"{r['assigned']:,}",
                          str(r["started_at"] or "")[:10], str(r["ended_at"] or "")[:10])
        console.print(table)
        console.print("Analyze one with: pmdrill experiment analyze NAME")

    emit(rows, json_, render)


def _cell(c: dict[str, Any] | None, display: str) -> tuple[str, str, str, str]:
    from pmdrill.core.experiments.readout import fmt_p, fmt_value

    if c is None:
        return "-", "-", "-", "-"
    if c["lift"] is not None:
        lift = f"{c['lift']:+.1%} [{c['lift_ci'][0]:+.1%}, {c['lift_ci'][1]:+.1%}]"
    else:
        lift = f"{fmt_value(c['diff'], display)} [{fmt_value(c['diff_ci'][0], display)}, " \
               f"{fmt_value(c['diff_ci'][1], display)}]"
    return fmt_value(c["control"], display), fmt_value(c["treatment"], display), lift, fmt_p(c["p_value"])


def _maybe(x: float | None, fmt: str) -> str:
    """'-' for what was not measured (no assignment counts for per-enrollment cuts)."""
    return "-" if x is None or math.isnan(x) else fmt.format(x)


def render_readout(data: dict[str, Any]) -> None:
    """The human view of a read-out: metrics table, segments table, then the sentences."""
    console.print(f"[bold]{esc(data['title'])}[/] ({esc(data['experiment'])}, unit: {esc(data['unit'])})")
    srm = data["srm"]
    console.print("Assignments: " + ", ".join(f"{esc(k)} {v:,}" for k, v in srm["counts"].items())
                  + f"  (SRM chi2 {srm['chi2']:.2f}, p {srm['p_value']:.2g})")
    table = Table("role", "metric", "control", "treatment", "lift [95% CI]", "p", "verdict")
    for m in [data["primary"], *data["guardrails"]]:
        table.add_row(m["role"], m["label"], *_cell(m["comparison"], m["display"]), m["verdict"])
    console.print(table)
    if data["segments"]:
        seg = Table("segment", "value", "control n", "treatment n", "treatment share", "SRM p",
                    "primary lift [95% CI]", "p")
        for s in data["segments"]:
            counts, c = s["srm"]["counts"], s["primary"]
            share, srm_p = s["srm"]["observed_share"].get("treatment"), s["srm"]["p_value"]
            _, _, lift, p = _cell(c, data["primary_display"])
            n_c, n_t = (f"{counts['control']:,}", f"{counts['treatment']:,}") if sum(counts.values()) else ("-", "-")
            seg.add_row(s["dimension"], s["value"], n_c, n_t,
                        _maybe(share, "{:.1%}"), _maybe(srm_p, "{:.2g}"), lift, p)
        console.print(seg)
    console.print("[bold]Read-out[/]")
    for line in data["readout"]:
        console.print(f"  {esc(line)}")


@app.command("analyze")
def analyze(name: str = typer.Argument(..., help="Experiment name (see `pmdrill experiment list`)."),
            json_: bool = JsonOpt) -> None:
    """SRM first, then the primary metric, the guardrails, segment cuts and the decision."""
    emit(experiments.analyze(app_ctx(), name), json_, render_readout)
