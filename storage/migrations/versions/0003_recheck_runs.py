"""recheck: the transition a check caused, and one run per scheduled slot

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transition", sa.String(length=32), nullable=True))
    with op.batch_alter_table("recheck_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_recheck_runs_slot"), ["slot"])


def downgrade() -> None:
    with op.batch_alter_table("recheck_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_recheck_runs_slot"), type_="unique")
        batch_op.drop_column("slot")
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.drop_column("transition")
