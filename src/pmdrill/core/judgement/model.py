"""Plain data of the case bank: cases, rubric dimensions, concepts, red flags, evidence, ranges.

Loaded from YAML by ``loader``; scored by ``score``. The format is documented in docs/cases-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The seven dimensions a hiring committee scores; every rubric draws from these names.
DIMENSIONS: tuple[str, ...] = (
    "learner_outcomes",   # anchored in learners becoming more capable, not in activity
    "structure",          # clarifies the goal, lays out steps or hypotheses, ends on a decision
    "metric_choice",      # a primary metric that proves the goal plus a counter-metric
    "tradeoffs",          # names what is given up and puts a number or size on it
    "segmentation",       # cuts by learner goal, enrollment type, platform, B2B vs consumer...
    "data_skepticism",    # instrumentation, sample ratio, novelty, seasonality, confounders
    "communication",      # reasoning connected by because/so/therefore, a clear recommendation
)
DIMENSION_TITLES: dict[str, str] = {
    "learner_outcomes": "Anchoring in learner outcomes",
    "structure": "Structure",
    "metric_choice": "Metric choice with counter-metrics",
    "tradeoffs": "Trade-offs quantified",
    "segmentation": "Segmentation",
    "data_skepticism": "Data skepticism",
    "communication": "Communication of logic",
    "estimate": "Final number in a plausible range",
}
KINDS: tuple[str, ...] = ("metric", "diagnosis", "tradeoff", "experiment", "critique", "flywheel",
                          "educator", "data_quality", "estimation")
STANCES: tuple[str, ...] = ("endorse", "reject", "any")
EXPERIMENTS: tuple[str, ...] = ("rec_model_v2", "streak_push", "early_paywall", "easier_quizzes",
                                "short_videos", "new_onboarding")


@dataclass(frozen=True)
class Concept:
    """One idea that earns credit, recognised by example phrasings (semantic) or regex patterns."""

    id: str
    label: str                       # what a strong answer says, shown in `missing`
    phrasings: tuple[str, ...] = ()  # example sentences; cosine similarity to any of them counts
    patterns: tuple[str, ...] = ()   # case-insensitive regexes; a hit counts too
    stance: str = "endorse"          # endorse: credit when proposed; reject: credit when rejected
    weight: float = 1.0
    generic: bool = False            # from the generic rubric (worth less inside a case)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "stance": self.stance, "weight": self.weight}


@dataclass(frozen=True)
class Dimension:
    """A rubric dimension of one case: its weight and the concepts that earn its credit."""

    name: str
    weight: float
    concepts: tuple[Concept, ...]
    need: float = 2.0                # concept credit that earns the full dimension (saturation)
    asked: bool = True               # the case lists it; an unasked dimension can only raise the score

    @property
    def title(self) -> str:
        return DIMENSION_TITLES.get(self.name, self.name)


@dataclass(frozen=True)
class RedFlag:
    """A mistake a committee marks down; fires when the answer *proposes* it (stance-aware)."""

    code: str
    message: str
    phrasings: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    penalty: float = 15.0            # points off the 0-100 score
    generic: bool = False


@dataclass(frozen=True)
class Evidence:
    """Where the warehouse shows the answer: a planted experiment and the SQL that reveals it."""

    note: str
    sql: str = ""
    experiment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"note": self.note, "sql": self.sql, "experiment": self.experiment}


@dataclass(frozen=True)
class NumericRange:
    """The plausible range of an estimation question's final number."""

    low: float
    high: float
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "unit": self.unit}


@dataclass(frozen=True)
class Case:
    """A case or estimation question with its rubric; ``path``/``line`` say where it was defined."""

    id: str
    title: str
    kind: str
    prompt: str
    dimensions: tuple[Dimension, ...]
    red_flags: tuple[RedFlag, ...] = ()
    model_answer: str = ""
    common_mistakes: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    pass_mark: float = 60.0
    difficulty: int = 2
    tags: tuple[str, ...] = ()
    range: NumericRange | None = None
    hints: tuple[str, ...] = ()
    path: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    @property
    def evidence_sql(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.sql.strip())

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "kind": self.kind, "difficulty": self.difficulty,
                "tags": list(self.tags)}

    def to_dict(self, *, model_answer: bool = False) -> dict[str, Any]:
        """The case as shown to a candidate; the model answer only on request."""
        out: dict[str, Any] = {
            **self.summary(),
            "prompt": self.prompt,
            "pass_mark": self.pass_mark,
            "rubric": [{"dimension": d.name, "title": d.title, "weight": d.weight} for d in self.dimensions],
            "hints": list(self.hints),
        }
        if self.range is not None:
            out["range_unit"] = self.range.unit
        if model_answer:
            out["model_answer"] = self.model_answer
            out["common_mistakes"] = list(self.common_mistakes)
            out["red_flags"] = [{"code": f.code, "message": f.message} for f in self.red_flags]
            out["evidence"] = [e.to_dict() for e in self.evidence]
            if self.range is not None:
                out["range"] = self.range.to_dict()
        return out
