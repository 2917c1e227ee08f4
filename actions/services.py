"""Operations on follow-ups. Each takes the acting user, checks permission, writes the history and the audit
trail, raises domain errors, and sends a domain event after its commit."""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

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
from actions.queries import get_action, get_assignment, present_opd_ids
from core import attachments, audit, clock
from core.db import max_length
from core.errors import Invalid, InvalidTransition, NotAllowed, NotFound
from core.extensions import db
from core.permissions import Permission, Role, can, require
from core.weblinks import web_link
from forum.models import Recommendation

S, P = Status, Permission

# The one table of assignment transitions: from a status, to a status, with the permission it takes.
TRANSITIONS: dict[Status, dict[Status, Permission]] = {
    S.ASSIGNED: {S.ACKNOWLEDGED: P.ACKNOWLEDGE, S.CANCELLED: P.VERIFY},
    S.ACKNOWLEDGED: {S.IN_PROGRESS: P.REPORT_PROGRESS, S.SUBMITTED: P.SUBMIT, S.CANNOT_REQUESTED: P.SUBMIT,
                     S.CANCELLED: P.VERIFY},
    S.IN_PROGRESS: {S.SUBMITTED: P.SUBMIT, S.CANNOT_REQUESTED: P.SUBMIT, S.CANCELLED: P.VERIFY},
    S.SUBMITTED: {S.DONE: P.VERIFY, S.RETURNED: P.VERIFY, S.CANCELLED: P.VERIFY},
    S.RETURNED: {S.IN_PROGRESS: P.REPORT_PROGRESS, S.SUBMITTED: P.SUBMIT, S.CANNOT_REQUESTED: P.SUBMIT,
                 S.CANCELLED: P.VERIFY},
    S.CANNOT_REQUESTED: {S.CANNOT_FOLLOW_UP: P.VERIFY, S.IN_PROGRESS: P.VERIFY, S.CANCELLED: P.VERIFY},
    S.DONE: {},
    S.CANNOT_FOLLOW_UP: {},
    S.CANCELLED: {},
}  # fmt: skip
# These act for an OPD, so the actor must belong to the assignment's OPD.
OWN_OPD = frozenset({P.ACKNOWLEDGE, P.REPORT_PROGRESS, P.SUBMIT})
REPORTABLE = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.RETURNED})
# "My tasks" keeps finished tasks in view this long.
RECENTLY_FINISHED = timedelta(days=30)


def _scope(assignment: Assignment) -> str:
    return f"assignment:{assignment.id}"


def _history(actor, assignment, kind, *, note=None, data=None, from_status=None, to_status=None, report=None):
    event = AssignmentEvent(
        assignment=assignment, at=clock.now(), actor_id=getattr(actor, "id", None), kind=kind,
        from_status=from_status, to_status=to_status, note=(note or "").strip() or None, data=data or {}, report=report,
    )  # fmt: skip
    db.session.add(event)
    return event


def _require_own_opd(actor, assignment: Assignment) -> None:
    if getattr(actor, "opd_id", None) != assignment.opd_id:
        raise NotAllowed(_l("This task belongs to another OPD."))


def refuse_other_opds(actor, assignment_id: int) -> None:
    """An OPD user acts only on their own OPD's tasks: checked before any form is read."""
    if Role(actor.role) in (Role.OPD_HEAD, Role.OPD_STAFF):
        _require_own_opd(actor, get_assignment(actor, assignment_id))


def may(actor, assignment: Assignment, to: Status) -> bool:
    """Whether this user may move this assignment to this status now: for the buttons on its page."""
    permission = TRANSITIONS[assignment.status].get(to)
    if permission is None or not can(actor, permission):
        return False
    return permission not in OWN_OPD or getattr(actor, "opd_id", None) == assignment.opd_id


def may_report(actor, assignment: Assignment) -> bool:
    """Whether this user may report progress on this assignment now."""
    return (
        can(actor, P.REPORT_PROGRESS)
        and getattr(actor, "opd_id", None) == assignment.opd_id
        and assignment.status in REPORTABLE
    )


def transition(actor, assignment: Assignment, to: Status, *, note: str | None = None, data: dict | None = None):
    """The one place an assignment's status changes, by the table above; the caller commits."""
    allowed = TRANSITIONS[assignment.status]
    if to not in allowed:
        raise InvalidTransition(
            _l("A task that is \u201c%(from)s\u201d cannot become \u201c%(to)s\u201d.",
               **{"from": STATUS_LABELS[assignment.status], "to": STATUS_LABELS[to]})
        )  # fmt: skip
    require(actor, allowed[to])
    if allowed[to] in OWN_OPD:
        _require_own_opd(actor, assignment)
    event = _history(actor, assignment, HistoryKind.STATUS, note=note, data=data,
                     from_status=assignment.status, to_status=to)  # fmt: skip
    audit.record(actor, "change_status", "assignment", assignment.id, scope=_scope(assignment),
                 changes={"status": [assignment.status.value, to.value]})  # fmt: skip
    assignment.status = to
    return event


def active_opd(opd_id: int) -> Opd:
    """The OPD to give a task to: it must exist and be active."""
    opd = db.session.get(Opd, opd_id)
    if opd is None:
        raise Invalid(_l("No such OPD."), field="lead_opd_id")
    if not opd.active:
        raise Invalid(_l("%(code)s is inactive and cannot be given tasks.", code=opd.code), field="lead_opd_id")
    return opd


def check_due_date(due_date: date | None) -> date:
    """A due date is required and not in the past."""
    if due_date is None:
        raise Invalid(_l("Give a due date."), field="due_date")
    if due_date < clock.today_local():
        raise Invalid(_l("The due date is in the past."), field="due_date")
    return due_date


# --- the secretariat's work ----------------------------------------------------------------------------


def create_action(
    actor,
    recommendation_id: int,
    *,
    kind: str,
    title: str,
    description: str | None = None,
    due_date: date | None,
    lead_opd_id: int | None,
    support_opd_ids: list[int] = (),
    all_present: bool = False,
) -> Action:
    """Turn a recommendation into a follow-up and give it to OPDs: one lead, supporters, or everyone present."""
    require(actor, P.EDIT_FORUMS)
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None:
        raise NotFound(_l("No such recommendation."))
    title = (title or "").strip()
    if not title:
        raise Invalid(_l("A follow-up needs a title."), field="title")
    due_date = check_due_date(due_date)
    roles: dict[int, AssignmentRole] = {}
    if all_present:
        present = present_opd_ids(recommendation.forum_id)
        if not present:
            raise Invalid(_l("Nobody from an OPD attended this forum."), field="all_present")
        # Everyone present is responsible for their own OPD, unless one of them is named to lead.
        default = AssignmentRole.SUPPORT if lead_opd_id else AssignmentRole.LEAD
        roles.update({opd_id: default for opd_id in present})
    for opd_id in support_opd_ids or ():
        roles[opd_id] = AssignmentRole.SUPPORT
    if lead_opd_id:
        roles[lead_opd_id] = AssignmentRole.LEAD
    if not roles:
        raise Invalid(_l("Choose the lead OPD, or all OPDs present."), field="lead_opd_id")
    opds = [active_opd(opd_id) for opd_id in roles]
    action = Action(
        recommendation=recommendation, title=title, description=(description or "").strip() or None,
        kind=ActionKind(kind), due_date=due_date, created_by_id=getattr(actor, "id", None), created_at=clock.now(),
    )  # fmt: skip
    db.session.add(action)
    created = [_new_assignment(actor, action, opd, roles[opd.id]) for opd in opds]
    if action.kind == ActionKind.DECREE:
        db.session.add(Decree(action=action, subject=title, lead_opd_id=lead_opd_id, stage=DecreeStage.PROPOSED))
    db.session.flush()
    audit.record(actor, "create", "action", action.id, scope=f"forum:{recommendation.forum_id}",
                 changes={"title": [None, title], "kind": [None, action.kind.value], "due_date": [None, due_date],
                          "opds": [None, sorted(o.code for o in opds)]})  # fmt: skip
    db.session.commit()
    for assignment in created:
        events.emit(events.assignment_created, assignment.id, getattr(actor, "id", None))
    return action


def _new_assignment(actor, action: Action, opd: Opd, role: AssignmentRole, note: str | None = None) -> Assignment:
    assignment = Assignment(action=action, opd=opd, role=role, status=Status.ASSIGNED, due_date=action.due_date,
                            created_at=clock.now(), assigned_at=clock.now())  # fmt: skip
    db.session.add(assignment)
    _history(actor, assignment, HistoryKind.STATUS, to_status=Status.ASSIGNED, note=note,
             data={"opd": opd.code, "role": role.value})  # fmt: skip
    return assignment


def _require_reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("Give the reason."), field=field)
    return reason


def update_action(actor, action_id: int, *, title: str, description: str | None, due_date: date | None, reason: str):
    """Edit a follow-up; a new due date moves every open assignment that does not have its own."""
    require(actor, P.EDIT_FORUMS)
    action = get_action(actor, action_id)
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
    moved = []
    for assignment in action.assignments:
        _history(actor, assignment, HistoryKind.EDIT, note=reason, data=audit.jsonable(changes))
        if "due_date" in changes and assignment.is_open and not assignment.due_date_overridden:
            assignment.due_date = due_date
            moved.append(assignment.id)
    audit.record(actor, "update", "action", action.id, scope=f"forum:{action.recommendation.forum_id}",
                 changes={**changes, "reason": reason})  # fmt: skip
    db.session.commit()
    for assignment_id in moved:
        events.emit(events.due_date_changed, assignment_id, getattr(actor, "id", None))
    return action


def add_opd(actor, action_id: int, opd_id: int, role: str, reason: str) -> Assignment:
    """Give a follow-up to one more OPD (or again, to one whose assignment was cancelled)."""
    require(actor, P.EDIT_FORUMS)
    action = get_action(actor, action_id)
    reason = _require_reason(reason)
    opd = active_opd(opd_id)
    if action.cancelled_at is not None:
        raise InvalidTransition(_l("This follow-up is cancelled."))
    existing = next((a for a in action.assignments if a.opd_id == opd.id), None)
    if existing is not None and existing.status != Status.CANCELLED:
        raise Invalid(_l("%(code)s already has this follow-up.", code=opd.code), field="opd_id")
    if existing is not None:
        _history(actor, existing, HistoryKind.STATUS, from_status=existing.status, to_status=Status.ASSIGNED,
                 note=reason)  # fmt: skip
        existing.status, existing.role = Status.ASSIGNED, AssignmentRole(role)
        existing.acknowledged_at = existing.acknowledged_by_id = None
        existing.assigned_at = clock.now()
        assignment = existing
    else:
        assignment = _new_assignment(actor, action, opd, AssignmentRole(role), note=reason)
    db.session.flush()
    audit.record(actor, "add_opd", "action", action.id, scope=f"forum:{action.recommendation.forum_id}",
                 changes={"opd": [None, opd.code], "reason": reason})  # fmt: skip
    db.session.commit()
    events.emit(events.assignment_created, assignment.id, getattr(actor, "id", None))
    return assignment


def change_due_date(actor, assignment_id: int, due_date: date | None, reason: str) -> Assignment:
    """Give one OPD its own due date."""
    require(actor, P.EDIT_FORUMS)
    assignment = get_assignment(actor, assignment_id)
    reason = _require_reason(reason)
    if not assignment.is_open:
        raise InvalidTransition(_l("This task is finished."))
    check_due_date(due_date)
    if due_date == assignment.due_date:
        return assignment
    _history(actor, assignment, HistoryKind.DUE_DATE, note=reason,
             data={"from": assignment.due_date.isoformat(), "to": due_date.isoformat()})  # fmt: skip
    audit.record(actor, "change_due_date", "assignment", assignment.id, scope=_scope(assignment),
                 changes={"due_date": [assignment.due_date, due_date], "reason": reason})  # fmt: skip
    assignment.due_date, assignment.due_date_overridden = due_date, True
    db.session.commit()
    events.emit(events.due_date_changed, assignment.id, getattr(actor, "id", None))
    return assignment


def reassign(actor, assignment_id: int, opd_id: int, reason: str) -> Assignment:
    """Move a task to another OPD, which must acknowledge it afresh."""
    require(actor, P.EDIT_FORUMS)
    assignment = get_assignment(actor, assignment_id)
    reason = _require_reason(reason)
    if not assignment.is_open:
        raise InvalidTransition(_l("This task is finished."))
    opd = active_opd(opd_id)
    if opd.id == assignment.opd_id:
        return assignment
    taken = db.session.scalar(
        sa.select(Assignment.id).where(Assignment.action_id == assignment.action_id, Assignment.opd_id == opd.id)
    )
    if taken:
        raise Invalid(_l("%(code)s already has this follow-up.", code=opd.code), field="opd_id")
    _history(actor, assignment, HistoryKind.REASSIGN, note=reason, from_status=assignment.status,
             to_status=Status.ASSIGNED, data={"from": assignment.opd.code, "to": opd.code})  # fmt: skip
    audit.record(actor, "reassign", "assignment", assignment.id, scope=_scope(assignment),
                 changes={"opd": [assignment.opd.code, opd.code], "reason": reason})  # fmt: skip
    assignment.opd, assignment.status = opd, Status.ASSIGNED
    assignment.acknowledged_at = assignment.acknowledged_by_id = assignment.pic_name = None
    assignment.assigned_at = clock.now()
    db.session.commit()
    events.emit(events.assignment_created, assignment.id, getattr(actor, "id", None))
    return assignment


def cancel_assignment(actor, assignment_id: int, reason: str) -> Assignment:
    """Take a task away from an OPD, with the reason; this is also how an OPD is removed from a follow-up."""
    assignment = get_assignment(actor, assignment_id)
    transition(actor, assignment, Status.CANCELLED, note=_require_reason(reason))
    db.session.commit()
    events.emit(events.assignment_cancelled, assignment.id, getattr(actor, "id", None))
    return assignment


def cancel_action(actor, action_id: int, reason: str) -> Action:
    """Cancel a follow-up and every open task it gave."""
    require(actor, P.VERIFY)
    action = get_action(actor, action_id)
    reason = _require_reason(reason)
    if action.cancelled_at is not None:
        return action
    cancelled = []
    for assignment in action.assignments:
        if assignment.is_open:
            transition(actor, assignment, Status.CANCELLED, note=reason)
            cancelled.append(assignment.id)
    action.cancelled_at, action.cancel_reason = clock.now(), reason
    audit.record(actor, "cancel", "action", action.id, scope=f"forum:{action.recommendation.forum_id}",
                 changes={"reason": reason})  # fmt: skip
    db.session.commit()
    for assignment_id in cancelled:
        events.emit(events.assignment_cancelled, assignment_id, getattr(actor, "id", None))
    return action


def verify(actor, assignment_id: int, *, accept: bool, note: str | None = None) -> Assignment:
    """Accept reported work as done (sesuai rekomendasi), or return it with a note for rework."""
    assignment = get_assignment(actor, assignment_id)
    if accept:
        transition(actor, assignment, Status.DONE, note=note)
        assignment.completed_at = assignment.verified_at = clock.now()
        assignment.verified_by_id = getattr(actor, "id", None)
        assignment.percent = 100
    else:
        transition(actor, assignment, Status.RETURNED, note=_require_reason(note, "note"))
    db.session.commit()
    signal = events.assignment_verified if accept else events.assignment_returned
    events.emit(signal, assignment.id, getattr(actor, "id", None))
    return assignment


def decide_cannot(actor, assignment_id: int, *, approve: bool, note: str | None = None) -> Assignment:
    """Approve a "cannot follow up" request, or reject it and send the task back to work."""
    assignment = get_assignment(actor, assignment_id)
    if approve:
        transition(actor, assignment, Status.CANNOT_FOLLOW_UP, note=note)
        assignment.completed_at = assignment.verified_at = clock.now()
        assignment.verified_by_id = getattr(actor, "id", None)
    else:
        transition(actor, assignment, Status.IN_PROGRESS, note=_require_reason(note, "note"))
    db.session.commit()
    signal = events.assignment_verified if approve else events.assignment_returned
    events.emit(signal, assignment.id, getattr(actor, "id", None))
    return assignment


# --- the OPD's work ------------------------------------------------------------------------------------


def acknowledge(actor, assignment_id: int, *, pic_name: str | None = None, note: str | None = None) -> bool:
    """Accept a task for one's OPD, naming who will do it. Returns False when it was acknowledged already."""
    assignment = get_assignment(actor, assignment_id)
    require(actor, P.ACKNOWLEDGE)
    _require_own_opd(actor, assignment)
    if assignment.acknowledged_at is not None and assignment.status != Status.ASSIGNED:
        return False
    transition(actor, assignment, Status.ACKNOWLEDGED, note=note)
    assignment.acknowledged_at = clock.now()
    assignment.acknowledged_by_id = getattr(actor, "id", None)
    pic_name = (pic_name or "").strip() or None
    if pic_name:
        assignment.pic_name = pic_name
        _history(actor, assignment, HistoryKind.PIC, data={"pic": pic_name})
    db.session.commit()
    events.emit(events.assignment_acknowledged, assignment.id, getattr(actor, "id", None))
    return True


def set_pic(actor, assignment_id: int, pic_name: str) -> Assignment:
    """Name (or rename) the person in charge."""
    assignment = get_assignment(actor, assignment_id)
    require(actor, P.ACKNOWLEDGE)
    _require_own_opd(actor, assignment)
    pic_name = (pic_name or "").strip()
    if not pic_name:
        raise Invalid(_l("Give the name of the person in charge."), field="pic_name")
    if pic_name != assignment.pic_name:
        _history(actor, assignment, HistoryKind.PIC, data={"from": assignment.pic_name, "pic": pic_name})
        assignment.pic_name = pic_name
        db.session.commit()
    return assignment


def report_progress(actor, assignment_id: int, *, percent: int, note: str | None, files=(), links=()) -> ProgressReport:
    """Report progress with evidence: files (checked and stored) and links. All of it is saved, or none."""
    assignment = get_assignment(actor, assignment_id)
    require(actor, P.REPORT_PROGRESS)
    _require_own_opd(actor, assignment)
    if assignment.status == Status.ASSIGNED:
        raise InvalidTransition(_l("The OPD head must acknowledge the task before progress is reported."))
    if assignment.status not in REPORTABLE:
        raise InvalidTransition(_l("Progress cannot be reported on a task that is \u201c%(status)s\u201d.",
                                   status=STATUS_LABELS[assignment.status]))  # fmt: skip
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
    report = ProgressReport(assignment_id=assignment.id, author_id=getattr(actor, "id", None), at=clock.now(),
                            percent=percent, note=note)  # fmt: skip
    report.evidence = [Evidence(assignment_id=assignment.id, attachment=a) for a in stored] + [
        Evidence(assignment_id=assignment.id, url=link) for link in links
    ]
    db.session.add(report)
    if assignment.status != Status.IN_PROGRESS:
        transition(actor, assignment, Status.IN_PROGRESS)
    _history(actor, assignment, HistoryKind.PROGRESS, note=note, data={"percent": percent}, report=report)
    assignment.percent = percent
    db.session.commit()
    return report


def submit(actor, assignment_id: int, note: str | None = None) -> Assignment:
    """Report a task as done, for the secretariat to verify; there must be evidence."""
    assignment = get_assignment(actor, assignment_id)
    if may(actor, assignment, Status.SUBMITTED) and evidence_count(assignment.id) == 0:
        raise Invalid(_l("Add at least one piece of evidence before reporting the task as done."))
    transition(actor, assignment, Status.SUBMITTED, note=note)
    assignment.submitted_at = clock.now()
    db.session.commit()
    events.emit(events.assignment_submitted, assignment.id, getattr(actor, "id", None))
    return assignment


def request_cannot(actor, assignment_id: int, *, category: str, reason: str) -> Assignment:
    """Ask the secretariat to accept that a task cannot be followed up, and why."""
    assignment = get_assignment(actor, assignment_id)
    reason = _require_reason(reason)
    category = CannotReason(category)
    transition(actor, assignment, Status.CANNOT_REQUESTED, note=reason, data={"category": category.value})
    assignment.cannot_reason_category, assignment.cannot_reason = category, reason
    db.session.commit()
    events.emit(events.assignment_submitted, assignment.id, getattr(actor, "id", None))
    return assignment
