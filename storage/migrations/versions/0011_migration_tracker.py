"""migration tracker: each SOAP debtor covered by a REST link or marked not needed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "migration_debtors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("soap_link_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rest_link_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=200), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('covered','not_needed')", name=op.f("ck_migration_debtors_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_debtors")),
        sa.UniqueConstraint("soap_link_id", "debtor_id", name="uq_migration_debtors_link_debtor"),
    )
    op.create_index(op.f("ix_migration_debtors_soap_link_id"), "migration_debtors", ["soap_link_id"])
    op.create_index(op.f("ix_migration_debtors_rest_link_id"), "migration_debtors", ["rest_link_id"])


def downgrade() -> None:
    op.drop_table("migration_debtors")
