"""A small hand-made warehouse for the SQL sandbox and gate tests (contract DDL plus a few rows).

Independent of the generator so the sandbox is tested on known data; it also adds one column the
contract does not have, as a real build may.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from pmdrill.core.warehouse import schema

EXTRA_COLUMN = ("learners", "utm_campaign", "VARCHAR")


def make_warehouse(path: Path, events: int = 3000) -> Path:
    """Write the warehouse at ``path``: 1,000 learners, 3 courses, enrollments, payments, events."""
    con = duckdb.connect(str(path))
    try:
        con.execute(schema.contract_sql())
        con.execute("INSERT INTO partners VALUES (1, 'Uni A', 'university', 'US', DATE '2020-01-01'), "
                    "(2, 'Corp B', 'company', 'GB', DATE '2021-06-01')")
        con.execute("INSERT INTO courses VALUES "
                    "(10, 1, 'Intro to SQL', 'data_science', 'beginner', DATE '2021-01-01', 4, 49.00), "
                    "(11, 1, 'Machine Learning', 'data_science', 'advanced', DATE '2022-01-01', 6, 79.00), "
                    "(12, 2, 'Leadership', 'business', 'intermediate', DATE '2023-01-01', 3, 39.00)")
        for lo, hi in ((1, 501), (501, 1001)):  # the second half may refer to the first
            con.execute(f"""
                INSERT INTO learners
                SELECT i, TIMESTAMP '2025-01-01' + i * INTERVAL 7 HOUR,
                       ['US', 'IN', 'BR', 'GB'][1 + i % 4],
                       ['organic_search', 'paid_search', 'social', 'referral', 'direct'][1 + i % 5],
                       CASE WHEN i % 3 = 0 THEN NULL ELSE 'start_career' END,
                       CASE WHEN i > 500 AND i % 10 = 0 THEN i - 500 END, i % 97 = 0
                FROM range({lo}, {hi}) t(i)""")
        con.execute("""
            INSERT INTO enrollments
            SELECT i, 1 + (i * 7) % 1000, 10 + i % 3, NULL,
                   TIMESTAMP '2025-03-01' + i * INTERVAL 5 HOUR,
                   ['audit', 'paid', 'financial_aid', 'enterprise'][1 + i % 4],
                   ['search', 'browse', 'recommendation'][1 + i % 3],
                   CASE WHEN i % 4 = 0 THEN TIMESTAMP '2025-03-01' + i * INTERVAL 9 HOUR END
            FROM range(1, 1501) t(i)""")
        con.execute("""
            INSERT INTO payments
            SELECT i, 1 + (i * 13) % 1000, NULL, i, NULL,
                   TIMESTAMP '2025-04-01' + i * INTERVAL 11 HOUR, 49.00 + (i % 3) * 15,
                   'course_certificate', ['succeeded', 'failed', 'refunded'][1 + (i % 10 = 0)::INT]
            FROM range(1, 401) t(i)""")
        con.execute(f"""
            INSERT INTO learning_events
            SELECT i, 1 + i % 1000, 1 + i % 1500, NULL, TIMESTAMP '2025-05-01' + i * INTERVAL 37 MINUTE,
                   ['app_open', 'video_play', 'quiz_start'][1 + i % 3], ['web', 'ios', 'android'][1 + i % 3],
                   (i % 17) * 1.25
            FROM range(1, {events + 1}) t(i)""")
        table, column, kind = EXTRA_COLUMN
        con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        con.execute(f"UPDATE {table} SET {column} = 'spring' WHERE learner_id % 2 = 0")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
