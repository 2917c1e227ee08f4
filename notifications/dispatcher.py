"""The dispatcher: claims outbox rows with a lease, sends them outside any transaction, and marks each one sent
in its own commit. Safe with several dispatchers on several machines: PostgreSQL hands each row to one of them
(FOR UPDATE SKIP LOCKED); SQLite has a single writer, so its UPDATE claims atomically. Every claim carries a
token of its own; a sender renews its lease when it makes the claim's emails (and again right before a message once
half the lease has gone) and finishes a row only while the token on the row is still its own, so a row taken over
after its lease ran out is never sent by both. A run sends over MAIL_CONNECTIONS connections, each one such sender
in a thread of its own."""

import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core import clock
from core.extensions import db
from core.mail import Message
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
    rows = outbox.TABLE.c  # Core statements (outbox.TABLE): the ORM's bulk path costs more than the statements
    due = sa.or_(
        sa.and_(rows.status == MailStatus.PENDING, rows.next_attempt_at <= now),
        sa.and_(rows.status == MailStatus.SENDING, rows.lease_until < now),
    )
    # A materialized CTE picks and locks its n rows once. `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP
    # LOCKED)` was planned as a semi-join that rescanned the locked subquery per outer row, so one claim took far
    # more than n rows, and one sender could lease the whole outbox.
    picked = (
        sa.select(rows.id)
        .where(due)
        .order_by(rows.next_attempt_at, rows.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    token = uuid.uuid4().hex
    ids = outbox.move(
        sa.and_(rows.id == picked.c.id, due),
        MailStatus.SENDING,
        lease_owner=owner,
        lease_token=token,
        lease_until=now + lease_length(),
        attempts=rows.attempts + 1,
    )
    db.session.commit()
    # Sent in the order they were due (not by id): a row given back after a failed run goes before those that
    # failed after it, so none is starved while the server is down.
    ordered = db.session.execute(
        sa.select(rows.id, rows.kind, rows.webhook_id).where(rows.id.in_(ids)).order_by(rows.next_attempt_at, rows.id)
    ).all()
    taken = ordered if ids else []
    webhook_rows = {row.id: row.webhook_id for row in taken if row.kind == MailKind.WEBHOOK}
    return Claim(token, [row.id for row in taken], webhook_rows)


class _Shared:
    """What the connections of one run share: how many rows they may still take, and whether the server failed."""

    def __init__(self, limit: int | None):
        self.lock = threading.Lock()
        self.left = limit  # None: no limit
        self.stopped = threading.Event()

    def take(self, batch: int) -> int:
        with self.lock:
            if self.left is None:
                return batch
            taken = min(batch, self.left)
            self.left -= taken
            return taken

    def give_back(self, count: int) -> None:
        with self.lock:
            if self.left is not None:
                self.left += count


def dispatch(now: datetime | None = None, *, batch: int = 50, limit: int | None = None) -> DispatchResult:
    """Send what is due as of `now` over MAIL_CONNECTIONS SMTP connections at once; returns the counts. Each
    connection is a sender of its own in its own thread: its own claims of `batch` rows, database session and SMTP
    session, as several dispatchers are. With one connection the run stays in this thread."""
    connections = current_app.config["MAIL_CONNECTIONS"]
    shared = _Shared(limit)
    db.session.commit()  # nothing of the caller's is left open for the senders to wait on (SQLite's one writer)
    if connections == 1:
        return _sender(now, batch, shared, DispatchResult())
    app = current_app._get_current_object()
    results = [DispatchResult() for _ in range(connections)]
    errors: list[BaseException] = []

    def run(result: DispatchResult) -> None:
        with app.app_context():
            try:
                _sender(now, batch, shared, result)
            except BaseException as error:  # said in the caller's thread, as a one-thread run would
                shared.stopped.set()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(result,), name=f"kawal-mail-{n}") for n, result in enumerate(results)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return _merged(results)


def _merged(results: list[DispatchResult]) -> DispatchResult:
    """The counts of several connections' runs as one run's."""
    total = DispatchResult()
    for result in results:
        for name in ("sent", "retried", "dead", "cancelled", "lost", "put_back"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        total.errors += result.errors
        total.silent |= result.silent
        total.stopped = total.stopped or result.stopped
    return total


def _sender(now: datetime | None, batch: int, shared: _Shared, result: DispatchResult) -> DispatchResult:
    """One connection's run: claim, make the claimed emails, send them; until nothing is due, the run's limit is
    reached, or the mail server failed (for any connection of the run)."""
    owner = owner_name()
    session = SmtpSession()
    book = content.book()  # once per run, not once per email
    try:
        while not shared.stopped.is_set():
            wanted = shared.take(batch)
            if not wanted:
                break
            taken = claim(now or clock.now(), owner, wanted)
            if not taken.ids:
                shared.give_back(wanted)
                break
            given_back = _send_claim(session, taken, now, book, result, shared)
            shared.give_back(wanted - len(taken.ids) + given_back)
            if result.stopped is not None:
                shared.stopped.set()
    finally:
        session.close()
    return result


def _send_claim(
    session: SmtpSession, taken: Claim, now: datetime | None, book, result: DispatchResult, shared: _Shared
) -> int:
    """Send one claim's rows: its webhook deliveries one by one, its emails made together and then handed to the
    server one by one. Returns how many were given back untried."""
    later, untried = [], []
    for message_id in taken.ids:
        if message_id not in taken.webhooks:
            continue
        # A silent endpoint's other deliveries wait its backoff; the mail server's failure holds up none of them.
        if taken.webhooks[message_id] in result.silent:
            later.append(message_id)
            continue
        _guarded_send(session, message_id, taken.token, now or clock.now(), book, result)
    emails = [message_id for message_id in taken.ids if message_id not in taken.webhooks]
    made = _make_emails(emails, taken.token, now or clock.now(), book, result)
    renewed_at = time.monotonic()
    for email in made:
        # Once the mail server failed, the claim's other emails go back untried.
        if result.stopped is not None or shared.stopped.is_set():
            untried.append(email.row_id)
            continue
        _deliver(session, email, taken.token, now or clock.now(), renewed_at, result)
    result.put_back += _put_back(later, taken.token, (now or clock.now()) + backoff(1))
    result.put_back += _put_back(untried, taken.token, now or clock.now())
    return len(later) + len(untried)


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
    """Send one webhook delivery; one whose request cannot be made (an error of ours) is logged and waits its
    backoff like a temporary failure, so it never holds up the rows behind it (claims take the oldest first)."""
    try:
        _send_one(session, message_id, token, now, book, result)
    except Exception as error:  # any error of preparing one delivery: the others still go
        db.session.rollback()
        _retry_later(message_id, token, now, error, result)
        db.session.commit()


def _retry_later(message_id: int, token: str, now: datetime, error: Exception, result: DispatchResult) -> None:
    """A row whose content could not be made waits its backoff (a webhook's attempts are counted). Not committed."""
    current_app.logger.error("Could not prepare outbox row %s; it is tried again later", message_id, exc_info=error)
    found = db.session.execute(
        sa.select(OutboxMessage.attempts, OutboxMessage.kind).where(OutboxMessage.id == message_id)
    ).first()
    attempts, kind = (found.attempts or 1, found.kind) if found else (1, None)
    why = failed(MailError.OTHER, words=f"{type(error).__name__}: {error}")
    result.errors.append(why["last_error"])
    mine = outbox.held(message_id, token)
    if kind == MailKind.WEBHOOK and attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
        result.dead += _finish(mine, MailStatus.DEAD, result, commit=False, **why)
        return
    values = dict(next_attempt_at=now + backoff(attempts))
    result.retried += _finish(mine, MailStatus.PENDING, result, commit=False, **why, **values)


def _put_back(ids: list[int], token: str, now: datetime) -> int:
    """Give claimed rows back untried, after the server failed: due again at `now` (for email at once, ahead of the
    row that failed, which waits its backoff), their attempt not counted. So while the server is down each run asks
    it once, with the next row in turn, and when it is back everything goes."""
    if not ids:
        return 0
    rows = outbox.TABLE.c
    moved = outbox.move(
        sa.and_(rows.id.in_(ids), rows.lease_token == token),
        MailStatus.PENDING,
        attempts=rows.attempts - 1,
        next_attempt_at=now,
    )
    db.session.commit()
    return len(moved)


# What a row says, by kind: the secretariat's digest is its own subject; every other kind is content's.
PREPARE = {MailKind.SECRETARIAT_DIGEST: secretariat.prepare}


@dataclass
class Email:
    """An email made from its row, whose lease was renewed in the commit that recorded it: what handing it to the
    server and recording the answer need, with no database object held."""

    row_id: int
    message: Message
    attempts: int
    useful: bool
    reached: set[str]  # whom an earlier attempt delivered to (`_reached`)
    earlier: list[dict]  # the refusals of earlier attempts that still stand


def _make_emails(ids: list[int], token: str, now: datetime, book, result: DispatchResult) -> list[Email]:
    """Renew the lease of these claimed rows and make their emails, in one transaction for all: their items and
    OPDs are read together (content.Book.read_ahead), and what each says, and to whom, is committed with the lease
    that lets this sender say it. A row whose content cannot be made (an error of ours, not the server's) is
    logged and waits its backoff; the others go."""
    if not ids:
        return []
    loaded_before = set(db.session.identity_map.keys())
    columns = outbox.TABLE.c
    renewed = db.session.execute(
        sa.update(outbox.TABLE)
        .where(columns.id.in_(ids), columns.lease_token == token, columns.status == MailStatus.SENDING)
        .values(lease_until=now + lease_length())
        .returning(columns.id)
    ).scalars()
    held = set(renewed)
    result.lost += len(ids) - len(held)
    query = sa.select(OutboxMessage).where(OutboxMessage.id.in_(sorted(held)))
    rows = {row.id: row for row in db.session.scalars(query.execution_options(populate_existing=True))}
    book.read_ahead([rows[message_id] for message_id in ids if message_id in rows])
    made, broken, found, written = [], [], [], []
    for message_id in ids:
        if message_id not in rows:
            continue
        savepoint = db.session.begin_nested()
        try:
            email = _make_email(rows[message_id], token, now, book, result, found, written)
        except Exception as error:  # any error of preparing or building one email: the others still go
            savepoint.rollback()
            broken.append((message_id, error))
            continue
        savepoint.commit()
        if email is not None:
            made.append(email)
    unwritten = _write_rows(written)
    broken += [(email.row_id, error) for email in made if (error := unwritten.get(email.row_id))]
    made = [email for email in made if email.row_id not in unwritten]
    content.write_items(found)
    for message_id, error in broken:
        _retry_later(message_id, token, now, error, result)
    db.session.commit()
    _forget(loaded_before)
    return made


def _forget(loaded_before: set) -> None:
    """Expunge what making a claim's emails alone loaded (its rows, their OPDs and heads): each answer recorded
    after it is a commit of its own, and a commit expires every object in the session. What the caller held
    before stays (with one connection the run is in the caller's session)."""
    for key, instance in list(db.session.identity_map.items()):
        if key not in loaded_before:
            db.session.expunge(instance)


# What making an email writes on its row (the recipients and subject chosen now, the Message-ID): for a whole
# claim in one statement (`_write_rows`), not in an ORM flush of each row.
WRITTEN = ("recipient", "recipient_user_id", "cc", "subject", "message_id")


def _written(row: OutboxMessage) -> dict:
    """The row's WRITTEN values, taken out of the ORM's unit of work: the whole row is expired (read again, it is
    what `_write_rows` wrote). Expiring only those attributes leaves it flagged as changed, so the savepoint's
    commit would flush it, and emit the SAVEPOINT that a digest, whose making writes nothing else, never needs."""
    values = {"row_id": row.id} | {key: getattr(row, key) for key in WRITTEN}
    db.session.expire(row)
    return values


def _write_rows(written: list[dict]) -> dict[int, Exception]:
    """Write the WRITTEN values of a claim's rows in one statement; should it fail (a value its column cannot
    hold), row by row, each in a savepoint of its own. Returns the rows that could not be written, with why."""
    if not written:
        return {}
    columns = outbox.TABLE.c
    statement = sa.update(outbox.TABLE).where(columns.id == sa.bindparam("row_id"))
    try:
        with db.session.begin_nested():
            db.session.execute(statement, written)
        return {}
    except sa.exc.DBAPIError:
        pass
    unwritten = {}
    for values in written:
        try:
            with db.session.begin_nested():
                db.session.execute(statement, [values])
        except sa.exc.DBAPIError as error:
            unwritten[values["row_id"]] = error
    return unwritten


def _make_email(
    row: OutboxMessage, token: str, now: datetime, book, result: DispatchResult, found: list[dict], written: list
) -> Email | None:
    """Make one row's email; None when there is nothing to send (finished here, not committed). What it found of
    its items joins `found`, and what it writes on its row `written`, once the email is made, for the claim to
    write in one statement each."""
    mine = outbox.held(row.id, token)
    reached = _reached(row)  # read before `prepare` names this attempt's recipients
    try:
        prepared = PREPARE.get(row.kind, content.prepare)(row, now, book)
    except content.NothingToSay:
        reason = CancelReason.NOTHING_TO_SAY
        result.cancelled += _finish(mine, MailStatus.CANCELLED, result, commit=False, cancel_reason=reason)
        return None
    except content.NoRecipient as error:
        why = failed(MailError.NO_RECIPIENT, error.params)
        result.dead += _finish(mine, MailStatus.DEAD, result, commit=False, **why)
        return None
    row.message_id = message_id_for(row.dedup_key)
    envelope = [address for address in dict.fromkeys([*prepared.to, *prepared.cc]) if address not in reached]
    earlier = [entry for entry in row.refused or [] if entry["address"] not in envelope]
    row_id, dedup_key, attempts, useful = row.id, row.dedup_key, row.attempts, still_useful(row, now)
    values = _written(row)  # the row is expired from here on
    db.session.flush()  # anything else preparing changed (a decision's item): an error in it is this row's
    if not envelope:  # everyone it is for now was reached by an earlier attempt
        sent = dict(sent_at=clock.now(), refused=earlier or None)
        result.sent += _finish(mine, MailStatus.SENT, result, commit=False, **failed(None), **sent)
        found += prepared.found
        written.append(values)
        return None
    message = build(
        prepared.rendered,
        to=prepared.to,
        cc=prepared.cc,
        dedup_key=dedup_key,
        envelope=envelope if reached else None,
    )
    found += prepared.found
    written.append(values)
    return Email(row_id, message, attempts, useful, reached, earlier)


def _deliver(
    session: SmtpSession, email: Email, token: str, now: datetime, renewed_at: float, result: DispatchResult
) -> None:
    """Hand one email to the server and record its answer. The lease renewed when the email was made covers the
    claim's first half-lease; later (a slow server) each email renews its own right before it is said."""
    mine = outbox.held(email.row_id, token)
    if time.monotonic() - renewed_at > lease_length().total_seconds() / 2 and not _renewed(mine, now, result):
        return
    try:
        refused = session.send(email.message)
    except MailFailure as error:
        if not (email.reached and error.refused):
            _failed(mine, error, email.useful, now, email.attempts, result)
            return
        refused = error.refused  # only those put off before were asked, and refused: the others have it
    put_off = [entry for entry in refused if entry["code"] < 500]
    refused = email.earlier + refused
    if put_off and email.useful:
        # The server accepted the message for some and put others off (a full mailbox, greylisting): they are
        # tried again, alone (`_reached`), and the row is sent once they have it or are refused for good.
        result.errors.append(said(put_off))
        why = failed(MailError.RECIPIENTS_REFUSED, words=said(put_off))
        values = dict(refused=refused, next_attempt_at=now + backoff(email.attempts))
        result.retried += _finish(mine, MailStatus.PENDING, result, **why, **values)
        return
    # Sent: the error of an earlier attempt is history now, not the row's state.
    result.sent += _finish(mine, MailStatus.SENT, result, sent_at=clock.now(), **failed(None), refused=refused or None)


def _send_one(session: SmtpSession, message_id: int, token: str, now: datetime, book, result: DispatchResult) -> None:
    """Send one webhook delivery this sender still holds."""
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if row is None or row.lease_token != token or row.status != MailStatus.SENDING:
        result.lost += 1
        db.session.rollback()
        return
    _send_webhook(row, outbox.held(row.id, token), now, result)


def _renewed(mine, now: datetime, result: DispatchResult) -> bool:
    """Renew the lease right before talking to the server, in the commit that records what is said and to whom: if
    another sender took the row over meanwhile, this one says nothing and rolls its version back."""
    renewed = db.session.execute(sa.update(outbox.TABLE).where(mine).values(lease_until=now + lease_length())).rowcount
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


def _finish(mine, status: MailStatus, result: DispatchResult, *, commit: bool = True, **values) -> int:
    """Move a row this sender holds to `status` and commit (unless within a claim's transaction, which commits
    them all); 1 if it still held it, else 0 (counted as lost)."""
    moved = outbox.move(mine, status, **values)
    if not moved:
        if commit:
            db.session.rollback()  # what this sender wrote about the row is not the row's story any more
        result.lost += 1
        current_app.logger.warning("An outbox row was taken over before it could be marked %s", status.value)
        return 0
    if commit:
        db.session.commit()
    return 1
