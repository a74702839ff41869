"""`pmdrill metrics`: the KPI library (list), one KPI live (show) and the metric tree (tree).

Thin: app.metrics loads the library and evaluates it live; this module prints.
"""

from __future__ import annotations

from typing import Any

import typer

from pmdrill.adapters.cli.output import JsonOpt, Table, app_ctx, console, emit, esc, lazy
from pmdrill.core.metrics.kinds import KINDS, SIDES

metrics = lazy("pmdrill.app.metrics")
library = lazy("pmdrill.core.metrics.library")



app = typer.Typer(help="The EdTech KPI library: definitions, live values, trends, the Delta Framework "
                       "and the metric tree.", no_args_is_help=True)

_DIRECTION = {"up": "higher is better", "down": "lower is better", "neutral": "a mix to read"}


@app.command("list")
def list_(
    kind: str = typer.Option(None, "--kind", help=f"Only this kind: {', '.join(KINDS)}."),
    side: str = typer.Option(None, "--side", help=f"Only this side: {', '.join(SIDES)}."),
    json_: bool = JsonOpt,
) -> None:
    """Every KPI in the library (built-ins plus your own in <home>/kpis), no warehouse needed."""
    data = metrics.list_kpis(app_ctx(), kind=kind, side=side)

    def render(data: dict[str, Any]) -> None:
        table = Table()
        # ids are what `show` takes: never truncate them, let the other columns wrap
        table.add_column("id", no_wrap=True, min_width=max((len(r["id"]) for r in data["kpis"]), default=2))
        for header in ("name", "kind", "side", "unit", "use instead"):
            table.add_column(header)
        for r in data["kpis"]:
            style = "dim" if r["kind"] == "vanity" else ""
            table.add_row(r["id"], r["name"], r["kind"], r["side"], r["unit"], ", ".join(r["use_instead"]),
                          style=style)
        console.print(table)
        console.print(f"{esc(data['count'])} KPIs. Show one live with: pmdrill metrics show ID")

    emit(data, json_, render)


def _render_show(d: dict[str, Any]) -> None:
    console.print(f"[bold]{esc(d['name'])}[/] ({esc(d['id'])})  {esc(d['kind'])} · {esc(d['side'])} · {esc(d['unit'])} · "
                  f"{esc(_DIRECTION[d['direction']])}")
    console.print(f"[bold]Definition[/] {esc(d['definition'])}")
    console.print(f"[bold]Value[/] (as of {esc(d['as_of'])}): [bold]{esc(d['value_display'])}[/]")
    trend = d["trend"]
    if trend:
        first, last = trend[0], trend[-1]
        console.print(f"[bold]Trend[/] {esc(first['month'])} → {esc(last['month'])}  {esc(d['sparkline'])}  "
                      f"{esc(library.format_value(first['value'], d['unit']))} → {esc(library.format_value(last['value'], d['unit']))}")
    for cut in d["segment_cuts"]:
        table = Table("segment", "value", "n", title=f"by {cut['dimension']}", title_justify="left")
        for r in cut["rows"]:
            table.add_row(r["segment"], library.format_value(r["value"], d["unit"]), f"{r['n']:,}")
        console.print(table)
    if d["counter_metrics"]:
        console.print("[bold]Counter-metrics[/] " + ", ".join(
            f"{esc(name)} ({esc(cid)})" for cid, name in d["counter_metric_names"].items()))
    if d["use_instead"]:
        console.print("[bold]Use instead[/] " + ", ".join(
            f"{esc(name)} ({esc(cid)})" for cid, name in d["use_instead_names"].items()))
    console.print(f"[bold]How it misleads[/] {esc(d['vanity_risk'])}")
    delta = d["delta_result"]
    if delta is None:
        return
    console.print("[bold]Delta Framework[/] (a ±5% relative move, per year)")
    console.print(f"  applies to {delta['population']:,.0f}: {esc(d['delta_assumptions']['base_population'])}")
    console.print(f"  $ per unit ({esc(delta['unit_label'])}): {delta['usd_per_unit']:,.2f} "
                  f"({esc(d['delta_assumptions']['usd_per_unit'])})")
    for side in (delta["up"], delta["down"]):
        mark = {True: "good", False: "bad", None: "read"}[side["good"]]
        console.print(f"  [bold]{side['change']:+.0%}[/] ({esc(mark)}): {esc(library.format_value(d['value'], d['unit']))} → "
                      f"{esc(library.format_value(side['new_value'], d['unit']))}; {side['units']:+,.0f} {esc(delta['unit_label'])}, "
                      f"{side['learners']:+,.0f} learners, {side['certificates']:+,.0f} certificates, "
                      f"{esc('-' if side['usd_per_year'] < 0 else '+')}${abs(side['usd_per_year']):,.0f}")
        console.print(f"      {esc(side['signal'])}")


@app.command("show")
def show(kpi_id: str = typer.Argument(..., metavar="ID", help="KPI id (see `pmdrill metrics list`)."),
         json_: bool = JsonOpt) -> None:
    """One KPI live: definition, value, monthly trend, segments, counter-metrics and the Delta Framework."""
    emit(metrics.show(app_ctx(), kpi_id), json_, _render_show)


@app.command("tree")
def tree(json_: bool = JsonOpt) -> None:
    """The metric tree from the North Star down to inputs, with live values and guardrails."""
    data = metrics.tree(app_ctx())

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]{esc(d['title'])}[/] (as of {esc(d['as_of'])})")
        console.print(f"North Star: {esc(d['north_star'])}")
        for line in d["lines"]:
            console.print(line, markup=False)

    emit(data, json_, render)
