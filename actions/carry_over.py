"""Carry-over between the meetings of a series: an earlier meeting's follow-ups on a later meeting's agenda,
and what that meeting decided about them."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from actions import events
from actions.models import (
    CARRIED_OVER,
    OPEN,
    RESOLVING,
    Action,
    ActionKind,
    Assignment,
    AssignmentRole,
    CarryOutcome,
    CarryOver,
    Decree,
    DecreeStage,
    HistoryKind,
    Status,
)
from actions.queries import actions_seen, get_action, sees_all_of_forum, visible_assignments
from actions.services import check_due_date, history_row, move_due_dates, require_not_cancelled, transition
from core import audit, clock
from core.errors import NotFound
from core.extensions import db
from core.permissions import Actor, Permission, require
from forum import services as forums
from forum.models import Forum, Recommendation

P = Permission


@dataclass
class CarryItem:
    """An earlier meeting's follow-up on a later meeting's agenda, and what this meeting recorded about it."""

    action: Action
    outcome: CarryOver | None


def carry_over_items(actor: Actor, forum: Forum) -> list[CarryItem]:
    """Follow-ups of the series' earlier forums that are for the next meeting, or still open and unresolved, and
    those this forum recorded an outcome for."""
    require(actor, P.READ)
    if forum.series_id is None:
        return []
    # Only the earlier meetings the actor may see, of this meeting's own government: another government's
    # follow-ups are not this meeting's to decide.
    earlier = sa.select(Forum.id).where(
        Forum.series_id == forum.series_id,
        Forum.starts_at < forum.starts_at,
        Forum.id != forum.id,
        Forum.government_id == forum.government_id,
        forums.visible_forums(actor),
    )
    resolved_elsewhere = (
        sa.select(CarryOver.action_id)
        .where(CarryOver.outcome.in_(RESOLVING), CarryOver.forum_id != forum.id)
        .scalar_subquery()
    )
    # The earlier meetings are this forum's government's: when the actor's reach owns it, every task is seen.
    owned = sees_all_of_forum(actor, forum)
    seen = sa.true() if owned else visible_assignments(actor)
    has_open = sa.exists().where(Assignment.action_id == Action.id, Assignment.status.in_(OPEN))
    # One closed here has no open task left, and still belongs here: this meeting's outcome is shown nowhere else.
    recorded_here = sa.exists().where(CarryOver.action_id == Action.id, CarryOver.forum_id == forum.id)
    actions = db.session.scalars(
        sa.select(Action)
        .join(Action.recommendation)
        .where(Recommendation.forum_id.in_(earlier))
        .where(sa.or_(Action.kind == ActionKind.NEXT_MEETING, has_open, recorded_here))
        .where(Action.id.not_in(resolved_elsewhere))
        .where(*([] if owned else actions_seen(actor)))
        .options(
            so.contains_eager(Action.recommendation).joinedload(Recommendation.forum),
            # A sibling that attended sees, of the earlier follow-ups, only its own tasks.
            so.selectinload(Action.assignments.and_(seen)).joinedload(Assignment.opd),
        )
        .order_by(Action.id)
        .execution_options(populate_existing=True)
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


def record_carry_over(
    actor: Actor, forum_id: int, action_id: int, *, outcome: str, note: str | None, due_date: date | None = None
) -> CarryOver:
    """Record what this meeting decided about an earlier follow-up; deciding turns it into a task or a decree."""
    require(actor, P.EDIT_FORUMS)
    forum = forums.get_editable_forum(actor, forum_id)
    if action_id not in {item.action.id for item in carry_over_items(actor, forum)}:
        raise NotFound(_l("This follow-up is not on this meeting's agenda."))
    action = get_action(actor, action_id)
    require_not_cancelled(action)
    outcome = CarryOutcome(outcome)
    note = (note or "").strip() or None
    record = db.session.scalar(
        sa.select(CarryOver).where(CarryOver.forum_id == forum.id, CarryOver.action_id == action.id)
    )
    previous = record.outcome if record is not None else None
    changes = {}
    if outcome in (CarryOutcome.DECIDED_TASK, CarryOutcome.DECIDED_DECREE):
        changes = _decide(actor, forum, action, outcome, note, due_date)
    elif outcome == CarryOutcome.CLOSED:
        carried = {CARRIED_OVER: {"outcome": outcome.value, "forum": forum.title}}
        for assignment in action.assignments:
            if assignment.is_open:
                transition(actor, assignment, Status.CANCELLED, note=note, data=carried)
    if record is None:
        record = CarryOver(forum_id=forum.id, action_id=action.id)
        db.session.add(record)
    record.outcome, record.note = outcome, note
    record.recorded_by_id, record.recorded_at = getattr(actor, "id", None), clock.now()
    audit.record(
        actor,
        "carry_over",
        "action",
        action.id,
        scope=f"forum:{forum.id}",
        changes={"outcome": [previous, outcome], **changes, "note": note},
    )
    events.later(
        events.carry_over_recorded,
        getattr(actor, "id", None),
        forum_id=forum.id,
        action_id=action.id,
        outcome=outcome.value,
    )
    events.commit()
    return record


def _decide(
    actor: Actor, forum: Forum, action: Action, outcome: CarryOutcome, note: str | None, due_date: date | None
) -> dict:
    """A decision makes the follow-up a task or a decree, perhaps with a new due date; like an edit of the
    follow-up, each of its tasks gets a history row of what changed. Returns {field: [old, new]}."""
    values = {"kind": ActionKind.TASK if outcome == CarryOutcome.DECIDED_TASK else ActionKind.DECREE}
    if due_date is not None:
        check_due_date(due_date)
        values["due_date"] = due_date
    changes = audit.diff(action, values)
    if changes:
        carried = {CARRIED_OVER: {"outcome": outcome.value, "forum": forum.title}}
        for assignment in action.assignments:
            history_row(actor, assignment, HistoryKind.EDIT, note=note, data={**audit.jsonable(changes), **carried})
    if "due_date" in changes:
        move_due_dates(actor, action, due_date)
    if action.kind == ActionKind.DECREE and action.decree is None:
        lead = next((a.opd_id for a in action.assignments if a.role == AssignmentRole.LEAD), None)
        db.session.add(Decree(action=action, subject=action.title, lead_opd_id=lead, stage=DecreeStage.PROPOSED))
    return changes
