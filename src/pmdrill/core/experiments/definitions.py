"""The experiment catalog: one YAML file per experiment under content/experiments, loaded and validated.

Each metric is SQL over the `assigned` relation returning one row per unit: learner_id, variant, value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from pmdrill.core.experiments.stats import KINDS
from pmdrill.errors import ContentError, NotFoundError

# learner-level cuts the evaluator joins from `learners`; any other segment must be a column the
# metric SQL returns itself (enrollment_type for enrollment-level metrics)
LEARNER_SEGMENTS: dict[str, str] = {
    "signup_platform": "COALESCE(CAST(l.signup_platform AS VARCHAR), 'unknown')",
    "learner_goal": "COALESCE(l.learner_goal, 'unknown')",
    "acquisition_channel": "l.acquisition_channel",
}
BETTER = ("higher", "lower", "neither")
DISPLAYS = ("percent", "number", "usd")


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    kind: str
    sql: str
    better: str = "higher"
    display: str = "number"
    segments: tuple[str, ...] = ()  # per-unit segment columns the SQL returns (enrollment_type)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "kind": self.kind, "better": self.better,
                "display": self.display, "sql": self.sql}


@dataclass(frozen=True)
class Derived:
    """A model default measured on the warehouse: SQL returning one row with `value` and `n`."""

    name: str
    sql: str
    how: str  # a sentence with {n} (and {horizon_months}) saying what was measured

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sql": self.sql, "how": self.how}


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    unit: str
    split: dict[str, float]
    primary: Metric
    guardrails: tuple[Metric, ...]
    segments: tuple[str, ...]
    decision_notes: str
    path: str
    extras: dict[str, Metric] = field(default_factory=dict)  # metrics other models read (tradeoff)
    derived: dict[str, Derived] = field(default_factory=dict)  # tradeoff defaults measured on the warehouse

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return (self.primary, *self.guardrails)

    def metric(self, metric_id: str) -> Metric:
        for m in (*self.metrics, *self.extras.values()):
            if m.id == metric_id:
                return m
        raise NotFoundError(f"experiment {self.name} has no metric {metric_id!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "unit": self.unit, "split": self.split,
                "primary": self.primary.to_dict(), "guardrails": [g.to_dict() for g in self.guardrails],
                "segments": list(self.segments), "decision_notes": self.decision_notes}


class _Loader(yaml.SafeLoader):
    """Records the line of every mapping so errors can point into the file."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        out = super().construct_mapping(node, deep=True)
        out["__line__"] = node.start_mark.line + 1
        return out


def _metric(raw: Any, path: str, where: str) -> Metric:
    if not isinstance(raw, dict):
        raise ContentError(f"{where} must be a mapping", path=path)
    line = raw.get("__line__")
    for key in ("id", "label", "kind", "sql"):
        if not raw.get(key):
            raise ContentError(f"{where} needs {key!r}", path=path, line=line)
    if raw["kind"] not in KINDS:
        raise ContentError(f"{where}: kind {raw['kind']!r} is not one of {', '.join(KINDS)}", path=path, line=line)
    better = raw.get("better", "higher")
    display = raw.get("display", "percent" if raw["kind"] != "mean" else "number")
    if better not in BETTER or display not in DISPLAYS:
        raise ContentError(f"{where}: better must be one of {BETTER}, display one of {DISPLAYS}",
                           path=path, line=line)
    return Metric(str(raw["id"]), str(raw["label"]), raw["kind"], str(raw["sql"]), better, display,
                  tuple(raw.get("segments", ())))


def _derived(raw: dict[str, Any], path: str) -> dict[str, Derived]:
    out = {}
    for name, entry in raw.items():
        if name == "__line__":
            continue
        if not isinstance(entry, dict) or not entry.get("sql") or not entry.get("how"):
            raise ContentError(f"derived {name!r} needs sql and how", path=path, line=raw.get("__line__"))
        out[name] = Derived(name, str(entry["sql"]), str(entry["how"]).strip())
    return out


def parse(text: str, path: str) -> Experiment:
    """One experiment from YAML text; every problem is a ContentError naming file and line."""
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(f"invalid YAML: {exc}", path=path, line=mark.line + 1 if mark else None) from None
    if not isinstance(raw, dict):
        raise ContentError("an experiment file is a mapping", path=path)
    line = raw.get("__line__")
    for key in ("name", "unit", "primary"):
        if not raw.get(key):
            raise ContentError(f"missing {key!r}", path=path, line=line)
    split = {k: float(v) for k, v in (raw.get("split") or {"control": 0.5, "treatment": 0.5}).items()
             if k != "__line__"}
    if set(split) != {"control", "treatment"} or not math.isclose(sum(split.values()), 1.0, abs_tol=1e-6):
        raise ContentError("split needs control and treatment shares summing to 1", path=path, line=line)
    guardrails = tuple(_metric(g, path, f"guardrail {i + 1}") for i, g in enumerate(raw.get("guardrails") or ()))
    extras = {m.id: m for m in (_metric(e, path, "extra metric") for e in raw.get("extras") or ())}
    exp = Experiment(
        name=str(raw["name"]), title=str(raw.get("title", raw["name"])), unit=str(raw["unit"]), split=split,
        primary=_metric(raw["primary"], path, "primary"), guardrails=guardrails,
        segments=tuple(raw.get("segments") or ()), decision_notes=str(raw.get("decision_notes", "")).strip(),
        path=path, extras=extras,
        derived=_derived(raw.get("derived") or {}, path),
    )
    ids = [m.id for m in (*exp.metrics, *extras.values())]
    if len(ids) != len(set(ids)):
        raise ContentError("metric ids must be unique within an experiment", path=path, line=line)
    for seg in exp.segments:
        if seg not in LEARNER_SEGMENTS and seg not in exp.primary.segments:
            raise ContentError(f"segment {seg!r} is neither a learner cut ({', '.join(LEARNER_SEGMENTS)}) "
                               "nor a column the primary metric declares", path=path, line=line)
    for m in (*exp.metrics, *extras.values()):
        # rows per learner and segment value are added up per learner: only sums can be
        if m.segments and m.kind == "proportion":
            raise ContentError(f"metric {m.id}: a proportion cannot declare per-unit segments", path=path, line=line)
    return exp


@cache
def catalog() -> dict[str, Experiment]:
    """Every built-in experiment, by name."""
    out: dict[str, Experiment] = {}
    folder = resources.files("pmdrill.content").joinpath("experiments")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith((".yaml", ".yml")):
            exp = parse(entry.read_text(), f"content/experiments/{entry.name}")
            out[exp.name] = exp
    return out


def get(name: str) -> Experiment:
    """The experiment called ``name``; an unknown name lists the known ones."""
    known = catalog()
    if name not in known:
        raise NotFoundError(f"unknown experiment {name!r}; known: {', '.join(sorted(known))}")
    return known[name]
