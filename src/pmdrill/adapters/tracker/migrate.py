"""Bring a history to this pmdrill's schema: one cheap revision query on every open, Alembic only to upgrade.

Empty: created at head; older: upgraded in one transaction; newer or foreign: refused, left untouched.
"""

from __future__ import annotations

import sqlite3
import zlib
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from pmdrill.adapters.tracker.connect import WRITE_OPTION, Target, describe_failure
from pmdrill.adapters.tracker.migrations import HEAD, LOCATION, REVISIONS
from pmdrill.errors import TrackerError

VERSION_TABLE = "alembic_version"
OWN_TABLES = frozenset({"attempts", "mocks", "review_cards", "review_progress", "prefs"})
# serialises creators and upgraders of one PostgreSQL database (SQLite's BEGIN IMMEDIATE does it there)
_PG_MIGRATION_LOCK = zlib.crc32(b"pmdrill.tracker.migrate")


def alembic_config(connection: Connection | None = None) -> Any:
    """An Alembic Config for the packaged scripts; no alembic.ini is read."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(LOCATION))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` on ``connection``, inside the transaction it is in."""
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


def script_revisions() -> tuple[str, ...]:
    """The revisions Alembic finds in ``versions/``, oldest first (``REVISIONS`` must equal it)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return tuple(reversed([s.revision for s in scripts.walk_revisions()]))


def read_revision(conn: Connection) -> tuple[frozenset[str], str | None]:
    """The tables of the history's schema and its stamped revision (None when unstamped)."""
    if conn.dialect.name == "sqlite":
        names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite_%'").scalars()
    else:
        names = conn.exec_driver_sql("SELECT tablename FROM pg_catalog.pg_tables "
                                     "WHERE schemaname = current_schema()").scalars()
    tables = frozenset(names)
    if VERSION_TABLE not in tables:
        return tables, None
    revisions = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars().all()
    return tables, ",".join(sorted(revisions)) or None


def ensure_schema(engine: Engine, target: Target) -> None:
    """Leave the history at ``HEAD`` or raise TrackerError; a no-op costing one query when it already is."""
    try:
        with engine.connect() as conn:
            tables, revision = read_revision(conn)
        if revision == HEAD:
            _use_wal(engine, target)
            return
        _refuse_foreign(tables, revision, target)
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            # again under the write lock: another process may have created or upgraded it meanwhile
            tables, revision = read_revision(conn)
            if revision != HEAD:
                _refuse_foreign(tables, revision, target)
                if revision is not None and conn.dialect.name == "sqlite":
                    _check_integrity(conn, target)
                upgrade(conn, HEAD)
        _use_wal(engine, target)
    except DBAPIError as exc:
        raise TrackerError(describe_failure(exc, target, "open")) from None


def _use_wal(engine: Engine, target: Target) -> None:
    """Put an SQLite history in WAL mode (it persists in the file), so readers and a writer never block."""
    if engine.dialect.name != "sqlite":
        return
    # on the driver's connection, which is in autocommit: the mode cannot change inside a transaction
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        if driver.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            driver.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        raise TrackerError(f"cannot switch the practice history at {target.label} to WAL mode: "
                           f"{exc}") from None
    finally:
        raw.close()


def _refuse_foreign(tables: frozenset[str], revision: str | None, target: Target) -> None:
    where = f"the practice history at {target.label}"
    left = "; the file was left untouched" if target.is_sqlite else "; nothing was changed"
    if revision is None:
        # an SQLite file is ours alone, while a PostgreSQL schema may hold other programs' tables
        alien = sorted(tables) if target.is_sqlite else sorted(tables & OWN_TABLES)
        if alien:
            raise TrackerError(f"{where} is not a pmdrill practice history (it holds tables "
                               f"{', '.join(alien[:5])} but no schema version){left}")
        return
    if revision not in REVISIONS:
        if "attempts" not in tables:
            raise TrackerError(f"{where} is not a pmdrill practice history (unknown schema version "
                               f"{revision}){left}")
        raise TrackerError(f"{where} was written by a newer pmdrill (schema {revision}); "
                           "upgrade pmdrill to open it")


def _check_integrity(conn: Connection, target: Target) -> None:
    # only before an upgrade: it reads every page, too slow for each open but cheap next to a migration
    verdict = conn.exec_driver_sql("PRAGMA quick_check").scalars().all()
    if verdict != ["ok"]:
        raise TrackerError(f"the practice history at {target.label} is damaged ({verdict[0]}); "
                           "the file was left untouched")

