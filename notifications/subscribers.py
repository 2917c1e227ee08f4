"""Listening to the follow-ups' domain events: a task given to an OPD becomes a "new task" email in the outbox."""

import sqlalchemy as sa
from flask import current_app

from accounts import events as account_events
from accounts.models import User
from actions import events
from actions.models import Assignment, AssignmentEvent
from core import clock
from core.db import insert_or_ignore
from core.extensions import db
from notifications import outbox
from notifications import policy as policies
from notifications.models import MailKind, OutboxItem, OutboxMessage, Reason
from notifications.planner import resolve_recipient


def enqueue_new_task(assignment_id: int) -> None:
    """One "new task" row per assignment event: giving the task again (reassignment) is a new event."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        return
    event_id = db.session.scalar(
        sa.select(sa.func.max(AssignmentEvent.id)).where(AssignmentEvent.assignment_id == assignment_id)
    )
    key = f"new_task:{assignment_id}:{event_id}"
    now = clock.now()
    recipient, user_id = resolve_recipient(assignment.opd)
    government_id = assignment.opd.government_id
    row = outbox.new_row(
        key,
        MailKind.NEW_TASK,
        recipient,
        now=now,
        local_date=clock.to_local(now, policies.zone_of(government_id)).date(),
        opd_id=assignment.opd_id,
        government_id=government_id,
        recipient_user_id=user_id,
    )
    insert_or_ignore(OutboxMessage, [row], ["dedup_key"])
    message_id = db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == key))
    insert_or_ignore(
        OutboxItem,
        [
            dict(
                message_id=message_id,
                subject_key=f"assignment:{assignment_id}",
                occasion=f"new:{event_id}",
                reason=Reason.NEW_TASK,
                assignment_id=assignment_id,
                dropped=False,
                state={},
            )
        ],
        ["subject_key", "occasion"],
    )
    db.session.commit()


def _on_assignment_created(app, assignment_id: int, **_):
    try:
        enqueue_new_task(assignment_id)
    except Exception:  # the task itself is saved; the planner's unacknowledged reminder still covers it
        db.session.rollback()
        current_app.logger.exception("Could not queue the new-task email for assignment %s", assignment_id)


def enqueue_password_links(user_ids: list[int]) -> None:
    """One "set your password" email per user asked for: the link in it is made when it is sent."""
    now = clock.now()
    users = db.session.execute(sa.select(User.id, User.email).where(User.id.in_(user_ids), User.active)).all()
    rows = [
        outbox.new_row(
            f"welcome:{user.id}:{now.isoformat()}",
            MailKind.WELCOME,
            user.email,
            now=now,
            local_date=clock.to_local(now).date(),
            recipient_user_id=user.id,
        )
        for user in users
    ]
    if rows:
        insert_or_ignore(OutboxMessage, rows, ["dedup_key"])
        db.session.commit()


def _on_password_link_wanted(app, user_ids: list[int], **_):
    try:
        enqueue_password_links(user_ids)
    except Exception:  # the account is saved; the admin can send the link again from its page
        db.session.rollback()
        current_app.logger.exception("Could not queue the set-password email for users %s", user_ids)


def subscribe(app) -> None:
    """Connect this app's handlers (weakly held by blinker, so kept on the app)."""
    app.extensions["notifications.handlers"] = [_on_assignment_created, _on_password_link_wanted]
    events.assignment_created.connect(_on_assignment_created, sender=app)
    account_events.password_link_wanted.connect(_on_password_link_wanted, sender=app)
