"""Who hears from Kawal for an OPD: its active head, else its official inbox, else nobody.

The one rule of an OPD's recipient. The planner, the outbox's send-time check, the follow-up forms' warning and the
OPD pages all ask here, so that "will this OPD be told?" has one answer everywhere.
"""

import sqlalchemy as sa
import sqlalchemy.orm as so

from accounts.models import Opd, User
from core.extensions import db


def recipient(opd: Opd) -> tuple[str | None, User | None]:
    """The address mail for this OPD goes to now, and the user behind it (None for the official inbox)."""
    head: User | None = opd.head
    if head is not None and head.active:
        return head.email, head
    return (opd.email, None) if opd.email else (None, None)


def reachable(opd: Opd) -> bool:
    return recipient(opd)[0] is not None


def _no_recipient():
    """The SQL condition of an OPD nobody hears for: no active head and no official inbox."""
    active_head = sa.exists().where(User.id == Opd.head_id, User.active)
    return sa.and_(~active_head, sa.or_(Opd.email.is_(None), Opd.email == ""))


def unreachable(opd_ids=None, government_ids=None) -> list[Opd]:
    """The active OPDs among these (or of these governments; or every one) that nobody would hear for, by code."""
    query = sa.select(Opd).where(Opd.active, _no_recipient()).order_by(Opd.government_id, Opd.code)
    if opd_ids is not None:
        query = query.where(Opd.id.in_(list(opd_ids)))
    if government_ids is not None:
        query = query.where(Opd.government_id.in_(list(government_ids)))
    return list(db.session.scalars(query.options(so.joinedload(Opd.government))))
