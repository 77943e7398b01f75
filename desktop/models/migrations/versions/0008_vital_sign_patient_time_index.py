"""Vital signs: an index on (patient, time), so a chart's latest readings are one index step, not a scan of all
its readings (the chart's alert list and summary ask on every open)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:00:00
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vital_sign', schema=None) as batch_op:
        batch_op.create_index('ix_vital_sign_patient_time', ['patient_id', 'taken_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vital_sign', schema=None) as batch_op:
        batch_op.drop_index('ix_vital_sign_patient_time')
