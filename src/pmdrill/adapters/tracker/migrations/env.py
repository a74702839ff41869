"""Alembic's entry point for the tracker: migrates the connection that the tracker hands in.

Only online mode, on ``config.attributes["connection"]``, inside the caller's transaction.
"""

from __future__ import annotations

from alembic import context

from pmdrill.adapters.tracker.models import Base

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("the tracker's migrations run through pmdrill.adapters.tracker.migrate, "
                       "on a connection passed in config.attributes['connection']")

# SQLite DDL is transactional once the driver stops managing BEGIN itself (the engine's hooks do that),
# so a failed upgrade rolls back whole instead of leaving a half-migrated history
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
