"""teams references: where the Teams bot can send proactive messages (1:1 chats, channels, teams)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("team_id", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("teams_user_id", sa.String(length=200), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("service_url", sa.String(length=500), nullable=False),
        sa.Column("bot_id", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_references")),
        sa.UniqueConstraint("key", name=op.f("uq_teams_references_key")),
    )
    op.create_index("ix_teams_references_kind_tenant", "teams_references", ["kind", "tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_teams_references_kind_tenant", table_name="teams_references")
    op.drop_table("teams_references")
