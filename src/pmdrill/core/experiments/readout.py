"""Turns per-variant aggregates into an experiment read-out: SRM first, primary, guardrails, decision.

The read-out is plain data (``Readout.to_dict()``) plus the sentences a candidate would say in a debrief.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pmdrill.core.experiments.definitions import Experiment, Metric
from pmdrill.core.experiments.stats import ArmStats, Comparison, SrmResult, compare, srm_test
from pmdrill.errors import StatsError

ALPHA = 0.05
SRM_ALPHA = 0.001  # the usual SRM threshold: assignment bugs, not chance, produce p-values this small
# a guardrail whose interval still allows a harm this large (relative) has not been checked, only not failed
MATERIAL_HARM = 0.10

Arms = tuple[ArmStats, ArmStats]  # (control, treatment)


@dataclass(frozen=True)
class MetricResult:
    metric: Metric
    role: str                       # 'primary' | 'guardrail'
    comparison: Comparison | None
    note: str = ""                  # why there is no comparison (too few units)

    @property
    def direction(self) -> str:
        """'up', 'down' or 'flat' at ALPHA: flat means the interval includes no change."""
        c = self.comparison
        if c is None or not c.p_value < ALPHA:
            return "flat"
        return "up" if c.diff > 0 else "down"

    @property
    def possible_harm(self) -> float | None:
        """The worst relative change the interval allows in the bad direction, if beyond MATERIAL_HARM."""
        c = self.comparison
        if c is None or c.lift_ci is None or self.verdict != "no detectable change":
            return None
        worst = c.lift_ci[0] if self.metric.better == "higher" else c.lift_ci[1]
        return worst if abs(worst) > MATERIAL_HARM and (worst < 0) == (self.metric.better == "higher") else None

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'no detectable change' for the business, given which way is good."""
        if self.direction == "flat" or self.metric.better == "neither":
            return "no detectable change" if self.direction == "flat" else "changed"
        good = (self.direction == "up") == (self.metric.better == "higher")
        return "better" if good else "worse"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.metric.id, "label": self.metric.label, "role": self.role, "kind": self.metric.kind,
                "better": self.metric.better, "display": self.metric.display, "direction": self.direction, "verdict": self.verdict,
                "possible_harm": self.possible_harm,
                "comparison": self.comparison.to_dict() if self.comparison else None, "note": self.note}


@dataclass(frozen=True)
class SegmentCut:
    dimension: str
    value: str
    srm: SrmResult
    primary: Comparison | None

    def to_dict(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "value": self.value, "srm": self.srm.to_dict(),
                "primary": self.primary.to_dict() if self.primary else None}


@dataclass(frozen=True)
class Readout:
    experiment: Experiment
    srm: SrmResult
    primary: MetricResult
    guardrails: tuple[MetricResult, ...]
    segments: tuple[SegmentCut, ...]
    imbalance: tuple[SegmentCut, ...]   # segments whose own SRM test fails: where the bug lives
    decision: str                       # 'invalid' | 'ship' | 'not yet' | 'trade-off' | 'do not ship' | 'no effect'
    lines: tuple[str, ...] = field(default_factory=tuple)

    @property
    def trustworthy(self) -> bool:
        return self.decision != "invalid"

    def to_dict(self) -> dict[str, Any]:
        return {"experiment": self.experiment.name, "title": self.experiment.title, "unit": self.experiment.unit,
                "primary_display": self.experiment.primary.display,
                "srm": self.srm.to_dict(), "trustworthy": self.trustworthy, "decision": self.decision,
                "primary": self.primary.to_dict(), "guardrails": [g.to_dict() for g in self.guardrails],
                "segments": [s.to_dict() for s in self.segments],
                "imbalance": [s.to_dict() for s in self.imbalance],
                "segment_srm_threshold": segment_srm_threshold(self.segments), "readout": list(self.lines)}


def fmt_value(value: float, display: str) -> str:
    if display == "percent":
        return f"{value:.2%}"
    if display == "usd":
        return f"${value:,.2f}"
    return f"{value:,.3f}"


def fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def describe(metric: Metric, c: Comparison) -> str:
    """One sentence with the size, its interval and the test: never 'significant' without the size."""
    values = f"{fmt_value(c.treatment, metric.display)} vs {fmt_value(c.control, metric.display)}"
    conf = f"{c.confidence:.0%}"
    if c.lift is not None and c.lift_ci is not None:
        size = f"{c.lift:+.1%} relative ({conf} CI {c.lift_ci[0]:+.1%} to {c.lift_ci[1]:+.1%})"
    else:
        lo, hi = c.diff_ci
        size = (f"difference {fmt_value(c.diff, metric.display)} ({conf} CI {fmt_value(lo, metric.display)} "
                f"to {fmt_value(hi, metric.display)})")
    return f"{metric.label}: {values} (treatment vs control), {size}; {c.test}, {fmt_p(c.p_value)}"


def _result(metric: Metric, role: str, arms: Arms | None) -> MetricResult:
    if arms is None:
        return MetricResult(metric, role, None, "no units in one of the arms")
    try:
        return MetricResult(metric, role, compare(metric.kind, *arms))
    except (StatsError, ZeroDivisionError) as exc:
        return MetricResult(metric, role, None, str(exc))


def _segment_cuts(exp: Experiment, counts: Mapping[str, Mapping[str, Mapping[str, int]]],
                  arms: Mapping[str, Mapping[str, Arms]]) -> tuple[SegmentCut, ...]:
    cuts = []
    for dim in exp.segments:
        for value in sorted(set(counts.get(dim, {})) | set(arms.get(dim, {}))):
            srm = srm_test(counts.get(dim, {}).get(value, {}), exp.split)
            pair = arms.get(dim, {}).get(value)
            try:
                primary = compare(exp.primary.kind, *pair) if pair else None
            except (StatsError, ZeroDivisionError):
                primary = None
            cuts.append(SegmentCut(dim, value, srm, primary))
    return tuple(cuts)


def segment_srm_threshold(segments: tuple[SegmentCut, ...]) -> float:
    """SRM_ALPHA shared over the segment cells tested (Bonferroni): many cells, one family-wise alarm."""
    tested = sum(1 for s in segments if not math.isnan(s.srm.p_value))
    return SRM_ALPHA / max(tested, 1)


def _decision(srm: SrmResult, imbalance: tuple[SegmentCut, ...], primary: MetricResult,
              guardrails: tuple[MetricResult, ...]) -> str:
    # a mismatch confined to one segment breaks the experiment as surely as an overall one; at small
    # samples only the segment test has the power to see it
    if srm.p_value < SRM_ALPHA or imbalance:
        return "invalid"
    worse = [g for g in guardrails if g.verdict == "worse"]
    if primary.verdict == "better":
        if worse:
            return "trade-off"
        return "not yet" if any(g.possible_harm is not None for g in guardrails) else "ship"
    if primary.verdict == "worse":
        return "do not ship"
    return "no effect"


def build(exp: Experiment, assignment_counts: Mapping[str, int], metric_arms: Mapping[str, Arms | None],
          segment_counts: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
          segment_arms: Mapping[str, Mapping[str, Arms]] | None = None) -> Readout:
    """The read-out from aggregates: assignment counts, per-metric arms, per-segment counts and arms."""
    srm = srm_test(assignment_counts, exp.split)
    primary = _result(exp.primary, "primary", metric_arms.get(exp.primary.id))
    guardrails = tuple(_result(g, "guardrail", metric_arms.get(g.id)) for g in exp.guardrails)
    segments = _segment_cuts(exp, segment_counts or {}, segment_arms or {})
    threshold = segment_srm_threshold(segments)
    imbalance = tuple(sorted((s for s in segments if s.srm.p_value < threshold), key=lambda s: s.srm.p_value))
    decision = _decision(srm, imbalance, primary, guardrails)
    lines = _lines(exp, srm, primary, guardrails, segments, imbalance, decision)
    return Readout(exp, srm, primary, guardrails, segments, imbalance, decision, lines)


def _share_text(srm: SrmResult) -> str:
    t = srm.observed_share.get("treatment", math.nan)
    return (f"treatment holds {t:.1%} of {sum(srm.counts.values()):,} assignments "
            f"(intended {srm.expected_share['treatment']:.0%})")


def _lines(exp: Experiment, srm: SrmResult, primary: MetricResult, guardrails: tuple[MetricResult, ...],
           segments: tuple[SegmentCut, ...], imbalance: tuple[SegmentCut, ...], decision: str) -> tuple[str, ...]:
    out: list[str] = []
    if decision == "invalid":
        if srm.p_value < SRM_ALPHA:
            out.append(f"Sample ratio mismatch: {_share_text(srm)}; {srm.test}, chi2 = {srm.chi2:.1f}, "
                       f"{fmt_p(srm.p_value)}. The results cannot be trusted until the assignment bug is found.")
        else:
            out.append(f"Sample ratio mismatch inside a segment: overall {_share_text(srm)} ({fmt_p(srm.p_value)}, "
                       f"too few assignments for the overall test to cross {SRM_ALPHA}), but one segment fails its "
                       f"own test below {SRM_ALPHA} / {round(SRM_ALPHA / segment_srm_threshold(segments))} cells. "
                       "The results cannot be trusted until the assignment bug is found.")
        # the cut with the smallest SRM p-value names the dimension; its other values are the contrast
        where = imbalance[0].dimension if imbalance else None
        for cut in (c for c in imbalance if c.dimension == where):
            out.append(f"The imbalance lives in {cut.dimension} = {cut.value}: {_share_text(cut.srm)}, "
                       f"{fmt_p(cut.srm.p_value)}.")
        balanced = [s for s in segments if s.dimension == where and s not in imbalance and s.primary is not None]
        for cut in balanced[:3]:
            assert cut.primary is not None
            out.append(f"Where assignment is balanced ({cut.dimension} = {cut.value}, {fmt_p(cut.srm.p_value)}), "
                       f"{describe(exp.primary, cut.primary)}.")
    else:
        out.append(f"Assignment looks healthy: {_share_text(srm)}; {srm.test} {fmt_p(srm.p_value)} "
                   f"(threshold {SRM_ALPHA}).")
    naive = " (naive: not to be trusted while the split is broken)" if decision == "invalid" else ""
    if primary.comparison:
        out.append(f"Primary{naive} — {describe(exp.primary, primary.comparison)}: {primary.verdict}.")
    else:
        out.append(f"Primary — {exp.primary.label}: not computable ({primary.note}).")
    for g in guardrails:
        if g.comparison:
            out.append(f"Guardrail — {describe(g.metric, g.comparison)}: {g.verdict}.")
        else:
            out.append(f"Guardrail — {g.metric.label}: not computable ({g.note}).")
    out.append(_decision_sentence(primary, guardrails, decision))
    if exp.decision_notes:
        out.append(exp.decision_notes)
    if segments:
        out.append("Segment cuts are exploratory: many comparisons, no correction; read them as where to look.")
    return tuple(line for line in out if line)


def _decision_sentence(primary: MetricResult, guardrails: tuple[MetricResult, ...], decision: str) -> str:
    label = primary.metric.label
    worse = ", ".join(g.metric.label for g in guardrails if g.verdict == "worse")
    if decision == "invalid":
        return ("Decision: no decision. Fix the assignment (or analyse only the balanced segment and say so), "
                "then rerun; a lift measured on a broken split is not evidence.")
    if decision == "ship":
        return f"Decision: ship. {label} improved and no guardrail got worse."
    if decision == "not yet":
        open_ = "; ".join(f"{g.metric.label} could still be down by as much as {abs(g.possible_harm or 0):.0%}"
                          for g in guardrails if g.possible_harm is not None)
        return (f"Decision: not yet. {label} improved and no guardrail got measurably worse, but {open_}: "
                "absence of evidence is not evidence of absence. Run longer, or judge on those metrics directly.")
    if decision == "trade-off":
        return (f"Decision: do not ship as is. {label} improved, but it was paid for with worse {worse}; "
                "ship only if the gain is worth that cost, and size both in the same unit (users or dollars).")
    if decision == "do not ship":
        return f"Decision: do not ship. {label} got worse."
    c = primary.comparison
    bound = ""
    if c is not None and c.lift_ci is not None:
        bound = f" The data rule out effects outside {c.lift_ci[0]:+.1%} to {c.lift_ci[1]:+.1%}."
    extra = f" Meanwhile {worse} got worse." if worse else ""
    return f"Decision: no detectable effect on {label}.{bound}{extra}"
