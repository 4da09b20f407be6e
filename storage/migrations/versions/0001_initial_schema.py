"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('delivery_id', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_deliveries')),
    sa.UniqueConstraint('platform', 'delivery_id', name=op.f('uq_inbound_deliveries_platform_delivery_id'))
    )
    with op.batch_alter_table('inbound_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_deliveries_received_at'), ['received_at'], unique=False)

    op.create_table('intake_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('team_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('fault_code', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=254), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_attempts'))
    )
    with op.batch_alter_table('intake_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_intake_attempts_user_at', ['platform', 'team_id', 'user_id', 'at'], unique=False)

    op.create_table('leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=254), nullable=False),
    sa.Column('environment', sa.String(length=100), nullable=True),
    sa.Column('token_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('token_key_id', sa.String(length=32), nullable=True),
    sa.Column('token_last4', sa.String(length=4), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('debtors', sa.JSON(), nullable=False),
    sa.Column('companies', sa.JSON(), nullable=False),
    sa.Column('scope_digest', sa.String(length=64), nullable=True),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('team_id', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.String(length=128), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('last_fault_code', sa.Integer(), nullable=True),
    sa.Column('last_reason', sa.String(length=32), nullable=True),
    sa.Column('failed_checks', sa.Integer(), nullable=False),
    sa.Column('confirm_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending','active','rejected','broken','unverified','revoked')", name=op.f('ck_links_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_links')),
    sa.UniqueConstraint('username', 'environment', name=op.f('uq_links_username_environment'))
    )
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_links_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_links_token_key_id'), ['token_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_links_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_links_username'), ['username'], unique=False)

    op.create_table('pending_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('team_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('username', sa.String(length=254), nullable=True),
    sa.Column('token_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('token_key_id', sa.String(length=32), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_conversations')),
    sa.UniqueConstraint('platform', 'team_id', 'user_id', name=op.f('uq_pending_conversations_platform_team_id_user_id'))
    )
    with op.batch_alter_table('pending_conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_conversations_expires_at'), ['expires_at'], unique=False)

    op.create_table('recheck_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recheck_runs'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['links.id'], name=op.f('fk_alerts_link_id_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('key', name=op.f('uq_alerts_key'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_sent_at'), ['sent_at'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('team_id', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['links.id'], name=op.f('fk_audit_log_link_id_links'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_link_id'), ['link_id'], unique=False)

    op.create_table('checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('fault_code', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('scope_digest', sa.String(length=64), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['links.id'], name=op.f('fk_checks_link_id_links'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['recheck_runs.id'], name=op.f('fk_checks_run_id_recheck_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checks'))
    )
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checks_checked_at'), ['checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checks_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checks_run_id'), ['run_id'], unique=False)

    op.create_table('support_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('channel_id', sa.String(length=200), nullable=False),
    sa.Column('thread_id', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['links.id'], name=op.f('fk_support_threads_link_id_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_threads')),
    sa.UniqueConstraint('link_id', 'platform', name=op.f('uq_support_threads_link_id_platform'))
    )
    with op.batch_alter_table('support_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_threads_link_id'), ['link_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('support_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_threads_link_id'))

    op.drop_table('support_threads')
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checks_run_id'))
        batch_op.drop_index(batch_op.f('ix_checks_link_id'))
        batch_op.drop_index(batch_op.f('ix_checks_checked_at'))

    op.drop_table('checks')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_link_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_sent_at'))
        batch_op.drop_index(batch_op.f('ix_alerts_link_id'))

    op.drop_table('alerts')
    op.drop_table('recheck_runs')
    with op.batch_alter_table('pending_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_conversations_expires_at'))

    op.drop_table('pending_conversations')
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_links_username'))
        batch_op.drop_index(batch_op.f('ix_links_user_id'))
        batch_op.drop_index(batch_op.f('ix_links_token_key_id'))
        batch_op.drop_index(batch_op.f('ix_links_state'))

    op.drop_table('links')
    op.drop_table('leases')
    with op.batch_alter_table('intake_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_attempts_user_at')

    op.drop_table('intake_attempts')
    with op.batch_alter_table('inbound_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_deliveries_received_at'))

    op.drop_table('inbound_deliveries')
