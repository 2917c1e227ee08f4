"""Sessions end when they should

Revision ID: c3a1f0e9d210
Revises: b7c1d2e3f4a5
Create Date: 2026-12-01 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a1f0e9d210'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
