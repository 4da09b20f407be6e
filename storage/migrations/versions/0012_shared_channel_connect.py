"""Slack Connect: invitations handed to one person who pressed "Connect Nmbrs" in a shared channel,
and the Connect message a form submission came through (issue 14, shared channels)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("for_platform", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("for_team", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("for_user", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("channel_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("via_id", sa.Integer(), nullable=True))
        batch.create_index("ix_invitations_for", ["for_platform", "for_team", "for_user"], unique=False)
    with op.batch_alter_table("pending_intakes") as batch:
        batch.add_column(sa.Column("via_invitation", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("via_channel", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_intakes") as batch:
        batch.drop_column("via_channel")
        batch.drop_column("via_invitation")
    with op.batch_alter_table("invitations") as batch:
        batch.drop_index("ix_invitations_for")
        batch.drop_column("via_id")
        batch.drop_column("channel_id")
        batch.drop_column("for_user")
        batch.drop_column("for_team")
        batch.drop_column("for_platform")
