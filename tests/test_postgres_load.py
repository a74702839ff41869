"""load-postgres on a real server: same rows and checksums as DuckDB, keys present, idempotent, reader role."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql

from pmdrill.adapters.postgres_load import load_postgres
from pmdrill.adapters.postgres_store import READER_ROLE, read_meta
from pmdrill.core.warehouse import schema as contract
from pmdrill.errors import EngineError, WarehouseError

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("postgres")]

# (table, expression): the same text means the same thing in DuckDB and PostgreSQL
CHECKSUMS = [
    ("payments", "SUM(amount_usd)"),
    ("payments", "md5(string_agg(status, ',' ORDER BY payment_id))"),
    ("learners", "md5(string_agg(country || coalesce(learner_goal, '-'), ',' ORDER BY learner_id))"),
    ("learners", "SUM(CASE WHEN is_internal_test THEN 1 ELSE 0 END)"),
    ("enrollments", "COUNT(completed_at)"),
    ("enrollments", "MIN(enrolled_at)"),
    ("enrollments", "MAX(completed_at)"),
    ("learning_events", "SUM(minutes)"),
    ("assessment_attempts", "SUM(score_pct)"),
    ("modules", "SUM(median_video_minutes)"),
]


def _duck(path: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _pg(url: str, query: sql.Composable | str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as con:
        return con.execute(query, params).fetchall()


def _duck_tables(path: Path) -> list[str]:
    """The data tables; the builder's own _pmdrill_meta stays behind (the load writes pmdrill_meta)."""
    return [r[0] for r in _duck(path, "SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'")
            if not r[0].startswith("_")]


def test_row_counts_equal_duckdb_for_every_table(postgres_url: str, tiny_postgres: str,
                                                 tiny_warehouse: Path) -> None:
    names = _duck_tables(tiny_warehouse)
    assert set(contract.table_names()) <= set(names)
    for name in names:
        want = _duck(tiny_warehouse, f'SELECT count(*) FROM "{name}"')[0][0]
        got = _pg(postgres_url, sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(tiny_postgres), sql.Identifier(name)))[0][0]
        assert got == want, name
    assert sum(_duck(tiny_warehouse, f'SELECT count(*) FROM "{n}"')[0][0] for n in names) > 0
    loaded = {r[0] for r in _pg(postgres_url, "SELECT table_name FROM information_schema.tables "
                                              "WHERE table_schema = %s", (tiny_postgres,))}
    assert loaded == set(names) | {"pmdrill_meta"}


@pytest.mark.parametrize(("table", "expression"), CHECKSUMS)
def test_column_checksums_equal_duckdb(postgres_url: str, tiny_postgres: str, tiny_warehouse: Path,
                                       table: str, expression: str) -> None:
    want = _duck(tiny_warehouse, f"SELECT {expression} FROM {table}")[0][0]
    got = _pg(postgres_url, sql.SQL("SELECT " + expression + " FROM {}.{}").format(
        sql.Identifier(tiny_postgres), sql.Identifier(table)))[0][0]
    assert want is not None
    assert got == want


def _constraints(url: str, schema: str) -> set[tuple[str, str, tuple[str, ...], str | None]]:
    rows = _pg(url, """
        SELECT c.conrelid::regclass::text, c.contype,
               array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
               CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text || '.' ||
                    (SELECT a.attname FROM pg_attribute a
                     WHERE a.attrelid = c.confrelid AND a.attnum = c.confkey[1]) END
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = %s AND c.contype IN ('p', 'f', 'u')""", (schema,))
    # regclass text is schema-qualified because the schema is not on the search_path
    return {(t.split(".")[-1], kind, tuple(cols), ref.split(".", 1)[-1] if ref else None)
            for t, kind, cols, ref in rows}


def test_primary_and_foreign_keys_follow_the_contract(postgres_url: str, tiny_postgres: str) -> None:
    found = _constraints(postgres_url, tiny_postgres)
    for t in contract.tables():
        assert (t.name, "p", t.primary_key, None) in found, t.name
        for column, parent, parent_col in t.foreign_keys:
            assert (t.name, "f", (column,), f"{parent}.{parent_col}") in found, (t.name, column)
    assert ("experiments", "u", ("name",), None) in found
    fk_count = sum(len(t.foreign_keys) for t in contract.tables())
    assert sum(1 for f in found if f[1] == "f") == fk_count


def test_not_null_and_comments_come_from_the_contract(postgres_url: str, tiny_postgres: str) -> None:
    rows = _pg(postgres_url, "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
                             "WHERE table_schema = %s", (tiny_postgres,))
    nullable = {(t, c): n == "YES" for t, c, n in rows}
    for t in contract.tables():
        for c in t.columns:
            assert nullable[(t.name, c.name)] == c.nullable, (t.name, c.name)
    comment = _pg(postgres_url, sql.SQL("SELECT col_description({}::regclass, 3)").format(
        sql.Literal(f"{tiny_postgres}.partners")))[0][0]
    assert comment == contract.table("partners").column("partner_type").comment


def test_meta_table_records_the_as_of(postgres_url: str, tiny_postgres: str, tiny_warehouse: Path) -> None:
    from pmdrill.adapters.duckdb_store import warehouse_info

    meta = read_meta(postgres_url, tiny_postgres)
    assert meta["as_of"] == str(warehouse_info(tiny_warehouse)["as_of"])
    assert meta["loaded_at"]


def test_reader_role_may_select_and_nothing_else(postgres_url: str, tiny_postgres: str) -> None:
    table = f"{tiny_postgres}.learners"
    (select, insert, delete, create, member), = _pg(
        postgres_url,
        "SELECT has_table_privilege(%s, %s, 'SELECT'), has_table_privilege(%s, %s, 'INSERT'), "
        "has_table_privilege(%s, %s, 'DELETE'), has_schema_privilege(%s, %s, 'CREATE'), "
        "pg_has_role(current_user, %s, 'MEMBER')",
        (READER_ROLE, table, READER_ROLE, table, READER_ROLE, table, READER_ROLE, tiny_postgres, READER_ROLE))
    assert (select, insert, delete, create, member) == (True, False, False, False, True)


def test_reload_replaces_the_schema_in_place(postgres_url: str, pg_schema: str, tiny_warehouse: Path) -> None:
    first = load_postgres(tiny_warehouse, postgres_url, schema=pg_schema)
    # a table a user added by hand disappears: the schema is rebuilt, not appended to
    _pg_exec(postgres_url, sql.SQL("CREATE TABLE {}.scratch (x int)").format(sql.Identifier(pg_schema)))
    second = load_postgres(tiny_warehouse, postgres_url, schema=pg_schema)
    assert second.tables == first.tables
    tables = {r[0] for r in _pg(postgres_url, "SELECT table_name FROM information_schema.tables "
                                              "WHERE table_schema = %s", (pg_schema,))}
    assert "scratch" not in tables
    assert set(first.tables) | {"pmdrill_meta"} == tables
    schemas = {r[0] for r in _pg(postgres_url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                 (pg_schema + "%",))}
    assert schemas == {pg_schema}


def test_failed_load_leaves_the_old_schema(postgres_url: str, pg_schema: str, tiny_warehouse: Path,
                                           tmp_path: Path) -> None:
    load_postgres(tiny_warehouse, postgres_url, schema=pg_schema)
    broken = tmp_path / "broken.duckdb"
    con = duckdb.connect(str(broken))
    # the contract without REFERENCES, so DuckDB accepts a course of a partner that does not exist
    con.execute(re.sub(r"REFERENCES \w+ \(\w+\)", "", contract.contract_sql()))
    con.execute("INSERT INTO courses VALUES (1, 999, 't', 'business', 'beginner', DATE '2024-01-01', 3, 9.5)")
    con.close()
    with pytest.raises(EngineError, match="foreign key"):
        load_postgres(broken, postgres_url, schema=pg_schema)
    count = _pg(postgres_url, sql.SQL("SELECT count(*) FROM {}.learners").format(sql.Identifier(pg_schema)))
    assert count[0][0] == _duck(tiny_warehouse, "SELECT count(*) FROM learners")[0][0]


def _pg_exec(url: str, statement: sql.Composable) -> None:
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(statement)


def test_schema_name_is_checked(postgres_url: str, tiny_warehouse: Path) -> None:
    with pytest.raises(EngineError, match="schema name"):
        load_postgres(tiny_warehouse, postgres_url, schema='x"; DROP SCHEMA public; --')


def test_a_file_that_is_not_a_warehouse_is_a_warehouse_error(postgres_url: str, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("not a database")
    with pytest.raises(WarehouseError):
        load_postgres(bogus, postgres_url, schema="pmt_never")
    with pytest.raises(WarehouseError, match="no warehouse"):
        load_postgres(tmp_path / "missing.duckdb", postgres_url, schema="pmt_never")
