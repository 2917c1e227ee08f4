"""The reminder policy's settings, and the outbox."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from accounts.models import Opd, User
from actions.models import Assignment, Decree
from core import audit
from core.extensions import db
from core.types import UtcDateTime, enum_column

audit.ENTITY_LABELS.update(
    reminder_settings=_l("reminder settings"),
    holiday=_l("collective leave day"),
    outbox=_l("email"),
    webhook=_l("webhook endpoint"),
)
audit.VERB_LABELS.update(requeue=_l("queued again"))


class ReminderSettings(db.Model):
    """A government's admin-editable reminder policy: one row each, made with the defaults on first use."""

    __tablename__ = "reminder_settings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    government_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("governments.id"), unique=True)
    send_time: so.Mapped[str] = so.mapped_column(sa.String(5), default="07:30")
    unacknowledged_after_working_days: so.Mapped[int] = so.mapped_column(default=2)
    due_soon_days: so.Mapped[str] = so.mapped_column(sa.String(40), default="7,3,1,0")
    overdue_every_days: so.Mapped[int] = so.mapped_column(default=7)
    escalate_after_days: so.Mapped[int] = so.mapped_column(default=14)
    escalation_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    decree_expiry_days: so.Mapped[str] = so.mapped_column(sa.String(40), default="60,30")
    link_valid_days: so.Mapped[int] = so.mapped_column(default=14)


class MailKind(StrEnum):
    NEW_TASK = "new_task"
    DIGEST = "digest"
    TEST = "test"
    WELCOME = "welcome"  # a link to set one's password: a new account, or an admin's "send a link"
    DECISION = "decision"  # the secretariat's decision on a task, one per history row (notifications.decisions)
    SECRETARIAT_DIGEST = "secretariat_digest"  # a secretariat officer's day: what waits on it, what mail misses
    WEBHOOK = "webhook"  # not an email: a signed HTTP POST to a government's endpoint (notifications.webhooks)


MAIL_KIND_LABELS = {
    MailKind.NEW_TASK: _l("New task"),
    MailKind.DIGEST: _l("Daily reminder"),
    MailKind.TEST: _l("Test email"),
    MailKind.WELCOME: _l("Link to set the password"),
    MailKind.DECISION: _l("Decision on a task"),
    MailKind.SECRETARIAT_DIGEST: _l("Secretariat's daily digest"),
    MailKind.WEBHOOK: _l("Webhook"),
}


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    CANCELLED = "cancelled"


MAIL_STATUS_LABELS = {
    MailStatus.PENDING: _l("Waiting"),
    MailStatus.SENDING: _l("Sending"),
    MailStatus.SENT: _l("Sent"),
    MailStatus.DEAD: _l("Failed"),
    MailStatus.CANCELLED: _l("Cancelled"),
}

# Which status may follow which. Every change of an outbox row's status goes through notifications.outbox.move,
# which applies this table in the UPDATE's own WHERE clause, so a change is atomic and never crosses a rule.
MAIL_TRANSITIONS = {
    MailStatus.PENDING: {MailStatus.SENDING, MailStatus.CANCELLED},
    # SENDING → SENDING: a lease that ran out is taken over by another sender.
    MailStatus.SENDING: {
        MailStatus.SENDING,
        MailStatus.SENT,
        MailStatus.PENDING,
        MailStatus.DEAD,
        MailStatus.CANCELLED,
    },
    MailStatus.DEAD: {MailStatus.PENDING},  # the secretariat re-queues it
    MailStatus.SENT: set(),
    MailStatus.CANCELLED: set(),
}


class CancelReason(StrEnum):
    """Why an email was cancelled instead of sent."""

    NOTHING_TO_SAY = "nothing_to_say"
    SUPERSEDED = "superseded"
    TOO_OLD = "too_old"
    ENDPOINT_GONE = "endpoint_gone"  # a webhook delivery whose endpoint was deactivated or deleted


CANCEL_REASON_LABELS = {
    CancelReason.NOTHING_TO_SAY: _l("every task in it was settled before it could be sent"),
    CancelReason.SUPERSEDED: _l("replaced by a newer daily reminder, which carries its tasks"),
    CancelReason.TOO_OLD: _l("the mail server was unreachable for too long; the daily reminder covers the task"),
    CancelReason.ENDPOINT_GONE: _l("its webhook endpoint was deactivated or deleted"),
}


class MailError(StrEnum):
    """Why the last attempt at an email failed, as a code: the delivery log says it in its reader's language, and
    the mail server's own words, when it gave some, stay beside it as data (`OutboxMessage.last_error`)."""

    NO_RECIPIENT = "no_recipient"  # params: {"code": the OPD's code}, or none for a test email without address
    RECIPIENTS_REFUSED = "recipients_refused"
    SERVER_REFUSED = "server_refused"  # the server answered the message with a 4xx or 5xx reply
    AUTHENTICATION = "authentication"
    CONNECTION_REFUSED = "connection_refused"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    DISCONNECTED = "disconnected"
    TLS = "tls"
    OTHER = "other"
    # A webhook's delivery (notifications.webhooks): the endpoint's own words stay in last_error.
    ENDPOINT_ANSWERED = "endpoint_answered"  # params: {"status": the HTTP status it answered}
    ENDPOINT_UNREACHABLE = "endpoint_unreachable"
    ENDPOINT_TIMEOUT = "endpoint_timeout"
    ADDRESS_REFUSED = "address_refused"  # the URL's host is a loopback, private, ... address, or it has no address


MAIL_ERROR_LABELS = {
    MailError.NO_RECIPIENT: _l("The OPD has no active head and no official email."),
    MailError.RECIPIENTS_REFUSED: _l("The mail server refused the recipient."),
    MailError.SERVER_REFUSED: _l("The mail server refused the email."),
    MailError.AUTHENTICATION: _l("The mail server did not accept Kawal's user name or password."),
    MailError.CONNECTION_REFUSED: _l("The mail server refused the connection."),
    MailError.UNREACHABLE: _l("The mail server could not be reached."),
    MailError.TIMEOUT: _l("The mail server did not answer in time."),
    MailError.DISCONNECTED: _l("The mail server closed the connection."),
    MailError.TLS: _l("The encrypted connection to the mail server failed."),
    MailError.OTHER: _l("Sending failed."),
    MailError.ENDPOINT_ANSWERED: _l("The endpoint answered with an error."),
    MailError.ENDPOINT_UNREACHABLE: _l("The endpoint could not be reached."),
    MailError.ENDPOINT_TIMEOUT: _l("The endpoint did not answer in time."),
    MailError.ADDRESS_REFUSED: _l("The endpoint's address is not allowed: it is not a public address."),
}


class Reason(StrEnum):
    """Why an item is in an email: also the group it is shown in."""

    NEW_TASK = "new_task"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    DUE_SOON = "due_soon"
    UNACKNOWLEDGED = "unacknowledged"
    DECREE_EXPIRY = "decree_expiry"
    DECISION = "decision"


class WebhookEvent(StrEnum):
    """What a webhook endpoint may hear of: its name in the payload and the Kawal-Event header."""

    ASSIGNMENT_CREATED = "assignment.created"
    ASSIGNMENT_ACKNOWLEDGED = "assignment.acknowledged"
    ASSIGNMENT_SUBMITTED = "assignment.submitted"
    ASSIGNMENT_VERIFIED = "assignment.verified"
    ASSIGNMENT_RETURNED = "assignment.returned"
    ASSIGNMENT_OVERDUE = "assignment.overdue"
    ASSIGNMENT_CANCELLED = "assignment.cancelled"
    FORUM_CLOSED = "forum.closed"


WEBHOOK_EVENT_LABELS = {
    WebhookEvent.ASSIGNMENT_CREATED: _l("A task is given to an OPD"),
    WebhookEvent.ASSIGNMENT_ACKNOWLEDGED: _l("A task is acknowledged"),
    WebhookEvent.ASSIGNMENT_SUBMITTED: _l("A task is submitted for verification"),
    WebhookEvent.ASSIGNMENT_VERIFIED: _l("A task is verified"),
    WebhookEvent.ASSIGNMENT_RETURNED: _l("A task is returned for fixing"),
    WebhookEvent.ASSIGNMENT_OVERDUE: _l("A task is overdue"),
    WebhookEvent.ASSIGNMENT_CANCELLED: _l("A task is cancelled"),
    WebhookEvent.FORUM_CLOSED: _l("A forum is closed"),
}

# The test ping an admin sends from the endpoint's page: not an event anyone subscribes to.
PING = "ping"


class WebhookEndpoint(db.Model):
    """A government's webhook endpoint: where Kawal posts the events it subscribed to, signed with its secret.

    The secret is stored in clear, unlike a password or an API token: Kawal needs it itself, to compute each
    delivery's HMAC-SHA256 signature. It is shown once, when made, and the endpoint's page never shows it again.
    """

    __tablename__ = "webhook_endpoints"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    government_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("governments.id"), index=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    secret: so.Mapped[str] = so.mapped_column(sa.String(200))
    events: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # A host the admin allows although it resolves to a loopback or private address (a server on the same network).
    allowed_host: so.Mapped[str | None] = so.mapped_column(sa.String(253))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)

    @property
    def event_labels(self) -> list[str]:
        """Its events, said in the reader's language."""
        return [str(WEBHOOK_EVENT_LABELS[WebhookEvent(e)]) for e in self.events if e in WEBHOOK_EVENT_LABELS]


class OutboxMessage(db.Model):
    """One email, written before any SMTP traffic; its unique dedup key is what prevents a double send."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dedup_key: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    kind: so.Mapped[MailKind] = so.mapped_column(enum_column(MailKind))
    opd_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("opds.id"), index=True)
    # Whose mail it is: the OPD's government (a test email: its sender's). The delivery log is scoped by it.
    government_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("governments.id"), index=True)
    # The day it is for, in that government's time zone.
    local_date: so.Mapped[date]
    # Chosen at planning time and chosen again at send time: mail goes to whoever heads the OPD then.
    recipient: so.Mapped[str | None] = so.mapped_column(sa.String(254), index=True)
    recipient_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cc: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    subject: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    status: so.Mapped[MailStatus] = so.mapped_column(enum_column(MailStatus), default=MailStatus.PENDING)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    lease_owner: so.Mapped[str | None] = so.mapped_column(sa.String(80))  # host:pid, for people to read
    # Unique per claim: host:pid can repeat in a restarted container, a token never does.
    lease_token: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    lease_until: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    # Why the last attempt failed while the row still waits or has failed, cleared once it is sent: a code and its
    # parameters, said in the reader's language, and the mail server's own words (its reply, the socket's error).
    error_code: so.Mapped[MailError | None] = so.mapped_column(enum_column(MailError))
    error_params: so.Mapped[dict | None] = so.mapped_column(sa.JSON(none_as_null=True))
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Recipients the server refused while it accepted others: [{"address", "code", "reply"}], else NULL.
    refused: so.Mapped[list | None] = so.mapped_column(sa.JSON(none_as_null=True))
    cancel_reason: so.Mapped[CancelReason | None] = so.mapped_column(enum_column(CancelReason))
    message_id: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # A webhook delivery (kind WEBHOOK): its endpoint, and the JSON it posts, made when the event happened (its
    # "id" is the row's, added at send time). `recipient` holds the endpoint's URL and `subject` the event's name.
    webhook_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="SET NULL"), index=True
    )
    payload: so.Mapped[dict | None] = so.mapped_column(sa.JSON(none_as_null=True))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime, index=True)

    opd: so.Mapped[Opd | None] = so.relationship()
    recipient_user: so.Mapped[User | None] = so.relationship()
    webhook: so.Mapped[WebhookEndpoint | None] = so.relationship()
    items: so.Mapped[list["OutboxItem"]] = so.relationship(back_populates="message", order_by="OutboxItem.id")

    @property
    def task_subject(self) -> str | None:
        """Its subject, once written (at send time), for a task's page to say what the email said: only of a new
        task or a decision, which speak of that one task; a digest's subject counts the reader's other tasks."""
        return self.subject if self.kind in (MailKind.NEW_TASK, MailKind.DECISION) else None

    @property
    def listed_items(self) -> list["OutboxItem"]:
        """Its items, one per task (or decree): an email says each task once, however many reasons it had, so the
        delivery log lists it once too; the one said (not dropped) is the one shown."""
        found: dict[str, OutboxItem] = {}
        for item in self.items:
            if item.subject_key not in found or found[item.subject_key].dropped:
                found[item.subject_key] = item
        return list(found.values())

    @property
    def error_text(self) -> str | None:
        """Why the last attempt failed, in the language of whoever reads it now."""
        if self.error_code is None:
            return None
        code = (self.error_params or {}).get("code")
        if self.error_code == MailError.NO_RECIPIENT and code:
            return str(_l("%(code)s has no active head and no official email.", code=code))
        status = (self.error_params or {}).get("status")
        if self.error_code == MailError.ENDPOINT_ANSWERED and status:
            return str(_l("The endpoint answered with HTTP %(status)s.", status=status))
        return str(MAIL_ERROR_LABELS[self.error_code])


class OutboxItem(db.Model):
    """One reminder occasion of one task (or decree), planned into one email.

    The unique (subject, occasion) pair is the memory of what was already planned: the planner selects what is
    due and has no row here yet, so a missed run loses nothing and a second run adds nothing.
    """

    __tablename__ = "outbox_items"
    __table_args__ = (sa.UniqueConstraint("subject_key", "occasion"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    message_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    subject_key: so.Mapped[str] = so.mapped_column(sa.String(40))  # "assignment:12" or "decree:3"
    occasion: so.Mapped[str] = so.mapped_column(sa.String(40))  # "due:-3", "overdue:2", "decree:60", ...
    reason: so.Mapped[Reason] = so.mapped_column(enum_column(Reason))
    assignment_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    decree_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("decrees.id", ondelete="CASCADE"))
    # Filled at send time: whether it was still worth saying, and the task's state then.
    # Defaults of the database's own too: the planner's COPY of a morning's items leaves both out.
    dropped: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    state: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict, server_default="{}")

    message: so.Mapped[OutboxMessage] = so.relationship(back_populates="items")
    assignment: so.Mapped[Assignment | None] = so.relationship()
    decree: so.Mapped[Decree | None] = so.relationship()
