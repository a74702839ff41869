"""The KPI library: the list, one KPI live (value, trend, segments, Delta Framework), the metric tree."""

from __future__ import annotations

from typing import Any

from pmdrill.context import Context
from pmdrill.core.items import split_id
from pmdrill.core.metrics.library import KINDS, SIDES
from pmdrill.errors import NotFoundError, UsageError


def _choice(value: str | None, allowed: tuple[str, ...], option: str) -> None:
    if value is not None and value not in allowed:
        raise UsageError(f"{value!r} is not one of {', '.join(allowed)}", where=option)


def kpi_id(value: str) -> str:
    kind, bare = split_id(value)
    if kind not in (None, "kpi"):
        raise NotFoundError(f"{value!r} is not a KPI id")
    return bare


def list_kpis(ctx: Context, *, kind: str | None = None, side: str | None = None) -> dict[str, Any]:
    """Every KPI (built-ins plus your own in <home>/kpis); no warehouse needed."""
    _choice(kind, KINDS, "--kind")
    _choice(side, SIDES, "--side")
    rows = [{**k.summary(), "definition": k.definition, "counter_metrics": list(k.counter_metrics),
             "use_instead": list(k.use_instead)} for k in ctx.kpi_library().select(kind, side)]
    return {"count": len(rows), "kpis": rows}


def show(ctx: Context, kpi: str) -> dict[str, Any]:
    """One KPI live: definition, value, monthly trend, segments, counter-metrics and the Delta Framework."""
    from pmdrill.adapters.metrics_eval import KpiEvaluator

    lib = ctx.kpi_library()
    k = lib.get(kpi_id(kpi))  # unknown ids fail before the warehouse is opened or built
    with KpiEvaluator.open(ctx.warehouse()) as ev:
        return ev.show(k, lib)


def tree(ctx: Context) -> dict[str, Any]:
    """The metric tree from the North Star down to inputs, with live values and guardrails."""
    from pmdrill.adapters.metrics_eval import KpiEvaluator
    from pmdrill.core.metrics.tree import load_tree

    lib = ctx.kpi_library()
    metric_tree = load_tree(lib)
    with KpiEvaluator.open(ctx.warehouse()) as ev:
        data = ev.tree_values(metric_tree, lib)
    data["lines"] = tree_lines(metric_tree, data)
    return data


def tree_lines(metric_tree: Any, data: dict[str, Any]) -> list[str]:
    """The tree as indented text lines with each node's live value (what the terminal shows)."""
    from pmdrill.core.metrics.tree import render_lines

    values = collect(data["root"])

    def label(kpi: str) -> str:
        v = values.get(kpi, {})
        return f"{v.get('name', kpi)} = {v.get('value_display', 'n/a')}"

    return list(render_lines(metric_tree, label))


def collect(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """kpi id -> live entry, from the nested tree (nodes and guardrails)."""
    out = {node["kpi"]: node["live"]} if "live" in node else {}
    for g in node["guardrails"]:
        if "live" in g:
            out[g["kpi"]] = g["live"]
    for child in node["children"]:
        out.update(collect(child))
    return out
