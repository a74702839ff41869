"""Evaluate the KPI library live on the DuckDB warehouse, with the clock pinned to its as-of date.

The KPI SQL is trusted content, so it runs on a plain read-only connection (not the grading sandbox).
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import duckdb

from pmdrill.adapters.duckdb_store import open_warehouse, read_as_of
from pmdrill.core.metrics.delta import DeltaResult, compute_delta
from pmdrill.core.metrics.library import Amount, Kpi, Library, format_value
from pmdrill.core.metrics.sparkline import sparkline
from pmdrill.core.metrics.tree import MetricTree
from pmdrill.core.sqlcheck.clock import pin_clock_sql
from pmdrill.errors import SqlRuntimeError


def pin_clock(sql: str, as_of: dt.date) -> str:
    """CURRENT_DATE / NOW() and kin become the as-of date (end of that day for timestamps)."""
    return pin_clock_sql(sql, as_of)


def _plain(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat()[:7] if v.day == 1 and v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()[:7] if v.day == 1 else v.isoformat()
    return v


class KpiEvaluator:
    """Runs a KPI's SQL pieces on one connection; pinned SQL is cached per text."""

    def __init__(self, con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> None:
        self.con = con
        self.as_of = as_of or read_as_of(con)
        self._pinned: dict[str, str] = {}

    @classmethod
    def open(cls, path: Path) -> KpiEvaluator:
        return cls(open_warehouse(path))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> KpiEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self, sql: str, what: str = "KPI SQL") -> list[dict[str, Any]]:
        pinned = self._pinned.get(sql)
        if pinned is None:
            pinned = self._pinned[sql] = pin_clock(sql, self.as_of)
        try:
            cur = self.con.execute(pinned)
            names = [d[0] for d in cur.description]
            return [{n: _plain(v) for n, v in zip(names, r, strict=True)} for r in cur.fetchall()]
        except duckdb.Error as exc:
            raise SqlRuntimeError(f"{what} failed: {exc}") from None

    def scalar(self, sql: str, what: str = "KPI SQL") -> float | None:
        rows = self.rows(sql, what)
        if len(rows) != 1 or "value" not in rows[0]:
            raise SqlRuntimeError(f"{what} must return one row with a 'value' column, got {len(rows)} rows")
        v = rows[0]["value"]
        return None if v is None else float(v)

    def value(self, kpi: Kpi) -> float | None:
        return self.scalar(kpi.sql, f"{kpi.id}.sql")

    def trend(self, kpi: Kpi) -> list[dict[str, Any]]:
        rows = self.rows(kpi.trend_sql, f"{kpi.id}.trend_sql")
        return [{"month": str(r["month"])[:7], "value": None if r["value"] is None else float(r["value"])}
                for r in sorted(rows, key=lambda r: str(r["month"]))]

    def segments(self, kpi: Kpi) -> list[dict[str, Any]]:
        out = []
        for seg in kpi.segments:
            rows = self.rows(seg.sql, f"{kpi.id}.segments[{seg.dimension}]")
            out.append({"dimension": seg.dimension,
                        "rows": [{"segment": "(none)" if r["segment"] is None else str(r["segment"]),
                                  "value": None if r["value"] is None else float(r["value"]),
                                  "n": int(r["n"] or 0)} for r in rows]})
        return out

    def amount(self, amount: Amount | None, what: str, default: float) -> float:
        if amount is None:
            return default
        if amount.assumption is not None:
            return amount.assumption
        v = self.scalar(amount.sql or "", what)
        return default if v is None else v

    def delta(self, kpi: Kpi, value: float | None) -> DeltaResult | None:
        """The Delta Framework measured on the data; None when the KPI has no value."""
        if value is None:
            return None
        d = kpi.delta
        return compute_delta(
            value, self.amount(d.base_population, f"{kpi.id}.delta.base_population", 0.0),
            self.amount(d.usd_per_unit, f"{kpi.id}.delta.usd_per_unit", 0.0),
            certificates_per_unit=self.amount(d.certificates_per_unit,
                                              f"{kpi.id}.delta.certificates_per_unit", 0.0),
            learners_per_unit=self.amount(d.learners_per_unit, f"{kpi.id}.delta.learners_per_unit", 1.0),
            direction=kpi.direction, unit_label=d.unit_label, signal_up=d.up, signal_down=d.down)

    def show(self, kpi: Kpi, library: Library) -> dict[str, Any]:
        """Everything `metrics show` prints: definition, live value, trend, segments, delta."""
        value = self.value(kpi)
        trend = self.trend(kpi)
        delta = self.delta(kpi, value)
        return {**kpi.to_dict(), "as_of": self.as_of.isoformat(), "value": value,
                "value_display": format_value(value, kpi.unit), "trend": trend,
                "sparkline": sparkline([t["value"] for t in trend]), "segment_cuts": self.segments(kpi),
                "counter_metric_names": {c: library.get(c).name for c in kpi.counter_metrics},
                "use_instead_names": {c: library.get(c).name for c in kpi.use_instead},
                "delta_result": delta.to_dict() if delta else None,
                "delta_assumptions": {
                    "base_population": kpi.delta.base_population.label,
                    "usd_per_unit": kpi.delta.usd_per_unit.label,
                    "certificates_per_unit": kpi.delta.certificates_per_unit.label
                    if kpi.delta.certificates_per_unit else None}}

    def tree_values(self, tree: MetricTree, library: Library) -> dict[str, Any]:
        """The tree with each node's live value (no trends: the tree is the one-screen view)."""
        values = {}
        for kpi_id in sorted(tree.root.kpi_ids()):
            kpi = library.get(kpi_id)
            v = self.value(kpi)
            values[kpi_id] = {"name": kpi.name, "kind": kpi.kind, "unit": kpi.unit, "value": v,
                              "value_display": format_value(v, kpi.unit)}
        return {"as_of": self.as_of.isoformat(), **tree.to_dict(values)}
