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


def test_bulk_insert_or_ignore_keeps_the_first_row_of_a_key_and_writes_enums_and_json(appctx):
    from core.db import bulk_insert_or_ignore, insert_or_ignore
    from notifications.models import MailKind, MailStatus, OutboxItem, OutboxMessage, Reason

    moment = datetime(2025, 12, 16, 2, 0, tzinfo=UTC)
    insert_or_ignore(
        OutboxMessage,
        [
            dict(
                dedup_key="digest:test",
                kind=MailKind.DIGEST,
                local_date=date(2025, 12, 16),
                cc=[],
                status=MailStatus.PENDING,
                attempts=0,
                next_attempt_at=moment,
                created_at=moment,
            )
        ],
        ["dedup_key"],
    )
    message_id = db.session.scalar(sa.select(OutboxMessage.id))

    def item(key, state):
        return dict(
            message_id=message_id,
            subject_key=key,
            occasion="overdue:2025-12-10:1",
            reason=Reason.OVERDUE,
            assignment_id=None,
            decree_id=None,
            dropped=False,
            state=state,
        )

    bulk_insert_or_ignore(OutboxItem, [item("assignment:1", {"first": True})], ["subject_key", "occasion"])
    bulk_insert_or_ignore(
        OutboxItem,
        [item("assignment:1", {"second": True}), item("assignment:2", {"n": [1, 2]})],
        ["subject_key", "occasion"],
    )
    db.session.commit()
    rows = db.session.execute(
        sa.select(OutboxItem.subject_key, OutboxItem.reason, OutboxItem.state).order_by(OutboxItem.subject_key)
    ).all()
    assert [tuple(row) for row in rows] == [
        ("assignment:1", Reason.OVERDUE, {"first": True}),
        ("assignment:2", Reason.OVERDUE, {"n": [1, 2]}),
    ]


def test_in_batches_finds_members_among_thousands_of_values(appctx, world):
    from accounts.models import Opd
    from core.db import in_batches

    values = [f"X{i}" for i in range(4500)] + ["DINKES", "DP3AP2KB"]
    found = set()
    for condition in in_batches(Opd.code, values):
        found.update(db.session.scalars(sa.select(Opd.code).where(condition)))
    assert found == {"DINKES", "DP3AP2KB"}
