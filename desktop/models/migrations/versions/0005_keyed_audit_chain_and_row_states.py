"""keyed audit chain and chart row states

Older rows keep their plain SHA-256 links (keyed = false): check-db reports them as unkeyed history.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04 10:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_row_state',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('row_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_row_state'))
    )
    with op.batch_alter_table('audit_row_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_row_state_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_audit_row_state_row', ['table_name', 'row_id'], unique=False)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('state_digest', sa.String(length=64), nullable=True))
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_check', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('keyed_since', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
    # PostgreSQL: re-run docs/postgresql-roles.sql after the upgrade (audit_row_state is append-only too)


def downgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('keyed_since')
        batch_op.drop_column('key_check')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('state_digest')
        batch_op.drop_column('keyed')
    with op.batch_alter_table('audit_row_state', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_row_state_row')
        batch_op.drop_index(batch_op.f('ix_audit_row_state_entry_id'))
    op.drop_table('audit_row_state')
