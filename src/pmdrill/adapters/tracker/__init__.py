"""The attempt tracker: the candidate's practice history in SQLite (default) or PostgreSQL, via SQLAlchemy.

``open_tracker(url)`` creates or upgrades the schema (Alembic scripts in ``migrations/``): a Tracker.
"""

from __future__ import annotations

from pmdrill.adapters.tracker.store import ImportReport, Tracker, open_tracker

__all__ = ["ImportReport", "Tracker", "open_tracker"]
