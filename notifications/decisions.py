"""Which line of a task's history is a decision the OPD must hear of at once, and what its email says.

A decision is the secretariat's word on a task (returned, accepted, "cannot follow up" approved or refused, due
date moved, reassigned, cancelled). The actions' events name only the task; the history row (AssignmentEvent)
holds what was decided, with its note and dates, so the subscriber queues one email per row and the email is said
from that row at send time.
"""

from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from actions.models import AssignmentEvent, HistoryKind, Status
from core.extensions import db


class Decision(StrEnum):
    RETURNED = "returned"
    ACCEPTED = "accepted"
    CANNOT_APPROVED = "cannot_approved"
    CANNOT_REFUSED = "cannot_refused"
    DUE_DATE = "due_date"
    REASSIGNED = "reassigned"
    CANCELLED = "cancelled"


# What the subject says happened, before the task's title: "[Kawal] Dikembalikan untuk perbaikan: <title>".
HEADLINES = {
    Decision.RETURNED: _l("Returned for rework"),
    Decision.ACCEPTED: _l("Done \u2014 as recommended"),
    Decision.CANNOT_APPROVED: _l("Cannot be followed up \u2014 approved"),
    Decision.CANNOT_REFUSED: _l("\u201cCannot follow up\u201d refused"),
    Decision.DUE_DATE: _l("Due date moved"),
    Decision.REASSIGNED: _l("Moved to another OPD"),
    Decision.CANCELLED: _l("Task cancelled"),
}
# What the secretariat decided, said in full; %(opd)s is the OPD that now has the task (a reassignment), %(old)s
# and %(new)s the due dates (a moved one).
SAID = {
    Decision.RETURNED: _l("The Secretariat has returned the report on this task for rework."),
    Decision.ACCEPTED: _l("The Secretariat has verified the report: the task is done, as recommended."),
    Decision.CANNOT_APPROVED: _l("The Secretariat has approved the request: this task cannot be followed up."),
    Decision.CANNOT_REFUSED: _l(
        "The Secretariat has refused the request to declare this task impossible to follow up: the task goes on."
    ),
    Decision.DUE_DATE: _l("The due date of this task has been moved from %(old)s to %(new)s."),
    Decision.REASSIGNED: _l("This task has been moved to %(opd)s, which now holds it; your OPD no longer does."),
    Decision.CANCELLED: _l("This task has been cancelled: no further follow-up is needed."),
}
# The heading of the history row's note in the email.
NOTE_HEADINGS = {
    Decision.RETURNED: _l("What to fix"),
    Decision.ACCEPTED: _l("Note from the Secretariat"),
    Decision.CANNOT_APPROVED: _l("Note from the Secretariat"),
    Decision.CANNOT_REFUSED: _l("Reason"),
    Decision.DUE_DATE: _l("Reason"),
    Decision.REASSIGNED: _l("Reason"),
    Decision.CANCELLED: _l("Reason"),
}
# What the OPD is asked to do next, where there is something.
ASKS = {
    Decision.RETURNED: _l("Please fix what is noted above, then report the task as done again on its page."),
    Decision.CANNOT_REFUSED: _l("Please go on with the task and report its progress on its page."),
}

# Which decisions each event announces.
RETURNS = frozenset({Decision.RETURNED, Decision.CANNOT_REFUSED})
VERDICTS = frozenset({Decision.ACCEPTED, Decision.CANNOT_APPROVED})


def decision_of(event: AssignmentEvent) -> Decision | None:
    """The decision a history row records, or None for the OPD's own work (acknowledging, reporting, submitting)
    and for an edit that did not move the due date."""
    if event.kind == HistoryKind.REASSIGN:
        return Decision.REASSIGNED
    if event.kind == HistoryKind.DUE_DATE or (event.kind == HistoryKind.EDIT and "due_date" in (event.data or {})):
        return Decision.DUE_DATE
    if event.kind != HistoryKind.STATUS:
        return None
    if event.from_status == Status.CANNOT_REQUESTED and event.to_status == Status.IN_PROGRESS:
        return Decision.CANNOT_REFUSED
    return {
        Status.RETURNED: Decision.RETURNED,
        Status.DONE: Decision.ACCEPTED,
        Status.CANNOT_FOLLOW_UP: Decision.CANNOT_APPROVED,
        Status.CANCELLED: Decision.CANCELLED,
    }.get(event.to_status)


def moved_dates(event: AssignmentEvent) -> tuple[str, str] | None:
    """The old and the new due date (ISO) a row records: a task's own date (from, to) or its follow-up's edit
    (due_date: [old, new])."""
    data = event.data or {}
    if event.kind == HistoryKind.DUE_DATE:
        return data.get("from"), data.get("to")
    if isinstance(data.get("due_date"), list) and len(data["due_date"]) == 2:
        return tuple(data["due_date"])
    return None


# How far back the subscriber looks for the row an event announces: a request writes at most a few rows per task.
RECENT = 5


def newest(assignment_id: int, wanted: frozenset[Decision], within: int = RECENT) -> AssignmentEvent | None:
    """The newest of the task's `within` latest history rows that records one of these decisions."""
    rows = db.session.scalars(
        sa.select(AssignmentEvent)
        .where(AssignmentEvent.assignment_id == assignment_id)
        .order_by(AssignmentEvent.id.desc())
        .limit(within)
    )
    return next((row for row in rows if decision_of(row) in wanted), None)


def occasion(event_id: int) -> str:
    """The outbox item's occasion of a decision: the history row it says."""
    return f"decision:{event_id}"


def event_id_of(item_occasion: str) -> int | None:
    """The history row a decision item says (the inverse of `occasion`)."""
    prefix, _, number = item_occasion.partition(":")
    return int(number) if prefix == "decision" and number.isdigit() else None
