"""Operations on follow-ups. Each takes the acting user, checks permission, writes the history and the audit
trail, raises domain errors, and sends a domain event after its commit."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from accounts.models import Opd
from actions import events
from actions.models import (
    OPEN,
    RESOLVING,
    STATUS_LABELS,
    Action,
    ActionKind,
    Assignment,
    AssignmentEvent,
    AssignmentRole,
    CannotReason,
    CarryOutcome,
    CarryOver,
    Decree,
    DecreeMember,
    DecreeStage,
    Evidence,
    HistoryKind,
    ProgressReport,
    Status,
    TeamRole,
    overdue_clause,
)
from core import attachments, audit, clock
from core.calendar import WorkingDays
from core.db import CountedPagination, paginate
from core.errors import Invalid, InvalidTransition, NotAllowed, NotFound
from core.extensions import db
from core.permissions import Permission, Role, can, require
from forum.models import PRESENT, Forum, Participant, Recommendation, Theme, recommendation_themes

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


# --- lookups -------------------------------------------------------------------------------------------


def get_assignment(actor, assignment_id: int) -> Assignment:
    require(actor, P.READ)
    assignment = db.session.scalar(
        sa.select(Assignment)
        .where(Assignment.id == assignment_id)
        .options(
            so.joinedload(Assignment.opd),
            so.joinedload(Assignment.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
    )
    if assignment is None:
        raise NotFound(_l("No such task."))
    return assignment


def get_action(actor, action_id: int) -> Action:
    require(actor, P.READ)
    action = db.session.scalar(
        sa.select(Action)
        .where(Action.id == action_id)
        .options(
            so.selectinload(Action.assignments).joinedload(Assignment.opd),
            so.joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
    )
    if action is None:
        raise NotFound(_l("No such follow-up."))
    return action


def present_opd_ids(forum_id: int) -> list[int]:
    """The OPDs whose people attended a forum (present or represented)."""
    return list(
        db.session.scalars(
            sa.select(Participant.opd_id)
            .where(
                Participant.forum_id == forum_id, Participant.opd_id.is_not(None), Participant.attendance.in_(PRESENT)
            )
            .distinct()
        )
    )


def _active_opd(opd_id: int) -> Opd:
    opd = db.session.get(Opd, opd_id)
    if opd is None:
        raise Invalid(_l("No such OPD."), field="lead_opd_id")
    if not opd.active:
        raise Invalid(_l("%(code)s is inactive and cannot be given tasks.", code=opd.code), field="lead_opd_id")
    return opd


def _check_due_date(due_date: date | None) -> date:
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
    due_date = _check_due_date(due_date)
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
    opds = [_active_opd(opd_id) for opd_id in roles]
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
        _check_due_date(due_date)
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
    opd = _active_opd(opd_id)
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
    _check_due_date(due_date)
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
    opd = _active_opd(opd_id)
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
    links = [link.strip() for link in links if link and link.strip()]
    for link in links:
        if not link.lower().startswith(("http://", "https://")):
            raise Invalid(_l("A link must start with http:// or https://."), field="links")
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


def evidence_count(assignment_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(Evidence.assignment_id == assignment_id))


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


# --- reading -------------------------------------------------------------------------------------------


def _with_context(query):
    """Load each assignment's OPD, action, recommendation and forum in the same query. They are required, so the
    joins are inner; the forum's long texts (agenda, minutes) stay in the database."""
    return query.options(
        so.joinedload(Assignment.opd, innerjoin=True),
        so.joinedload(Assignment.action, innerjoin=True)
        .joinedload(Action.recommendation, innerjoin=True)
        .joinedload(Recommendation.forum, innerjoin=True)
        .load_only(Forum.id, Forum.title, Forum.kind, Forum.status, Forum.starts_at, Forum.series_id),
    )


@dataclass
class TaskCounts:
    """What an OPD's "My tasks" holds: the open tasks (of which overdue and unacknowledged) and the recently
    finished."""

    overdue: int = 0
    unacknowledged: int = 0
    open: int = 0
    finished: int = 0

    @property
    def listed(self) -> int:
        return self.open + self.finished


def my_tasks(actor, *, page: int = 1, per_page: int = 50) -> tuple[CountedPagination, TaskCounts]:
    """A page of the OPD's tasks by urgency: overdue (most late first), unacknowledged, then due soonest; finished
    last. With the counts, from one aggregate query."""
    require(actor, P.READ)
    today = clock.today_local()
    mine = sa.and_(
        Assignment.opd_id == actor.opd_id,
        sa.or_(Assignment.status.in_(OPEN), Assignment.updated_at >= clock.now() - RECENTLY_FINISHED),
    )
    counts = TaskCounts()
    if actor.opd_id is not None:
        count = sa.func.count()
        counts = TaskCounts(*db.session.execute(
            sa.select(count.filter(overdue_clause(today)), count.filter(Assignment.status == Status.ASSIGNED),
                      count.filter(Assignment.status.in_(OPEN)), count.filter(Assignment.status.not_in(OPEN)))
            .where(mine)
        ).one())  # fmt: skip
    urgency = sa.case(
        (overdue_clause(today), 0),
        (Assignment.status == Status.ASSIGNED, 1),
        (Assignment.status.in_(OPEN), 2),
        else_=3,
    )
    query = sa.select(Assignment).where(mine).order_by(urgency, Assignment.due_date, Assignment.id)
    return paginate(_with_context(query), count=counts.listed, page=page, per_page=per_page), counts


@dataclass
class AssignmentFilters:
    """What the all-actions list is narrowed to; every field is optional."""

    opd_id: int | None = None
    status: str | None = None
    overdue: bool = False
    stale: bool = False  # unacknowledged for more than 2 working days
    awaiting: bool = False  # reported done, or "cannot follow up" asked: waiting for the secretariat
    done_since: date | None = None
    forum_id: int | None = None
    series_id: int | None = None
    forum_kind: str | None = None
    held_from: date | None = None
    held_to: date | None = None
    theme: str | None = None
    due_from: date | None = None
    due_to: date | None = None


def forum_scope(*, forum_id=None, series_id=None, forum_kind=None, held_from=None, held_to=None, theme=None):
    """The meeting filters (the forum, its series, kind, dates and themes) as one condition on Assignment: its
    action came from such a meeting. A count needs no join that way. None when nothing narrows by meeting."""
    conditions = []
    if forum_id:
        conditions.append(Recommendation.forum_id == forum_id)
    if series_id:
        conditions.append(Forum.series_id == series_id)
    if forum_kind:
        conditions.append(Forum.kind == forum_kind)
    if held_from:
        conditions.append(Forum.starts_at >= clock.start_of_local_day(held_from))
    if held_to:
        conditions.append(Forum.starts_at < clock.end_of_local_day(held_to))
    if theme:
        conditions.append(
            sa.exists()
            .where(recommendation_themes.c.recommendation_id == Recommendation.id)
            .where(recommendation_themes.c.theme_id == Theme.id)
            .where(Theme.name == theme)
        )
    if not conditions:
        return None
    actions = sa.select(Action.id).join(Action.recommendation).join(Recommendation.forum).where(*conditions)
    return Assignment.action_id.in_(actions)


STALE_AFTER_WORKING_DAYS = 2


def stale_since(today: date) -> datetime:
    """Tasks assigned before this moment have waited more than 2 working days without acknowledgement."""
    day = WorkingDays().add(today, -STALE_AFTER_WORKING_DAYS)
    return clock.start_of_local_day(day)


def assignment_conditions(filters: AssignmentFilters) -> list:
    """The WHERE of the follow-ups list, on Assignment alone."""
    today = clock.today_local()
    conditions = []
    if filters.opd_id:
        conditions.append(Assignment.opd_id == filters.opd_id)
    if filters.status:
        conditions.append(Assignment.status == filters.status)
    if filters.overdue:
        conditions.append(overdue_clause(today))
    if filters.stale:
        conditions += [Assignment.status == Status.ASSIGNED, Assignment.assigned_at < stale_since(today)]
    if filters.awaiting:
        conditions.append(Assignment.status.in_([Status.SUBMITTED, Status.CANNOT_REQUESTED]))
    if filters.done_since:
        conditions += [Assignment.status == Status.DONE,
                       Assignment.completed_at >= clock.start_of_local_day(filters.done_since)]  # fmt: skip
    if filters.due_from:
        conditions.append(Assignment.due_date >= filters.due_from)
    if filters.due_to:
        conditions.append(Assignment.due_date <= filters.due_to)
    scope = forum_scope(forum_id=filters.forum_id, series_id=filters.series_id, forum_kind=filters.forum_kind,
                        held_from=filters.held_from, held_to=filters.held_to, theme=filters.theme)  # fmt: skip
    return conditions if scope is None else [*conditions, scope]


def assignments_query(conditions: list):
    """The assignments meeting `conditions`, with their action, recommendation, forum and OPD, soonest due first."""
    query = sa.select(Assignment).where(*conditions)
    return _with_context(query).order_by(Assignment.due_date, Assignment.id)


def list_assignments(actor, filters: AssignmentFilters, *, page: int = 1, per_page: int = 20) -> CountedPagination:
    """A page of assignments with their context, soonest due first; the total is counted without joins."""
    require(actor, P.READ)
    conditions = assignment_conditions(filters)  # once: the "stale" filter reads the calendar from the database
    count = sa.select(sa.func.count()).select_from(Assignment).where(*conditions)
    return paginate(assignments_query(conditions), count=count, page=page, per_page=per_page)


def all_assignments(actor, filters: AssignmentFilters, limit: int = 50_000) -> list[Assignment]:
    """Every filtered assignment, for exports."""
    require(actor, P.READ)
    return list(db.session.scalars(assignments_query(assignment_conditions(filters)).limit(limit)))


def forum_followups(actor, forum_id: int) -> dict[int, list[Action]]:
    """Each recommendation's actions with their assignments and OPDs, in two queries."""
    require(actor, P.READ)
    actions = db.session.scalars(
        sa.select(Action)
        .join(Action.recommendation)
        .where(Recommendation.forum_id == forum_id)
        .options(so.selectinload(Action.assignments).joinedload(Assignment.opd))
        .order_by(Action.id)
    )
    grouped: dict[int, list[Action]] = {}
    for action in actions:
        grouped.setdefault(action.recommendation_id, []).append(action)
    return grouped


def timeline(actor, assignment_id: int) -> list[AssignmentEvent]:
    """The assignment's history, oldest first, with actors, reports and evidence loaded."""
    require(actor, P.READ)
    return list(
        db.session.scalars(
            sa.select(AssignmentEvent)
            .where(AssignmentEvent.assignment_id == assignment_id)
            .options(
                so.joinedload(AssignmentEvent.actor),
                so.joinedload(AssignmentEvent.report)
                .selectinload(ProgressReport.evidence)
                .joinedload(Evidence.attachment),
            )
            .order_by(AssignmentEvent.at, AssignmentEvent.id)
        ).unique()
    )


def may_download(actor, assignment: Assignment) -> bool:
    """Evidence files: the secretariat sees all, an OPD its own, a viewer none."""
    if not can(actor, P.DOWNLOAD_EVIDENCE):
        return False
    if Role(actor.role) in (Role.OPD_HEAD, Role.OPD_STAFF):
        return actor.opd_id == assignment.opd_id
    return True


def evidence_file(actor, evidence_id: int):
    """The stored attachment of one piece of evidence, if this user may download it."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or evidence.attachment is None:
        raise NotFound(_l("No such file."))
    assignment = db.session.get(Assignment, evidence.assignment_id)
    if not may_download(actor, assignment):
        raise NotAllowed(_l("You may not download this file."))
    return evidence.attachment


# --- decrees -------------------------------------------------------------------------------------------

DECREE_FIELDS = ("subject", "number", "signed_on", "signer", "valid_from", "valid_until", "lead_opd_id")
DECREE_STAGES = [DecreeStage.PROPOSED, DecreeStage.DRAFTED, DecreeStage.SIGNED]


def get_decree(actor, action_id: int) -> Decree:
    require(actor, P.READ)
    decree = db.session.scalar(
        sa.select(Decree)
        .where(Decree.action_id == action_id)
        .options(so.selectinload(Decree.members).joinedload(DecreeMember.opd), so.joinedload(Decree.lead_opd))
    )
    if decree is None:
        raise NotFound(_l("This follow-up has no decree."))
    return decree


def list_decrees(actor) -> list[Decree]:
    """Every decree with its action, soonest expiry first."""
    require(actor, P.READ)
    return list(
        db.session.scalars(
            sa.select(Decree)
            .options(
                so.joinedload(Decree.lead_opd),
                so.joinedload(Decree.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
            )
            .order_by(Decree.valid_until.is_(None), Decree.valid_until, Decree.id)
        )
    )


def update_decree(actor, action_id: int, *, document=None, **values) -> Decree:
    """Fill in the decree: subject, number, dates, signer, lead OPD, and the scanned document."""
    require(actor, P.EDIT_FORUMS)
    decree = get_decree(actor, action_id)
    values = {name: values.get(name) for name in DECREE_FIELDS}
    for name in ("subject", "number", "signer"):
        values[name] = (values[name] or "").strip() or None
    if not values["subject"]:
        raise Invalid(_l("A decree needs a subject."), field="subject")
    if values["valid_from"] and values["valid_until"] and values["valid_until"] < values["valid_from"]:
        raise Invalid(_l("The decree ends before it starts."), field="valid_until")
    if values["lead_opd_id"]:
        _active_opd(values["lead_opd_id"])
    if document is not None and document.filename:
        scan = attachments.store(document, actor, allowed={"pdf", "jpg", "jpeg", "png"})
        db.session.flush()
        values["document_id"] = scan.id
    if decree.stage == DecreeStage.SIGNED:
        _check_signable({**{n: getattr(decree, n) for n in DECREE_FIELDS}, "document_id": decree.document_id, **values})
    changes = audit.diff(decree, values)
    if changes:
        audit.record(actor, "update", "decree", decree.id, scope=f"decree:{decree.id}", changes=changes)
        db.session.commit()
    return decree


def _check_signable(values: dict) -> None:
    missing = [label for name, label in (("number", _l("number")), ("signed_on", _l("date signed")),
               ("signer", _l("signer")), ("document_id", _l("scanned document"))) if not values.get(name)]  # fmt: skip
    if missing:
        raise Invalid(_l("A signed decree needs its %(fields)s.", fields=", ".join(str(m) for m in missing)))


def set_decree_stage(actor, action_id: int, stage: str) -> Decree:
    """Move a decree proposed → drafted → signed (or back a step); signing needs number, date, signer and scan."""
    require(actor, P.EDIT_FORUMS)
    decree = get_decree(actor, action_id)
    stage = DecreeStage(stage)
    if abs(DECREE_STAGES.index(stage) - DECREE_STAGES.index(decree.stage)) != 1:
        raise InvalidTransition(_l("A decree moves one stage at a time."))
    if stage == DecreeStage.SIGNED:
        _check_signable({"number": decree.number, "signed_on": decree.signed_on, "signer": decree.signer,
                         "document_id": decree.document_id})  # fmt: skip
    audit.record(actor, "change_stage", "decree", decree.id, scope=f"decree:{decree.id}",
                 changes={"stage": [decree.stage.value, stage.value]})  # fmt: skip
    decree.stage = stage
    db.session.commit()
    return decree


def add_decree_member(actor, action_id: int, *, name: str, opd_id: int | None, position: str | None, team_role: str):
    require(actor, P.EDIT_FORUMS)
    decree = get_decree(actor, action_id)
    name = (name or "").strip()
    if not name:
        raise Invalid(_l("A member needs a name."), field="name")
    member = DecreeMember(decree=decree, name=name, opd_id=opd_id or None, position=(position or "").strip() or None,
                          team_role=TeamRole(team_role))  # fmt: skip
    db.session.add(member)
    db.session.flush()
    audit.record(actor, "add_member", "decree", decree.id, scope=f"decree:{decree.id}",
                 changes={"member": [None, name], "team_role": [None, member.team_role.value]})  # fmt: skip
    db.session.commit()
    return member


def remove_decree_member(actor, action_id: int, member_id: int) -> None:
    require(actor, P.EDIT_FORUMS)
    decree = get_decree(actor, action_id)
    member = next((m for m in decree.members if m.id == member_id), None)
    if member is None:
        raise NotFound(_l("No such member."))
    audit.record(actor, "remove_member", "decree", decree.id, scope=f"decree:{decree.id}",
                 changes={"member": [member.name, None]})  # fmt: skip
    decree.members.remove(member)
    db.session.commit()


# --- carry-over between the meetings of a series -------------------------------------------------------


@dataclass
class CarryItem:
    """An earlier meeting's follow-up on a later meeting's agenda, and what this meeting recorded about it."""

    action: Action
    outcome: CarryOver | None


def carry_over_items(actor, forum: Forum) -> list[CarryItem]:
    """Follow-ups of the series' earlier forums that are for the next meeting, or still open and unresolved."""
    require(actor, P.READ)
    if forum.series_id is None:
        return []
    earlier = sa.select(Forum.id).where(
        Forum.series_id == forum.series_id, Forum.starts_at < forum.starts_at, Forum.id != forum.id
    )
    resolved_elsewhere = (
        sa.select(CarryOver.action_id)
        .where(CarryOver.outcome.in_(RESOLVING), CarryOver.forum_id != forum.id)
        .scalar_subquery()
    )
    has_open = sa.exists().where(Assignment.action_id == Action.id, Assignment.status.in_(OPEN))
    actions = db.session.scalars(
        sa.select(Action)
        .join(Action.recommendation)
        .where(Recommendation.forum_id.in_(earlier))
        .where(sa.or_(Action.kind == ActionKind.NEXT_MEETING, has_open))
        .where(Action.id.not_in(resolved_elsewhere))
        .options(
            so.contains_eager(Action.recommendation).joinedload(Recommendation.forum),
            so.selectinload(Action.assignments).joinedload(Assignment.opd),
        )
        .order_by(Action.id)
    ).unique()
    actions = list(actions)
    outcomes = {
        c.action_id: c
        for c in db.session.scalars(
            sa.select(CarryOver).where(CarryOver.forum_id == forum.id, CarryOver.action_id.in_([a.id for a in actions]))
        )
    }
    return [
        CarryItem(action, outcomes.get(action.id))
        for action in actions
        if action.cancelled_at is None or action.id in outcomes
    ]


def record_carry_over(actor, forum_id: int, action_id: int, *, outcome: str, note: str | None,
                      due_date: date | None = None) -> CarryOver:  # fmt: skip
    """Record what this meeting decided about an earlier follow-up; deciding turns it into a task or a decree."""
    require(actor, P.EDIT_FORUMS)
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        raise NotFound(_l("No such forum."))
    if action_id not in {item.action.id for item in carry_over_items(actor, forum)}:
        raise NotFound(_l("This follow-up is not on this meeting's agenda."))
    action = get_action(actor, action_id)
    outcome = CarryOutcome(outcome)
    note = (note or "").strip() or None
    if outcome in (CarryOutcome.DECIDED_TASK, CarryOutcome.DECIDED_DECREE):
        action.kind = ActionKind.TASK if outcome == CarryOutcome.DECIDED_TASK else ActionKind.DECREE
        if due_date is not None:
            _check_due_date(due_date)
            action.due_date = due_date
            for assignment in action.assignments:
                if assignment.is_open and not assignment.due_date_overridden:
                    assignment.due_date = due_date
        if action.kind == ActionKind.DECREE and action.decree is None:
            lead = next((a.opd_id for a in action.assignments if a.role == AssignmentRole.LEAD), None)
            db.session.add(Decree(action=action, subject=action.title, lead_opd_id=lead, stage=DecreeStage.PROPOSED))
    elif outcome == CarryOutcome.CLOSED:
        reason = note or str(_l("Closed at %(forum)s.", forum=forum.title))
        for assignment in action.assignments:
            if assignment.is_open:
                transition(actor, assignment, Status.CANCELLED, note=reason)
    record = db.session.scalar(
        sa.select(CarryOver).where(CarryOver.forum_id == forum.id, CarryOver.action_id == action.id)
    )
    if record is None:
        record = CarryOver(forum_id=forum.id, action_id=action.id)
        db.session.add(record)
    record.outcome, record.note = outcome, note
    record.recorded_by_id, record.recorded_at = getattr(actor, "id", None), clock.now()
    audit.record(actor, "carry_over", "action", action.id, scope=f"forum:{forum.id}",
                 changes={"outcome": [None, outcome.value], "note": note})  # fmt: skip
    db.session.commit()
    return record
