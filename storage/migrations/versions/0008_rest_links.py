"""rest links: a link kind, the REST consent's columns, per-kind unique keys, a revocation queue

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SOAP_ONLY = sa.text("kind = 'soap'")
_REST_ONLY = sa.text("kind = 'rest'")


def upgrade() -> None:
    # batch mode: SQLite cannot drop a unique constraint in place, so the table is rebuilt there.
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=8), nullable=False, server_default="soap"))
        batch.add_column(sa.Column("rest_user_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("debtor_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("debtor_number", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("debtor_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("scopes", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("access_ciphertext", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("access_key_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("refresh_started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("refresh_lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint("uq_links_username_environment", type_="unique")
        batch.create_check_constraint("kind", "kind IN ('soap','rest')")
    op.create_index("uq_links_soap_account", "links", ["username", "environment"], unique=True,
                    sqlite_where=_SOAP_ONLY, postgresql_where=_SOAP_ONLY)
    op.create_index("uq_links_rest_debtor", "links", ["debtor_id"], unique=True,
                    sqlite_where=_REST_ONLY, postgresql_where=_REST_ONLY)
    op.create_table(
        "pending_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("token_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("token_key_id", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_revocations")),
    )
    op.create_index(op.f("ix_pending_revocations_link_id"), "pending_revocations", ["link_id"])
    op.create_index(op.f("ix_pending_revocations_token_key_id"), "pending_revocations", ["token_key_id"])
    op.create_index(op.f("ix_pending_revocations_next_attempt_at"), "pending_revocations", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("pending_revocations")
    op.drop_index("uq_links_rest_debtor", table_name="links")
    op.drop_index("uq_links_soap_account", table_name="links")
    op.execute("DELETE FROM links WHERE kind = 'rest'")  # the old schema cannot hold them
    with op.batch_alter_table("links") as batch:
        batch.drop_constraint("kind", type_="check")  # named ck_links_kind by the naming convention
        batch.create_unique_constraint("uq_links_username_environment", ["username", "environment"])
        for column in ("refresh_lease_until", "refresh_started_at", "refreshed_at", "access_expires_at",
                       "access_key_id", "access_ciphertext", "scopes", "debtor_name", "debtor_number",
                       "debtor_id", "rest_user_id", "kind"):
            batch.drop_column(column)
