"""The metric tree: the North Star broken into drivers and inputs, with guardrails attached.

Defined as data in content/kpis/tree.yaml (KPI ids only); rendered here as plain indented lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmdrill.core.metrics.library import TREE_FILE, Library, builtin_dir, line_of, read_yaml
from pmdrill.errors import ContentError


@dataclass(frozen=True)
class TreeNode:
    kpi: str
    why: str = ""                           # how this node drives its parent
    guardrails: tuple[str, ...] = ()
    children: tuple[TreeNode, ...] = ()

    def walk(self, depth: int = 0) -> Iterator[tuple[int, TreeNode]]:
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    def kpi_ids(self) -> set[str]:
        return {n.kpi for _, n in self.walk()} | {g for _, n in self.walk() for g in n.guardrails}

    def to_dict(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        values = values or {}
        return {"kpi": self.kpi, "why": self.why, **({"live": values[self.kpi]} if self.kpi in values else {}),
                "guardrails": [{"kpi": g, **({"live": values[g]} if g in values else {})}
                               for g in self.guardrails],
                "children": [c.to_dict(values) for c in self.children]}


@dataclass(frozen=True)
class MetricTree:
    title: str
    north_star: str                          # the sentence the North Star stands for
    root: TreeNode

    def to_dict(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"title": self.title, "north_star": self.north_star, "root": self.root.to_dict(values)}


def _node(raw: Any, library: Library, path: str, seen: set[str]) -> TreeNode:
    if not isinstance(raw, dict) or "kpi" not in raw:
        raise ContentError("each tree node needs a 'kpi' id", path=path, line=line_of(raw))
    kpi = raw["kpi"]
    if kpi not in library.ids:
        raise ContentError(f"tree node names unknown KPI {kpi!r}", path=path, line=line_of(raw, "kpi"))
    if kpi in seen:
        raise ContentError(f"KPI {kpi!r} appears twice in the tree", path=path, line=line_of(raw, "kpi"))
    seen.add(kpi)
    guards = raw.get("guardrails", [])
    for g in guards:
        if g not in library.ids:
            raise ContentError(f"guardrail names unknown KPI {g!r}", path=path, line=line_of(raw, "guardrails"))
    children = raw.get("children", [])
    if not isinstance(children, list):
        raise ContentError("children must be a list", path=path, line=line_of(raw, "children"))
    return TreeNode(kpi=kpi, why=" ".join(str(raw.get("why", "")).split()), guardrails=tuple(guards),
                    children=tuple(_node(c, library, path, seen) for c in children))


def parse_tree(data: Any, library: Library, path: str) -> MetricTree:
    if not isinstance(data, dict) or "root" not in data:
        raise ContentError("the tree file needs 'title', 'north_star' and 'root'", path=path, line=line_of(data))
    return MetricTree(title=str(data.get("title", "Metric tree")),
                      north_star=" ".join(str(data.get("north_star", "")).split()),
                      root=_node(data["root"], library, path, set()))


def load_tree(library: Library, path: Path | None = None) -> MetricTree:
    """Load tree.yaml (the built-in one unless ``path``) and check every id against ``library``."""
    path = path or builtin_dir() / TREE_FILE
    return parse_tree(read_yaml(path), library, str(path))


def render_lines(tree: MetricTree, label: Callable[[str], str]) -> list[str]:
    """The tree as indented lines with box-drawing connectors; ``label(kpi_id)`` writes one node.

    Example:
        >>> t = MetricTree("T", "ns", TreeNode("a", guardrails=("g",), children=(TreeNode("b"), TreeNode("c"))))
        >>> print("\\n".join(render_lines(t, str.upper)))
        A   [guardrails: G]
        ├── B
        └── C
    """
    lines: list[str] = []

    def visit(node: TreeNode, prefix: str, connector: str, child_prefix: str) -> None:
        guards = f"   [guardrails: {', '.join(label(g) for g in node.guardrails)}]" if node.guardrails else ""
        lines.append(f"{prefix}{connector}{label(node.kpi)}{guards}")
        for i, child in enumerate(node.children):
            last = i == len(node.children) - 1
            visit(child, prefix + child_prefix, "└── " if last else "├── ", "    " if last else "│   ")

    visit(tree.root, "", "", "")
    return lines
