"""An assignment's events are read in time order from one index

ix_assignment_events_assignment_at_id on (assignment_id, at, id) replaces the index on assignment_id alone: a task's
timeline is read from it in order, and its latest hand-over (was it sent back for fixing?) as one row from its end.
With it the cost estimate of "My tasks" falls below PostgreSQL's jit_above_cost, so it is no longer JIT-compiled
(which took longer than the query itself).

Revision ID: a7c1e9d2b4f6
Revises: f1a2b3c4d5e6
Create Date: 2026-12-03 12:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c1e9d2b4f6'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment_events', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_events_assignment_at_id', ['assignment_id', 'at', 'id'], unique=False)
        batch_op.drop_index('ix_assignment_events_assignment_id')


def downgrade():
    with op.batch_alter_table('assignment_events', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_events_assignment_id', ['assignment_id'], unique=False)
        batch_op.drop_index('ix_assignment_events_assignment_at_id')
