"""Indexes for 100,000 assignments

Revision ID: b7c1d2e3f4a5
Revises: 8265fd8e8d53
Create Date: 2026-11-23 10:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = '8265fd8e8d53'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_assignments_due_id', 'assignments', ['due_date', 'id'])
    op.create_index('ix_assignments_status_assigned_at', 'assignments', ['status', 'assigned_at'])
    op.create_index('ix_assignments_status_completed_at', 'assignments', ['status', 'completed_at'])


def downgrade():
    op.drop_index('ix_assignments_status_completed_at', table_name='assignments')
    op.drop_index('ix_assignments_status_assigned_at', table_name='assignments')
    op.drop_index('ix_assignments_due_id', table_name='assignments')
