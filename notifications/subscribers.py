"""Listening to the follow-ups' domain events: a task given to an OPD becomes a "new task" email in the outbox, and
each decision on a task (notifications.decisions) an email to its OPD at once."""

import sqlalchemy as sa
from flask import current_app

from accounts import events as account_events
from accounts import reach
from accounts.models import Opd, User
from actions import events
from actions.models import Assignment, AssignmentEvent
from core import clock
from core.db import insert_or_ignore
from core.extensions import db
from forum import events as forum_events
from notifications import decisions, outbox, webhooks
from notifications import policy as policies
from notifications.models import MailKind, OutboxItem, OutboxMessage, Reason, WebhookEvent
from notifications.planner import resolve_recipient


def _enqueue(key: str, kind: MailKind, opd: Opd, assignment_id: int, occasion: str, reason: Reason) -> None:
    """One outbox row for one OPD about one task, with its item, and commit; the unique key makes a second call
    (the same event heard twice) add nothing."""
    now = clock.now()
    recipient, user_id = resolve_recipient(opd)
    row = outbox.new_row(
        key,
        kind,
        recipient,
        now=now,
        local_date=clock.to_local(now, policies.zone_of(opd.government_id)).date(),
        opd_id=opd.id,
        government_id=opd.government_id,
        recipient_user_id=user_id,
    )
    insert_or_ignore(OutboxMessage, [row], ["dedup_key"])
    message_id = db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == key))
    item = dict(
        message_id=message_id,
        subject_key=f"assignment:{assignment_id}",
        occasion=occasion,
        reason=reason,
        assignment_id=assignment_id,
        dropped=False,
        state={},
    )
    insert_or_ignore(OutboxItem, [item], ["subject_key", "occasion"])
    db.session.commit()


def enqueue_new_task(assignment_id: int) -> None:
    """One "new task" row per assignment event: giving the task again (reassignment) is a new event."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        return
    event_id = db.session.scalar(
        sa.select(sa.func.max(AssignmentEvent.id)).where(AssignmentEvent.assignment_id == assignment_id)
    )
    key = f"new_task:{assignment_id}:{event_id}"
    _enqueue(key, MailKind.NEW_TASK, assignment.opd, assignment_id, f"new:{event_id}", Reason.NEW_TASK)


def _made_by_recipient(opd: Opd, actor_id: int | None) -> bool:
    """Whether whoever hears for the OPD is the person who made the decision: they need no email about it."""
    if actor_id is None:
        return False
    address, user = reach.recipient(opd)
    if user is not None:
        return user.id == actor_id
    actor = db.session.get(User, actor_id)
    return actor is not None and address is not None and actor.email.lower() == address.lower()


def enqueue_decision(
    assignment_id: int, wanted: frozenset, actor_id: int | None, within: int = decisions.RECENT
) -> None:
    """One decision row per history row that records one of the `wanted` decisions, for the OPD it concerns: the
    task's OPD, or for a reassignment the OPD that had it (the new one gets the new-task email). Nothing for a
    decision made by the person who would read it."""
    event = decisions.newest(assignment_id, wanted, within)
    if event is None:
        return
    opd = event.assignment.opd
    if decisions.decision_of(event) == decisions.Decision.REASSIGNED:
        opd = db.session.get(Opd, (event.data or {}).get("from_opd_id"))
        if opd is None:
            return
    if _made_by_recipient(opd, actor_id):
        return
    key = f"decision:{assignment_id}:{event.id}"
    _enqueue(key, MailKind.DECISION, opd, assignment_id, decisions.occasion(event.id), Reason.DECISION)


def _on_assignment_created(app, assignment_id: int, actor_id: int | None = None, **_):
    try:
        enqueue_new_task(assignment_id)
    except Exception:  # the task itself is saved; the planner's unacknowledged reminder still covers it
        db.session.rollback()
        current_app.logger.exception("Could not queue the new-task email for assignment %s", assignment_id)
    # A reassignment is a new task for the new OPD and a notice for the old one: only when it is the newest row.
    _queue_decision(assignment_id, frozenset({decisions.Decision.REASSIGNED}), actor_id, within=1)


def _queue_decision(assignment_id: int, wanted: frozenset, actor_id: int | None, within: int = decisions.RECENT):
    try:
        enqueue_decision(assignment_id, wanted, actor_id, within)
    except Exception:  # the decision is saved and shows on the task's page; only its email is missing
        db.session.rollback()
        current_app.logger.exception("Could not queue the decision email for assignment %s", assignment_id)


def _listener(wanted: frozenset):
    """A handler of an event that announces one of these decisions."""

    def handle(app, assignment_id: int, actor_id: int | None = None, **_):
        _queue_decision(assignment_id, wanted, actor_id)

    return handle


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


def _webhook(event: WebhookEvent):
    """A handler queueing the webhook deliveries of one assignment event."""

    def handle(app, assignment_id: int, **_):
        try:
            webhooks.enqueue_assignment_event(event, assignment_id)
        except Exception:  # the change is saved; only its webhook deliveries are missing
            db.session.rollback()
            current_app.logger.exception("Could not queue the %s webhooks of assignment %s", event, assignment_id)

    return handle


def _on_forum_closed(app, forum_id: int, occasion: str, **_):
    try:
        webhooks.enqueue_forum_closed(forum_id, occasion)
    except Exception:  # the forum is closed; only its webhook deliveries are missing
        db.session.rollback()
        current_app.logger.exception("Could not queue the forum.closed webhooks of forum %s", forum_id)


# Which action event is which webhook event ("started" is no webhook event: the OPD's first progress report).
WEBHOOK_EVENTS = {
    events.assignment_created: WebhookEvent.ASSIGNMENT_CREATED,
    events.assignment_acknowledged: WebhookEvent.ASSIGNMENT_ACKNOWLEDGED,
    events.assignment_submitted: WebhookEvent.ASSIGNMENT_SUBMITTED,
    events.assignment_verified: WebhookEvent.ASSIGNMENT_VERIFIED,
    events.assignment_returned: WebhookEvent.ASSIGNMENT_RETURNED,
    events.assignment_cancelled: WebhookEvent.ASSIGNMENT_CANCELLED,
}


def subscribe(app) -> None:
    """Connect this app's handlers (weakly held by blinker, so kept on the app)."""
    decision = decisions.Decision
    handlers = [
        (events.assignment_created, _on_assignment_created),
        (events.assignment_returned, _listener(decisions.RETURNS)),
        (events.assignment_verified, _listener(decisions.VERDICTS)),
        (events.assignment_cancelled, _listener(frozenset({decision.CANCELLED}))),
        (events.due_date_changed, _listener(frozenset({decision.DUE_DATE}))),
        *((signal, _webhook(event)) for signal, event in WEBHOOK_EVENTS.items()),
        (forum_events.forum_closed, _on_forum_closed),
    ]
    app.extensions["notifications.handlers"] = [*(handler for _, handler in handlers), _on_password_link_wanted]
    for signal, handler in handlers:
        signal.connect(handler, sender=app)
    account_events.password_link_wanted.connect(_on_password_link_wanted, sender=app)
