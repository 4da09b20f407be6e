"""migration invites: when each SOAP link's customer was last invited to move, and the migration
target (SOAP link, SOAP debtor, invite round) of the per-debtor invitations such an invite makes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "migration_invites",
        sa.Column("soap_link_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_by", sa.String(length=128), nullable=False),
        sa.Column("round", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("soap_link_id", name=op.f("pk_migration_invites")),
    )
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("migration_link_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("migration_debtor_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("migration_round", sa.String(length=32), nullable=True))
        batch.create_index("ix_invitations_migration", ["migration_link_id", "migration_debtor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.drop_index("ix_invitations_migration")
        batch.drop_column("migration_round")
        batch.drop_column("migration_debtor_id")
        batch.drop_column("migration_link_id")
    op.drop_table("migration_invites")
