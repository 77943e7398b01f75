"""laboratory results (lab_result: one row per reported value, grouped by panel_id)

Revision ID: 0003
Revises: 0004
Create Date: 2026-12-04 10:00:11.773883
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lab_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.String(length=64), nullable=False),
    sa.Column('panel_code', sa.String(length=20), nullable=False),
    sa.Column('panel_name', sa.String(length=300), nullable=False),
    sa.Column('loinc', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('value_type', sa.String(length=10), nullable=False),
    sa.Column('value_num', sa.Float(), nullable=True),
    sa.Column('comparator', sa.String(length=2), nullable=False),
    sa.Column('value_text', sa.Text(), nullable=False),
    sa.Column('value_code', sa.String(length=60), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('ref_low', sa.Float(), nullable=True),
    sa.Column('ref_high', sa.Float(), nullable=True),
    sa.Column('ref_text', sa.String(length=200), nullable=False),
    sa.Column('flag', sa.String(length=4), nullable=False),
    sa.Column('flag_source', sa.String(length=20), nullable=False),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('performing_lab', sa.String(length=300), nullable=False),
    sa.Column('ordering_clinician', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_in_error', sa.Boolean(), nullable=False),
    sa.Column('error_reason', sa.Text(), nullable=True),
    sa.Column('error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_by_id', sa.Integer(), nullable=True),
    sa.Column('source_system', sa.String(length=300), nullable=True),
    sa.Column('source_resource_id', sa.String(length=300), nullable=True),
    sa.Column('source_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('phr_import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_lab_result_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_lab_result_encounter_id_encounter')),
    sa.ForeignKeyConstraint(['error_by_id'], ['app_user.id'], name=op.f('fk_lab_result_error_by_id_app_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_lab_result_patient_id_patient')),
    sa.ForeignKeyConstraint(['phr_import_id'], ['phr_import.id'], name=op.f('fk_lab_result_phr_import_id_phr_import')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_lab_result_updated_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_result'))
    )
    with op.batch_alter_table('lab_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_result_panel_id'), ['panel_id'], unique=False)
        batch_op.create_index('ix_lab_result_patient_code_time', ['patient_id', 'loinc', 'collected_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_result_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_lab_result_patient_time', ['patient_id', 'collected_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_result_phr_import_id'), ['phr_import_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lab_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_result_phr_import_id'))
        batch_op.drop_index('ix_lab_result_patient_time')
        batch_op.drop_index(batch_op.f('ix_lab_result_patient_id'))
        batch_op.drop_index('ix_lab_result_patient_code_time')
        batch_op.drop_index(batch_op.f('ix_lab_result_panel_id'))

    op.drop_table('lab_result')
