"""Runs experiment metric SQL on the warehouse and hands per-variant aggregates to the core read-out.

Each metric's per-unit SQL is wrapped so DuckDB returns only sums per variant (and per segment).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from pmdrill.adapters.duckdb_store import open_warehouse, read_as_of
from pmdrill.core.experiments import definitions, readout, tradeoff
from pmdrill.core.experiments.definitions import LEARNER_SEGMENTS, Experiment, Metric
from pmdrill.core.experiments.stats import ArmStats, compare
from pmdrill.core.sqlcheck.clock import pin_clock_sql
from pmdrill.errors import SqlRuntimeError, WarehouseError

VARIANTS = ("control", "treatment")

# the assigned learners of one experiment, internal test accounts excluded; metric SQL reads this.
# window_end: the experiment's end, or the as-of moment while it still runs
ASSIGNED_SQL = """
SELECT a.learner_id, a.variant, a.assigned_at, e.started_at, e.ended_at,
       LEAST(COALESCE(e.ended_at, CURRENT_TIMESTAMP), CURRENT_TIMESTAMP) AS window_end
FROM experiment_assignments a
JOIN experiments e ON e.experiment_id = a.experiment_id
JOIN learners l ON l.learner_id = a.learner_id
WHERE e.name = $experiment AND NOT l.is_internal_test
"""


def pin_clock(sql: str, as_of: dt.date) -> str:
    """CURRENT_DATE / NOW() and kin become the as-of date (end of that day for timestamps)."""
    return pin_clock_sql(sql, as_of)


def _fill(sql: str, params: Mapping[str, float]) -> str:
    """Numeric template parameters ({horizon_months}); numbers only, so nothing can be injected."""
    def sub(m: re.Match[str]) -> str:
        value = params.get(m.group(1))
        if value is None:
            raise SqlRuntimeError(f"metric SQL needs parameter {{{m.group(1)}}}")
        return repr(float(value)) if not float(value).is_integer() else str(int(value))
    return re.sub(r"\{(\w+)\}", sub, sql)


def _arm(row: Mapping[str, Any]) -> ArmStats:
    return ArmStats(int(row["n"]), float(row["s"] or 0), float(row["ss"] or 0), float(row["ds"] or 0),
                    float(row["dss"] or 0), float(row["xs"] or 0))


class ExperimentEvaluator:
    """Evaluates experiments on one read-only connection (clock-pinned SQL is cached per process)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> None:
        self.con = con
        self.as_of = as_of or read_as_of(con)
        cols = con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'learners'").fetchall()
        self.learner_columns = {c[0] for c in cols}

    @classmethod
    def open(cls, path: Path) -> ExperimentEvaluator:
        return cls(open_warehouse(path))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ExperimentEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pin(self, sql: str) -> str:
        return pin_clock(sql, self.as_of)

    def rows(self, sql: str, params: Mapping[str, Any] | None = None, what: str = "SQL") -> list[dict[str, Any]]:
        """Run SQL whose clock words are already pinned (see ``pin``)."""
        try:
            cur = self.con.execute(sql, dict(params or {}))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        except duckdb.Error as exc:
            raise SqlRuntimeError(f"{what} failed: {exc}") from None

    def learner_segments(self, exp_def: Experiment) -> dict[str, str]:
        """The learner-level cuts this warehouse can make (signup_platform arrives with the generator)."""
        return {d: LEARNER_SEGMENTS[d] for d in exp_def.segments if d in LEARNER_SEGMENTS
                and (d != "signup_platform" or "signup_platform" in self.learner_columns)}

    def _grouped(self, body: str, dims: Mapping[str, str], aggregates: str, unit_cols: Iterable[str]) -> str:
        """One GROUPING SETS query: overall per variant plus per variant and value of each cut.

        ``gid`` has bit i set when cut i is rolled up, so the overall rows have every bit set.
        """
        sets = ", ".join(["(variant)"] + [f"(variant, {d})" for d in dims])
        grouping = " + ".join(f"GROUPING({d}) * {2 ** i}" for i, d in enumerate(dims)) or "0"
        cols = ", ".join([f"u.{c}" for c in unit_cols] + [f"{expr} AS {d}" for d, expr in dims.items()])
        return (f"WITH assigned AS ({self.pin(ASSIGNED_SQL)}), units AS ({self.pin(body)}), "
                f"cut AS (SELECT {cols} FROM units u LEFT JOIN learners l ON l.learner_id = u.learner_id) "
                f"SELECT variant, {', '.join([*dims, ''])}{grouping} AS gid, {aggregates} "
                f"FROM cut GROUP BY GROUPING SETS ({sets})")

    def _split(self, rows: list[dict[str, Any]], dims: Iterable[str],
               make: Any) -> tuple[dict[str, Any], dict[str, dict[str, dict[str, Any]]]]:
        """Rows of a GROUPING SETS query -> overall {variant: x} and {dim: {value: {variant: x}}}."""
        dims = list(dims)
        full = (2 ** len(dims)) - 1
        overall: dict[str, Any] = {}
        cuts: dict[str, dict[str, dict[str, Any]]] = {d: {} for d in dims}
        for r in rows:
            if r["gid"] == full:
                overall[r["variant"]] = make(r)
                continue
            for i, d in enumerate(dims):
                if not (r["gid"] >> i) & 1:
                    cuts[d].setdefault(str(r[d]), {})[r["variant"]] = make(r)
        return overall, cuts

    def assignment_counts(self, exp_def: Experiment) -> tuple[dict[str, int], dict[str, dict[str, dict[str, int]]]]:
        dims = self.learner_segments(exp_def)
        sql = self._grouped("SELECT * FROM assigned", dims, "COUNT(*) AS n", ("variant",))
        rows = self.rows(sql, {"experiment": exp_def.name}, f"{exp_def.name} assignments")
        return self._split(rows, dims, lambda r: int(r["n"]))

    def metric_arms(self, exp_def: Experiment, metric: Metric, segments: bool = False,
                    params: Mapping[str, float] | None = None,
                    ) -> tuple[dict[str, ArmStats], dict[str, dict[str, dict[str, ArmStats]]]]:
        """Per-variant sufficient statistics of one metric, optionally per segment value.

        A metric that declares its own segment columns (enrollment_type) returns one row per learner
        and segment value; the overall figures first add those rows up per learner, the unit.
        """
        body = _fill(metric.sql, {"horizon_months": 12, **(params or {})})
        den = ", SUM(denominator) AS denominator" if metric.kind == "ratio" else ""
        per_learner = (f"SELECT learner_id, variant, SUM(value) AS value{den} FROM ({body}) AS g "
                       "GROUP BY learner_id, variant") if metric.segments else body
        overall, cuts = self._aggregate(exp_def, metric, per_learner,
                                        self.learner_segments(exp_def) if segments else {})
        unit_dims = {d: f"CAST(u.{d} AS VARCHAR)" for d in metric.segments if d in exp_def.segments}
        if segments and unit_dims:
            cuts.update(self._aggregate(exp_def, metric, body, unit_dims)[1])
        return overall, cuts

    def _aggregate(self, exp_def: Experiment, metric: Metric, body: str, dims: Mapping[str, str],
                   ) -> tuple[dict[str, ArmStats], dict[str, dict[str, dict[str, ArmStats]]]]:
        value = "CAST(value AS DOUBLE)"
        den = "CAST(denominator AS DOUBLE)" if metric.kind == "ratio" else "0.0"
        aggregates = (f"COUNT(*) AS n, SUM({value}) AS s, SUM({value} * {value}) AS ss, SUM({den}) AS ds, "
                      f"SUM({den} * {den}) AS dss, SUM({value} * {den}) AS xs")
        unit_cols = ["variant", "value"] + (["denominator"] if metric.kind == "ratio" else [])
        sql = self._grouped(body, dims, aggregates, unit_cols)
        rows = self.rows(sql, {"experiment": exp_def.name}, f"{exp_def.name}.{metric.id}")
        return self._split(rows, dims, _arm)

    def readout(self, exp_def: Experiment) -> readout.Readout:
        counts, count_cuts = self.assignment_counts(exp_def)
        if not counts:
            raise WarehouseError(f"experiment {exp_def.name} has no assignments in this warehouse")
        arms: dict[str, tuple[ArmStats, ArmStats] | None] = {}
        segment_arms: dict[str, dict[str, tuple[ArmStats, ArmStats]]] = {}
        for metric in exp_def.metrics:
            is_primary = metric is exp_def.primary
            overall, cuts = self.metric_arms(exp_def, metric, segments=is_primary)
            arms[metric.id] = _pair(overall)
            if is_primary:
                segment_arms = {d: {v: p for v, by in values.items() if (p := _pair(by))}
                                for d, values in cuts.items()}
        return readout.build(exp_def, counts, arms, count_cuts, segment_arms)

    def listing(self) -> list[dict[str, Any]]:
        """Every catalogued experiment with its dates and assignment counts in this warehouse."""
        rows = self.rows("SELECT e.name, e.hypothesis, e.primary_metric, e.started_at, e.ended_at, "
                         "COUNT(l.learner_id) AS assigned FROM experiments e "
                         "LEFT JOIN experiment_assignments a ON a.experiment_id = e.experiment_id "
                         "LEFT JOIN learners l ON l.learner_id = a.learner_id AND NOT l.is_internal_test "
                         "GROUP BY ALL", None, "experiment list")
        in_db = {r["name"]: r for r in rows}
        out = []
        for name, e in sorted(definitions.catalog().items()):
            r = in_db.get(name, {})
            out.append({"name": name, "title": e.title, "unit": e.unit, "primary": e.primary.label,
                        "guardrails": [g.label for g in e.guardrails], "hypothesis": r.get("hypothesis"),
                        "started_at": r.get("started_at"), "ended_at": r.get("ended_at"),
                        "assigned": r.get("assigned", 0), "in_warehouse": name in in_db})
        return out


def _pair(by_variant: Mapping[str, ArmStats]) -> tuple[ArmStats, ArmStats] | None:
    if not all(v in by_variant for v in VARIANTS):
        return None
    return by_variant["control"], by_variant["treatment"]


def analyze(name: str, path: Path) -> readout.Readout:
    """The read-out of one catalogued experiment (unknown names raise NotFoundError listing the known)."""
    exp_def = definitions.get(name)
    with ExperimentEvaluator.open(path) as ev:
        return ev.readout(exp_def)


# defaults that cannot be measured in the warehouse, with the reason for each
ASSUMED: dict[str, tuple[float, str]] = {
    "acv_share": (0.5, "half the credit for a champion-sourced deal: the alumnus opens the door, "
                       "sales still has to close it"),
    "discount_rate": (0.10, "a common hurdle rate; referral and champion value arrive later than payments"),
}
# in the order of tradeoff.ArmOutcome's fields after n
TRADEOFF_METRICS = ("t_conversion", "t_payments", "t_completion", "t_certified", "t_referrals", "t_champion_acv")


def paywall_tradeoff(path: Path, *, horizon_months: int = 12,
                     overrides: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """The early_paywall trade-off: per-arm outcomes over the horizon, the value model, the break-even."""
    exp_def = definitions.get("early_paywall")
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    params = {"horizon_months": horizon_months}
    with ExperimentEvaluator.open(path) as ev:
        arms: dict[str, tuple[ArmStats, ArmStats]] = {}
        for metric_id in TRADEOFF_METRICS:
            pair = _pair(ev.metric_arms(exp_def, exp_def.metric(metric_id), params=params)[0])
            if pair is None or min(pair[0].n, pair[1].n) < 2:
                raise WarehouseError(f"too few early_paywall learners were assigned at least {horizon_months} "
                                     f"months before {ev.as_of}; try a shorter --horizon-months")
            arms[metric_id] = pair
        found: dict[str, tradeoff.Assumption] = {}
        for name, d in exp_def.derived.items():
            flag = "--" + name.removesuffix("_usd").replace("_", "-")
            if name in overrides:
                continue
            rows = ev.rows(ev.pin(_fill(d.sql, params)), None, f"early_paywall derived {name}")
            value, n = (rows[0]["value"], rows[0]["n"]) if rows else (None, 0)
            if value is None:
                raise WarehouseError(f"cannot derive {name} from this warehouse; set it with {flag}")
            found[name] = tradeoff.Assumption(name, float(value), "derived",
                                              d.how.format(n=n, horizon_months=horizon_months), flag)
        as_of = ev.as_of

    def assumption(name: str, flag: str, default: tuple[float, str] | None = None) -> tradeoff.Assumption:
        if name in overrides:
            return tradeoff.Assumption(name, float(overrides[name]), "flag", f"set by {flag}", flag)
        if name in found:
            return found[name]
        assert default is not None
        return tradeoff.Assumption(name, default[0], "assumed", default[1], flag)

    assumptions = tradeoff.Assumptions(
        referral_value=assumption("referral_value_usd", "--referral-value"),
        champion_rate=assumption("champion_rate", "--champion-rate"),
        enterprise_acv=assumption("enterprise_acv_usd", "--enterprise-acv"),
        acv_share=assumption("acv_share", "--acv-share", ASSUMED["acv_share"]),
        horizon_months=tradeoff.Assumption("horizon_months", float(horizon_months),
                                           "flag" if horizon_months != 12 else "assumed",
                                           "months of payments counted after assignment", "--horizon-months"),
        discount_rate=assumption("discount_rate", "--discount-rate", ASSUMED["discount_rate"]),
    )
    outcomes = [tradeoff.ArmOutcome(arms["t_payments"][i].n, *(arms[m][i].mean for m in TRADEOFF_METRICS))
                for i in (0, 1)]
    result = tradeoff.model(outcomes[0], outcomes[1], assumptions)
    evidence = [{"id": m, "label": exp_def.metric(m).label,
                 "comparison": compare(exp_def.metric(m).kind, *arms[m]).to_dict()} for m in TRADEOFF_METRICS]
    return {"experiment": exp_def.name, "as_of": as_of.isoformat(), **result.to_dict(), "evidence": evidence}
