"""The first schema: the attempts ledger and mock rounds.

Revision 0001 (the base). Written out in full, not derived from models.py, so it stays what it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False, server_default="local"),
        sa.Column("item_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("dialect", sa.Text(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("hints_used", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mock_id", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("prompt_text", sa.Text(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
        sa.UniqueConstraint("uid", name="uq_attempts_uid"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_attempts_user_submitted_at", "attempts", ["user", "submitted_at"])
    op.create_index("ix_attempts_user_item_id", "attempts", ["user", "item_id"])
    op.create_index("ix_attempts_mock_id", "attempts", ["mock_id"])
    op.create_table(
        "mocks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False, server_default="local"),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("focus", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("debrief", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mocks"),
        sa.UniqueConstraint("uid", name="uq_mocks_uid"),
    )
    op.create_index("ix_mocks_user_started_at", "mocks", ["user", "started_at"])


def downgrade() -> None:
    op.drop_table("mocks")
    op.drop_table("attempts")
