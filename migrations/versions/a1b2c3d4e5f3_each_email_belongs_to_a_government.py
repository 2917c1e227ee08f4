"""Each email belongs to a government

The outbox row carries the government whose OPD (or, for a test email, whose admin) it is for, so that the delivery
log, the dead count and the refused addresses show each government its own mail. Existing rows take their OPD's
government, and the first government where they have no OPD.

Revision ID: a1b2c3d4e5f3
Revises: f6a4b3c2d1e0
Create Date: 2026-12-01 19:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f3'
down_revision = 'f6a4b3c2d1e0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('government_id', sa.Integer(), nullable=True))
    op.execute('UPDATE outbox SET government_id = (SELECT opds.government_id FROM opds WHERE opds.id = outbox.opd_id)')
    op.execute('UPDATE outbox SET government_id = (SELECT MIN(id) FROM governments) WHERE government_id IS NULL')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_government_id'), ['government_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_government_id_governments'), 'governments', ['government_id'], ['id'])


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_government_id_governments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_government_id'))
        batch_op.drop_column('government_id')
