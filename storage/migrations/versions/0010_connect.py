"""connect tickets and OAuth states: REST consent from chat buttons and invitation pages (issue 13)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connect_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("migration_link_id", sa.Integer(), nullable=True),
        sa.Column("migration_debtor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"],
                                name=op.f("fk_connect_tickets_invitation_id_invitations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connect_tickets")),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_connect_tickets_ticket_hash")),
    )
    op.create_index(op.f("ix_connect_tickets_expires_at"), "connect_tickets", ["expires_at"], unique=False)
    op.create_table(
        "oauth_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("cookie_hash", sa.String(length=64), nullable=False),
        sa.Column("verifier_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("verifier_key_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["connect_tickets.id"],
                                name=op.f("fk_oauth_states_ticket_id_connect_tickets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_states")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oauth_states_state_hash")),
    )
    op.create_index(op.f("ix_oauth_states_ticket_id"), "oauth_states", ["ticket_id"], unique=False)
    op.create_index(op.f("ix_oauth_states_expires_at"), "oauth_states", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_oauth_states_expires_at"), table_name="oauth_states")
    op.drop_index(op.f("ix_oauth_states_ticket_id"), table_name="oauth_states")
    op.drop_table("oauth_states")
    op.drop_index(op.f("ix_connect_tickets_expires_at"), table_name="connect_tickets")
    op.drop_table("connect_tickets")
