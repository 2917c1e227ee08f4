"""Follow-ups: Action, Assignment and its history, ProgressReport, Evidence, Decree, CarryOver."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from accounts.models import Opd, User
from core import audit, clock
from core.attachments import Attachment
from core.extensions import db
from core.types import UtcDateTime, enum_column
from forum.models import Forum, Recommendation

audit.ENTITY_LABELS.update(action=_l("follow-up"), assignment=_l("assignment"), decree=_l("decree"))
audit.VERB_LABELS.update(
    add_opd=_l("gave to another OPD"),
    change_due_date=_l("changed the due date of"),
    reassign=_l("moved"),
    cancel=_l("cancelled"),
    carry_over=_l("recorded the outcome of"),
    review=_l("recorded a review meeting's discussion of"),
    change_stage=_l("changed the stage of"),
    add_member=_l("added a member to"),
    remove_member=_l("removed a member from"),
)
audit.FIELD_LABELS.update(
    due_date=_l("Due date"),
    forum=_l("Meeting"),
    opds=_l("OPDs"),
    opd=_l("OPD"),
    outcome=_l("Outcome"),
    stage=_l("Stage"),
    member=_l("Member"),
    team_role=_l("Role in the team"),
    subject=_l("Subject"),
    signer=_l("Signer"),
    signed_on=_l("Signed on"),
    valid_from=_l("Valid from"),
    valid_until=_l("Valid until"),
    lead_opd_id=_l("Lead OPD"),
    document_id=_l("Scanned decree"),
    pic_name=_l("Person in charge (PIC)"),
)


class ActionKind(StrEnum):
    TASK = "task"
    DECREE = "decree"
    NEXT_MEETING = "next_meeting"


ACTION_KIND_LABELS = {
    ActionKind.TASK: _l("Task"),
    ActionKind.DECREE: _l("Team decree (SK)"),
    ActionKind.NEXT_MEETING: _l("To the next meeting"),
}


class AssignmentRole(StrEnum):
    LEAD = "lead"
    SUPPORT = "support"


ASSIGNMENT_ROLE_LABELS = {AssignmentRole.LEAD: _l("Lead"), AssignmentRole.SUPPORT: _l("Support")}


class Status(StrEnum):
    """An assignment's status, after BPK's follow-up categories."""

    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    DONE = "done"
    CANNOT_REQUESTED = "cannot_requested"
    CANNOT_FOLLOW_UP = "cannot_follow_up"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    Status.ASSIGNED: _l("Awaiting acknowledgement"),
    Status.ACKNOWLEDGED: _l("Acknowledged"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.SUBMITTED: _l("Reported done"),
    Status.RETURNED: _l("Needs rework"),
    Status.DONE: _l("Done as recommended"),
    Status.CANNOT_REQUESTED: _l("Cannot-follow-up requested"),
    Status.CANNOT_FOLLOW_UP: _l("Cannot be followed up"),
    Status.CANCELLED: _l("Cancelled"),
}

FINISHED = frozenset({Status.DONE, Status.CANNOT_FOLLOW_UP, Status.CANCELLED})
OPEN = frozenset(Status) - FINISHED
# Overdue counts against the OPD only while the next move is the OPD's; submitted work waits on the secretariat.
WITH_OPD = frozenset({Status.ASSIGNED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RETURNED})


class BpkCategory(StrEnum):
    """BPK's four follow-up categories, onto which every status maps."""

    SESUAI = "sesuai"
    BELUM_SESUAI = "belum_sesuai"
    BELUM_DITINDAKLANJUTI = "belum_ditindaklanjuti"
    TIDAK_DAPAT = "tidak_dapat"


BPK_LABELS = {
    BpkCategory.SESUAI: _l("In line with the recommendation"),
    BpkCategory.BELUM_SESUAI: _l("Not yet in line"),
    BpkCategory.BELUM_DITINDAKLANJUTI: _l("Not yet followed up"),
    BpkCategory.TIDAK_DAPAT: _l("Cannot be followed up"),
}

BPK_CATEGORY = {
    Status.ASSIGNED: BpkCategory.BELUM_DITINDAKLANJUTI,
    Status.ACKNOWLEDGED: BpkCategory.BELUM_DITINDAKLANJUTI,
    Status.IN_PROGRESS: BpkCategory.BELUM_SESUAI,
    Status.SUBMITTED: BpkCategory.BELUM_SESUAI,
    Status.RETURNED: BpkCategory.BELUM_SESUAI,
    Status.CANNOT_REQUESTED: BpkCategory.BELUM_SESUAI,
    Status.DONE: BpkCategory.SESUAI,
    Status.CANNOT_FOLLOW_UP: BpkCategory.TIDAK_DAPAT,
    Status.CANCELLED: None,
}


class CannotReason(StrEnum):
    """Why a recommendation cannot be followed up."""

    REGULATION = "regulation"
    BUDGET = "budget"
    AUTHORITY = "authority"
    OBSOLETE = "obsolete"
    OTHER = "other"


CANNOT_REASON_LABELS = {
    CannotReason.REGULATION: _l("Changed regulation"),
    CannotReason.BUDGET: _l("No budget"),
    CannotReason.AUTHORITY: _l("Outside the OPD's authority"),
    CannotReason.OBSOLETE: _l("No longer relevant"),
    CannotReason.OTHER: _l("Other"),
}


class Action(db.Model):
    """A follow-up of a recommendation (tindak lanjut, RTL)."""

    __tablename__ = "actions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recommendation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE"), index=True
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    kind: so.Mapped[ActionKind] = so.mapped_column(enum_column(ActionKind), default=ActionKind.TASK)
    due_date: so.Mapped[date]
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    cancel_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now)

    recommendation: so.Mapped[Recommendation] = so.relationship()
    assignments: so.Mapped[list["Assignment"]] = so.relationship(
        back_populates="action", order_by="(Assignment.role, Assignment.id)"
    )
    decree: so.Mapped["Decree | None"] = so.relationship(back_populates="action")


class Deadline:
    """What a task's status and due date say on a given day: for an assignment, and for a list's row of one (which
    has both as attributes)."""

    __slots__ = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def days_late(self, today: date) -> int:
        """Days past the due date while the next move is the OPD's; 0 when not overdue."""
        if self.status not in WITH_OPD:
            return 0
        return max((today - self.due_date).days, 0)

    def days_left(self, today: date) -> int:
        return (self.due_date - today).days


class Assignment(Deadline, db.Model):
    """One action given to one OPD: the unit that is acknowledged, reported, reminded and verified."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.UniqueConstraint("action_id", "opd_id"),
        sa.Index("ix_assignments_opd_status_due", "opd_id", "status", "due_date"),
        sa.Index("ix_assignments_status_due", "status", "due_date"),
        # The follow-ups list's order: its first page is read from this index, not sorted from 100,000 rows.
        sa.Index("ix_assignments_due_id", "due_date", "id"),
        # The dashboard's "unacknowledged for 2 working days" and "done this month" tiles: index range scans.
        sa.Index("ix_assignments_status_assigned_at", "status", "assigned_at"),
        sa.Index("ix_assignments_status_completed_at", "status", "completed_at"),
        # A synchronising client's pages (the API's updated_since): read in order from this index.
        sa.Index("ix_assignments_updated_id", "updated_at", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    action_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    opd_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("opds.id"))
    role: so.Mapped[AssignmentRole] = so.mapped_column(enum_column(AssignmentRole), default=AssignmentRole.LEAD)
    status: so.Mapped[Status] = so.mapped_column(enum_column(Status), default=Status.ASSIGNED)
    # The effective due date: the action's, unless this assignment overrides it.
    due_date: so.Mapped[date]
    due_date_overridden: so.Mapped[bool] = so.mapped_column(default=False)
    pic_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    percent: so.Mapped[int] = so.mapped_column(default=0)
    # When the OPD was (last) given the task: reassignment starts the acknowledgement clock again.
    assigned_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now)
    acknowledged_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    acknowledged_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    completed_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    verified_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    verified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cannot_reason_category: so.Mapped[CannotReason | None] = so.mapped_column(enum_column(CannotReason))
    cannot_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now, onupdate=clock.now)
    # One change at a time: every ORM UPDATE of the row says WHERE version = <the version read> and bumps it, so
    # of two requests that read the same row only the first to commit changes it (the other gets Conflict).
    version: so.Mapped[int] = so.mapped_column(server_default=sa.text("1"))

    __mapper_args__ = {"version_id_col": version}

    action: so.Mapped[Action] = so.relationship(back_populates="assignments")
    opd: so.Mapped[Opd] = so.relationship()
    acknowledged_by: so.Mapped[User | None] = so.relationship(foreign_keys=[acknowledged_by_id])
    verified_by: so.Mapped[User | None] = so.relationship(foreign_keys=[verified_by_id])

    @property
    def bpk_category(self) -> BpkCategory | None:
        return BPK_CATEGORY[self.status]


def overdue_clause(today: date):
    """SQL for "overdue as of today": the same rule as Assignment.days_late, for queries."""
    return sa.and_(Assignment.status.in_(WITH_OPD), Assignment.due_date < today)


class HistoryKind(StrEnum):
    STATUS = "status"
    PROGRESS = "progress"
    DUE_DATE = "due_date"
    REASSIGN = "reassign"
    EDIT = "edit"
    PIC = "pic"
    REVIEW = "review"  # what the OPD said of the task at a review meeting (actions/reviews.py)


# The key of a history row's data that says which later meeting moved the task, and how.
CARRIED_OVER = "carried_over"


class AssignmentEvent(db.Model):
    """One line of an assignment's timeline: a status change, a due date change, a reassignment, an edit."""

    __tablename__ = "assignment_events"
    __table_args__ = (
        # An assignment's events in time order, without a sort: its timeline, and its latest hand-over (was it sent
        # back for fixing?), one row read from the end.
        sa.Index("ix_assignment_events_assignment_at_id", "assignment_id", "at", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    assignment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: so.Mapped[HistoryKind] = so.mapped_column(enum_column(HistoryKind))
    from_status: so.Mapped[Status | None] = so.mapped_column(enum_column(Status))
    to_status: so.Mapped[Status | None] = so.mapped_column(enum_column(Status))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    data: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    report_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("progress_reports.id", ondelete="SET NULL"))

    assignment: so.Mapped[Assignment] = so.relationship()
    actor: so.Mapped[User | None] = so.relationship()
    report: so.Mapped["ProgressReport | None"] = so.relationship()

    @property
    def carry_over_text(self) -> str | None:
        """What a later meeting decided about the task, in the reader's language ("Closed at FGD II."): the row
        keeps the meeting's title and the outcome, not a sentence in the language of whoever recorded it."""
        carried = (self.data or {}).get(CARRIED_OVER)
        if not isinstance(carried, dict):
            return None
        forum = carried.get("forum", "")
        if carried.get("outcome") == CarryOutcome.CLOSED:
            return str(_l("Closed at %(forum)s.", forum=forum))
        return str(_l("Decided at %(forum)s.", forum=forum))

    @property
    def changed_fields(self) -> str:
        """The fields an edit changed, by their labels in the reader's language."""
        return ", ".join(str(audit.FIELD_LABELS.get(name, name)) for name in self.data or {} if name != CARRIED_OVER)


class ProgressReport(db.Model):
    """What an OPD reported: a percentage, a note and its evidence (bukti dukung)."""

    __tablename__ = "progress_reports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    assignment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    percent: so.Mapped[int]
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    author: so.Mapped[User | None] = so.relationship()
    evidence: so.Mapped[list["Evidence"]] = so.relationship(back_populates="report", order_by="Evidence.id")


class Evidence(db.Model):
    """A file or a link that proves progress."""

    __tablename__ = "evidence"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    assignment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    report_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("progress_reports.id", ondelete="CASCADE"), index=True)
    attachment_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("attachments.id"))
    url: so.Mapped[str | None] = so.mapped_column(sa.String(1000))

    report: so.Mapped[ProgressReport] = so.relationship(back_populates="evidence")
    attachment: so.Mapped[Attachment | None] = so.relationship()


class DecreeStage(StrEnum):
    PROPOSED = "proposed"
    DRAFTED = "drafted"
    SIGNED = "signed"


DECREE_STAGE_LABELS = {
    DecreeStage.PROPOSED: _l("Proposed"),
    DecreeStage.DRAFTED: _l("Drafted"),
    DecreeStage.SIGNED: _l("Signed"),
}


class TeamRole(StrEnum):
    PENGARAH = "pengarah"
    PENANGGUNG_JAWAB = "penanggung_jawab"
    KETUA = "ketua"
    SEKRETARIS = "sekretaris"
    ANGGOTA = "anggota"


TEAM_ROLE_LABELS = {
    TeamRole.PENGARAH: _l("Steering (pengarah)"),
    TeamRole.PENANGGUNG_JAWAB: _l("Responsible (penanggung jawab)"),
    TeamRole.KETUA: _l("Chair (ketua)"),
    TeamRole.SEKRETARIS: _l("Secretary (sekretaris)"),
    TeamRole.ANGGOTA: _l("Member (anggota)"),
}


class Decree(db.Model):
    """The SK that forms a team, carried by a `decree` action."""

    __tablename__ = "decrees"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    action_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"), unique=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(500))
    number: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    signed_on: so.Mapped[date | None]
    signer: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    valid_from: so.Mapped[date | None]
    valid_until: so.Mapped[date | None] = so.mapped_column(index=True)
    document_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("attachments.id"))
    lead_opd_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("opds.id"))
    stage: so.Mapped[DecreeStage] = so.mapped_column(enum_column(DecreeStage), default=DecreeStage.PROPOSED)

    action: so.Mapped[Action] = so.relationship(back_populates="decree")
    document: so.Mapped[Attachment | None] = so.relationship()
    lead_opd: so.Mapped[Opd | None] = so.relationship()
    members: so.Mapped[list["DecreeMember"]] = so.relationship(
        back_populates="decree", cascade="all, delete-orphan", order_by="DecreeMember.id"
    )

    def is_expired(self, today: date) -> bool:
        return self.valid_until is not None and self.valid_until < today

    def days_valid(self, today: date) -> int | None:
        return None if self.valid_until is None else (self.valid_until - today).days


class DecreeMember(db.Model):
    __tablename__ = "decree_members"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    decree_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("decrees.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    opd_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("opds.id"))
    position: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    team_role: so.Mapped[TeamRole] = so.mapped_column(enum_column(TeamRole), default=TeamRole.ANGGOTA)

    decree: so.Mapped[Decree] = so.relationship(back_populates="members")
    opd: so.Mapped[Opd | None] = so.relationship()


class CarryOutcome(StrEnum):
    DISCUSSED = "discussed"
    DECIDED_TASK = "decided_task"
    DECIDED_DECREE = "decided_decree"
    CLOSED = "closed"


CARRY_OUTCOME_LABELS = {
    CarryOutcome.DISCUSSED: _l("Discussed, still open"),
    CarryOutcome.DECIDED_TASK: _l("Decided: becomes a task"),
    CarryOutcome.DECIDED_DECREE: _l("Decided: becomes a team decree (SK)"),
    CarryOutcome.CLOSED: _l("Closed"),
}
RESOLVING = frozenset({CarryOutcome.DECIDED_TASK, CarryOutcome.DECIDED_DECREE, CarryOutcome.CLOSED})


class CarryOver(db.Model):
    """What a later meeting of the series decided about an earlier meeting's follow-up."""

    __tablename__ = "carry_overs"
    __table_args__ = (sa.UniqueConstraint("forum_id", "action_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    action_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    outcome: so.Mapped[CarryOutcome] = so.mapped_column(enum_column(CarryOutcome))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)

    forum: so.Mapped[Forum] = so.relationship()
    action: so.Mapped[Action] = so.relationship()


# Headings and field labels of the follow-up pages (not of an enum); templates translate them once per page with
# the `translated` filter, as a heading repeats on every row for narrow screens.
# templates/actions/list.html: the task list.
TASK_LIST_HEADINGS = {
    "followup": _l("Follow-up"),
    "opd": _l("OPD"),
    "status": _l("Status"),
    "due": _l("Due"),
    "forum": _l("Forum"),
}
# templates/actions/_carry_over.html: the earlier meetings' follow-ups on a forum's page, with an outcome form each.
CARRY_OVER_LABELS = {
    "outcome": _l("Outcome"),
    "at_meeting": _l("Outcome at this meeting"),
    "due": _l("Due date, when decided"),
    "note": _l("Note"),
    "record": _l("Record outcome"),
}
