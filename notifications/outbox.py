"""The outbox rows' one transition function: a conditional UPDATE, so that only the sender holding a row's lease,
or the planner while the row still waits, can change it. And the one shape of a new row, which enters PENDING."""

from datetime import date, datetime

import sqlalchemy as sa

from core.extensions import db
from notifications.models import MAIL_TRANSITIONS, MailKind, MailStatus, OutboxMessage

# Leaving SENDING in any direction gives the lease back.
RELEASED = dict(lease_owner=None, lease_token=None, lease_until=None)

# The moves are Core statements on the table, not ORM bulk UPDATEs of the mapped class: those cost a sender more
# than the statement itself (a row's answer is recorded thousands of times a run), and the callers hold no object
# of the rows they move (`synchronize_session=False` before). So their conditions use the table's columns too:
# a WHERE clause built on the mapped class's attributes keeps the ORM's path.
TABLE = OutboxMessage.__table__


def sources(to: MailStatus) -> list[MailStatus]:
    """The statuses a row may be in to move to `to`."""
    return [status for status, targets in MAIL_TRANSITIONS.items() if to in targets]


def move(where, to: MailStatus, **values) -> list[int]:
    """Move the rows matching `where` (and allowed by MAIL_TRANSITIONS) to `to`, setting `values` too, in one
    statement; returns the ids moved, so the caller knows whether it still held the row. Does not commit."""
    if to != MailStatus.SENDING:
        values = {**RELEASED, **values}
    statement = (
        sa.update(TABLE)
        .where(where, TABLE.c.status.in_(sources(to)))
        .values(status=to, **values)
        .returning(TABLE.c.id)
        .execution_options(synchronize_session=False)  # for a caller's condition on the mapped class
    )
    return list(db.session.execute(statement).scalars())


def held(row_id: int, token: str):
    """The condition that this row is still leased with `token`."""
    return sa.and_(TABLE.c.id == row_id, TABLE.c.lease_token == token, TABLE.c.status == MailStatus.SENDING)


def new_row(key: str, kind: MailKind, recipient: str | None, *, now: datetime, local_date: date, **values) -> dict:
    """The values of a new outbox row, waiting to be sent (`next_attempt_at`, `opd_id`, ... in `values`)."""
    return (
        dict(
            dedup_key=key,
            kind=kind,
            local_date=local_date,
            recipient=recipient,
            cc=[],
            status=MailStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            opd_id=None,
            recipient_user_id=None,
        )
        | values
    )
