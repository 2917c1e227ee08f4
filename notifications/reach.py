"""The OPDs Kawal cannot reach, and why: nobody to write to (accounts.reach), or a mail server that refuses the
address Kawal would write to. For the secretariat's digest and the dashboard: shown until someone fixes it."""

import functools
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from accounts import reach
from accounts.models import Opd
from core import clock, data_version
from core.extensions import db
from notifications.models import MailError, MailStatus, OutboxMessage


class Why(StrEnum):
    NO_RECIPIENT = "no_recipient"  # no active head and no official inbox
    REFUSED = "refused"  # the mail server refused the address the OPD's mail goes to


@dataclass(frozen=True)
class OpdRow:
    """The OPD as the alerts name and link it: plain values with an Opd's names, kept from one request to the next."""

    id: int
    code: str
    name: str
    government_id: int


@dataclass(frozen=True)
class Unreachable:
    opd: OpdRow
    why: Why
    address: str | None = None  # the refused address
    reply: str | None = None  # the server's words about it


# How far back a refusal is remembered: an OPD's mail goes out every working day it has something due, so a
# refusal still true is younger than this; and the dashboard does not read the whole outbox on every load.
REFUSAL_MEMORY_DAYS = 30


def recent_refusals() -> list[sa.Row]:
    """The outbox rows of the last REFUSAL_MEMORY_DAYS that carry a refusal: a refused list, or dead because the
    server refused its recipients. Most days there are none. Read once for both of the dashboard's mail alerts
    (`unreachable` and notifications.services.refused_addresses), each time: the outbox's writes leave the data
    version."""
    since = clock.now() - timedelta(days=REFUSAL_MEMORY_DAYS)
    return db.session.execute(_refusal_rows(), {"since": since}).all()


@functools.cache
def _refusal_rows() -> sa.Select:
    """recent_refusals' statement, built once: a dashboard asks it on every load."""
    columns = OutboxMessage.__table__.c
    since = sa.bindparam("since", type_=columns.created_at.type)
    kept = (columns.recipient, columns.status, columns.refused, columns.sent_at, columns.created_at)
    return sa.select(*kept).where(
        sa.or_(
            columns.refused.is_not(None),
            sa.and_(columns.status == MailStatus.DEAD, columns.error_code == MailError.RECIPIENTS_REFUSED),
        ),
        sa.or_(columns.created_at >= since, columns.sent_at >= since),
    )


def _refusals(addresses: set[str], recent: list[sa.Row] | None = None) -> dict[str, str]:
    """Of these addresses, those whose last delivery attempt was refused by the mail server for good (5xx):
    {address: reply}. An address is refused when the newest outbox row of the last REFUSAL_MEMORY_DAYS that was sent
    or failed and names it (as recipient, or in the refused list of a row that reached others) says so; a later row
    delivered to it clears it. A recipient only put off (4xx: a full mailbox) is tried again, not refused. `recent`
    is what recent_refusals read for this request, if it did."""
    if not addresses:
        return {}
    since = clock.now() - timedelta(days=REFUSAL_MEMORY_DAYS)
    window = (OutboxMessage.status.in_([MailStatus.SENT, MailStatus.DEAD]), OutboxMessage.created_at >= since)
    # Only an address some row of the window refused can be refused: those few are followed row by row, rather
    # than every address of a province's 500 OPDs asked in one IN list.
    candidates = set()
    for recipient, status, refused_list, _sent_at, created_at in recent_refusals() if recent is None else recent:
        if status in (MailStatus.SENT, MailStatus.DEAD) and created_at >= since:
            candidates.add(recipient)
            candidates.update(entry["address"] for entry in refused_list or [])
    addresses = addresses & candidates
    if not addresses:
        return {}
    rows = db.session.execute(
        sa.select(OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.error_code, OutboxMessage.refused)
        .where(*window, sa.or_(OutboxMessage.recipient.in_(sorted(addresses)), OutboxMessage.refused.is_not(None)))
        .order_by(OutboxMessage.id)
    )
    refused: dict[str, str] = {}
    for recipient, status, error_code, refused_list in rows:
        named = {
            entry["address"]: entry.get("reply") or ""
            for entry in refused_list or []
            if (entry.get("code") or 500) >= 500
        }
        for address, reply in named.items():
            if address in addresses:
                refused[address] = f"{reply}".strip()
        if recipient in addresses and recipient not in named:
            if status == MailStatus.DEAD and error_code == MailError.RECIPIENTS_REFUSED:
                refused[recipient] = ""
            elif status == MailStatus.SENT:
                refused.pop(recipient, None)  # delivered since: fixed
    return refused


def unreachable(government_ids=None, recent: list[sa.Row] | None = None) -> list[Unreachable]:
    """Every active OPD of these governments (None: all) that mail does not reach now, by government and code: who
    hears for each OPD (accounts.reach), kept until the next write, then the outbox's refusals of the addresses
    found, read each time (the outbox's writes leave the data version); `recent` is recent_refusals' read, if the
    caller made it."""
    key = None if government_ids is None else frozenset(government_ids)
    current = data_version.cached("mail recipients", key, lambda: _recipients(government_ids))
    refused = _refusals({address for _opd, address in current if address is not None}, recent)
    return [
        Unreachable(opd, Why.NO_RECIPIENT)
        if address is None
        else Unreachable(opd, Why.REFUSED, address, refused[address])
        for opd, address in current
        if address is None or address in refused
    ]


def _recipients(government_ids) -> list[tuple[OpdRow, str | None]]:
    """Each active OPD of these governments (None: all) with the address its mail goes to, by government and code:
    one read of the OPDs with their heads."""
    # Joined, not selectin: selectinload asks 500 ids at a time, so a country's 5,000 OPDs took ten more queries.
    query = sa.select(Opd).where(Opd.active).options(so.joinedload(Opd.head))
    if government_ids is not None:
        query = query.where(Opd.government_id.in_(list(government_ids)))
    rows = [
        (OpdRow(opd.id, opd.code, opd.name, opd.government_id), reach.recipient(opd)[0])
        for opd in db.session.scalars(query)
    ]
    return sorted(rows, key=lambda row: (row[0].government_id, row[0].code))
