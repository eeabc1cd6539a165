"""Charities' details and shares, donations, allocations, approvals, statements and deliveries (issue 6)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 23:34:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('donations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('charity_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('run_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_to', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('debit_entry_id', sa.Integer(), nullable=True),
    sa.Column('paid_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payment_reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=False),
    sa.Column('reversal_entry_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'paid', 'acknowledged', 'rejected', 'cancelled')", name=op.f('ck_donations_status')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_donations_amount_positive')),
    sa.ForeignKeyConstraint(['charity_id'], ['charities.id'], name=op.f('fk_donations_charity_id_charities')),
    sa.ForeignKeyConstraint(['debit_entry_id'], ['pool_entries.id'], name=op.f('fk_donations_debit_entry_id_pool_entries')),
    sa.ForeignKeyConstraint(['reversal_entry_id'], ['pool_entries.id'], name=op.f('fk_donations_reversal_entry_id_pool_entries')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_donations_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donations')),
    sa.UniqueConstraint('debit_entry_id', name=op.f('uq_donations_debit_entry_id')),
    sa.UniqueConstraint('reversal_entry_id', name=op.f('uq_donations_reversal_entry_id'))
    )
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.create_index('ix_donations_charity_id_id', ['charity_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_donations_run_key'), ['run_key'], unique=False)
        batch_op.create_index('ix_donations_status_id', ['status', 'id'], unique=False)

    op.create_table('donation_allocations',
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('pool_entry_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_donation_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_donation_allocations_donation_id_donations')),
    sa.ForeignKeyConstraint(['pool_entry_id'], ['pool_entries.id'], name=op.f('fk_donation_allocations_pool_entry_id_pool_entries')),
    sa.PrimaryKeyConstraint('donation_id', 'pool_entry_id', name=op.f('pk_donation_allocations'))
    )
    with op.batch_alter_table('donation_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donation_allocations_pool_entry_id'), ['pool_entry_id'], unique=False)

    op.create_table('donation_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_donation_approvals_donation_id_donations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_donation_approvals_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donation_approvals')),
    sa.UniqueConstraint('donation_id', 'user_id', name=op.f('uq_donation_approvals_donation_id_user_id'))
    )
    with op.batch_alter_table('donation_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donation_approvals_donation_id'), ['donation_id'], unique=False)

    op.create_table('statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('issued_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('json_document', sa.LargeBinary(), nullable=False),
    sa.Column('json_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('csv_document', sa.LargeBinary(), nullable=False),
    sa.Column('csv_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pdf_document', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.CheckConstraint("kind IN ('original', 'correction', 'cancellation')", name=op.f('ck_statements_kind')),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_statements_donation_id_donations')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['statements.id'], name=op.f('fk_statements_supersedes_id_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements')),
    sa.UniqueConstraint('donation_id', 'version', name=op.f('uq_statements_donation_id_version')),
    sa.UniqueConstraint('number', name=op.f('uq_statements_number')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_statements_supersedes_id'))
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statements_donation_id'), ['donation_id'], unique=False)

    op.create_table('statement_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('charity_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_message', sa.Text(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected', 'failed')", name=op.f('ck_statement_deliveries_status')),
    sa.ForeignKeyConstraint(['charity_id'], ['charities.id'], name=op.f('fk_statement_deliveries_charity_id_charities')),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_statement_deliveries_statement_id_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_deliveries'))
    )
    with op.batch_alter_table('statement_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_deliveries_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index('ix_statement_deliveries_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('statement_delivery_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('gateway', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.CheckConstraint("outcome IN ('accepted', 'retry', 'rejected')", name=op.f('ck_statement_delivery_attempts_outcome')),
    sa.ForeignKeyConstraint(['delivery_id'], ['statement_deliveries.id'], name=op.f('fk_statement_delivery_attempts_delivery_id_statement_deliveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_delivery_attempts')),
    sa.UniqueConstraint('delivery_id', 'number', name=op.f('uq_statement_delivery_attempts_delivery_id_number'))
    )
    with op.batch_alter_table('statement_delivery_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_delivery_attempts_delivery_id'), ['delivery_id'], unique=False)

    with op.batch_alter_table('charities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kvk_number', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('rsin', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('anbi_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='unchecked'))
        batch_op.add_column(sa.Column('anbi_checked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('share_bp', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('minimum_donation_cents', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cost_per_device_cents', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('webhook_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('webhook_secret', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.text('CURRENT_TIMESTAMP')))
        batch_op.create_check_constraint(op.f('ck_charities_anbi_status'), "anbi_status IN ('unchecked', 'anbi', 'not_anbi', 'revoked')")
        batch_op.create_check_constraint(op.f('ck_charities_share_range'), 'share_bp >= 0 AND share_bp <= 10000')
        batch_op.create_check_constraint(op.f('ck_charities_minimum_not_negative'), 'minimum_donation_cents >= 0')
        batch_op.create_check_constraint(op.f('ck_charities_cost_not_negative'), 'cost_per_device_cents >= 0')

    # Statements are frozen: the database itself refuses to change or remove one (a correction is a new row).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION statements_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'statements are immutable; issue a correction instead'; END $$"
        )
        op.execute(
            "CREATE TRIGGER statements_immutable BEFORE UPDATE OR DELETE ON statements "
            "FOR EACH ROW EXECUTE FUNCTION statements_immutable()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER statements_no_{event.lower()} BEFORE {event} ON statements "
                "BEGIN SELECT RAISE(ABORT, 'statements are immutable; issue a correction instead'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS statements_immutable ON statements")
        op.execute("DROP FUNCTION IF EXISTS statements_immutable()")
    with op.batch_alter_table('charities', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_charities_cost_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_charities_minimum_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_charities_share_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_charities_anbi_status'), type_='check')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('version')
        batch_op.drop_column('webhook_secret')
        batch_op.drop_column('webhook_url')
        batch_op.drop_column('cost_per_device_cents')
        batch_op.drop_column('minimum_donation_cents')
        batch_op.drop_column('share_bp')
        batch_op.drop_column('address')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('anbi_checked_on')
        batch_op.drop_column('anbi_status')
        batch_op.drop_column('rsin')
        batch_op.drop_column('kvk_number')

    with op.batch_alter_table('statement_delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_delivery_attempts_delivery_id'))

    op.drop_table('statement_delivery_attempts')
    with op.batch_alter_table('statement_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_deliveries_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_statement_deliveries_statement_id'))

    op.drop_table('statement_deliveries')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_donation_id'))

    op.drop_table('statements')
    with op.batch_alter_table('donation_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donation_approvals_donation_id'))

    op.drop_table('donation_approvals')
    with op.batch_alter_table('donation_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donation_allocations_pool_entry_id'))

    op.drop_table('donation_allocations')
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_index('ix_donations_status_id')
        batch_op.drop_index(batch_op.f('ix_donations_run_key'))
        batch_op.drop_index('ix_donations_charity_id_id')

    op.drop_table('donations')
