"""The dispatcher: claims outbox rows with a lease, sends them outside any transaction, and marks each one sent
in its own commit. Safe with several dispatchers on several machines: PostgreSQL hands each row to one of them
(FOR UPDATE SKIP LOCKED); SQLite has a single writer, so its UPDATE claims atomically. Every claim carries a
token of its own; a sender renews its lease right before each message and finishes a row only while the token on
the row is still its own, so a row taken over after its lease ran out is never sent by both."""

import os
import random
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core import clock
from core.extensions import db
from notifications import content, outbox, secretariat, webhooks
from notifications.mailer import MailFailure, PermanentFailure, SmtpSession, build, said
from notifications.mailer import message_id as message_id_for
from notifications.models import CancelReason, MailError, MailKind, MailStatus, OutboxMessage


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    cancelled: int = 0
    lost: int = 0  # rows another sender took over after this one's lease ran out: left to it
    errors: list[str] = field(default_factory=list)
    # The mail server itself failed (no connection, no login, no TLS): the run stopped there, and gave the rest of
    # its claim back untried (counted here), instead of trying, and timing out on, every row in turn.
    put_back: int = 0
    stopped: MailError | None = None
    # Webhook endpoints that did not answer (timeout, no connection) in this run: their other deliveries go back
    # untried, so one silent endpoint costs the run one WEBHOOK_TIMEOUT, not one per delivery.
    silent: set[int] = field(default_factory=set)


# Failures of the connection, not of a message: the next row would fail the same way.
SERVER_DOWN = {
    MailError.CONNECTION_REFUSED,
    MailError.UNREACHABLE,
    MailError.TIMEOUT,
    MailError.TLS,
    MailError.AUTHENTICATION,
}


@dataclass
class Claim:
    token: str
    ids: list[int]
    webhooks: dict[int, int | None] = field(default_factory=dict)  # the webhook deliveries: row id → endpoint id


def backoff(attempts: int) -> timedelta:
    """Capped exponential backoff with jitter: about 1, 2, 4 … minutes, at most an hour."""
    config = current_app.config
    base = config["MAIL_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0)
    delay = min(base, config["MAIL_RETRY_CAP_SECONDS"]) * random.uniform(0.5, 1.5)
    return timedelta(seconds=delay)


def owner_name() -> str:
    """Who holds a lease, for people reading the outbox."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_length() -> timedelta:
    """How long a claim holds its rows, and how long each renewal holds the row being sent."""
    return timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def claim(now: datetime, owner: str, batch: int) -> Claim:
    """Take exactly up to `batch` due rows (and rows whose sender's lease ran out) under a new lease token."""
    due = sa.or_(
        sa.and_(OutboxMessage.status == MailStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == MailStatus.SENDING, OutboxMessage.lease_until < now),
    )
    # A materialized CTE picks and locks its n rows once. `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP
    # LOCKED)` was planned as a semi-join that rescanned the locked subquery per outer row, so one claim took far
    # more than n rows, and one sender could lease the whole outbox.
    picked = (
        sa.select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    token = uuid.uuid4().hex
    ids = outbox.move(
        sa.and_(OutboxMessage.id == picked.c.id, due),
        MailStatus.SENDING,
        lease_owner=owner,
        lease_token=token,
        lease_until=now + lease_length(),
        attempts=OutboxMessage.attempts + 1,
    )
    db.session.commit()
    # Sent in the order they were due (not by id): a row given back after a failed run goes before those that
    # failed after it, so none is starved while the server is down.
    ordered = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.webhook_id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    ).all()
    rows = ordered if ids else []
    webhook_rows = {row.id: row.webhook_id for row in rows if row.kind == MailKind.WEBHOOK}
    return Claim(token, [row.id for row in rows], webhook_rows)


def dispatch(now: datetime | None = None, *, batch: int = 50, limit: int | None = None) -> DispatchResult:
    """Send what is due as of `now`, in batches over one reused SMTP connection; returns the counts."""
    result = DispatchResult()
    owner = owner_name()
    session = SmtpSession()
    book = content.book()  # once per run, not once per email
    handled = 0
    try:
        while limit is None or handled < limit:
            taken = claim(now or clock.now(), owner, batch if limit is None else min(batch, limit - handled))
            if not taken.ids:
                break
            untried, later = [], []
            for message_id in taken.ids:
                # Once the mail server failed, the claim's other emails go back untried; its webhook deliveries,
                # which need no mail server, are still sent. A silent endpoint's other deliveries wait its backoff.
                if message_id in taken.webhooks:
                    if taken.webhooks[message_id] in result.silent:
                        later.append(message_id)
                        continue
                elif result.stopped is not None:
                    untried.append(message_id)
                    continue
                _guarded_send(session, message_id, taken.token, now or clock.now(), book, result)
                handled += 1
            result.put_back += _put_back(later, taken.token, (now or clock.now()) + backoff(1))
            if result.stopped is not None:
                result.put_back += _put_back(untried, taken.token, now or clock.now())
                return result
    finally:
        session.close()
    return result


def still_useful(row: OutboxMessage, now: datetime) -> bool:
    """Whether a temporary failure is worth another try. A digest (an OPD head's or a secretariat officer's) is,
    until the planner supersedes it with a newer one or its tasks are settled (both cancel it). So is a decision: no
    digest repeats it, and a later decision on the same task does not make it untrue (a task returned, then accepted,
    was returned first), so it is kept until it is sent, however long the server is down. A new-task or test email
    is bound in age: after MAIL_GIVE_UP_AFTER_HOURS the daily reminder's "not yet acknowledged" already says what it
    would."""
    if row.kind in (MailKind.DIGEST, MailKind.SECRETARIAT_DIGEST, MailKind.DECISION):
        return True
    return now - row.created_at < timedelta(hours=current_app.config["MAIL_GIVE_UP_AFTER_HOURS"])


def _guarded_send(session, message_id: int, token: str, now: datetime, book, result: DispatchResult) -> None:
    """Send one row; a row whose content cannot be made (an error of ours, not the server's) is logged and waits
    its backoff like a temporary failure, so it never holds up the rows behind it (claims take the oldest first)."""
    try:
        _send_one(session, message_id, token, now, book, result)
    except Exception as error:  # any error of preparing or building one email: the others still go
        db.session.rollback()
        current_app.logger.exception("Could not prepare outbox row %s; it is tried again later", message_id)
        found = db.session.execute(
            sa.select(OutboxMessage.attempts, OutboxMessage.kind).where(OutboxMessage.id == message_id)
        ).first()
        attempts, kind = (found.attempts or 1, found.kind) if found else (1, None)
        why = failed(MailError.OTHER, words=f"{type(error).__name__}: {error}")
        result.errors.append(why["last_error"])
        mine = outbox.held(message_id, token)
        if kind == MailKind.WEBHOOK and attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
            result.dead += _finish(mine, MailStatus.DEAD, result, **why)  # a webhook's attempts are counted
            return
        result.retried += _finish(mine, MailStatus.PENDING, result, **why, next_attempt_at=now + backoff(attempts))


def _put_back(ids: list[int], token: str, now: datetime) -> int:
    """Give claimed rows back untried, after the server failed: due again at `now` (for email at once, ahead of the
    row that failed, which waits its backoff), their attempt not counted. So while the server is down each run asks
    it once, with the next row in turn, and when it is back everything goes."""
    if not ids:
        return 0
    moved = outbox.move(
        sa.and_(OutboxMessage.id.in_(ids), OutboxMessage.lease_token == token),
        MailStatus.PENDING,
        attempts=OutboxMessage.attempts - 1,
        next_attempt_at=now,
    )
    db.session.commit()
    return len(moved)


# What a row says, by kind: the secretariat's digest is its own subject; every other kind is content's.
PREPARE = {MailKind.SECRETARIAT_DIGEST: secretariat.prepare}


def _send_one(
    session: SmtpSession, message_id: int, token: str, now: datetime, book: content.Book, result: DispatchResult
) -> None:
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if row is None or row.lease_token != token or row.status != MailStatus.SENDING:
        result.lost += 1
        db.session.rollback()
        return
    mine = outbox.held(row.id, token)
    if row.kind == MailKind.WEBHOOK:
        _send_webhook(row, mine, now, result)
        return
    reached = _reached(row)  # read before `prepare` names this attempt's recipients
    try:
        prepared = PREPARE.get(row.kind, content.prepare)(row, now, book)
    except content.NothingToSay:
        result.cancelled += _finish(mine, MailStatus.CANCELLED, result, cancel_reason=CancelReason.NOTHING_TO_SAY)
        return
    except content.NoRecipient as error:
        result.dead += _finish(mine, MailStatus.DEAD, result, **failed(MailError.NO_RECIPIENT, error.params))
        return
    row.message_id = message_id_for(row.dedup_key)
    db.session.flush()
    if not _renewed(mine, now, result):
        return
    envelope = [address for address in dict.fromkeys([*prepared.to, *prepared.cc]) if address not in reached]
    earlier = [entry for entry in row.refused or [] if entry["address"] not in envelope]
    if not envelope:  # everyone it is for now was reached by an earlier attempt
        result.sent += _finish(
            mine, MailStatus.SENT, result, sent_at=clock.now(), **failed(None), refused=earlier or None
        )
        return
    message = build(
        prepared.rendered,
        to=prepared.to,
        cc=prepared.cc,
        dedup_key=row.dedup_key,
        envelope=envelope if reached else None,
    )
    attempts, useful = row.attempts, still_useful(row, now)
    db.session.remove()  # no transaction, and no connection, is held while talking to the SMTP server
    try:
        refused = session.send(message)
    except MailFailure as error:
        if not (reached and error.refused):
            _failed(mine, error, useful, now, attempts, result)
            return
        refused = error.refused  # only those put off before were asked, and refused: the others have it
    put_off = [entry for entry in refused if entry["code"] < 500]
    refused = earlier + refused
    if put_off and useful:
        # The server accepted the message for some and put others off (a full mailbox, greylisting): they are
        # tried again, alone (`_reached`), and the row is sent once they have it or are refused for good.
        result.errors.append(said(put_off))
        why = failed(MailError.RECIPIENTS_REFUSED, words=said(put_off))
        values = dict(refused=refused, next_attempt_at=now + backoff(attempts))
        result.retried += _finish(mine, MailStatus.PENDING, result, **why, **values)
        return
    # Sent: the error of an earlier attempt is history now, not the row's state.
    result.sent += _finish(mine, MailStatus.SENT, result, sent_at=clock.now(), **failed(None), refused=refused or None)


def _renewed(mine, now: datetime, result: DispatchResult) -> bool:
    """Renew the lease right before talking to the server, in the commit that records what is said and to whom: if
    another sender took the row over meanwhile, this one says nothing and rolls its version back."""
    renewed = db.session.execute(
        sa.update(OutboxMessage)
        .where(mine)
        .values(lease_until=now + lease_length())
        .execution_options(synchronize_session=False)
    ).rowcount
    if renewed != 1:
        db.session.rollback()
        result.lost += 1
        return False
    db.session.commit()
    return True


def _send_webhook(row: OutboxMessage, mine, now: datetime, result: DispatchResult) -> None:
    """POST one webhook delivery (notifications.webhooks): sent on a 2xx; dead after a refusal that another try
    cannot change (another 4xx, a private address) or after WEBHOOK_MAX_ATTEMPTS; else retried with the email's
    backoff. It never stops the run: a failing endpoint holds up no email and no other endpoint."""
    endpoint = row.webhook
    if endpoint is None or not endpoint.active:
        result.cancelled += _finish(mine, MailStatus.CANCELLED, result, cancel_reason=CancelReason.ENDPOINT_GONE)
        return
    request = webhooks.request_for(row, endpoint, now)
    attempts, endpoint_id = row.attempts, endpoint.id
    if not _renewed(mine, now, result):
        return
    db.session.remove()  # no transaction, and no connection, is held while the endpoint answers
    outcome = webhooks.post(request)
    if outcome.sent:
        result.sent += _finish(mine, MailStatus.SENT, result, sent_at=clock.now(), **failed(None))
        return
    why = failed(outcome.code, outcome.params, outcome.words)
    result.errors.append(outcome.words or str(outcome.code))
    if outcome.code in (MailError.ENDPOINT_TIMEOUT, MailError.ENDPOINT_UNREACHABLE):
        result.silent.add(endpoint_id)
    if outcome.permanent or attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
        result.dead += _finish(mine, MailStatus.DEAD, result, **why)
    else:
        wait = max(backoff(attempts), outcome.retry_after or timedelta(0))
        result.retried += _finish(mine, MailStatus.PENDING, result, **why, next_attempt_at=now + wait)


def _failed(mine, error: MailFailure, useful: bool, now: datetime, attempts: int, result: DispatchResult) -> None:
    """Nobody got the message: dead for good (5xx), else tried again later while it is still useful."""
    why = failed(error.code, words=error.words)
    if isinstance(error, PermanentFailure):
        result.dead += _finish(mine, MailStatus.DEAD, result, **why)
        return
    result.errors.append(str(error))
    if error.code in SERVER_DOWN:
        result.stopped = error.code
    if useful:
        result.retried += _finish(mine, MailStatus.PENDING, result, **why, next_attempt_at=now + backoff(attempts))
    else:
        result.cancelled += _finish(mine, MailStatus.CANCELLED, result, **why, cancel_reason=CancelReason.TOO_OLD)


def _reached(row: OutboxMessage) -> set[str]:
    """Whom an earlier attempt of this row delivered to already, or gave up on (a 5xx refusal): everyone it was
    addressed to but those the server put off (4xx). Empty for a row never partly delivered."""
    if not row.refused:
        return set()
    put_off = {entry["address"] for entry in row.refused if entry["code"] < 500}
    return {address for address in [row.recipient, *(row.cc or [])] if address and address not in put_off}


def failed(code: MailError | None, params: dict | None = None, words: str | None = None) -> dict:
    """The columns that say why the last attempt failed (all empty for None): a code and its parameters, which
    the delivery log says in its reader's language, and the server's own words."""
    return {"error_code": code, "error_params": params or None, "last_error": words}


def _finish(mine, status: MailStatus, result: DispatchResult, **values) -> int:
    """Move a row this sender holds to `status` and commit; 1 if it still held it, else 0 (counted as lost)."""
    moved = outbox.move(mine, status, **values)
    if not moved:
        db.session.rollback()  # what this sender wrote about the row is not the row's story any more
        result.lost += 1
        current_app.logger.warning("An outbox row was taken over before it could be marked %s", status.value)
        return 0
    db.session.commit()
    return 1
