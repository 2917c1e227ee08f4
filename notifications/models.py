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
    reminder_settings=_l("reminder settings"), holiday=_l("collective leave day"), outbox=_l("email")
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


MAIL_KIND_LABELS = {
    MailKind.NEW_TASK: _l("New task"),
    MailKind.DIGEST: _l("Daily reminder"),
    MailKind.TEST: _l("Test email"),
    MailKind.WELCOME: _l("Link to set the password"),
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


CANCEL_REASON_LABELS = {
    CancelReason.NOTHING_TO_SAY: _l("every task in it was settled before it could be sent"),
    CancelReason.SUPERSEDED: _l("replaced by a newer daily reminder, which carries its tasks"),
    CancelReason.TOO_OLD: _l("the mail server was unreachable for too long; the daily reminder covers the task"),
}


class Reason(StrEnum):
    """Why an item is in an email: also the group it is shown in."""

    NEW_TASK = "new_task"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    DUE_SOON = "due_soon"
    UNACKNOWLEDGED = "unacknowledged"
    DECREE_EXPIRY = "decree_expiry"


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
    # The error of the last attempt while the row still waits or has failed; cleared once it is sent.
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Recipients the server refused while it accepted others: [{"address", "code", "reply"}], else NULL.
    refused: so.Mapped[list | None] = so.mapped_column(sa.JSON(none_as_null=True))
    cancel_reason: so.Mapped[CancelReason | None] = so.mapped_column(enum_column(CancelReason))
    message_id: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime, index=True)

    opd: so.Mapped[Opd | None] = so.relationship()
    recipient_user: so.Mapped[User | None] = so.relationship()
    items: so.Mapped[list["OutboxItem"]] = so.relationship(back_populates="message", order_by="OutboxItem.id")


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
    dropped: so.Mapped[bool] = so.mapped_column(default=False)
    state: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)

    message: so.Mapped[OutboxMessage] = so.relationship(back_populates="items")
    assignment: so.Mapped[Assignment | None] = so.relationship()
    decree: so.Mapped[Decree | None] = so.relationship()
