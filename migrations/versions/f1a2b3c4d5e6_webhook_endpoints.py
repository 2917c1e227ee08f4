"""Signed webhooks: a government's endpoints, and their deliveries as outbox rows

webhook_endpoints holds each endpoint's URL, secret (in clear: Kawal signs with it), events, the host its admin
allows although private, and whether it is active. An outbox row of kind "webhook" names its endpoint
(outbox.webhook_id) and holds the JSON it posts (outbox.payload).

Revision ID: f1a2b3c4d5e6
Revises: f0a1b2c3d4e5
Create Date: 2026-12-02 17:45:00

"""
from alembic import op
import sqlalchemy as sa

from core.types import UtcDateTime


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'f0a1b2c3d4e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('government_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('allowed_host', sa.String(length=253), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_webhook_endpoints_created_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['government_id'], ['governments.id'], name=op.f('fk_webhook_endpoints_government_id_governments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_government_id'), ['government_id'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webhook_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_webhook_id'), ['webhook_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_webhook_id_webhook_endpoints'), 'webhook_endpoints', ['webhook_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_webhook_id_webhook_endpoints'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_webhook_id'))
        batch_op.drop_column('payload')
        batch_op.drop_column('webhook_id')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_government_id'))
    op.drop_table('webhook_endpoints')
