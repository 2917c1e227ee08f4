"""The secretariat's and admin's operations on reminders: settings, cuti bersama, the delivery log, re-queueing,
the preview, a test email."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from accounts import governments
from accounts import services as accounts
from accounts.models import Opd, User
from actions import services as actions
from actions.models import OPEN, Assignment, AssignmentEvent, HistoryKind, Status
from actions.queries import visible_assignments
from core import audit, clock
from core.calendar import CollectiveLeave
from core.db import insert_or_ignore
from core.errors import Invalid, NotFound
from core.extensions import db
from core.permissions import Actor, Permission, require, require_works_for, sees, works_for
from notifications import links, outbox, planner
from notifications import policy as policies
from notifications.models import MailKind, MailStatus, OutboxItem, OutboxMessage

SETTINGS_FIELDS = (
    "send_time",
    "unacknowledged_after_working_days",
    "due_soon_days",
    "overdue_every_days",
    "escalate_after_days",
    "escalation_email",
    "decree_expiry_days",
    "link_valid_days",
)


def settings_government(actor: Actor, government_id: int | None = None) -> int:
    """Whose reminder policy and cuti bersama an administrator reads or changes: its own government's, or, for the
    instance admin, the one it picked. Another government's is refused."""
    require(actor, Permission.ADMINISTER)
    if government_id is None:
        return governments.acting_government_id(actor)
    if governments.node(government_id) is None:
        raise NotFound(_l("No such government."))
    require_works_for(actor, government_id)
    return government_id


def settings_governments(actor: Actor) -> list[tuple[int, str]]:
    """The governments whose settings the actor may pick, for the page's select: every one for the instance admin
    when there are several, else none (the page shows the user's own without a picker)."""
    require(actor, Permission.ADMINISTER)
    if not governments.several() or not getattr(actor, "manages_instance", False):
        return []
    nodes = governments.tree().values()
    return [(node.id, node.name) for node in sorted(nodes, key=lambda n: n.name) if works_for(actor, node.id)]


def get_settings(actor: Actor, government_id: int | None = None):
    """A government's reminder policy (its settings row), for its administrator."""
    return policies.settings_row(settings_government(actor, government_id))


def update_settings(actor: Actor, government_id: int | None = None, **values):
    """Change a government's reminder policy."""
    row = policies.settings_row(settings_government(actor, government_id))
    values = {name: values.get(name) for name in SETTINGS_FIELDS}
    values["escalation_email"] = (values["escalation_email"] or "").strip().lower() or None
    for name in ("due_soon_days", "decree_expiry_days"):
        parts = [p.strip() for p in (values[name] or "").split(",") if p.strip()]
        if not parts or not all(p.isdigit() and int(p) <= 365 for p in parts):
            raise Invalid(_l("Write whole numbers of days, separated by commas, e.g. 7,3,1,0."), field=name)
        values[name] = ",".join(str(d) for d in sorted({int(p) for p in parts}, reverse=True))
    changes = audit.diff(row, values)
    if changes:
        audit.record(actor, "update", "reminder_settings", row.id, scope="settings", changes=changes)
    db.session.commit()
    return row


def collective_leave_days(actor: Actor, government_id: int | None = None) -> list[CollectiveLeave]:
    """A government's collective leave days (cuti bersama) that its reminders skip, by date."""
    government_id = settings_government(actor, government_id)
    query = sa.select(CollectiveLeave).where(CollectiveLeave.government_id == government_id)
    return list(db.session.scalars(query.order_by(CollectiveLeave.day)))


def add_collective_leave(actor: Actor, day: date, name: str, government_id: int | None = None) -> CollectiveLeave:
    """Add a named collective leave day to a government's list; a day is on it once."""
    government_id = settings_government(actor, government_id)
    name = (name or "").strip()
    if not name:
        raise Invalid(_l("Give the name of the day."), field="name")
    same_day = sa.select(CollectiveLeave.id).where(
        CollectiveLeave.government_id == government_id, CollectiveLeave.day == day
    )
    if db.session.scalar(same_day):
        raise Invalid(_l("This day is already on the list."), field="day")
    leave = CollectiveLeave(government_id=government_id, day=day, name=name)
    db.session.add(leave)
    db.session.flush()
    audit.record(
        actor, "create", "holiday", leave.id, scope="settings", changes={"day": [None, day], "name": [None, name]}
    )
    db.session.commit()
    return leave


def remove_collective_leave(actor: Actor, leave_id: int) -> None:
    """Take a collective leave day off its government's list; another government's day is not found."""
    require(actor, Permission.ADMINISTER)
    leave = db.session.get(CollectiveLeave, leave_id)
    if leave is None or not works_for(actor, leave.government_id):
        raise NotFound(_l("No such day."))
    audit.record(actor, "delete", "holiday", leave.id, scope="settings", changes={"day": [leave.day, None]})
    db.session.delete(leave)
    db.session.commit()


def queue_test_email(actor: Actor, address: str) -> OutboxMessage:
    """Put a test email in the outbox; the dispatcher sends it like any other."""
    require(actor, Permission.ADMINISTER)
    now = clock.now()
    key = f"test:{address}:{now.isoformat()}"
    government_id = governments.acting_government_id(actor)
    local_date = clock.to_local(now, policies.zone_of(government_id)).date()
    row = outbox.new_row(key, MailKind.TEST, address, now=now, local_date=local_date, government_id=government_id)
    insert_or_ignore(OutboxMessage, [row], ["dedup_key"])
    db.session.commit()
    return db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedup_key == key))


@dataclass
class DeliveryFilters:
    status: str | None = None
    kind: str | None = None
    search: str | None = None
    refused: bool = False  # only emails that a recipient's server refused


def visible_mail(actor: Actor) -> sa.ColumnElement[bool]:
    """The one condition on outbox rows an actor may see: the mail of the governments in its reach (their OPDs'
    digests and new-task emails, their admins' test emails). A row without a government is the first one's, as
    the migration made every older row. A webhook delivery is its endpoint's government's alone, as the endpoint
    is (notifications.endpoints): its URL may carry the receiver's credentials."""
    require(actor, Permission.DELIVERY_LOG)
    own_webhooks = sa.or_(
        OutboxMessage.kind != MailKind.WEBHOOK,
        OutboxMessage.government_id == governments.acting_government_id(actor),
    )
    reach = governments.reach(actor)
    if reach is None:
        return own_webhooks
    theirs = OutboxMessage.government_id.in_(sorted(reach))
    if governments.default_government_id() in reach:
        theirs = sa.or_(theirs, OutboxMessage.government_id.is_(None))
    return sa.and_(theirs, own_webhooks)


def delivery_log(actor: Actor, filters: DeliveryFilters, *, page: int = 1, per_page: int = 30):
    """A page of outbox rows, newest first, with their OPD and items."""
    query = (
        sa.select(OutboxMessage)
        .where(visible_mail(actor))
        .options(so.joinedload(OutboxMessage.opd), so.selectinload(OutboxMessage.items))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    if filters.status:
        query = query.where(OutboxMessage.status == filters.status)
    if filters.kind:
        query = query.where(OutboxMessage.kind == filters.kind)
    if filters.search:
        query = query.where(OutboxMessage.recipient.like(f"%{filters.search.strip().lower()}%"))
    if filters.refused:
        query = query.where(OutboxMessage.refused.is_not(None))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


# How far back the secretariat is told of refused addresses: long enough to be seen after a weekend.
REFUSED_ALERT_DAYS = 7


@dataclass
class RefusedAddress:
    address: str
    reply: str
    opd: Opd | None
    sent_at: object


def refused_addresses(
    actor: Actor, government_id: int | None = None, recent: list[sa.Row] | None = None
) -> list[RefusedAddress]:
    """Addresses that a mail server refused in the last REFUSED_ALERT_DAYS days while it accepted the rest of the
    email (the head in To, say, while the OPD inbox in Cc got it): the newest refusal of each; of one government's
    email when given (the dashboard's government filter, already checked against the actor's reach). `recent` is
    the request's notifications.reach.recent_refusals, if read: when none of them is such a refusal, nothing
    more is asked."""
    since = clock.now() - timedelta(days=REFUSED_ALERT_DAYS)
    if recent is not None and not any(r.refused is not None and r.sent_at and r.sent_at >= since for r in recent):
        require(actor, Permission.DELIVERY_LOG)
        return []
    query = sa.select(OutboxMessage).where(
        visible_mail(actor), OutboxMessage.refused.is_not(None), OutboxMessage.sent_at >= since
    )
    if government_id is not None:
        query = query.where(OutboxMessage.government_id == government_id)
    rows = db.session.scalars(query.options(so.joinedload(OutboxMessage.opd)).order_by(OutboxMessage.sent_at.desc()))
    found: dict[str, RefusedAddress] = {}
    for row in rows:
        for refusal in row.refused:
            address = refusal["address"]
            if address not in found:
                found[address] = RefusedAddress(address, f"{refusal['code']} {refusal['reply']}", row.opd, row.sent_at)
    return sorted(found.values(), key=lambda r: (r.opd.code if r.opd else "", r.address))


@dataclass
class OutboxHealth:
    """The outbox as an operator's cron or health check reads it."""

    counts: dict[MailStatus, int]  # every status, zeros too
    oldest: OutboxMessage | None  # the pending row waiting longest
    oldest_late: OutboxMessage | None  # the one waiting longest of those that should have gone already


def outbox_health(actor: Actor, now: datetime) -> OutboxHealth:
    """The count of rows by status and the oldest pending rows, over the governments the actor sees (every one,
    for the command line). A row waits from when it was written (the planner writes a digest at its send time).
    It is late when it is due, or was tried and waits for its retry: a digest planned ahead of its send time is
    not late, and a row between two retries during an outage still is."""
    counts = dict.fromkeys(MailStatus, 0) | dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count(OutboxMessage.id))
            .where(visible_mail(actor))
            .group_by(OutboxMessage.status)
        ).all()
    )
    pending = (
        sa.select(OutboxMessage)
        .where(visible_mail(actor), OutboxMessage.status == MailStatus.PENDING)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(1)
    )
    late = pending.where(sa.or_(OutboxMessage.next_attempt_at <= now, OutboxMessage.attempts > 0))
    return OutboxHealth(counts, db.session.scalar(pending), db.session.scalar(late))


def requeue(actor: Actor, message_id: int) -> OutboxMessage:
    """Give a failed email another round of attempts: only one the actor may see."""
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.id == message_id, visible_mail(actor)))
    if row is None:
        raise NotFound(_l("No such email."))
    if row.status != MailStatus.DEAD:
        raise Invalid(_l("Only failed emails can be sent again."))
    outbox.move(OutboxMessage.id == row.id, MailStatus.PENDING, attempts=0, next_attempt_at=clock.now())
    audit.record(actor, "requeue", "outbox", row.id, scope="delivery")
    db.session.commit()
    return row


def dead_count(actor: Actor) -> int:
    """How many emails gave up after their last retry (dead), for the delivery log's warning."""
    dead = sa.select(sa.func.count(OutboxMessage.id)).where(
        visible_mail(actor), OutboxMessage.status == MailStatus.DEAD
    )
    return db.session.scalar(dead)


def reminders_of(actor: Actor, assignment_id: int) -> list[OutboxMessage]:
    """The emails that carried this task, with their status: for the assignment page, of a task the actor sees. An
    item the email left out at send time (the task acknowledged or settled meanwhile) does not count: that email
    said nothing of this task."""
    require(actor, Permission.READ)
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .join(OutboxItem, OutboxItem.message_id == OutboxMessage.id)
            .join(Assignment, OutboxItem.assignment_id == Assignment.id)
            .where(OutboxItem.assignment_id == assignment_id, OutboxItem.dropped.is_(False), visible_assignments(actor))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ).unique()
    )


@dataclass
class PreviewRow:
    """One digest the next run would plan: its recipient, the OPDs it covers (the recipient's own first, then the
    Plt. posts), and how many items of each reason."""

    opds: list[Opd]
    recipient: str | None
    reasons: dict
    escalate_after_days: int  # of the OPDs' government's policy, for the escalation group's label
    acting: set[int] = field(default_factory=set)  # the OPDs its recipient heads as Plt.

    @property
    def opd(self) -> Opd:
        """The OPD the digest is filed under: the first it covers."""
        return self.opds[0]


def preview(actor: Actor) -> tuple[planner.PlanResult, list[PreviewRow], object]:
    """What the next run would plan for the OPDs of the governments in the actor's reach, one row per digest (per
    recipient, as `planner.digest_of` joins them: a Plt. head of two OPDs is one row), without writing anything."""
    require(actor, Permission.DELIVERY_LOG)
    reach = governments.reach(actor)
    next_run = planner.next_run_time(clock.now(), reach)
    result = planner.plan(next_run, dry_run=True)
    query = sa.select(Opd).where(Opd.id.in_(list(result.by_opd))).options(so.joinedload(Opd.head))
    opds = sorted(db.session.scalars(query), key=lambda opd: (opd.government_id, opd.code))
    rows: dict[str, PreviewRow] = {}
    for opd in opds:
        if not sees(reach, opd.government_id):
            continue
        recipient, user_id = planner.resolve_recipient(opd)
        whose = planner.digest_of(opd.government_id, recipient, user_id, opd.id)
        policy = result.days[opd.government_id].policy
        row = rows.setdefault(whose, PreviewRow([], recipient, {}, policy.escalate_after_days))
        row.opds.append(opd)
        for candidate in result.by_opd[opd.id]:
            row.reasons[candidate.reason] = row.reasons.get(candidate.reason, 0) + 1
    for row in rows.values():
        head = row.opds[0].head
        if head is not None and head.active and len(row.opds) > 1:
            row.acting = {opd.id for opd in row.opds if accounts.is_acting_head(head, opd)}
        row.opds.sort(key=lambda opd: opd.id in row.acting)  # the head's own post first
    return result, list(rows.values()), next_run


def visible_caught_mail(actor: Actor, message_ids: list[str]) -> set[str]:
    """Of the Message-IDs of mail the development sink caught, those the actor may read: its reach's outbox rows.
    Mail the outbox does not know is for those who see every government (with one government, everyone who may
    read the delivery log)."""
    known = set(
        db.session.scalars(sa.select(OutboxMessage.message_id).where(OutboxMessage.message_id.in_(message_ids)))
    )
    reach = governments.reach(actor)
    sees_all = reach is None or reach >= set(governments.tree())
    mine = set(
        db.session.scalars(
            sa.select(OutboxMessage.message_id).where(OutboxMessage.message_id.in_(message_ids), visible_mail(actor))
        )
    )
    return {m for m in message_ids if m in mine or (m not in known and sees_all)}


# --- one-click acknowledgement -------------------------------------------------------------------------


@dataclass
class LinkCheck:
    """What a link leads to, once checked: the task and its head, or why not."""

    problem: str | None
    assignment: object = None
    user: object = None


def check_link(token: str) -> LinkCheck:
    """Read a link and check it again against today's facts: the same OPD's task, still its head, still open."""
    # A link is valid as long as the policy of its task's OPD's government says: read first with the longest any
    # government allows, then again with its own.
    every = policies.every()
    read = links.read_acknowledge_token(
        token, max((p.link_valid_days for p in every.values()), default=policies.DEFAULTS["link_valid_days"])
    )
    if read is None:
        return LinkCheck(str(_l("This link is not valid or has expired. Log in to Kawal to see your tasks.")))
    assignment = db.session.get(Assignment, read.assignment_id)
    user = db.session.get(User, read.user_id)
    if assignment is None or user is None:
        return LinkCheck(str(_l("This link is not valid or has expired. Log in to Kawal to see your tasks.")))
    own = every.get(assignment.opd.government_id)
    if own is not None and links.read_acknowledge_token(token, own.link_valid_days) is None:
        return LinkCheck(str(_l("This link is not valid or has expired. Log in to Kawal to see your tasks.")))
    is_head = user.active and assignment.opd.head_id == user.id
    if _moved_since(read, assignment, is_head):
        # The link was made for the head of the OPD that had the task; whoever holds it, it no longer applies.
        return LinkCheck(
            str(
                _l(
                    "This task has been moved to another OPD (%(code)s), so this link no longer applies. "
                    "Log in to Kawal to see your tasks.",
                    code=assignment.opd.code,
                )
            ),
            assignment,
        )
    if not is_head:
        return LinkCheck(
            str(_l("This link was sent to the head of %(code)s, which you no longer are.", code=assignment.opd.code)),
            assignment,
        )
    if assignment.status == Status.CANCELLED:
        return LinkCheck(str(_l("This task was cancelled; there is nothing to acknowledge.")), assignment, user)
    if assignment.status not in OPEN:
        return LinkCheck(str(_l("This task is finished; there is nothing to acknowledge.")), assignment, user)
    return LinkCheck(None, assignment, user)


def _moved_since(read: links.AcknowledgeLink, assignment: Assignment, is_head: bool) -> bool:
    """Whether the task went to another OPD after the link was made. Links made before they named their OPD
    can only tell by the task's history, and only need to when their holder is not the current OPD's head."""
    if read.opd_id is not None:
        return read.opd_id != assignment.opd_id
    if is_head:
        return False
    reassigned = sa.select(AssignmentEvent.id).where(
        AssignmentEvent.assignment_id == assignment.id, AssignmentEvent.kind == HistoryKind.REASSIGN
    )
    return db.session.scalar(reassigned.limit(1)) is not None


def acknowledge_by_link(token: str, pic_name: str | None) -> tuple[LinkCheck, bool]:
    """Acknowledge as the head the link was made for; (check, whether this changed anything)."""
    check = check_link(token)
    if check.problem:
        return check, False
    return check, actions.acknowledge(check.user, check.assignment, pic_name=pic_name)  # loaded once, by the check
