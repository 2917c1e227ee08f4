"""The database helpers that SQL spells differently on SQLite and PostgreSQL give the same answers on both."""

from datetime import UTC, date, datetime

import sqlalchemy as sa

from core.db import days_between, local_days_after, median
from core.extensions import db
from core.types import UtcDateTime


def _values(*rows):
    """Rows to aggregate, without a table (SQLite has no VALUES with column names)."""
    selects = [
        sa.select(sa.literal(g, sa.Integer).label("grp"), sa.literal(v, sa.Float).label("value")) for g, v in rows
    ]
    return sa.union_all(*selects).subquery()


def test_median_per_group_even_odd_and_empty(appctx):
    source = _values((1, 1.0), (1, 2.0), (1, 3.0), (1, 5.0), (2, 40.0), (3, None))
    rows = db.session.execute(
        sa.select(source.c.grp, median(source.c.value)).group_by(source.c.grp).order_by(source.c.grp)
    ).all()
    assert [(group, value) for group, value in rows] == [(1, 2.5), (2, 40.0), (3, None)]


def test_days_between_two_moments_is_a_fraction_of_days(appctx):
    later = sa.literal(datetime(2025, 12, 18, 14, 0, tzinfo=UTC), UtcDateTime())
    earlier = sa.literal(datetime(2025, 12, 16, 2, 0, tzinfo=UTC), UtcDateTime())
    assert db.session.scalar(sa.select(days_between(later, earlier))) == 2.5


def test_local_days_after_counts_to_the_local_date_not_the_utc_one(appctx):
    # 16 December 2025, 20.00 UTC is already 17 December, 03.00 WIB (UTC+7).
    moment = sa.literal(datetime(2025, 12, 16, 20, 0, tzinfo=UTC), UtcDateTime())
    due = sa.literal(date(2025, 12, 14), sa.Date())
    assert db.session.scalar(sa.select(local_days_after(moment, due, 7 * 60))) == 3
    assert db.session.scalar(sa.select(local_days_after(moment, due, 0))) == 2
