"""Reading follow-ups: one assignment or action, "my tasks", the filtered list and its exports, a forum's
follow-ups, an assignment's timeline, and the OPD a task may be given to. Nothing here writes."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from accounts import governments
from accounts import services as accounts
from accounts.models import Opd
from actions.models import (
    OPEN,
    Action,
    Assignment,
    AssignmentEvent,
    AssignmentRole,
    Deadline,
    Evidence,
    ProgressReport,
    Status,
    overdue_clause,
)
from core import clock, data_version
from core.calendar import WorkingDays
from core.db import CountedPagination, paginate
from core.errors import Invalid, NotFound
from core.extensions import db
from core.permissions import Actor, Permission, may_assign_to, require
from forum import services as forums
from forum.models import PRESENT, Forum, Participant, Recommendation, Theme, recommendation_themes

P = Permission
# "My tasks" keeps finished tasks in view this long.
RECENTLY_FINISHED = timedelta(days=30)


# --- what an actor may see, by government (core.permissions.Reach) ------------------------------------------


def _narrowed_reach(actor: Actor) -> frozenset[int] | None:
    """The governments an actor's sight is narrowed to, or None when it covers every government of this Kawal
    (the instance admin, or a province over the whole tree): every OPD and forum belongs to one of them, so no
    condition is needed."""
    reach = governments.reach(actor)
    if reach is None or reach >= governments.tree().keys():
        return None
    return reach


def visible_assignments(actor: Actor) -> sa.ColumnElement[bool]:
    """The one condition on assignments an actor may see: those of its governments' OPDs, and every one from a
    forum its governments own. A sibling government's tasks from a forum both attended stay out."""
    reach = _narrowed_reach(actor)
    if reach is None:
        return sa.true()
    ids = sorted(reach)
    theirs = sa.select(Opd.id).where(Opd.government_id.in_(ids))
    owned = (
        sa.select(Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(Forum, Recommendation.forum_id == Forum.id)
        .where(Forum.government_id.in_(ids))
    )
    return sa.or_(Assignment.opd_id.in_(theirs), Assignment.action_id.in_(owned))


def sees_all_of_forum(actor: Actor, forum: Forum | None) -> bool:
    """Whether the actor sees every follow-up and task of a forum: one its reach owns (visible_assignments takes
    every task of such a forum), so its queries need no visibility subqueries, which scan every assignment."""
    reach = governments.reach(actor)
    return forum is not None and (reach is None or forum.government_id in reach)


def actions_seen(actor: Actor) -> list[sa.ColumnElement[bool]]:
    """The condition on follow-ups an actor may see (one of its assignments is visible), as a list to unpack into
    a WHERE: empty for whoever sees every one, so their queries stay as they were."""
    if _narrowed_reach(actor) is None:
        return []
    return [Action.id.in_(sa.select(Assignment.action_id).where(visible_assignments(actor)))]


def forums_with_tasks_for(reach: frozenset[int]) -> sa.Select:
    """The forums that gave a task to an OPD of these governments: they concern them (app.py lists it in `forum_concerns`)."""
    return (
        sa.select(Recommendation.forum_id)
        .join(Action, Action.recommendation_id == Recommendation.id)
        .join(Assignment, Assignment.action_id == Action.id)
        .join(Opd, Assignment.opd_id == Opd.id)
        .where(Opd.government_id.in_(sorted(reach)))
    )


def get_assignment(actor: Actor, assignment_id: int) -> Assignment:
    """One assignment with its OPD, action, recommendation and forum, in one query."""
    require(actor, P.READ)
    assignment = db.session.scalar(
        sa.select(Assignment)
        .where(Assignment.id == assignment_id, visible_assignments(actor))
        .options(
            so.joinedload(Assignment.opd),
            so.joinedload(Assignment.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
    )
    if assignment is None:
        raise NotFound(_l("No such task."))
    return assignment


def get_action(actor: Actor, action_id: int) -> Action:
    """One follow-up with its assignments and their OPDs, and its recommendation and forum."""
    require(actor, P.READ)
    seen = sa.select(Assignment.action_id).where(Assignment.action_id == action_id, visible_assignments(actor))
    action = db.session.scalar(
        sa.select(Action)
        .where(Action.id == action_id, Action.id.in_(seen))
        .options(
            # A sibling government sees, of a follow-up of a forum both attended, only its own tasks.
            so.selectinload(Action.assignments.and_(visible_assignments(actor))).joinedload(Assignment.opd),
            so.joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
        # The assignments are this actor's view of them, even when the session holds the follow-up already.
        .execution_options(populate_existing=True)
    )
    if action is None:
        raise NotFound(_l("No such follow-up."))
    return action


def present_opd_ids(forum_id: int) -> list[int]:
    """The OPDs whose people attended a forum (present or represented)."""
    return [opd.id for opd in _present_opds(forum_id)]


def _present_opds(forum_id: int) -> list[Opd]:
    present = (
        sa.select(Participant.opd_id)
        .where(Participant.forum_id == forum_id, Participant.opd_id.is_not(None), Participant.attendance.in_(PRESENT))
        .distinct()
    )
    return list(db.session.scalars(sa.select(Opd).where(Opd.id.in_(present)).order_by(Opd.government_id, Opd.code)))


@dataclass
class FanOut:
    """ "Every OPD that attended": the ones a forum's follow-up goes to, and the attending OPDs left out because
    their government is above or beside the forum's owner."""

    given: list[int]
    left_out: list[Opd]


def fan_out(forum: Forum) -> FanOut:
    """Split a forum's attending OPDs into those its follow-ups may go to and those they may not."""
    allowed = forums.assignable_governments(forum)
    present = _present_opds(forum.id)
    return FanOut(
        given=[opd.id for opd in present if may_assign_to(allowed, opd.government_id)],
        left_out=[opd for opd in present if not may_assign_to(allowed, opd.government_id)],
    )


def _with_context(query):
    """Load each assignment's OPD, action, recommendation and forum in the same query. They are required, so the
    joins are inner; the forum's long texts (agenda, minutes) stay in the database."""
    return query.options(
        so.joinedload(Assignment.opd, innerjoin=True),
        so.joinedload(Assignment.action, innerjoin=True)
        .joinedload(Action.recommendation, innerjoin=True)
        .joinedload(Recommendation.forum, innerjoin=True)
        .load_only(
            Forum.id, Forum.title, Forum.kind, Forum.status, Forum.starts_at, Forum.series_id, Forum.government_id
        ),
    )


# The moves that hand a task over between the OPD and the secretariat. The latest of them says whose turn it is:
# the secretariat sent it back for fixing when it is a return, or the rejection of a "cannot follow up" request
# (the only move into "in progress" among them).
_TURNS = sa.or_(
    AssignmentEvent.to_status.in_([Status.ASSIGNED, Status.SUBMITTED, Status.RETURNED, Status.CANNOT_REQUESTED]),
    sa.and_(AssignmentEvent.from_status == Status.CANNOT_REQUESTED, AssignmentEvent.to_status == Status.IN_PROGRESS),
)
_SENT_BACK = (Status.RETURNED, Status.IN_PROGRESS)


def _last_turn(assignment_id):
    """The latest hand-over of this assignment (a column or a value), as a select to finish."""
    return (
        sa.select(AssignmentEvent)
        .where(AssignmentEvent.assignment_id == assignment_id, _TURNS)
        .order_by(AssignmentEvent.at.desc(), AssignmentEvent.id.desc())
        .limit(1)
    )


def sent_back_clause() -> sa.ColumnElement[bool]:
    """Tasks the secretariat sent back for fixing and the OPD has not handed in again: returned, or back at work
    after a refused "cannot follow up" request (still so after a progress report, until it is submitted)."""
    last = _last_turn(Assignment.id).with_only_columns(AssignmentEvent.to_status).scalar_subquery()
    return sa.and_(Assignment.status.in_(_SENT_BACK), last.in_(_SENT_BACK))


def return_note(actor: Actor, assignment: Assignment) -> AssignmentEvent | None:
    """The secretariat's decision that sent this task back for fixing (its note), while the fix is awaited; None
    otherwise. For the top of the task page."""
    require(actor, P.READ)
    if assignment.status not in _SENT_BACK:
        return None
    last = db.session.scalar(_last_turn(assignment.id).options(so.joinedload(AssignmentEvent.actor)))
    return last if last is not None and last.to_status in _SENT_BACK else None


@dataclass
class TaskCounts:
    """What an OPD's "My tasks" holds: the open tasks (of which overdue, unacknowledged and sent back for fixing)
    and the recently finished."""

    overdue: int = 0
    unacknowledged: int = 0
    open: int = 0
    finished: int = 0
    returned: int = 0
    opds: tuple[Opd, ...] = ()  # the OPDs the list covers, own first, when they are several (a Plt. head's)

    @property
    def listed(self) -> int:
        return self.open + self.finished


class OpdLine(NamedTuple):
    """The OPD a task card names: what the opd_name filter reads, and its full name."""

    id: int
    code: str
    name: str
    government_id: int


@dataclass(frozen=True, slots=True)
class TaskCard(Deadline):
    """One card of "My tasks", read as a row: no ORM objects (an assignment, its action, recommendation, forum and
    OPD) built for what the card shows."""

    id: int
    status: Status
    role: AssignmentRole
    due_date: date
    title: str
    forum_title: str
    opd: OpdLine
    sent_back: bool  # a task back at work after being sent back shows "in progress": its card says so too

    @classmethod
    def from_row(cls, *, opd_id, opd_code, opd_name, opd_government_id, **card) -> "TaskCard":
        return cls(opd=OpdLine(opd_id, opd_code, opd_name, opd_government_id), **card)


def my_tasks(actor: Actor, *, page: int = 1, per_page: int = 50) -> tuple[CountedPagination, TaskCounts]:
    """A page of the tasks of the OPDs the actor acts for (a Plt. head's two), by urgency: those sent back for
    fixing first, then overdue (most late first), unacknowledged, then due soonest; finished last. With the counts,
    from one aggregate query."""
    require(actor, P.READ)
    today = clock.today_local()
    opd_ids = tuple(sorted(accounts.opds_acted_for(actor)))
    mine = sa.and_(
        Assignment.opd_id.in_(opd_ids),
        visible_assignments(actor),
        # From the start of a day, not this moment: the page is the same all day (actions.views keeps it so).
        sa.or_(
            Assignment.status.in_(OPEN), Assignment.updated_at >= clock.start_of_local_day(today - RECENTLY_FINISHED)
        ),
    )
    counts = TaskCounts()
    sent_back = sent_back_clause()
    if opd_ids:
        count = sa.func.count()
        counts = TaskCounts(
            *db.session.execute(
                sa.select(
                    count.filter(overdue_clause(today)),
                    count.filter(Assignment.status == Status.ASSIGNED),
                    count.filter(Assignment.status.in_(OPEN)),
                    count.filter(Assignment.status.not_in(OPEN)),
                    count.filter(sent_back),
                ).where(mine)
            ).one(),
            opds=_several_opds(actor, opd_ids),
        )
    urgency = sa.case(
        (sent_back, 0),
        (overdue_clause(today), 1),
        (Assignment.status == Status.ASSIGNED, 2),
        (Assignment.status.in_(OPEN), 3),
        else_=4,
    )
    query = (
        sa.select(
            Assignment.id,
            Assignment.status,
            Assignment.role,
            Assignment.due_date,
            Action.title,
            Forum.title.label("forum_title"),
            Opd.id.label("opd_id"),
            Opd.code.label("opd_code"),
            Opd.name.label("opd_name"),
            Opd.government_id.label("opd_government_id"),
            sa.case((sent_back, True), else_=False).label("sent_back"),
        )
        .join(Assignment.action)
        .join(Action.recommendation)
        .join(Recommendation.forum)
        .join(Assignment.opd)
        .where(mine)
        .order_by(urgency, Assignment.due_date, Assignment.id)
    )
    return paginate(query, count=counts.listed, page=page, per_page=per_page, row=TaskCard.from_row), counts


def _several_opds(actor: Actor, opd_ids: tuple[int, ...]) -> tuple[Opd, ...]:
    """The OPDs a list of several OPDs' tasks names, the actor's own first: none for one OPD, whose page names it
    already."""
    if len(opd_ids) < 2:
        return ()
    opds = db.session.scalars(sa.select(Opd).where(Opd.id.in_(opd_ids)))
    return tuple(sorted(opds, key=lambda opd: (opd.id != actor.opd_id, opd.code)))


@dataclass
class AssignmentFilters:
    """What the all-actions list is narrowed to; every field is optional."""

    opd_id: int | None = None
    government_id: int | None = None  # its OPDs' tasks, within what the actor may see anyway
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
    if filters.government_id:
        conditions.append(Assignment.opd_id.in_(governments.opds_of([filters.government_id])))
    if filters.status:
        conditions.append(Assignment.status == filters.status)
    if filters.overdue:
        conditions.append(overdue_clause(today))
    if filters.stale:
        conditions += [Assignment.status == Status.ASSIGNED, Assignment.assigned_at < stale_since(today)]
    if filters.awaiting:
        conditions.append(Assignment.status.in_([Status.SUBMITTED, Status.CANNOT_REQUESTED]))
    if filters.done_since:
        conditions += [
            Assignment.status == Status.DONE,
            Assignment.completed_at >= clock.start_of_local_day(filters.done_since),
        ]
    if filters.due_from:
        conditions.append(Assignment.due_date >= filters.due_from)
    if filters.due_to:
        conditions.append(Assignment.due_date <= filters.due_to)
    scope = forum_scope(
        forum_id=filters.forum_id,
        series_id=filters.series_id,
        forum_kind=filters.forum_kind,
        held_from=filters.held_from,
        held_to=filters.held_to,
        theme=filters.theme,
    )
    return conditions if scope is None else [*conditions, scope]


def assignments_query(conditions: list):
    """The assignments meeting `conditions`, with their action, recommendation, forum and OPD, soonest due first."""
    query = sa.select(Assignment).where(*conditions)
    return _with_context(query).order_by(Assignment.due_date, Assignment.id)


def list_assignments(
    actor: Actor, filters: AssignmentFilters, *, page: int = 1, per_page: int = 20
) -> CountedPagination:
    """A page of assignments with their context, soonest due first; the total is counted without joins."""
    require(actor, P.READ)
    # once: the "stale" filter reads the calendar from the database
    conditions = [*assignment_conditions(filters), visible_assignments(actor)]
    count = sa.select(sa.func.count()).select_from(Assignment).where(*conditions)
    # The total moves only with the data: remembered for this reach, these filters and today.
    key = (governments.reach(actor), repr(filters), clock.today_local())
    total = data_version.cached("followups count", key, lambda: db.session.scalar(count))
    return paginate(assignments_query(conditions), count=total, page=page, per_page=per_page)


def filtered_assignments(
    actor: Actor, filters: AssignmentFilters, *, mine: bool = False, updated_since: datetime | None = None
) -> sa.Select:
    """The follow-ups list's select, for a client that pages it itself (the API): `mine` keeps the tasks of the
    OPDs the actor acts for ("My tasks"), and `updated_since` those changed since then, ordered by that change (then
    id), so that a synchronising client pages stably and asks again from the last change it saw."""
    require(actor, P.READ)
    conditions = [*assignment_conditions(filters), visible_assignments(actor)]
    if mine:
        conditions.append(Assignment.opd_id.in_(sorted(accounts.opds_acted_for(actor))))
    if updated_since is not None:
        conditions.append(Assignment.updated_at >= updated_since)
        return _with_context(sa.select(Assignment).where(*conditions)).order_by(Assignment.updated_at, Assignment.id)
    return assignments_query(conditions)


def visible_actions(actor: Actor, *, forum_id: int | None = None) -> sa.Select:
    """The follow-ups an actor may see (one of their assignments is visible), each with its recommendation and
    forum and only the assignments the actor sees (a sibling government's stay out), in the order they were made."""
    require(actor, P.READ)
    seen = visible_assignments(actor)
    query = sa.select(Action).where(Action.id.in_(sa.select(Assignment.action_id).where(seen)))
    if forum_id:
        query = query.where(
            Action.recommendation_id.in_(sa.select(Recommendation.id).where(Recommendation.forum_id == forum_id))
        )
    return (
        query.options(
            so.selectinload(Action.assignments.and_(seen)),
            so.joinedload(Action.recommendation, innerjoin=True).load_only(Recommendation.id, Recommendation.forum_id),
        )
        .order_by(Action.id)
        .execution_options(populate_existing=True)
    )


def all_assignments(actor: Actor, filters: AssignmentFilters, limit: int = 50_000) -> list[Assignment]:
    """Every filtered assignment, for exports."""
    require(actor, P.READ)
    conditions = [*assignment_conditions(filters), visible_assignments(actor)]
    return list(db.session.scalars(assignments_query(conditions).limit(limit)))


def forum_followups(actor: Actor, forum_id: int) -> dict[int, list[Action]]:
    """Each recommendation's actions with the assignments and OPDs the actor may see, in two queries: a sibling
    government sees, on a forum both attended, only the follow-ups that gave it a task, and only its tasks."""
    require(actor, P.READ)
    if sees_all_of_forum(actor, db.session.get(Forum, forum_id)):
        seen, scoped = sa.true(), []
    else:
        seen = visible_assignments(actor)
        scoped = actions_seen(actor)
        if scoped:
            scoped.append(Recommendation.forum_id.in_(forums.visible_forum_ids(actor)))
    actions = db.session.scalars(
        sa.select(Action)
        .join(Action.recommendation)
        .where(Recommendation.forum_id == forum_id, *scoped)
        .options(so.selectinload(Action.assignments.and_(seen)).joinedload(Assignment.opd))
        .order_by(Action.id)
        .execution_options(populate_existing=True)
    )
    grouped: dict[int, list[Action]] = {}
    for action in actions:
        grouped.setdefault(action.recommendation_id, []).append(action)
    return grouped


def timeline(actor: Actor, assignment_id: int) -> list[AssignmentEvent]:
    """The assignment's history, oldest first, with actors, reports and evidence loaded."""
    require(actor, P.READ)
    return list(
        db.session.scalars(
            sa.select(AssignmentEvent)
            .where(
                AssignmentEvent.assignment_id == assignment_id,
                AssignmentEvent.assignment_id.in_(sa.select(Assignment.id).where(visible_assignments(actor))),
            )
            .options(
                so.joinedload(AssignmentEvent.actor),
                so.joinedload(AssignmentEvent.report)
                .selectinload(ProgressReport.evidence)
                .joinedload(Evidence.attachment),
            )
            .order_by(AssignmentEvent.at, AssignmentEvent.id)
        ).unique()
    )


def headless_opds(actor: Actor) -> list[Opd]:
    """The OPDs nobody heads now, of the governments the actor sees in full."""
    reach = governments.reach(actor)
    return accounts.opds_without_active_head(None if reach is None else sorted(reach))


def active_opd(opd_id: int, field: str = "opd_id") -> Opd:
    """The OPD to give a task to: it must exist and be active; a refusal names the form's `field`."""
    opd = db.session.get(Opd, opd_id)
    if opd is None:
        raise Invalid(_l("No such OPD."), field=field)
    if not opd.active:
        raise Invalid(_l("%(code)s is inactive and cannot be given tasks.", code=opd.code), field=field)
    return opd
