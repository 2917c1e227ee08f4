"""Each series belongs to a government

A series (a process of several meetings) is the government's that started it. Existing series take the government
of their first forum, and the first government when they have none.

Revision ID: b2c3d4e5f6a7
Revises: a1b2c3d4e5f3
Create Date: 2026-12-01 21:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2c3d4e5f6a7'
down_revision = 'a1b2c3d4e5f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('government_id', sa.Integer(), nullable=True))
    op.execute(
        'UPDATE series SET government_id = COALESCE('
        '(SELECT forums.government_id FROM forums WHERE forums.series_id = series.id ORDER BY forums.starts_at, forums.id LIMIT 1), '
        '(SELECT MIN(id) FROM governments))'
    )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.alter_column('government_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_series_government_id'), ['government_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_series_government_id_governments'), 'governments', ['government_id'], ['id'])


def downgrade():
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_series_government_id_governments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_series_government_id'))
        batch_op.drop_column('government_id')
