"""A task changes once at a time

Revision ID: e5c3f2a1b432
Revises: d4b2e1f0a321
Create Date: 2026-12-01 18:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c3f2a1b432'
down_revision = 'd4b2e1f0a321'
branch_labels = None
depends_on = None


def upgrade():
    # Optimistic locking (actions.models.Assignment.version): every ORM update checks and bumps it.
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('version')
