"""A sync client reads tasks by their last change

Revision ID: f0a1b2c3d4e5
Revises: e5f6a7b8c9d0
Create Date: 2026-12-02 17:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f0a1b2c3d4e5'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    # GET /api/v1/assignments?updated_since=…: WHERE updated_at >= … ORDER BY updated_at, id, a range of this index.
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_updated_id', ['updated_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_updated_id')
