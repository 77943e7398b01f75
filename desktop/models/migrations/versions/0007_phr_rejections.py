"""PHR rejections: file items a reviewer left out of a merge, shown as rejected on re-import

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phr_rejection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('phr_import_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('source_system', sa.String(length=300), nullable=False),
    sa.Column('source_resource_id', sa.String(length=300), nullable=False),
    sa.Column('item_key', sa.String(length=500), nullable=False),
    sa.Column('label', sa.String(length=500), nullable=False),
    sa.Column('rejected_by_id', sa.Integer(), nullable=False),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_phr_rejection_patient_id_patient')),
    sa.ForeignKeyConstraint(['phr_import_id'], ['phr_import.id'],
                            name=op.f('fk_phr_rejection_phr_import_id_phr_import')),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['app_user.id'],
                            name=op.f('fk_phr_rejection_rejected_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phr_rejection'))
    )
    with op.batch_alter_table('phr_rejection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phr_rejection_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phr_rejection_phr_import_id'), ['phr_import_id'], unique=False)
        batch_op.create_index('ix_phr_rejection_source', ['patient_id', 'category', 'source_resource_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('phr_rejection', schema=None) as batch_op:
        batch_op.drop_index('ix_phr_rejection_source')
        batch_op.drop_index(batch_op.f('ix_phr_rejection_phr_import_id'))
        batch_op.drop_index(batch_op.f('ix_phr_rejection_patient_id'))
    op.drop_table('phr_rejection')
