"""`pmdrill warehouse schema`: text, Mermaid and SVG from the contract plus a build's extra columns."""

from __future__ import annotations

import doctest
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pmdrill.adapters.cli.main import app
from pmdrill.core.warehouse import erd
from pmdrill.core.warehouse import schema as contract

SVG = "{http://www.w3.org/2000/svg}"


def test_mermaid_has_every_table_column_and_foreign_key() -> None:
    text = erd.to_mermaid(contract.tables())
    assert text.startswith("erDiagram\n")
    entities = dict(re.findall(r"^    (\w+) \{\n(.*?)^    \}", text, flags=re.M | re.S))
    assert set(entities) == set(contract.table_names())
    for t in contract.tables():
        attrs = {m.group(2): m.group(3) or "" for m in
                 re.finditer(r"^\s+(\S+) (\w+)(?: (PK, FK|PK|FK))?", entities[t.name], flags=re.M)}
        assert set(attrs) == set(t.column_names), t.name
        for name in t.primary_key:
            assert "PK" in attrs[name]
    relations = set(re.findall(r'^    (\w+) (\|\||\|o)--o\{ (\w+) : "(\w+)"$', text, flags=re.M))
    expected = {(parent, "|o" if t.column(col).nullable else "||", t.name, col)
                for t in contract.tables() for col, parent, _ in t.foreign_keys}
    assert relations == expected
    assert len(expected) == sum(len(t.foreign_keys) for t in contract.tables()) > 20


def test_mermaid_types_and_comments_are_safe_tokens() -> None:
    text = erd.to_mermaid(contract.tables())
    for line in text.splitlines()[1:]:
        m = re.match(r"^        (\S+) \w+", line)
        if m:
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_()\[\]-]*", m.group(1)), line
            assert line.count('"') in (0, 2), line
    assert "DECIMAL(8-2) certificate_price_usd" in text


def test_svg_is_well_formed_and_names_every_table() -> None:
    root = ET.fromstring(erd.to_svg(contract.tables()))
    assert root.tag == f"{SVG}svg"
    texts = {el.text for el in root.iter(f"{SVG}text")}
    assert set(contract.table_names()) <= texts
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "table"]
    assert len(groups) == len(contract.tables())
    paths = [p for p in root.iter(f"{SVG}path") if p.get("marker-end")]
    assert len(paths) == sum(len(t.foreign_keys) for t in contract.tables())


def test_svg_boxes_do_not_overlap_and_fit_the_canvas() -> None:
    root = ET.fromstring(erd.to_svg(contract.tables()))
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    boxes = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "table":
            r = g.find(f"{SVG}rect")
            assert r is not None
            boxes.append(tuple(float(r.get(k, 0)) for k in ("x", "y", "width", "height")))
    for i, (x, y, w, h) in enumerate(boxes):
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y


def test_parents_sit_left_of_their_children() -> None:
    depth = erd._layers(contract.tables())
    for t in contract.tables():
        for _, parent, _ in t.foreign_keys:
            if parent != t.name:
                assert depth[parent] < depth[t.name], (parent, t.name)


def test_text_lists_every_column_with_keys_and_comments() -> None:
    text = erd.to_text(contract.tables())
    for t in contract.tables():
        assert re.search(rf"^{t.name}\b", text, flags=re.M)
        for c in t.columns:
            assert re.search(rf"^  {c.name}\s+{re.escape(c.type)}", text, flags=re.M), (t.name, c.name)
    assert "-> partners.partner_id" in text
    assert contract.table("courses").column("domain").comment in text


def test_extra_columns_of_a_build_are_shown(tiny_warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "extra.duckdb"
    shutil.copy(tiny_warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("ALTER TABLE learners ADD COLUMN lifetime_value_usd DOUBLE")
    con.execute("CREATE TABLE side_notes (note VARCHAR)")
    con.close()
    result = CliRunner().invoke(app, ["warehouse", "schema", "--warehouse", str(copy), "--json"])
    assert result.exit_code == 0, result.output
    tables = {t["name"]: t for t in json.loads(result.stdout)["tables"]}
    assert set(tables) >= set(contract.table_names()) | {"side_notes"}
    learners = [c["name"] for c in tables["learners"]["columns"]]
    built = [r[0] for r in duckdb.connect(str(copy), read_only=True).execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'learners'").fetchall()]
    contract_columns = list(contract.table("learners").column_names)
    assert learners[:len(contract_columns)] == contract_columns
    assert set(learners) == set(built) and learners[-1] == "lifetime_value_usd"
    mermaid = CliRunner().invoke(app, ["warehouse", "schema", "--warehouse", str(copy), "--format",
                                          "mermaid"])
    assert "DOUBLE lifetime_value_usd" in mermaid.output and "side_notes {" in mermaid.output


@pytest.mark.parametrize("fmt", ["text", "mermaid", "svg"])
def test_cli_writes_each_format_to_a_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "diagram" / f"schema.{fmt}"
    result = CliRunner().invoke(app, ["warehouse", "schema", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output.replace("\n", "")
    body = out.read_text()
    assert {"text": "partners", "mermaid": "erDiagram", "svg": "<svg"}[fmt] in body
    assert all(name in body for name in contract.table_names())


def test_cli_prints_mermaid_and_refuses_an_unknown_format() -> None:
    result = CliRunner().invoke(app, ["warehouse", "schema", "--format", "mermaid"])
    assert result.exit_code == 0 and result.output == erd.to_mermaid(contract.tables())
    bad = CliRunner().invoke(app, ["warehouse", "schema", "--format", "png"])
    assert bad.exception is not None and "text, mermaid, svg" in str(bad.exception)


def test_doctests() -> None:
    failures, tried = doctest.testmod(erd)
    assert tried > 0 and failures == 0
