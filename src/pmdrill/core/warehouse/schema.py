"""The warehouse contract as plain data: tables, columns, types, keys, nullability and comments.

Parsed once from ``contract.sql`` (a copy of ``shared/spec/warehouse.sql``; a test keeps them equal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import sqlglot
from sqlglot import exp


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type name as information_schema reports it, e.g. 'DECIMAL(8,2)'
    nullable: bool
    comment: str = ""
    references: tuple[str, str] | None = None  # (table, column)

    @property
    def allowed_values(self) -> tuple[str, ...]:
        """Enumerated values documented in the comment ('a' | 'b'), else ()."""
        if "|" not in self.comment:
            return ()
        return tuple(re.findall(r"'([^']+)'", self.comment.split(";")[0]))


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    comment: str = ""
    unique: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def foreign_keys(self) -> tuple[tuple[str, str, str], ...]:
        """(column, parent table, parent column) for every REFERENCES."""
        return tuple((c.name, *c.references) for c in self.columns if c.references)


def contract_sql() -> str:
    return resources.files("pmdrill.core.warehouse").joinpath("contract.sql").read_text()


def _type_name(kind: exp.DataType) -> str:
    text = kind.sql(dialect="duckdb").upper().replace(", ", ",")
    return {"INT": "INTEGER", "TEXT": "VARCHAR", "BOOL": "BOOLEAN", "INT64": "BIGINT"}.get(text, text)


def _comments(sql: str) -> dict[tuple[str, str | None], str]:
    """Trailing `-- comment` of each column line, and the comment block above each table."""
    out: dict[tuple[str, str | None], str] = {}
    table = None
    pending: list[str] = []
    for line in sql.splitlines():
        stripped = line.strip()
        m = re.match(r"CREATE TABLE (\w+)", stripped)
        if m:
            table = m.group(1)
            out[(table, None)] = " ".join(pending)
            pending = []
            continue
        if stripped.startswith("--"):
            pending.append(stripped.lstrip("- ").strip())
            continue
        if not stripped:
            pending = []
            continue
        cm = re.match(r"(\w+)\s+[A-Z]", stripped)
        if table and cm and "--" in stripped:
            out[(table, cm.group(1))] = stripped.split("--", 1)[1].strip()
    return out


@cache
def tables() -> tuple[Table, ...]:
    """Every contract table, in the file's (dependency) order.

    Example:
        >>> [t.name for t in tables()][:3]
        ['partners', 'courses', 'programs']
        >>> table('enrollments').column('completed_at').nullable
        True
    """
    sql = contract_sql()
    comments = _comments(sql)
    result = []
    for stmt in sqlglot.parse(sql, read="duckdb"):
        if not isinstance(stmt, exp.Create):
            continue
        schema = stmt.this
        name = schema.this.name
        cols: list[Column] = []
        pk: tuple[str, ...] = ()
        for item in schema.expressions:
            if isinstance(item, exp.ColumnDef):
                nullable = True
                ref = None
                for cons in item.constraints:
                    kind = cons.kind
                    if isinstance(kind, exp.NotNullColumnConstraint):
                        nullable = False
                    elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
                        nullable = False
                        pk = (item.name,)
                    elif isinstance(kind, exp.Reference):
                        target = kind.this
                        ref = (target.this.name, target.expressions[0].name)
                assert item.kind is not None, f"{name}.{item.name} has no type"
                cols.append(Column(item.name, _type_name(item.kind), nullable,
                                   comments.get((name, item.name), ""), ref))
            elif isinstance(item, exp.PrimaryKey):
                pk = tuple(e.name for e in item.expressions)
        cols = [Column(c.name, c.type, False, c.comment, c.references) if c.name in pk else c for c in cols]
        unique = tuple((c.name,) for c in cols if (name, c.name) == ("experiments", "name"))
        result.append(Table(name, tuple(cols), pk, comments.get((name, None), ""), unique))
    return tuple(result)


def table(name: str) -> Table:
    for t in tables():
        if t.name == name:
            return t
    raise KeyError(name)


def table_names() -> tuple[str, ...]:
    return tuple(t.name for t in tables())
