"""Documents a Bappeda would sign

A forum keeps the secretariat's number of its Berita Acara (unique within its government, with the running number
and year it was given from), the online platform, and the position and NIP of its chair and minute-taker. A
government keeps what its documents print: the place of the date line, its head, its secretariat, and who signs
"Mengetahui".

Revision ID: c3d4e5f6a7b8
Revises: b2c3d4e5f6a7
Create Date: 2026-12-01 23:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'b2c3d4e5f6a7'
branch_labels = None
depends_on = None

FORUM_COLUMNS = [
    ('platform', sa.String(length=100)),
    ('chair_position', sa.String(length=200)),
    ('chair_nip', sa.String(length=30)),
    ('minute_taker_position', sa.String(length=200)),
    ('minute_taker_nip', sa.String(length=30)),
    ('record_number', sa.String(length=120)),
    ('record_seq', sa.Integer()),
    ('record_year', sa.Integer()),
]
GOVERNMENT_COLUMNS = [
    ('place_name', sa.String(length=100)),
    ('head_title', sa.String(length=200)),
    ('secretariat_name', sa.String(length=300)),
    ('signer_title', sa.String(length=200)),
    ('signer_name', sa.String(length=200)),
    ('signer_nip', sa.String(length=30)),
]


def upgrade():
    with op.batch_alter_table('forums', schema=None) as batch_op:
        for name, type_ in FORUM_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_forums_government_id_record_number'), ['government_id', 'record_number']
        )
    with op.batch_alter_table('governments', schema=None) as batch_op:
        for name, type_ in GOVERNMENT_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    with op.batch_alter_table('governments', schema=None) as batch_op:
        for name, _type in reversed(GOVERNMENT_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_forums_government_id_record_number'), type_='unique')
        for name, _type in reversed(FORUM_COLUMNS):
            batch_op.drop_column(name)
