"""pending intakes: credentials acknowledged to Slack or Teams and not yet answered (issue 12 finding 3)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_intakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("channel_id", sa.String(length=300), nullable=True),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("view_id", sa.String(length=64), nullable=True),
        sa.Column("view_hash", sa.String(length=64), nullable=True),
        sa.Column("response_target", sa.String(length=500), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("username", sa.String(length=254), nullable=False),
        sa.Column("token_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("token_key_id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_intakes")),
    )
    op.create_index(op.f("ix_pending_intakes_claimed_until"), "pending_intakes", ["claimed_until"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_intakes_claimed_until"), table_name="pending_intakes")
    op.drop_table("pending_intakes")
