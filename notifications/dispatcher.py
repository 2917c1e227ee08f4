"""The dispatcher: claims outbox rows with a lease, sends them outside any transaction, and marks each one sent
in its own commit. Safe with several dispatchers on several machines: PostgreSQL hands each row to one of them
(FOR UPDATE SKIP LOCKED); SQLite has a single writer, so its UPDATE claims atomically."""

import os
import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core import clock
from core.extensions import db
from notifications import content
from notifications import policy as policies
from notifications.mailer import PermanentFailure, SmtpSession, TemporaryFailure, build
from notifications.mailer import message_id as message_id_for
from notifications.models import MailStatus, OutboxMessage

LEASE = timedelta(minutes=5)


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Capped exponential backoff with jitter: about 1, 2, 4 … minutes, at most an hour."""
    config = current_app.config
    base = config["MAIL_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0)
    delay = min(base, config["MAIL_RETRY_CAP_SECONDS"]) * random.uniform(0.5, 1.5)
    return timedelta(seconds=delay)


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(now: datetime, owner: str, batch: int) -> list[int]:
    """Take up to `batch` due rows (and rows whose sender died mid-lease) for this owner."""
    due = sa.or_(
        sa.and_(OutboxMessage.status == MailStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == MailStatus.SENDING, OutboxMessage.lease_until < now),
    )
    ids = (
        sa.select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids.scalar_subquery()), due)
            .values(
                status=MailStatus.SENDING,
                lease_owner=owner,
                lease_until=now + LEASE,
                attempts=OutboxMessage.attempts + 1,
            )  # fmt: skip
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    return sorted(claimed)


def dispatch(now: datetime | None = None, *, batch: int = 50, limit: int | None = None) -> DispatchResult:
    """Send what is due as of `now`, in batches over one reused SMTP connection; returns the counts."""
    result = DispatchResult()
    owner = owner_name()
    session = SmtpSession(current_app.config)
    policy = policies.current()  # once per run, not once per email
    escalation_cc = content.escalation_copies(policy)
    handled = 0
    try:
        while limit is None or handled < limit:
            moment = now or clock.now()
            ids = claim(moment, owner, batch if limit is None else min(batch, limit - handled))
            if not ids:
                break
            for message_id in ids:
                _send_one(session, message_id, owner, now or clock.now(), policy, escalation_cc, result)
                handled += 1
    finally:
        session.close()
    return result


def _send_one(
    session: SmtpSession, message_id: int, owner: str, now: datetime, policy, escalation_cc, result: DispatchResult
) -> None:
    row = db.session.get(OutboxMessage, message_id)
    if row is None or row.lease_owner != owner or row.status != MailStatus.SENDING:
        return
    try:
        prepared = content.prepare(row, now, policy, escalation_cc)
    except content.NothingToSay:
        _finish(row, MailStatus.CANCELLED, None)
        result.cancelled += 1
        return
    except content.NoRecipient as error:
        _finish(row, MailStatus.DEAD, str(error))
        result.dead += 1
        return
    row.message_id = message_id_for(row.dedup_key)
    # The row's state is committed before SMTP: what was said, to whom, is on record even if sending fails.
    db.session.commit()
    message = build(prepared.rendered, to=prepared.to, cc=prepared.cc, dedup_key=row.dedup_key)
    row_id, attempts = row.id, row.attempts
    db.session.remove()  # no transaction, and no connection, is held while talking to the SMTP server
    try:
        session.send(message)
    except PermanentFailure as error:
        _finish(db.session.get(OutboxMessage, row_id), MailStatus.DEAD, str(error))
        result.dead += 1
        return
    except TemporaryFailure as error:
        row = db.session.get(OutboxMessage, row_id)
        if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            _finish(row, MailStatus.DEAD, f"{error} (after {attempts} attempts)")
            result.dead += 1
        else:
            row.status, row.last_error = MailStatus.PENDING, str(error)
            row.next_attempt_at, row.lease_owner, row.lease_until = now + backoff(attempts), None, None
            db.session.commit()
            result.retried += 1
        result.errors.append(str(error))
        return
    row = db.session.get(OutboxMessage, row_id)
    row.sent_at = clock.now()
    _finish(row, MailStatus.SENT, None)
    result.sent += 1


def _finish(row: OutboxMessage, status: MailStatus, error: str | None) -> None:
    row.status, row.lease_owner, row.lease_until = status, None, None
    if error:
        row.last_error = error
    db.session.commit()
