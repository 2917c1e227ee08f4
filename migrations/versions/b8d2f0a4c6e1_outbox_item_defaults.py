"""A reminder item's dropped and state have defaults in the database, so the planner's COPY leaves them out

Revision ID: b8d2f0a4c6e1
Revises: d7a1e5c0b2f9
Create Date: 2026-12-03 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d2f0a4c6e1'
down_revision = 'd7a1e5c0b2f9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_items') as batch_op:
        batch_op.alter_column('dropped', existing_type=sa.Boolean(), server_default=sa.false())
        batch_op.alter_column('state', existing_type=sa.JSON(), server_default='{}')


def downgrade():
    with op.batch_alter_table('outbox_items') as batch_op:
        batch_op.alter_column('state', existing_type=sa.JSON(), server_default=None)
        batch_op.alter_column('dropped', existing_type=sa.Boolean(), server_default=None)
