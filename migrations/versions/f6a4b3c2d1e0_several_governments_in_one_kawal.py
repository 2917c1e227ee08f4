"""Several governments in one Kawal

Every OPD, user, forum, reminder policy and cuti bersama day belongs to a government. An upgrade makes one from
KAWAL_PEMDA_NAME and KAWAL_TIMEZONE and puts everything in it, so an installation with one government works as before.

Revision ID: f6a4b3c2d1e0
Revises: e5c3f2a1b432
Create Date: 2026-12-01 19:45:00

"""
import os

from alembic import op
import sqlalchemy as sa
from flask import current_app, has_app_context


# revision identifiers, used by Alembic.
revision = 'f6a4b3c2d1e0'
down_revision = 'e5c3f2a1b432'
branch_labels = None
depends_on = None

SCOPED = ('opds', 'users', 'forums', 'reminder_settings', 'collective_leave_days')


def _setting(name, default):
    if has_app_context() and name in current_app.config:
        return current_app.config[name]
    return os.environ.get(name, default)


def _short_and_kind(name):
    # The same rules as accounts.governments.short_name_of and kind_of, frozen here as they were at this revision.
    words = name.strip().split()
    if words and words[0].lower() == 'pemerintah':
        words = words[1:]
    kinds = {'kabupaten': ('Kab.', 'kabupaten'), 'provinsi': ('Prov.', 'provinsi'), 'kota': ('Kota', 'kota')}
    kind = 'kota'
    if words and words[0].lower() in kinds:
        short, kind = kinds[words[0].lower()]
        words = [short, *words[1:]]
    elif words and words[0].lower() == 'kementerian':
        kind = 'kementerian_lembaga'
    return ' '.join(words) or name.strip(), kind


def upgrade():
    governments = op.create_table('governments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('short_name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('kementerian_lembaga', 'provinsi', 'kabupaten', 'kota', name='governmentkind', native_enum=False, create_constraint=False, length=24), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('time_zone', sa.String(length=40), nullable=False),
    sa.Column('letterhead_name', sa.String(length=300), nullable=True),
    sa.Column('letterhead_address', sa.String(length=500), nullable=True),
    sa.Column('logo', sa.String(length=300), nullable=True),
    sa.Column('numbering_format', sa.String(length=120), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['governments.id'], name=op.f('fk_governments_parent_id_governments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governments')),
    sa.UniqueConstraint('code', name=op.f('uq_governments_code'))
    )
    with op.batch_alter_table('governments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governments_parent_id'), ['parent_id'], unique=False)

    name = _setting('KAWAL_PEMDA_NAME', 'Pemerintah Kota Tangerang')
    short, kind = _short_and_kind(name)
    op.bulk_insert(governments, [dict(
        id=1, code='PEMDA', name=name, short_name=short, kind=kind,
        time_zone=_setting('KAWAL_TIMEZONE', 'Asia/Jakarta'), active=True,
    )])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('governments', 'id'), 1)")

    for table in SCOPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('government_id', sa.Integer(), nullable=True))
        op.execute(f'UPDATE {table} SET government_id = 1')
    with op.batch_alter_table('opds', schema=None) as batch_op:
        batch_op.alter_column('government_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_opds_code'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_opds_government_id_code'), ['government_id', 'code'])
        batch_op.create_index(batch_op.f('ix_opds_government_id'), ['government_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_opds_government_id_governments'), 'governments', ['government_id'], ['id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('government_id', existing_type=sa.Integer(), nullable=False)
        batch_op.add_column(sa.Column('manages_instance', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_users_government_id'), ['government_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_government_id_governments'), 'governments', ['government_id'], ['id'])
    # Whoever administered the one government so far may add the others.
    op.execute("UPDATE users SET manages_instance = TRUE WHERE role = 'admin'")
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.alter_column('government_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_forums_government_id'), ['government_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_forums_government_id_governments'), 'governments', ['government_id'], ['id'])
    # One policy per government: keep the first row, as policy.current() did.
    op.execute('DELETE FROM reminder_settings WHERE id <> (SELECT MIN(id) FROM reminder_settings)')
    with op.batch_alter_table('reminder_settings', schema=None) as batch_op:
        batch_op.alter_column('government_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_reminder_settings_government_id'), ['government_id'])
        batch_op.create_foreign_key(batch_op.f('fk_reminder_settings_government_id_governments'), 'governments', ['government_id'], ['id'])
    with op.batch_alter_table('collective_leave_days', schema=None) as batch_op:
        batch_op.alter_column('government_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_collective_leave_days_day'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_collective_leave_days_government_id_day'), ['government_id', 'day'])
        batch_op.create_index(batch_op.f('ix_collective_leave_days_government_id'), ['government_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_collective_leave_days_government_id_governments'), 'governments', ['government_id'], ['id'])


def downgrade():
    # Going back keeps the first government's rows only where codes and days would collide.
    with op.batch_alter_table('collective_leave_days', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_collective_leave_days_government_id_governments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_collective_leave_days_government_id'))
        batch_op.drop_constraint(batch_op.f('uq_collective_leave_days_government_id_day'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_collective_leave_days_day'), ['day'])
        batch_op.drop_column('government_id')
    with op.batch_alter_table('reminder_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reminder_settings_government_id_governments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_reminder_settings_government_id'), type_='unique')
        batch_op.drop_column('government_id')
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_forums_government_id_governments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_forums_government_id'))
        batch_op.drop_column('government_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_government_id_governments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_government_id'))
        batch_op.drop_column('manages_instance')
        batch_op.drop_column('government_id')
    with op.batch_alter_table('opds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_opds_government_id_governments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_opds_government_id'))
        batch_op.drop_constraint(batch_op.f('uq_opds_government_id_code'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_opds_code'), ['code'])
        batch_op.drop_column('government_id')
    with op.batch_alter_table('governments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governments_parent_id'))
    op.drop_table('governments')
