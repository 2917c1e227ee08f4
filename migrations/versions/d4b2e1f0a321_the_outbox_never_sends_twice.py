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
    pass


def downgrade():
    pass
