"""The KPI library: load the KPI YAML files, validate every entry and return plain Kpi records.

Errors name the file and the line (ContentError); user KPI files from <home>/kpis join the built-ins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot.errors import ParseError

from pmdrill.core.metrics.kinds import KINDS, SIDES
from pmdrill.errors import ContentError, NotFoundError

UNITS = ("rate", "count", "usd", "hours", "days", "ratio")
DIRECTIONS = ("up", "down", "neutral")  # which way is good; neutral: a mix to read, not to push
REQUIRED = ("id", "name", "definition", "sql", "trend_sql", "segments", "unit", "side", "kind",
            "direction", "counter_metrics", "vanity_risk", "delta")
TREE_FILE = "tree.yaml"


class _LineDict(dict):
    """A mapping that remembers the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]
    value_lines: dict[str, int]  # first line of each value's text (block scalars start below the key)


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings are _LineDicts (line numbers for error messages)."""


def _construct_line_dict(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    out = _LineDict(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    out.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    out.value_lines = {str(k.value): v.start_mark.line + 1 + (1 if getattr(v, "style", None) in ("|", ">") else 0)
                       for k, v in node.value}
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_line_dict)


def line_of(obj: Any, key: str | None = None) -> int | None:
    """The 1-based line of a parsed mapping (or of one of its keys); None for plain values."""
    if isinstance(obj, _LineDict):
        return obj.key_lines.get(key, obj.line) if key else obj.line
    return None


@dataclass(frozen=True)
class Amount:
    """A number the Delta Framework needs: SQL returning one `value`, or a named assumption."""

    label: str
    sql: str | None = None
    assumption: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "sql": self.sql, "assumption": self.assumption}


@dataclass(frozen=True)
class DeltaSpec:
    """How a +/-5% move of the KPI turns into learners, certificates and dollars per year."""

    up: str
    down: str
    unit_label: str          # what one unit of population x value x change is ("completions")
    base_population: Amount  # how many enrollments/learners/... per year the KPI applies to
    usd_per_unit: Amount
    certificates_per_unit: Amount | None = None
    learners_per_unit: Amount | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"up": self.up, "down": self.down, "unit_label": self.unit_label,
                "base_population": self.base_population.to_dict(), "usd_per_unit": self.usd_per_unit.to_dict(),
                "certificates_per_unit": self.certificates_per_unit.to_dict()
                if self.certificates_per_unit else None,
                "learners_per_unit": self.learners_per_unit.to_dict() if self.learners_per_unit else None}


@dataclass(frozen=True)
class Segment:
    dimension: str
    sql: str  # returns segment, value, n


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    definition: str
    sql: str
    trend_sql: str
    segments: tuple[Segment, ...]
    unit: str
    side: str
    kind: str
    direction: str
    counter_metrics: tuple[str, ...]
    vanity_risk: str
    delta: DeltaSpec
    use_instead: tuple[str, ...] = ()
    path: str = ""
    line: int = 0
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "unit": self.unit, "side": self.side,
                "kind": self.kind, "direction": self.direction}

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "definition": self.definition, "sql": self.sql,
                "trend_sql": self.trend_sql,
                "segments": [{"dimension": s.dimension, "sql": s.sql} for s in self.segments],
                "counter_metrics": list(self.counter_metrics), "vanity_risk": self.vanity_risk,
                "use_instead": list(self.use_instead), "delta": self.delta.to_dict(),
                "source": f"{self.path}:{self.line}"}


def read_yaml(path: Path) -> Any:
    """Parse one YAML file keeping line numbers; a syntax error becomes a ContentError."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ContentError(f"invalid YAML: {exc.problem or exc}", path=str(path),
                           line=mark.line + 1 if mark else None) from None


def sql_of(raw: Any, key: str, path: str, what: str) -> str:
    """The SQL text under ``key``, checked to parse; errors point at the failing line of the SQL."""
    return _check_sql(raw.get(key), path, line_of(raw, key), what,
                      getattr(raw, "value_lines", {}).get(key))


def _check_sql(text: Any, path: str, line: int | None, what: str, first_line: int | None = None) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ContentError(f"{what} must be a non-empty SQL string", path=path, line=line)
    try:
        parsed = sqlglot.parse(text, read="duckdb")
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        inner = (first.get("line") or 1) - 1
        detail = str(first.get("description", exc)).split(" but got ")[0]
        near = f" near {first['highlight']!r}" if first.get("highlight") else ""
        start = first_line or line
        raise ContentError(f"{what} does not parse: {detail}{near}", path=path,
                           line=start + inner if start else None) from None
    if len([p for p in parsed if p is not None]) != 1:
        raise ContentError(f"{what} must be exactly one statement", path=path, line=line)
    return text.strip()


def _amount(raw: Any, path: str, line: int | None, what: str) -> Amount:
    if not isinstance(raw, dict) or "label" not in raw:
        raise ContentError(f"{what} needs a label and either sql or assumption", path=path, line=line)
    has_sql, has_value = "sql" in raw, "assumption" in raw
    if has_sql == has_value:
        raise ContentError(f"{what} needs exactly one of sql or assumption", path=path,
                           line=line_of(raw) or line)
    if has_value and not isinstance(raw["assumption"], int | float):
        raise ContentError(f"{what}.assumption must be a number", path=path, line=line_of(raw, "assumption"))
    sql = sql_of(raw, "sql", path, f"{what}.sql") if has_sql else None
    return Amount(str(raw["label"]), sql, float(raw["assumption"]) if has_value else None)


def _delta(raw: Any, path: str, line: int | None) -> DeltaSpec:
    if not isinstance(raw, dict):
        raise ContentError("delta must be a mapping", path=path, line=line)
    for key in ("up", "down", "unit_label", "base_population", "usd_per_unit"):
        if key not in raw:
            raise ContentError(f"delta is missing {key!r}", path=path, line=line_of(raw) or line)
    optional = {k: _amount(raw[k], path, line_of(raw, k), f"delta.{k}")
                for k in ("certificates_per_unit", "learners_per_unit") if k in raw}
    return DeltaSpec(str(raw["up"]).strip(), str(raw["down"]).strip(), str(raw["unit_label"]),
                     _amount(raw["base_population"], path, line_of(raw, "base_population"),
                             "delta.base_population"),
                     _amount(raw["usd_per_unit"], path, line_of(raw, "usd_per_unit"), "delta.usd_per_unit"),
                     **optional)


def _id_list(raw: Any, path: str, line: int | None, what: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ContentError(f"{what} must be a list of KPI ids", path=path, line=line)
    return tuple(raw)


def parse_kpi(raw: Any, path: str) -> Kpi:
    """Validate one KPI mapping (fields, enums, SQL syntax) into a Kpi."""
    if not isinstance(raw, dict):
        raise ContentError("each KPI must be a mapping", path=path, line=line_of(raw))
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise ContentError(f"KPI {raw.get('id', '?')!r} is missing {', '.join(missing)}", path=path,
                           line=line_of(raw))
    for key, allowed in (("unit", UNITS), ("side", SIDES), ("kind", KINDS), ("direction", DIRECTIONS)):
        if raw[key] not in allowed:
            raise ContentError(f"{key} {raw[key]!r} is not one of {', '.join(allowed)}", path=path,
                               line=line_of(raw, key))
    segs = raw["segments"]
    if not isinstance(segs, list) or not segs:
        raise ContentError("segments must be a non-empty list of {dimension, sql}", path=path,
                           line=line_of(raw, "segments"))
    segments = []
    for s in segs:
        if not isinstance(s, dict) or "dimension" not in s or "sql" not in s:
            raise ContentError("each segment needs dimension and sql", path=path,
                               line=line_of(s) or line_of(raw, "segments"))
        segments.append(Segment(str(s["dimension"]),
                                sql_of(s, "sql", path, f"segment {s['dimension']!r} sql")))
    use_instead = _id_list(raw.get("use_instead", []), path, line_of(raw, "use_instead"), "use_instead")
    if raw["kind"] == "vanity" and not use_instead:
        raise ContentError(f"vanity KPI {raw['id']!r} needs use_instead (the outcome to watch instead)",
                           path=path, line=line_of(raw, "kind"))
    return Kpi(
        id=str(raw["id"]), name=str(raw["name"]), definition=" ".join(str(raw["definition"]).split()),
        sql=sql_of(raw, "sql", path, "sql"), trend_sql=sql_of(raw, "trend_sql", path, "trend_sql"),
        segments=tuple(segments), unit=raw["unit"], side=raw["side"], kind=raw["kind"],
        direction=raw["direction"],
        counter_metrics=_id_list(raw["counter_metrics"], path, line_of(raw, "counter_metrics"),
                                 "counter_metrics"),
        vanity_risk=" ".join(str(raw["vanity_risk"]).split()),
        delta=_delta(raw["delta"], path, line_of(raw, "delta")), use_instead=use_instead,
        path=path, line=line_of(raw) or 0, key_lines=dict(getattr(raw, "key_lines", {})))


def parse_file(path: Path) -> list[Kpi]:
    """Every KPI of one file (a top-level `kpis:` list); cached per file version (SQL parsing is slow)."""
    stat = path.stat()
    return list(_parse_file_cached(str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=64)
def _parse_file_cached(path: str, mtime_ns: int, size: int) -> tuple[Kpi, ...]:
    data = read_yaml(Path(path))
    if not isinstance(data, dict) or not isinstance(data.get("kpis"), list):
        raise ContentError("a KPI file must hold a top-level 'kpis:' list", path=path, line=line_of(data))
    return tuple(parse_kpi(raw, path) for raw in data["kpis"])


def builtin_dir() -> Path:
    """The shipped KPI files (content/ is data beside the code, not an importable package)."""
    return Path(__file__).resolve().parents[2] / "content" / "kpis"


def kpi_files(extra_dirs: Iterable[Path] = ()) -> list[Path]:
    """The built-in KPI files, then those of each extra folder (the user's <home>/kpis)."""
    files = sorted(p for p in builtin_dir().glob("*.yaml") if p.name != TREE_FILE)
    for folder in extra_dirs:
        if folder.is_dir():
            files += sorted(p for p in folder.glob("*.y*ml") if p.name != TREE_FILE)
    return files


@dataclass(frozen=True)
class Library:
    kpis: tuple[Kpi, ...]

    def get(self, kpi_id: str) -> Kpi:
        for k in self.kpis:
            if k.id == kpi_id:
                return k
        raise NotFoundError(f"no KPI {kpi_id!r}; try `pmdrill metrics list`")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self.kpis)

    def select(self, kind: str | None = None, side: str | None = None) -> list[Kpi]:
        return [k for k in self.kpis if (kind is None or k.kind == kind) and (side is None or k.side == side)]


def check_references(kpis: Iterable[Kpi]) -> None:
    """Ids are unique; counter_metrics and use_instead name real KPIs (error at the referring line)."""
    seen: dict[str, Kpi] = {}
    items = list(kpis)
    for k in items:
        if k.id in seen:
            raise ContentError(f"duplicate KPI id {k.id!r} (first at {seen[k.id].path}:{seen[k.id].line})",
                               path=k.path, line=k.line)
        seen[k.id] = k
    for k in items:
        for key, ids in (("counter_metrics", k.counter_metrics), ("use_instead", k.use_instead)):
            for ref in ids:
                if ref not in seen or ref == k.id:
                    raise ContentError(f"{key} of {k.id!r} names unknown KPI {ref!r}", path=k.path,
                                       line=k.key_lines.get(key, k.line))


def load_library(extra_dirs: Iterable[Path] = ()) -> Library:
    """Load and validate the built-in KPI files plus any extra folders (for the user's own KPIs).

    Example:
        >>> lib = load_library()
        >>> lib.get("course_completion_rate").unit
        'rate'
    """
    kpis = [k for path in kpi_files(extra_dirs) for k in parse_file(path)]
    check_references(kpis)
    return Library(tuple(kpis))


def format_value(value: float | None, unit: str) -> str:
    """A KPI value as a person reads it: 41.2%, 1,234, $56.78, 31.5 h, 12.0 d, 0.87.

    Example:
        >>> format_value(0.4123, "rate"), format_value(1234.0, "count"), format_value(56.784, "usd")
        ('41.2%', '1,234', '$56.78')
    """
    if value is None:
        return "n/a"
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "count":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit == "usd":
        return f"${value:,.0f}" if abs(value) >= 10_000 else f"${value:,.2f}"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "days":
        return f"{value:,.1f} d"
    return f"{value:,.3g}"
