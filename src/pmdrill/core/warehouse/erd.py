"""The warehouse schema as a reader sees it: plain text, JSON-ready data, a Mermaid ER diagram and an SVG.

Pure: takes ``schema.Table`` values (the contract, plus extra columns a built warehouse has).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any
from xml.sax.saxutils import escape

from pmdrill.core.warehouse.schema import Column, Table

ExtraColumns = dict[str, list[tuple[str, str, bool]]]  # table -> [(column, type, nullable)]


def with_extras(tables: Sequence[Table], extras: ExtraColumns) -> tuple[Table, ...]:
    """The contract tables plus any columns (and tables) a built warehouse adds beyond it.

    Example:
        >>> t = Table("a", (Column("id", "INTEGER", False),), ("id",))
        >>> [c.name for c in with_extras([t], {"a": [("id", "INTEGER", False), ("x", "DOUBLE", True)]})[0].columns]
        ['id', 'x']
    """
    out = []
    for t in tables:
        known = set(t.column_names)
        added = tuple(Column(n, ty, nullable, "added by this build")
                      for n, ty, nullable in extras.get(t.name, []) if n not in known)
        out.append(replace(t, columns=t.columns + added) if added else t)
    names = {t.name for t in tables}
    for name in sorted(set(extras) - names):
        out.append(Table(name, tuple(Column(n, ty, nullable) for n, ty, nullable in extras[name]), (),
                         "not in the contract: added by this build"))
    return tuple(out)


def _key(t: Table, c: Column) -> str:
    keys = (["PK"] if c.name in t.primary_key else []) + (["FK"] if c.references else [])
    return ",".join(keys)


def as_data(tables: Iterable[Table]) -> list[dict[str, Any]]:
    """JSON-ready: every table with its columns, keys and comments."""
    return [{"name": t.name, "comment": t.comment, "primary_key": list(t.primary_key),
             "foreign_keys": [{"column": c, "references": f"{p}.{pc}"} for c, p, pc in t.foreign_keys],
             "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable, "key": _key(t, c),
                          "references": ".".join(c.references) if c.references else None,
                          "comment": c.comment} for c in t.columns]}
            for t in tables]


def to_text(tables: Iterable[Table]) -> str:
    """A plain listing: one block per table, one line per column (name, type, keys, comment)."""
    blocks = []
    for t in tables:
        lines = [f"{t.name}" + (f"  -- {t.comment}" if t.comment else "")]
        width = max((len(c.name) for c in t.columns), default=0)
        type_width = max((len(c.type) for c in t.columns), default=0)
        for c in t.columns:
            flags = " ".join(filter(None, [_key(t, c).replace(",", " "),
                                           "" if c.nullable else "NOT NULL",
                                           f"-> {'.'.join(c.references)}" if c.references else ""]))
            note = f"-- {c.comment}" if c.comment else ""
            tail = "  ".join(filter(None, [flags, note]))
            lines.append(f"  {c.name:<{width}}  {c.type:<{type_width}}  {tail}".rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _mermaid_type(type_: str) -> str:
    # Mermaid attribute types allow letters, digits, _ - ( ) [ ] only: DECIMAL(8,2) -> DECIMAL(8-2)
    compact = re.sub(r"\s*,\s*", "-", type_.strip()).replace(" ", "_")
    return "".join(ch if ch.isalnum() or ch in "_()[]-" else "_" for ch in compact)


def _mermaid_comment(text: str) -> str:
    text = text.replace('"', "'")
    return text if len(text) <= 60 else text[:57] + "..."


def to_mermaid(tables: Sequence[Table]) -> str:
    """A Mermaid ``erDiagram``: one entity per table, one relationship per foreign key.

    Example:
        >>> p = Table("p", (Column("id", "INTEGER", False),), ("id",))
        >>> c = Table("c", (Column("id", "INTEGER", False), Column("p_id", "INTEGER", True, "", ("p", "id"))), ("id",))
        >>> print(to_mermaid([p, c]).splitlines()[-1])
            p |o--o{ c : "p_id"
    """
    lines = ["erDiagram"]
    for t in tables:
        lines.append(f"    {t.name} {{")
        for c in t.columns:
            key = f" {_key(t, c).replace(',', ', ')}" if _key(t, c) else ""
            note = f' "{_mermaid_comment(c.comment)}"' if c.comment else ""
            lines.append(f"        {_mermaid_type(c.type)} {c.name}{key}{note}")
        lines.append("    }")
    for t in tables:
        for column, parent, _ in t.foreign_keys:
            # a NOT NULL foreign key means exactly one parent, a nullable one zero or one
            left = "||" if not t.column(column).nullable else "|o"
            lines.append(f'    {parent} {left}--o{{ {t.name} : "{column}"')
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ SVG

_CHAR_W = 7.2  # monospace 12px
_ROW_H = 18
_HEAD_H = 24
_PAD = 8
_GAP_X = 90
_GAP_Y = 28
_MARGIN = 20


def _layers(tables: Sequence[Table]) -> dict[str, int]:
    """Depth of each table in the FK graph: parents to the left of their children."""
    names = {t.name for t in tables}
    by_name = {t.name: t for t in tables}
    depth: dict[str, int] = {}

    def visit(name: str, seen: frozenset[str]) -> int:
        if name in depth:
            return depth[name]
        parents = {p for _, p, _ in by_name[name].foreign_keys if p in names and p != name and p not in seen}
        d = 1 + max((visit(p, seen | {name}) for p in parents), default=-1)
        depth[name] = d
        return d

    for t in tables:
        visit(t.name, frozenset())
    return depth


def _box_size(t: Table) -> tuple[float, float]:
    widest = max([len(t.name) + 2] + [len(c.name) + len(c.type) + 9 for c in t.columns])
    return widest * _CHAR_W + 2 * _PAD, _HEAD_H + _ROW_H * len(t.columns) + _PAD / 2


def _layout(tables: Sequence[Table]) -> tuple[dict[str, tuple[float, float, float, float]], float, float]:
    """(x, y, w, h) of each box; columns by FK depth, ordered by the mean height of their parents."""
    depth = _layers(tables)
    columns: dict[int, list[Table]] = {}
    for t in tables:
        columns.setdefault(depth[t.name], []).append(t)
    boxes: dict[str, tuple[float, float, float, float]] = {}
    x = float(_MARGIN)
    height = 0.0
    for d in sorted(columns):
        members = columns[d]

        def parent_y(t: Table) -> float:
            ys = [boxes[p][1] for _, p, _ in t.foreign_keys if p in boxes]
            return sum(ys) / len(ys) if ys else 0.0

        members.sort(key=parent_y)
        width = max(_box_size(t)[0] for t in members)
        y = float(_MARGIN)
        for t in members:
            _, h = _box_size(t)
            boxes[t.name] = (x, y, width, h)
            y += h + _GAP_Y
        height = max(height, y)
        x += width + _GAP_X
    return boxes, x - _GAP_X + _MARGIN, height - _GAP_Y + _MARGIN


def _row_y(box: tuple[float, float, float, float], t: Table, column: str) -> float:
    index = t.column_names.index(column)
    return box[1] + _HEAD_H + _ROW_H * index + _ROW_H / 2


def to_svg(tables: Sequence[Table]) -> str:
    """A standalone SVG: a box per table (columns, types, PK/FK tags), a curve per foreign key."""
    boxes, width, height = _layout(tables)
    by_name = {t.name: t for t in tables}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="monospace" font-size="12">',
           "<title>pmdrill warehouse: entity-relationship diagram</title>",
           '<defs><marker id="one" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
           f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>']
    out.append('<g class="relationships" fill="none" stroke="#888" stroke-width="1.2">')
    for t in tables:
        for column, parent, parent_col in t.foreign_keys:
            if parent not in boxes:
                continue
            cx, _, cw, _ = boxes[t.name]
            px, _, pw, _ = boxes[parent]
            y1 = _row_y(boxes[t.name], t, column)
            y2 = _row_y(boxes[parent], by_name[parent], parent_col)
            if parent == t.name:  # self-reference: a loop on the right edge
                x1 = cx + cw
                path = f"M {x1:.1f} {y1:.1f} C {x1 + 40:.1f} {y1:.1f}, {x1 + 40:.1f} {y2:.1f}, {x1:.1f} {y2:.1f}"
            else:
                x1 = cx if px < cx else cx + cw
                x2 = px + pw if px < cx else px
                bend = max(30.0, abs(x1 - x2) / 2)
                sign = -1 if px < cx else 1
                path = (f"M {x1:.1f} {y1:.1f} C {x1 + sign * bend:.1f} {y1:.1f}, "
                        f"{x2 - sign * bend:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}")
            out.append(f'<path d="{path}" marker-end="url(#one)">'
                       f"<title>{escape(t.name)}.{escape(column)} → {escape(parent)}.{escape(parent_col)}"
                       "</title></path>")
    out.append("</g>")
    for t in tables:
        x, y, w, h = boxes[t.name]
        out.append(f'<g class="table" id="table-{escape(t.name)}">')
        if t.comment:
            out.append(f"<title>{escape(t.comment)}</title>")
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="4" '
                   'fill="#fbfbfd" stroke="#3b4a6b"/>')
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{_HEAD_H}" rx="4" fill="#3b4a6b"/>')
        out.append(f'<text x="{x + _PAD:.1f}" y="{y + 16:.1f}" fill="#ffffff" font-weight="bold">'
                   f"{escape(t.name)}</text>")
        for i, c in enumerate(t.columns):
            ty = y + _HEAD_H + _ROW_H * i + 13
            key = _key(t, c)
            weight = ' font-weight="bold"' if "PK" in key else ""
            label = f"{key:<5} {c.name}" if key else f"{'':<5} {c.name}"
            out.append(f'<text x="{x + _PAD:.1f}" y="{ty:.1f}" fill="#1d2433"{weight} xml:space="preserve">'
                       f"{escape(label)}</text>")
            out.append(f'<text x="{x + w - _PAD:.1f}" y="{ty:.1f}" fill="#6b7280" text-anchor="end">'
                       f"{escape(c.type)}</text>")
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
