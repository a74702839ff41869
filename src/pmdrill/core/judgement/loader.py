"""Load and validate the case and estimation banks (YAML); every error names its file and line.

Files whose name starts with ``_`` are not cases: ``cases/_generic.yaml`` is the generic rubric.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pmdrill.core.judgement.model import (
    DIMENSIONS,
    EXPERIMENTS,
    KINDS,
    STANCES,
    Case,
    Concept,
    Dimension,
    Evidence,
    NumericRange,
    RedFlag,
)
from pmdrill.errors import ContentError, NotFoundError

CONTENT = Path(__file__).resolve().parents[2] / "content"
CASE_DIRS: tuple[Path, ...] = (CONTENT / "cases", CONTENT / "estimation")
GENERIC_FILE = CONTENT / "cases" / "_generic.yaml"
UNLISTED_WEIGHT = 0.5
ENDORSE_DIMENSIONS = ("metric_choice", "learner_outcomes")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CONCEPT_ID = re.compile(r"^[a-z0-9_]+$")

_CASE_KEYS = {"id", "title", "kind", "prompt", "rubric", "red_flags", "generic_red_flags", "model_answer",
              "common_mistakes", "evidence", "pass_mark", "difficulty", "tags", "range", "hints"}
_DIM_KEYS = {"weight", "need", "concepts", "generic_concepts"}
_CONCEPT_KEYS = {"id", "label", "phrasings", "patterns", "stance", "weight"}
_FLAG_KEYS = {"code", "message", "phrasings", "patterns", "penalty"}
_EVIDENCE_KEYS = {"note", "sql", "experiment"}
_RANGE_KEYS = {"low", "high", "unit", "weight"}


class _Map(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    out = _Map(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    out.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)  # type: ignore[arg-type]


class _Ctx:
    """Where we are while validating: the file, for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def fail(self, message: str, node: Any = None, key: str | None = None) -> ContentError:
        line = None
        if isinstance(node, _Map):
            line = node.key_lines.get(key, node.line) if key else node.line
        return ContentError(message, path=self.path, line=line)

    def mapping(self, node: Any, allowed: set[str], what: str, parent: Any = None,
                key: str | None = None) -> _Map:
        if not isinstance(node, _Map):
            raise self.fail(f"{what} must be a mapping", parent, key)
        unknown = sorted(set(map(str, node)) - allowed)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r} in {what} (allowed: {', '.join(sorted(allowed))})",
                            node, unknown[0])
        return node

    def text(self, node: _Map, key: str, what: str, required: bool = True, default: str = "") -> str:
        value = node.get(key)
        if value is None:
            if required:
                raise self.fail(f"{what} needs {key!r}", node)
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{what}: {key!r} must be non-empty text", node, key)
        return value.strip()

    def number(self, node: _Map, key: str, what: str, default: float, low: float, high: float) -> float:
        value = node.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.fail(f"{what}: {key!r} must be a number in [{low}, {high}]", node, key)
        return float(value)

    def texts(self, node: _Map, key: str, what: str) -> tuple[str, ...]:
        value = node.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{what}: {key!r} must be a list of non-empty texts", node, key)
        for i, v in enumerate(value, 1):
            if isinstance(v, dict):
                raise self.fail(f"{what}: {key!r} item {i} was read as a mapping: quote a text that contains "
                                f"': ' (a colon and a space)", v if isinstance(v, _Map) else node, None if
                                isinstance(v, _Map) else key)
            if not isinstance(v, str) or not v.strip():
                raise self.fail(f"{what}: {key!r} item {i} must be a non-empty text", node, key)
        return tuple(v.strip() for v in value)

    def patterns(self, node: _Map, what: str) -> tuple[str, ...]:
        pats = self.texts(node, "patterns", what)
        for p in pats:
            try:
                re.compile(p, re.IGNORECASE)
            except re.error as exc:
                raise self.fail(f"{what}: pattern {p!r} is not a valid regex ({exc})", node, "patterns") from None
        return pats


def _concept(ctx: _Ctx, node: Any, dim: str, generic: bool) -> Concept:
    where = f"dimension {dim!r}"
    node = ctx.mapping(node, _CONCEPT_KEYS, f"concept in {where}")
    cid = ctx.text(node, "id", f"concept in {where}")
    what = f"concept {cid!r}"
    if not _CONCEPT_ID.match(cid):
        raise ctx.fail(f"{what}: id must be lower_snake_case", node, "id")
    # proposing is what counts for metrics and outcomes; elsewhere naming the idea counts either way
    stance = node.get("stance", "endorse" if dim in ENDORSE_DIMENSIONS else "any")
    if stance not in STANCES:
        raise ctx.fail(f"{what}: stance must be one of {', '.join(STANCES)}", node, "stance")
    concept = Concept(id=cid, label=ctx.text(node, "label", what), phrasings=ctx.texts(node, "phrasings", what),
                      patterns=ctx.patterns(node, what), stance=stance,
                      weight=ctx.number(node, "weight", what, 1.0, 0.1, 3.0), generic=generic)
    if not concept.phrasings and not concept.patterns:
        raise ctx.fail(f"{what} needs at least one of 'phrasings' or 'patterns'", node)
    return concept


def _dimensions(ctx: _Ctx, node: Any, parent: _Map, generic: bool) -> dict[str, Dimension]:
    if not isinstance(node, _Map):
        raise ctx.fail("'rubric' must be a mapping of dimension name -> {weight, need, concepts}", parent, "rubric")
    dims: dict[str, Dimension] = {}
    for name, spec in node.items():
        if name not in DIMENSIONS:
            raise ctx.fail(f"unknown dimension {name!r} (one of: {', '.join(DIMENSIONS)})", node, name)
        spec = ctx.mapping(spec, _DIM_KEYS, f"dimension {name!r}", node, name)
        raw = spec.get("concepts", [])
        if not isinstance(raw, list):
            raise ctx.fail(f"dimension {name!r}: 'concepts' must be a list", spec, "concepts")
        concepts = tuple(_concept(ctx, c, name, generic) for c in raw)
        ids = [c.id for c in concepts]
        if len(set(ids)) != len(ids):
            raise ctx.fail(f"dimension {name!r}: duplicate concept id", spec, "concepts")
        dims[name] = Dimension(name=name, weight=ctx.number(spec, "weight", f"dimension {name!r}", 1.0, 0.0, 5.0),
                               concepts=concepts,
                               need=ctx.number(spec, "need", f"dimension {name!r}", 2.0, 0.5, 6.0))
    return dims


def _red_flags(ctx: _Ctx, node: _Map, generic: bool) -> tuple[RedFlag, ...]:
    raw = node.get("red_flags", [])
    if not isinstance(raw, list):
        raise ctx.fail("'red_flags' must be a list", node, "red_flags")
    flags = []
    for item in raw:
        item = ctx.mapping(item, _FLAG_KEYS, "red flag", node, "red_flags")
        code = ctx.text(item, "code", "red flag")
        if not _CONCEPT_ID.match(code):
            raise ctx.fail(f"red flag {code!r}: code must be lower_snake_case", item, "code")
        flag = RedFlag(code=code, message=ctx.text(item, "message", f"red flag {code!r}"),
                       phrasings=ctx.texts(item, "phrasings", f"red flag {code!r}"),
                       patterns=ctx.patterns(item, f"red flag {code!r}"),
                       penalty=ctx.number(item, "penalty", f"red flag {code!r}", 15.0, 0.0, 60.0), generic=generic)
        if not flag.phrasings and not flag.patterns:
            raise ctx.fail(f"red flag {code!r} needs at least one of 'phrasings' or 'patterns'", item)
        flags.append(flag)
    return tuple(flags)


def _read(path: Path) -> tuple[_Ctx, _Map]:
    ctx = _Ctx(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ContentError(f"invalid YAML: {exc.problem}", path=str(path),
                           line=mark.line + 1 if mark else None) from None
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", path=str(path)) from None
    if not isinstance(data, _Map):
        raise ContentError("a case file must hold one mapping", path=str(path), line=1)
    return ctx, data


@lru_cache(maxsize=4)
def load_generic(path: Path = GENERIC_FILE) -> tuple[dict[str, Dimension], tuple[RedFlag, ...]]:
    """The generic rubric: every dimension's generic concepts, and the generic EdTech red flags."""
    ctx, data = _read(path)
    ctx.mapping(data, {"rubric", "red_flags"}, "the generic rubric")
    dims = _dimensions(ctx, data.get("rubric"), data, generic=True)
    missing = [d for d in DIMENSIONS if d not in dims]
    if missing:
        raise ctx.fail(f"the generic rubric lacks dimension {missing[0]!r}", data, "rubric")
    return dims, _red_flags(ctx, data, generic=True)


def _merge(case_dims: dict[str, Dimension], generic: dict[str, Dimension]) -> tuple[Dimension, ...]:
    """All seven dimensions: the case's concepts first, the generic ones after (worth less)."""
    out = []
    for name in DIMENSIONS:
        g = generic[name]
        d = case_dims.get(name)
        if d is None:
            # a dimension the case does not ask about is extra credit, at half its generic weight
            out.append(Dimension(name=name, weight=g.weight * UNLISTED_WEIGHT, concepts=g.concepts, need=g.need,
                                 asked=False))
        elif d.weight > 0:
            extra = tuple(c for c in g.concepts if c.id not in {x.id for x in d.concepts})
            out.append(Dimension(name=name, weight=d.weight, concepts=d.concepts + extra, need=d.need))
    return tuple(out)


def load_case(path: Path, generic: tuple[dict[str, Dimension], tuple[RedFlag, ...]] | None = None) -> Case:
    """Parse and validate one case file; raises ContentError naming the file and line."""
    gdims, gflags = generic or load_generic()
    ctx, data = _read(path)
    ctx.mapping(data, _CASE_KEYS, "a case")
    cid = ctx.text(data, "id", "a case")
    if not _ID.match(cid):
        raise ctx.fail("id must be lower-kebab-case (a-z, 0-9, -)", data, "id")
    if path.stem != cid:
        raise ctx.fail(f"id {cid!r} must match the file name {path.name!r}", data, "id")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ctx.fail(f"kind must be one of {', '.join(KINDS)}", data, "kind")
    if "rubric" not in data:
        raise ctx.fail("a case needs 'rubric'", data)
    dims = _dimensions(ctx, data["rubric"], data, generic=False)
    if not any(d.concepts for d in dims.values()):
        raise ctx.fail("the rubric needs at least one concept of its own", data, "rubric")
    flags = _red_flags(ctx, data, generic=False)
    include_generic = data.get("generic_red_flags", True)
    if not isinstance(include_generic, bool):
        raise ctx.fail("'generic_red_flags' must be true or false", data, "generic_red_flags")
    if include_generic:
        own = {f.code for f in flags}
        flags += tuple(f for f in gflags if f.code not in own)
    evidence = []
    for item in data.get("evidence", []) or []:
        item = ctx.mapping(item, _EVIDENCE_KEYS, "evidence", data, "evidence")
        exp = item.get("experiment")
        if exp is not None and exp not in EXPERIMENTS:
            raise ctx.fail(f"evidence: unknown experiment {exp!r} (one of: {', '.join(EXPERIMENTS)})",
                           item, "experiment")
        evidence.append(Evidence(note=ctx.text(item, "note", "evidence"),
                                 sql=ctx.text(item, "sql", "evidence", required=False), experiment=exp))
    rng = None
    if "range" in data:
        r = ctx.mapping(data["range"], _RANGE_KEYS, "range", data, "range")
        low = ctx.number(r, "low", "range", float("nan"), -1e15, 1e15)
        high = ctx.number(r, "high", "range", float("nan"), -1e15, 1e15)
        if low > high:
            raise ctx.fail("range: 'low' must not exceed 'high'", r)
        rng = NumericRange(low=low, high=high, unit=ctx.text(r, "unit", "range"))
        weight = ctx.number(r, "weight", "range", 3.0, 0.5, 5.0)
    if (kind == "estimation") != (rng is not None):
        raise ctx.fail("an estimation question needs 'range', and only estimation questions have one", data,
                       "range" if rng else "kind")
    merged = _merge(dims, gdims)
    if rng is not None:
        merged += (Dimension(name="estimate", weight=weight, concepts=(), need=1.0),)
    difficulty = int(ctx.number(data, "difficulty", "a case", 2, 1, 3))
    return Case(id=cid, title=ctx.text(data, "title", "a case"), kind=kind, prompt=ctx.text(data, "prompt", "a case"),
                dimensions=merged, red_flags=flags,
                model_answer=ctx.text(data, "model_answer", "a case"),
                common_mistakes=ctx.texts(data, "common_mistakes", "a case"), evidence=tuple(evidence),
                pass_mark=ctx.number(data, "pass_mark", "a case", 60.0, 1.0, 100.0), difficulty=difficulty,
                tags=ctx.texts(data, "tags", "a case"), range=rng, hints=ctx.texts(data, "hints", "a case"),
                path=str(path), line=data.line)


def case_files(dirs: Iterable[Path] = CASE_DIRS) -> list[Path]:
    """Every case file of the banks, sorted; files starting with '_' are not cases."""
    return sorted(p for d in dirs if d.is_dir() for p in d.glob("*.y*ml") if not p.name.startswith("_"))


def load_bank(dirs: Iterable[Path] = CASE_DIRS) -> dict[str, Case]:
    """Every case and estimation question by id; a duplicate id is an error naming both files."""
    generic = load_generic()
    bank: dict[str, Case] = {}
    for path in case_files(dirs):
        case = load_case(path, generic)
        if case.id in bank:
            raise ContentError(f"duplicate id {case.id!r} (also in {bank[case.id].path})", path=str(path),
                               line=case.line)
        bank[case.id] = case
    return bank


@lru_cache(maxsize=1)
def default_bank() -> dict[str, Case]:
    return load_bank()


def get_case(case_id: str, bank: dict[str, Case] | None = None) -> Case:
    bank = default_bank() if bank is None else bank
    try:
        return bank[case_id]
    except KeyError:
        raise NotFoundError(f"no case or estimation question with id {case_id!r}") from None


def generic_case(prompt: str) -> Case:
    """A question not in the bank: scored on the seven generic dimensions and the generic red flags."""
    dims, flags = load_generic()
    return Case(id="custom", title="Your question", kind="metric", prompt=prompt.strip(),
                dimensions=tuple(dims[d] for d in DIMENSIONS), red_flags=flags)
