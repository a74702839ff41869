"""Spaced-repetition state (cards and the last attempt folded in) and per-user preferences.

Revision 0002 (after 0001). Adds tables only: the attempts and mocks of a 0001 history are untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_cards",
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user", "key", name="pk_review_cards"),
    )
    op.create_table(
        "review_progress",
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("last_attempt_id", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("user", name="pk_review_progress"),
    )
    op.create_table(
        "prefs",
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("user", "key", name="pk_prefs"),
    )


def downgrade() -> None:
    op.drop_table("prefs")
    op.drop_table("review_progress")
    op.drop_table("review_cards")
