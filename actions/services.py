"""The assignment lifecycle: follow-ups given to OPDs, due dates, reassigning, cancelling, and every move through
TRANSITIONS. Each operation takes the acting user, checks permission, writes history and audit, raises domain
errors, and commits with events.commit(), which sends the events the change queued. Reading is in actions.queries,
decrees in actions.decrees, carry-over in actions.carry_over, evidence in actions.evidence."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts import services as accounts
from accounts.models import Opd
from actions import events
from actions.evidence import evidence_count
from actions.models import (
    STATUS_LABELS,
    Action,
    ActionKind,
    Assignment,
    AssignmentEvent,
    AssignmentRole,
    CannotReason,
    Decree,
    DecreeStage,
    Evidence,
    HistoryKind,
    ProgressReport,
    Status,
)
from actions.queries import active_opd, fan_out, get_action, get_assignment
from core import attachments, audit, clock
from core.db import max_length
from core.errors import Invalid, InvalidTransition, NotAllowed, NotFound
from core.extensions import db
from core.permissions import Actor, Permission, can, require, require_works_for, works_for
from core.weblinks import web_link
from forum import services as forums
from forum.models import Forum, Recommendation

S, P = Status, Permission

# The one table of assignment transitions: from a status, to a status, with the permission it takes. Entering
# "assigned" again gives the task afresh: reassigning an open task to another OPD (reassign), or giving it again to
# an OPD whose task was cancelled (add_opd), the one way out of a finished status.
TRANSITIONS: dict[Status, dict[Status, Permission]] = {
    S.ASSIGNED: {S.ACKNOWLEDGED: P.ACKNOWLEDGE, S.CANCELLED: P.VERIFY, S.ASSIGNED: P.EDIT_FORUMS},
    S.ACKNOWLEDGED: {
        S.IN_PROGRESS: P.REPORT_PROGRESS,
        S.SUBMITTED: P.SUBMIT,
        S.CANNOT_REQUESTED: P.SUBMIT,
        S.CANCELLED: P.VERIFY,
        S.ASSIGNED: P.EDIT_FORUMS,
    },
    S.IN_PROGRESS: {
        S.SUBMITTED: P.SUBMIT,
        S.CANNOT_REQUESTED: P.SUBMIT,
        S.CANCELLED: P.VERIFY,
        S.ASSIGNED: P.EDIT_FORUMS,
    },
    S.SUBMITTED: {S.DONE: P.VERIFY, S.RETURNED: P.VERIFY, S.CANCELLED: P.VERIFY, S.ASSIGNED: P.EDIT_FORUMS},
    S.RETURNED: {
        S.IN_PROGRESS: P.REPORT_PROGRESS,
        S.SUBMITTED: P.SUBMIT,
        S.CANNOT_REQUESTED: P.SUBMIT,
        S.CANCELLED: P.VERIFY,
        S.ASSIGNED: P.EDIT_FORUMS,
    },
    S.CANNOT_REQUESTED: {
        S.CANNOT_FOLLOW_UP: P.VERIFY,
        S.IN_PROGRESS: P.VERIFY,
        S.CANCELLED: P.VERIFY,
        S.ASSIGNED: P.EDIT_FORUMS,
    },
    S.DONE: {},
    S.CANNOT_FOLLOW_UP: {},
    S.CANCELLED: {S.ASSIGNED: P.EDIT_FORUMS},
}
# These act for an OPD, so the actor must belong to the assignment's OPD.
OWN_OPD = frozenset({P.ACKNOWLEDGE, P.REPORT_PROGRESS, P.SUBMIT})
REPORTABLE = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.RETURNED})


def _entered_assigned(assignment: Assignment, actor: Actor, now, note, data) -> None:
    # The task starts afresh (re-added or reassigned); the earlier round's reports and history stay in the timeline.
    assignment.assigned_at = now  # the acknowledgement clock starts again
    assignment.acknowledged_at = assignment.acknowledged_by_id = assignment.pic_name = None
    assignment.percent = 0
    assignment.cannot_reason_category = assignment.cannot_reason = None
    assignment.submitted_at = assignment.completed_at = assignment.verified_at = assignment.verified_by_id = None


def _entered_in_progress(assignment: Assignment, actor: Actor, now, note, data) -> None:
    assignment.cannot_reason_category = assignment.cannot_reason = None  # a refused "cannot" request is gone


def _entered_acknowledged(assignment: Assignment, actor: Actor, now, note, data) -> None:
    assignment.acknowledged_at, assignment.acknowledged_by_id = now, getattr(actor, "id", None)


def _entered_submitted(assignment: Assignment, actor: Actor, now, note, data) -> None:
    assignment.submitted_at = now


def _entered_cannot_requested(assignment: Assignment, actor: Actor, now, note, data) -> None:
    category = data.get("category")
    assignment.cannot_reason_category = CannotReason(category) if category else None
    assignment.cannot_reason = note


def _entered_cannot_follow_up(assignment: Assignment, actor: Actor, now, note, data) -> None:
    assignment.completed_at = assignment.verified_at = now
    assignment.verified_by_id = getattr(actor, "id", None)


def _entered_done(assignment: Assignment, actor: Actor, now, note, data) -> None:
    _entered_cannot_follow_up(assignment, actor, now, note, data)
    assignment.percent = 100


# What entering a status sets besides the status, beside the table: transition() applies it, nothing else does.
ON_ENTER = {
    S.ASSIGNED: _entered_assigned,
    S.ACKNOWLEDGED: _entered_acknowledged,
    S.IN_PROGRESS: _entered_in_progress,
    S.SUBMITTED: _entered_submitted,
    S.CANNOT_REQUESTED: _entered_cannot_requested,
    S.CANNOT_FOLLOW_UP: _entered_cannot_follow_up,
    S.DONE: _entered_done,
}
# The domain event each move sends once committed (actions.events); a rejected "cannot" request is a return.
STATUS_EVENTS = {
    S.ASSIGNED: events.assignment_created,
    S.ACKNOWLEDGED: events.assignment_acknowledged,
    S.IN_PROGRESS: events.assignment_started,
    S.SUBMITTED: events.assignment_submitted,
    S.CANNOT_REQUESTED: events.assignment_submitted,
    S.RETURNED: events.assignment_returned,
    S.DONE: events.assignment_verified,
    S.CANNOT_FOLLOW_UP: events.assignment_verified,
    S.CANCELLED: events.assignment_cancelled,
}
STATUS_EVENT_EXCEPTIONS = {(S.CANNOT_REQUESTED, S.IN_PROGRESS): events.assignment_returned}


def _audit(actor: Actor, verb: str, assignment: Assignment, changes: dict) -> None:
    audit.record(actor, verb, "assignment", assignment.id, scope=f"assignment:{assignment.id}", changes=changes)


def history_row(actor, assignment, kind, *, note=None, data=None, from_status=None, to_status=None, report=None):
    """Add a row to an assignment's history (the caller commits), and write the task as changed: its version check
    then refuses every change made on a task that another request moved on meanwhile, a progress note too."""
    assignment.updated_at = clock.now()
    sa.orm.attributes.flag_modified(assignment, "updated_at")
    event = AssignmentEvent(
        assignment=assignment,
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=(note or "").strip() or None,
        data=data or {},
        report=report,
    )
    db.session.add(event)
    return event


def owner_of(assignment: Assignment) -> int:
    """The government that gave the task: the one owning its forum, whose secretariat verifies and changes it."""
    return assignment.action.recommendation.forum.government_id


def _guard(actor: Actor, assignment: Assignment, permission: Permission) -> None:
    """The permission check of every assignment service: the permission; for an OPD's work its own OPD, for the
    secretariat's work the government that gave the task."""
    require(actor, permission)
    if permission in OWN_OPD:
        if not acts_for(actor, assignment):
            raise NotAllowed(_l("This task belongs to another OPD."))
    else:
        require_works_for(actor, owner_of(assignment))


def acts_for(actor: Actor, assignment: Assignment) -> bool:
    """Whether the actor does an OPD's part of this task: its OPD is one the actor acts for (a user of it, or the
    user who heads it now while holding another post, Plt., whom its reminders and one-click links reach as well)."""
    return assignment.opd_id in accounts.opds_acted_for(actor)


def _owned_forum(actor: Actor, forum: Forum) -> Forum:
    """The forum whose follow-ups the actor is about to change: only its own government's people do."""
    require_works_for(actor, forum.government_id)
    return forum


def _government_opds(forum: Forum, government_ids) -> list[Opd]:
    """The active OPDs of whole governments chosen as supporters; only governments the forum may assign to."""
    if not government_ids:
        return []
    allowed = forums.assignable_governments(forum)
    if any(government_id not in allowed for government_id in government_ids):
        raise Invalid(
            _l("This forum cannot give tasks to every OPD of that government: choose among those listed."),
            field="support_government_ids",
        )
    return list(db.session.scalars(sa.select(Opd).where(Opd.active, Opd.government_id.in_(sorted(government_ids)))))


def assignable_opd(forum: Forum, opd_id: int, field: str = "opd_id") -> Opd:
    """An active OPD that may get this forum's follow-ups: of its government or one under it."""
    opd = active_opd(opd_id, field)
    if not forums.may_assign(forum, opd):
        raise Invalid(
            _l("%(code)s belongs to a government this forum cannot give tasks to.", code=opd.code), field=field
        )
    return opd


def assignment_for(actor: Actor, assignment_id: int, permission: Permission) -> Assignment:
    """Load an assignment once for work that needs `permission`, refusing first who may not do it (before a page
    reads any form); pass the result on to the service."""
    require(actor, permission)
    assignment = get_assignment(actor, assignment_id)
    _guard(actor, assignment, permission)
    return assignment


def action_for(actor: Actor, action_id: int, permission: Permission) -> Action:
    """Load a follow-up once for the secretariat's work on it, refusing first who may not do it (before a page
    reads any form): the permission, and the government that owns its forum."""
    require(actor, permission)
    action = get_action(actor, action_id)
    _owned_forum(actor, action.recommendation.forum)
    return action


def _load(actor: Actor, assignment: Assignment | int) -> Assignment:
    return assignment if isinstance(assignment, Assignment) else get_assignment(actor, assignment)


def may(actor: Actor, assignment: Assignment, to: Status) -> bool:
    """Whether this user may move this assignment to this status now: for the buttons on its page."""
    permission = TRANSITIONS[assignment.status].get(to)
    if permission is None or not can(actor, permission):
        return False
    if permission in OWN_OPD:
        return acts_for(actor, assignment)
    return works_for(actor, owner_of(assignment))


def may_cancel_action(actor: Actor, action: Action) -> bool:
    """Whether the actor may cancel this follow-up now (the rule of cancel_action), for its page."""
    return (
        can(actor, P.VERIFY)
        and action.cancelled_at is None
        and works_for(actor, action.recommendation.forum.government_id)
    )


def may_change(actor: Actor, assignment: Assignment) -> bool:
    """Whether the actor does the secretariat's work on this task (due date, reassigning): its forum's owner."""
    return can(actor, P.EDIT_FORUMS) and assignment.is_open and works_for(actor, owner_of(assignment))


def may_report(actor: Actor, assignment: Assignment) -> bool:
    """Whether this user may report progress on this assignment now: a user of its OPD, or its Plt. head."""
    return can(actor, P.REPORT_PROGRESS) and assignment.status in REPORTABLE and acts_for(actor, assignment)


def _check_pic(actor: Actor, assignment: Assignment) -> None:
    """The rule for naming the person in charge: its OPD's head (403 otherwise), once acknowledged, while open
    (409 otherwise). set_pic enforces it; may_set_pic asks it for the page."""
    _guard(actor, assignment, P.ACKNOWLEDGE)
    if not assignment.is_open:
        raise InvalidTransition(_l("This task is finished."))
    if assignment.acknowledged_at is None:
        raise InvalidTransition(_l("Acknowledge the task first, then name the person in charge."))


def may_set_pic(actor: Actor, assignment: Assignment) -> bool:
    """Whether this user may name the person in charge now (the rule of set_pic)."""
    try:
        _check_pic(actor, assignment)
    except (NotAllowed, InvalidTransition):
        return False
    return True


def transition(
    actor: Actor,
    assignment: Assignment,
    to: Status,
    *,
    note: str | None = None,
    data: dict | None = None,
    kind: HistoryKind = HistoryKind.STATUS,
    verb: str = "change_status",
    changes: dict | None = None,
) -> AssignmentEvent:
    """The one place an assignment's status changes, by the table above: checks, history row, audit row, what
    entering the status sets (ON_ENTER), and its event, sent once the caller commits with events.commit()."""
    source = assignment.status
    allowed = TRANSITIONS[source]
    if to not in allowed:
        raise InvalidTransition(
            _l(
                "A task that is \u201c%(from)s\u201d cannot become \u201c%(to)s\u201d.",
                **{"from": STATUS_LABELS[source], "to": STATUS_LABELS[to]},
            )
        )
    _guard(actor, assignment, allowed[to])
    event = history_row(actor, assignment, kind, note=note, data=data, from_status=source, to_status=to)
    _audit(actor, verb, assignment, {"status": [source.value, to.value], **(changes or {})})
    assignment.status = to
    if to in ON_ENTER:
        ON_ENTER[to](assignment, actor, clock.now(), event.note, data or {})
    signal = STATUS_EVENT_EXCEPTIONS.get((source, to), STATUS_EVENTS[to])
    events.later(signal, getattr(actor, "id", None), assignment_id=assignment.id)
    return event


def check_due_date(due_date: date | None) -> date:
    """A due date is required and not in the past."""
    if due_date is None:
        raise Invalid(_l("Give a due date."), field="due_date")
    if due_date < clock.today_local():
        raise Invalid(_l("The due date is in the past."), field="due_date")
    return due_date


# --- the secretariat's work ----------------------------------------------------------------------------


def create_action(
    actor: Actor,
    recommendation_id: int,
    *,
    kind: str,
    title: str,
    description: str | None = None,
    due_date: date | None,
    lead_opd_id: int | None,
    support_opd_ids: list[int] = (),
    support_government_ids: list[int] = (),
    all_present: bool = False,
) -> Action:
    """Turn a recommendation into a follow-up and give it to OPDs: one lead, supporters (named, or every active OPD
    of a government the forum may assign to), or everyone present. The lead is never also a supporter."""
    require(actor, P.EDIT_FORUMS)
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None:
        raise NotFound(_l("No such recommendation."))
    forum = forums.get_editable_forum(actor, recommendation.forum_id)
    title = (title or "").strip()
    if not title:
        raise Invalid(_l("A follow-up needs a title."), field="title")
    due_date = check_due_date(due_date)
    roles: dict[int, AssignmentRole] = {}
    if all_present:
        # Attending OPDs of a government above or beside the owner are left out (fan_out says which).
        present = fan_out(forum).given
        if not present:
            raise Invalid(_l("Nobody from an OPD attended this forum."), field="all_present")
        # Everyone present is responsible for their own OPD, unless one of them is named to lead.
        default = AssignmentRole.SUPPORT if lead_opd_id else AssignmentRole.LEAD
        roles.update({opd_id: default for opd_id in present})
    whole = _government_opds(forum, support_government_ids)  # held, so that the checks below read them from memory
    for opd in whole:
        roles.setdefault(opd.id, AssignmentRole.SUPPORT)  # one present keeps its own task
    for opd_id in support_opd_ids or ():
        roles[opd_id] = AssignmentRole.SUPPORT
    if lead_opd_id:
        roles[lead_opd_id] = AssignmentRole.LEAD
    if not roles:
        raise Invalid(_l("Choose the lead OPD, or all OPDs present."), field="lead_opd_id")
    opds = [assignable_opd(forum, opd_id, field="lead_opd_id") for opd_id in roles]
    action = Action(
        recommendation=recommendation,
        title=title,
        description=(description or "").strip() or None,
        kind=ActionKind(kind),
        due_date=due_date,
        created_by_id=getattr(actor, "id", None),
        created_at=clock.now(),
    )
    db.session.add(action)
    created = [_new_assignment(actor, action, opd, roles[opd.id]) for opd in opds]
    if action.kind == ActionKind.DECREE:
        db.session.add(Decree(action=action, subject=title, lead_opd_id=lead_opd_id, stage=DecreeStage.PROPOSED))
    db.session.flush()
    audit.record(
        actor,
        "create",
        "action",
        action.id,
        scope=f"forum:{recommendation.forum_id}",
        changes={
            "title": [None, title],
            "kind": [None, action.kind.value],
            "due_date": [None, due_date],
            "opds": [None, sorted(o.code for o in opds)],
        },
    )
    for assignment in created:
        events.later(events.assignment_created, getattr(actor, "id", None), assignment_id=assignment.id)
    events.commit()
    return action


def _new_assignment(actor, action: Action, opd: Opd, role: AssignmentRole, note: str | None = None) -> Assignment:
    assignment = Assignment(
        action=action,
        opd=opd,
        role=role,
        status=Status.ASSIGNED,
        due_date=action.due_date,
        created_at=clock.now(),
        assigned_at=clock.now(),
    )
    db.session.add(assignment)
    history_row(
        actor,
        assignment,
        HistoryKind.STATUS,
        to_status=Status.ASSIGNED,
        note=note,
        data={"opd": opd.code, "role": role.value},
    )
    return assignment


def _require_reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("Give the reason."), field=field)
    return reason


def move_due_dates(actor: Actor, action: Action, due_date: date) -> list[Assignment]:
    """Give a follow-up's new due date to its open assignments that have none of their own; the caller commits."""
    moved = [a for a in action.assignments if a.is_open and not a.due_date_overridden]
    for assignment in moved:
        assignment.due_date = due_date
        events.later(events.due_date_changed, getattr(actor, "id", None), assignment_id=assignment.id)
    return moved


def require_not_cancelled(action: Action) -> None:
    """A cancelled follow-up takes no more changes: edits, new OPDs, carry-over decisions."""
    if action.cancelled_at is not None:
        raise InvalidTransition(_l("This follow-up is cancelled."))


def update_action(
    actor: Actor, action_id: int, *, title: str, description: str | None, due_date: date | None, reason: str
) -> Action:
    """Edit a follow-up; a new due date moves every open assignment that does not have its own."""
    require(actor, P.EDIT_FORUMS)
    action = get_action(actor, action_id)
    _owned_forum(actor, action.recommendation.forum)
    require_not_cancelled(action)
    reason = _require_reason(reason)
    title = (title or "").strip()
    if not title:
        raise Invalid(_l("A follow-up needs a title."), field="title")
    if due_date != action.due_date:
        check_due_date(due_date)
    changes = audit.diff(
        action, {"title": title, "description": (description or "").strip() or None, "due_date": due_date}
    )
    if not changes:
        return action
    for assignment in action.assignments:
        history_row(actor, assignment, HistoryKind.EDIT, note=reason, data=audit.jsonable(changes))
    if "due_date" in changes:
        move_due_dates(actor, action, due_date)
    audit.record(
        actor,
        "update",
        "action",
        action.id,
        scope=f"forum:{action.recommendation.forum_id}",
        changes={**changes, "reason": reason},
    )
    events.commit()
    return action


def add_opd(actor: Actor, action_id: int, opd_id: int, role: str, reason: str) -> Assignment:
    """Give a follow-up to one more OPD (or again, to one whose assignment was cancelled)."""
    require(actor, P.EDIT_FORUMS)
    action = get_action(actor, action_id)
    forum = _owned_forum(actor, action.recommendation.forum)
    reason = _require_reason(reason)
    opd = assignable_opd(forum, opd_id)
    require_not_cancelled(action)
    existing = next((a for a in action.assignments if a.opd_id == opd.id), None)
    if existing is not None and existing.status != Status.CANCELLED:
        raise Invalid(_l("%(code)s already has this follow-up.", code=opd.code), field="opd_id")
    if existing is not None:
        existing.role = AssignmentRole(role)
        transition(actor, existing, Status.ASSIGNED, note=reason, data={"opd": opd.code, "role": role})
        assignment = existing
    else:
        assignment = _new_assignment(actor, action, opd, AssignmentRole(role), note=reason)
        db.session.flush()
        events.later(events.assignment_created, getattr(actor, "id", None), assignment_id=assignment.id)
    audit.record(
        actor,
        "add_opd",
        "action",
        action.id,
        scope=f"forum:{action.recommendation.forum_id}",
        changes={"opd": [None, opd.code], "reason": reason},
    )
    events.commit()
    return assignment


def change_due_date(actor: Actor, assignment: Assignment | int, due_date: date | None, reason: str) -> Assignment:
    """Give one OPD its own due date."""
    require(actor, P.EDIT_FORUMS)
    assignment = _load(actor, assignment)
    _guard(actor, assignment, P.EDIT_FORUMS)
    reason = _require_reason(reason)
    if not assignment.is_open:
        raise InvalidTransition(_l("This task is finished."))
    check_due_date(due_date)
    if due_date == assignment.due_date:
        return assignment
    moved = {"from": assignment.due_date.isoformat(), "to": due_date.isoformat()}
    history_row(actor, assignment, HistoryKind.DUE_DATE, note=reason, data=moved)
    _audit(actor, "change_due_date", assignment, {"due_date": [assignment.due_date, due_date], "reason": reason})
    assignment.due_date, assignment.due_date_overridden = due_date, True
    events.later(events.due_date_changed, getattr(actor, "id", None), assignment_id=assignment.id)
    events.commit()
    return assignment


def reassign(actor: Actor, assignment: Assignment | int, opd_id: int, reason: str) -> Assignment:
    """Move a task to another OPD, which must acknowledge it afresh."""
    require(actor, P.EDIT_FORUMS)
    assignment = _load(actor, assignment)
    _guard(actor, assignment, P.EDIT_FORUMS)
    reason = _require_reason(reason)
    if not assignment.is_open:
        raise InvalidTransition(_l("This task is finished."))
    opd = assignable_opd(assignment.action.recommendation.forum, opd_id)
    if opd.id == assignment.opd_id:
        return assignment
    taken = db.session.scalar(
        sa.select(Assignment.id).where(Assignment.action_id == assignment.action_id, Assignment.opd_id == opd.id)
    )
    if taken:
        raise Invalid(_l("%(code)s already has this follow-up.", code=opd.code), field="opd_id")
    transition(
        actor,
        assignment,
        Status.ASSIGNED,
        note=reason,
        # The ids beside the codes: a code names an OPD only within its government, and the old OPD is told.
        data={"from": assignment.opd.code, "to": opd.code, "from_opd_id": assignment.opd_id, "to_opd_id": opd.id},
        kind=HistoryKind.REASSIGN,
        verb="reassign",
        changes={"opd": [assignment.opd.code, opd.code], "reason": reason},
    )
    assignment.opd = opd  # entering "assigned" cleared the other OPD's person in charge and progress
    events.commit()
    return assignment


def cancel_assignment(actor: Actor, assignment: Assignment | int, reason: str) -> Assignment:
    """Take a task away from an OPD, with the reason; this is also how an OPD is removed from a follow-up."""
    assignment = _load(actor, assignment)
    transition(actor, assignment, Status.CANCELLED, note=_require_reason(reason))
    events.commit()
    return assignment


def cancel_action(actor: Actor, action_id: int, reason: str) -> Action:
    """Cancel a follow-up and every open task it gave."""
    require(actor, P.VERIFY)
    action = get_action(actor, action_id)
    _owned_forum(actor, action.recommendation.forum)
    reason = _require_reason(reason)
    if action.cancelled_at is not None:
        return action
    for assignment in action.assignments:
        if assignment.is_open:
            transition(actor, assignment, Status.CANCELLED, note=reason)
    action.cancelled_at, action.cancel_reason = clock.now(), reason
    audit.record(
        actor,
        "cancel",
        "action",
        action.id,
        scope=f"forum:{action.recommendation.forum_id}",
        changes={"reason": reason},
    )
    events.commit()
    return action


def verify(actor: Actor, assignment: Assignment | int, *, accept: bool, note: str | None = None) -> Assignment:
    """Accept reported work as done (sesuai rekomendasi), or return it with a note for rework."""
    assignment = _load(actor, assignment)
    if accept:
        transition(actor, assignment, Status.DONE, note=note)
    else:
        transition(actor, assignment, Status.RETURNED, note=_require_reason(note, "note"))
    events.commit()
    return assignment


def decide_cannot(actor: Actor, assignment: Assignment | int, *, approve: bool, note: str | None = None) -> Assignment:
    """Approve a "cannot follow up" request, or reject it and send the task back to work."""
    assignment = _load(actor, assignment)
    if approve:
        transition(actor, assignment, Status.CANNOT_FOLLOW_UP, note=note)
    else:
        transition(actor, assignment, Status.IN_PROGRESS, note=_require_reason(note, "note"))
    events.commit()
    return assignment


# --- the OPD's work ------------------------------------------------------------------------------------


def acknowledge(
    actor: Actor, assignment: Assignment | int, *, pic_name: str | None = None, note: str | None = None
) -> bool:
    """Accept a task for one's OPD, naming who will do it. Returns False when it was acknowledged already.

    Takes the assignment already loaded (by `assignment_for`, or the one-click link) or its id."""
    assignment = _load(actor, assignment)
    if assignment.acknowledged_at is not None and assignment.is_open and assignment.status != Status.ASSIGNED:
        _guard(actor, assignment, P.ACKNOWLEDGE)
        return False
    pic_name = (pic_name or "").strip() or None
    changes = {"pic_name": [assignment.pic_name, pic_name]} if pic_name else None
    transition(actor, assignment, Status.ACKNOWLEDGED, note=note, changes=changes)
    if pic_name:
        assignment.pic_name = pic_name
        history_row(actor, assignment, HistoryKind.PIC, data={"pic": pic_name})
    events.commit()
    return True


def set_pic(actor: Actor, assignment: Assignment | int, pic_name: str) -> Assignment:
    """Name (or rename) the person in charge."""
    assignment = _load(actor, assignment)
    _check_pic(actor, assignment)
    pic_name = (pic_name or "").strip()
    if not pic_name:
        raise Invalid(_l("Give the name of the person in charge."), field="pic_name")
    if pic_name != assignment.pic_name:
        history_row(actor, assignment, HistoryKind.PIC, data={"from": assignment.pic_name, "pic": pic_name})
        _audit(actor, "update", assignment, {"pic_name": [assignment.pic_name, pic_name]})
        assignment.pic_name = pic_name
        events.commit()
    return assignment


def report_progress(
    actor: Actor, assignment: Assignment | int, *, percent: int, note: str | None, files=(), links=()
) -> ProgressReport:
    """Report progress with evidence: files (checked and stored) and links. All of it is saved, or none."""
    assignment = _load(actor, assignment)
    _guard(actor, assignment, P.REPORT_PROGRESS)
    if assignment.status == Status.ASSIGNED:
        raise InvalidTransition(_l("The OPD head must acknowledge the task before progress is reported."))
    if assignment.status not in REPORTABLE:
        raise InvalidTransition(
            _l(
                "Progress cannot be reported on a task that is \u201c%(status)s\u201d.",
                status=STATUS_LABELS[assignment.status],
            )
        )
    if percent is None or not 0 <= percent <= 100:
        raise Invalid(_l("The progress is a percentage from 0 to 100."), field="percent")
    links = [
        web_link(link, max_length=max_length(Evidence.url), field="links") for link in links if link and link.strip()
    ]
    files = [f for f in files if f and f.filename]
    note = (note or "").strip() or None
    if not (note or files or links or percent != assignment.percent):
        raise Invalid(_l("Write what was done, or add evidence."), field="note")
    try:
        stored = [attachments.store(upload, actor) for upload in files]
    except Invalid:
        db.session.rollback()  # the files already written go with it (core.attachments)
        raise
    report = ProgressReport(
        assignment_id=assignment.id, author_id=getattr(actor, "id", None), at=clock.now(), percent=percent, note=note
    )
    report.evidence = [Evidence(assignment_id=assignment.id, attachment=a) for a in stored] + [
        Evidence(assignment_id=assignment.id, url=link) for link in links
    ]
    db.session.add(report)
    if assignment.status != Status.IN_PROGRESS:
        transition(actor, assignment, Status.IN_PROGRESS)
    history_row(actor, assignment, HistoryKind.PROGRESS, note=note, data={"percent": percent}, report=report)
    assignment.percent = percent
    events.commit()
    return report


def submit(actor: Actor, assignment: Assignment | int, note: str | None = None) -> Assignment:
    """Report a task as done, for the secretariat to verify; there must be evidence."""
    assignment = _load(actor, assignment)
    if may(actor, assignment, Status.SUBMITTED) and evidence_count(assignment.id) == 0:
        raise Invalid(_l("Add at least one piece of evidence before reporting the task as done."))
    transition(actor, assignment, Status.SUBMITTED, note=note)
    events.commit()
    return assignment


def request_cannot(actor: Actor, assignment: Assignment | int, *, category: str, reason: str) -> Assignment:
    """Ask the secretariat to accept that a task cannot be followed up, and why."""
    assignment = _load(actor, assignment)
    reason = _require_reason(reason)
    category = CannotReason(category)
    transition(actor, assignment, Status.CANNOT_REQUESTED, note=reason, data={"category": category.value})
    events.commit()
    return assignment
