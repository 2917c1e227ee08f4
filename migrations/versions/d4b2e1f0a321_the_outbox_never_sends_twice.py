"""The outbox never sends twice

Revision ID: d4b2e1f0a321
Revises: c3a1f0e9d210
Create Date: 2026-12-01 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4b2e1f0a321'
down_revision = 'c3a1f0e9d210'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('refused', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Enum('nothing_to_say', 'superseded', 'too_old', name='cancelreason', native_enum=False, create_constraint=False, length=24), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_sent_at'), ['sent_at'], unique=False)
    # A sent row's error belonged to an earlier attempt; the delivery log showed it in red as if it still held.
    op.execute("UPDATE outbox SET last_error = NULL WHERE status = 'sent'")


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('refused')
        batch_op.drop_column('lease_token')
