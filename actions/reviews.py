"""A review meeting (rapat evaluasi) goes through the late tasks on a screen, OPD by OPD: what each OPD said of a
task, and the new due date agreed, go into the task's timeline and into the minutes of the meeting being held."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from actions import events
from actions.models import Assignment, AssignmentEvent, HistoryKind
from actions.queries import get_assignment
from actions.services import change_due_date, check_due_date, history_row, owner_of
from core import audit
from core.errors import Invalid, InvalidTransition
from core.extensions import db
from core.formatting import long_date
from core.permissions import Actor, Permission, require, require_works_for
from forum import services as forums

SAID_MAX = 2000


def minutes_line(assignment: Assignment, said: str, due_date: date | None) -> str:
    """The line a review adds to the meeting's minutes, in the recorder's language: "- DINKES — <task>: <what
    was said>; new due date <date>"."""
    line = _l("%(opd)s — %(task)s: %(said)s", opd=assignment.opd.code, task=assignment.action.title, said=said)
    if due_date is None:
        return f"- {line}"
    moved = _l("new due date %(date)s", date=long_date(due_date))
    return f"- {line}; {moved}"


def record_review(
    actor: Actor, assignment: Assignment | int, forum_id: int | None, *, said: str | None, due_date: date | None
) -> bool:
    """Record what an OPD said of its task at the review meeting `forum_id` (an open forum of the actor's own
    government): a note in the task's timeline, a line in the meeting's minutes and, when a new due date was
    agreed, the move through change_due_date with what was said as its reason (so it sends its own event). Every
    input is checked before anything is written, and all of it is committed at once. Idempotent: the same words
    sent again for the same meeting, with no other due date (a double click, a form sent twice), write nothing
    and return False."""
    require(actor, Permission.EDIT_FORUMS)
    if not isinstance(assignment, Assignment):
        assignment = get_assignment(actor, assignment)
    require_works_for(actor, owner_of(assignment))
    if not assignment.is_open:
        raise InvalidTransition(_l("This task is finished."))
    said = " ".join((said or "").split())
    if not said:
        raise Invalid(_l("Write down what the OPD said."), field="said")
    if len(said) > SAID_MAX:
        raise Invalid(_l("Keep it under %(max)d characters.", max=SAID_MAX), field="said")
    if forum_id is None:
        raise Invalid(_l("Choose the review meeting being held first, on the ranking slide."), field="said")
    forum = forums.get_open_forum(actor, forum_id)
    if due_date == assignment.due_date:
        due_date = None
    if due_date is not None:
        check_due_date(due_date)
    elif _latest_review(assignment) == (forum.id, said):
        return False
    history_row(
        actor,
        assignment,
        HistoryKind.REVIEW,
        note=said,
        data={"forum_id": forum.id, "forum": forum.title, "due_date": due_date.isoformat() if due_date else None},
    )
    forums.append_to_minutes(actor, forum, minutes_line(assignment, said, due_date))
    audit.record(
        actor,
        "review",
        "assignment",
        assignment.id,
        scope=f"assignment:{assignment.id}",
        changes={"forum": [None, forum.title], "note": said},
    )
    if due_date is not None:
        change_due_date(actor, assignment, due_date, said)
    events.commit()
    return True


def _latest_review(assignment: Assignment) -> tuple[int | None, str | None] | None:
    """The meeting and the words of the task's latest review note, if any."""
    latest = db.session.scalar(
        sa.select(AssignmentEvent)
        .where(AssignmentEvent.assignment_id == assignment.id, AssignmentEvent.kind == HistoryKind.REVIEW)
        .order_by(AssignmentEvent.id.desc())
        .limit(1)
    )
    return None if latest is None else ((latest.data or {}).get("forum_id"), latest.note)
