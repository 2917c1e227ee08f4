"""Figures for the dashboard, the compliance table and the OPD page, each from a fixed number of aggregate
queries whatever the number of assignments."""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from accounts import services as accounts
from accounts.models import Opd
from actions.models import (
    BPK_CATEGORY,
    OPEN,
    WITH_OPD,
    Action,
    Assignment,
    BpkCategory,
    Evidence,
    ProgressReport,
    Status,
    overdue_clause,
)
from actions.services import scope_by_forum, stale_since
from core import clock
from core.extensions import db
from core.permissions import ROLES_WITH_OPD, Permission, require
from forum.models import Forum, Recommendation

AGE_BUCKETS = [(0, 7, "0–7"), (8, 30, "8–30"), (31, 90, "31–90"), (91, None, ">90")]


@dataclass
class ReportFilters:
    """The dashboard's filters: meetings held in a period, a series, a kind of meeting, a theme."""

    date_from: date | None = None
    date_to: date | None = None
    series_id: int | None = None
    forum_kind: str | None = None
    theme: str | None = None

    def apply(self, query):
        """Narrow a query that already joins Assignment → Action → Recommendation → Forum."""
        return scope_by_forum(query, series_id=self.series_id, forum_kind=self.forum_kind, held_from=self.date_from,
                              held_to=self.date_to, theme=self.theme)  # fmt: skip

    def list_args(self) -> dict:
        """The same filters as arguments of the follow-ups list."""
        args = {"series": self.series_id, "kind": self.forum_kind, "theme": self.theme,
                "held_from": self.date_from, "held_to": self.date_to}  # fmt: skip
        return {k: v for k, v in args.items() if v}


def _scoped(filters: ReportFilters, *columns):
    """SELECT columns FROM assignments with their action, recommendation and forum, filtered, without cancelled."""
    query = (
        sa.select(*columns)
        .select_from(Assignment)
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(Forum, Recommendation.forum_id == Forum.id)
        .where(Assignment.status != Status.CANCELLED)
    )
    return filters.apply(query)


def month_start(today: date) -> datetime:
    return clock.from_local(datetime.combine(today.replace(day=1), time()))


@dataclass
class Tiles:
    open: int
    overdue: int
    stale: int
    awaiting: int
    done_this_month: int


@dataclass
class Dashboard:
    tiles: Tiles
    per_opd: list[tuple[str, int, int]]  # code, open, overdue
    bpk: dict[BpkCategory, int]
    ages: list[tuple[str, int]]
    per_forum: list[tuple[int, str, int, int]]  # id, title, done, total
    upcoming: list[Assignment]
    most_overdue: list[Assignment]
    headless: list[Opd]
    today: date


def tiles(filters: ReportFilters, today: date) -> Tiles:
    count = sa.func.count(Assignment.id)
    row = db.session.execute(
        _scoped(
            filters,
            count.filter(Assignment.status.in_(OPEN)),
            count.filter(overdue_clause(today)),
            count.filter(sa.and_(Assignment.status == Status.ASSIGNED, Assignment.assigned_at < stale_since(today))),
            count.filter(Assignment.status.in_([Status.SUBMITTED, Status.CANNOT_REQUESTED])),
            count.filter(sa.and_(Assignment.status == Status.DONE, Assignment.completed_at >= month_start(today))),
        )
    ).one()
    return Tiles(*row)


def dashboard(actor, filters: ReportFilters) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries."""
    require(actor, Permission.READ)
    today = clock.today_local()
    count = sa.func.count(Assignment.id)
    per_opd = db.session.execute(
        _scoped(filters, Opd.code, count.filter(Assignment.status.in_(OPEN)), count.filter(overdue_clause(today)))
        .join(Opd, Assignment.opd_id == Opd.id)
        .group_by(Opd.code)
        .having(count.filter(Assignment.status.in_(OPEN)) > 0)
    ).all()
    per_opd = sorted(per_opd, key=lambda r: (-r[2], -r[1], r[0]))[:15]
    bpk: dict[BpkCategory, int] = Counter()
    for status, number in db.session.execute(_scoped(filters, Assignment.status, count).group_by(Assignment.status)):
        if BPK_CATEGORY[Status(status)] is not None:
            bpk[BPK_CATEGORY[Status(status)]] += number
    ages = Counter()
    overdue_dates = (
        _scoped(filters, Assignment.due_date, count).where(overdue_clause(today)).group_by(Assignment.due_date)
    )
    for due_date, number in db.session.execute(overdue_dates):
        ages[_bucket((today - due_date).days)] += number
    per_forum = db.session.execute(
        _scoped(filters, Forum.id, Forum.title, count.filter(Assignment.status == Status.DONE), count)
        .group_by(Forum.id, Forum.title)
        .order_by(Forum.title)
    ).all()
    with_context = (
        so.joinedload(Assignment.opd),
        so.joinedload(Assignment.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
    )
    upcoming = db.session.scalars(
        _scoped(filters, Assignment)
        .where(
            Assignment.status.in_(WITH_OPD),
            Assignment.due_date >= today,
            Assignment.due_date <= today + timedelta(days=14),
        )
        .options(*with_context)
        .order_by(Assignment.due_date, Assignment.id)
        .limit(30)
    ).all()
    most_overdue = db.session.scalars(
        _scoped(filters, Assignment).where(overdue_clause(today)).options(*with_context)
        .order_by(Assignment.due_date, Assignment.id).limit(10)
    ).all()  # fmt: skip
    return Dashboard(
        tiles=tiles(filters, today), per_opd=[tuple(r) for r in per_opd], bpk={c: bpk.get(c, 0) for c in BpkCategory},
        ages=[(label, ages.get(label, 0)) for _, _, label in AGE_BUCKETS], per_forum=[tuple(r) for r in per_forum],
        upcoming=list(upcoming), most_overdue=list(most_overdue), headless=accounts.opds_without_active_head(),
        today=today,
    )  # fmt: skip


def _bucket(days: int) -> str:
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][2]


# --- compliance per OPD --------------------------------------------------------------------------------


@dataclass
class Compliance:
    opd_id: int
    code: str
    name: str
    total: int = 0
    done: int = 0
    in_progress: int = 0
    overdue: int = 0
    unacknowledged: int = 0
    due: int = 0
    done_of_due: int = 0
    ack_days: list[float] = field(default_factory=list)
    late_days: list[int] = field(default_factory=list)

    @property
    def median_ack_days(self) -> float | None:
        return round(statistics.median(self.ack_days), 1) if self.ack_days else None

    @property
    def median_late_days(self) -> float | None:
        return statistics.median(self.late_days) if self.late_days else None

    @property
    def rate(self) -> float | None:
        """Follow-up rate: of the tasks whose deadline has passed, the share done."""
        return self.done_of_due / self.due if self.due else None


SORT_KEYS = {
    "code": lambda c: c.code,
    "total": lambda c: -c.total,
    "done": lambda c: -c.done,
    "in_progress": lambda c: -c.in_progress,
    "overdue": lambda c: -c.overdue,
    "unacknowledged": lambda c: -c.unacknowledged,
    "ack": lambda c: (c.median_ack_days is None, -(c.median_ack_days or 0)),
    "late": lambda c: (c.median_late_days is None, -(c.median_late_days or 0)),
    "rate": lambda c: (c.rate is None, c.rate or 0),
}


def compliance(actor, filters: ReportFilters, *, opd_id: int | None = None, sort: str = "overdue") -> list[Compliance]:
    """The compliance table: one row per active OPD that has tasks, in three queries."""
    require(actor, Permission.READ)
    today = clock.today_local()
    count = sa.func.count(Assignment.id)
    due = Assignment.due_date < today
    query = _scoped(
        filters, Assignment.opd_id, Opd.code, Opd.name, count,
        count.filter(Assignment.status == Status.DONE),
        count.filter(Assignment.status.in_([Status.IN_PROGRESS, Status.SUBMITTED, Status.RETURNED, Status.CANNOT_REQUESTED])),
        count.filter(overdue_clause(today)),
        count.filter(Assignment.status == Status.ASSIGNED),
        count.filter(due),
        count.filter(sa.and_(due, Assignment.status == Status.DONE)),
    ).join(Opd, Assignment.opd_id == Opd.id).group_by(Assignment.opd_id, Opd.code, Opd.name)  # fmt: skip
    if opd_id:
        query = query.where(Assignment.opd_id == opd_id)
    rows = {r[0]: Compliance(*r[:3], *r[3:]) for r in db.session.execute(query)}
    durations = _scoped(filters, Assignment.opd_id, Assignment.assigned_at, Assignment.acknowledged_at).where(
        Assignment.acknowledged_at.is_not(None)
    )
    lateness = _scoped(
        filters, Assignment.opd_id, Assignment.due_date, Assignment.completed_at, Assignment.status
    ).where(Assignment.due_date < today, Assignment.status.in_(list(WITH_OPD) + [Status.DONE]))
    if opd_id:
        durations, lateness = durations.where(Assignment.opd_id == opd_id), lateness.where(Assignment.opd_id == opd_id)
    for opd, assigned_at, acknowledged_at in db.session.execute(durations):
        if opd in rows:
            rows[opd].ack_days.append((acknowledged_at - assigned_at).total_seconds() / 86400)
    for opd, due_date, completed_at, status in db.session.execute(lateness):
        finished_on = clock.to_local(completed_at).date() if status == Status.DONE and completed_at else today
        if opd in rows and finished_on > due_date:
            rows[opd].late_days.append((finished_on - due_date).days)
    key = SORT_KEYS.get(sort, SORT_KEYS["overdue"])
    return sorted(rows.values(), key=lambda c: (key(c), c.code))


def monthly(actor, opd_id: int, months: int = 12) -> list[tuple[date, int, int]]:
    """For an OPD, per month of due date over the last months: tasks due, and of them done."""
    require(actor, Permission.READ)
    today = clock.today_local()
    first = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    series: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    rows = db.session.execute(
        sa.select(Assignment.due_date, Assignment.status, sa.func.count(Assignment.id))
        .where(
            Assignment.opd_id == opd_id,
            Assignment.status != Status.CANCELLED,
            Assignment.due_date >= first,
            Assignment.due_date <= today,
        )  # fmt: skip
        .group_by(Assignment.due_date, Assignment.status)
    )
    for due_date, status, number in rows:
        month = due_date.replace(day=1)
        series[month][0] += number
        if status == Status.DONE:
            series[month][1] += number
    result, month = [], first
    while month <= today:
        result.append((month, *series[month]))
        month = (month + timedelta(days=32)).replace(day=1)
    return result


def evidence_and_progress(ids: list[int]) -> tuple[dict[int, int], dict[int, str]]:
    """Evidence counts and the last progress note per assignment, in two queries."""
    if not ids:
        return {}, {}
    evidence = dict(db.session.execute(
        sa.select(Evidence.assignment_id, sa.func.count(Evidence.id)).where(Evidence.assignment_id.in_(ids))
        .group_by(Evidence.assignment_id)
    ).tuples().all())  # fmt: skip
    progress = {}
    for assignment_id, percent, note in db.session.execute(
        sa.select(ProgressReport.assignment_id, ProgressReport.percent, ProgressReport.note)
        .where(ProgressReport.assignment_id.in_(ids))
        .order_by(ProgressReport.at, ProgressReport.id)
    ):
        progress[assignment_id] = f"{percent}% {note or ''}".strip()
    return evidence, progress


def calendar_events(user) -> tuple[list[Assignment], list[Forum]]:
    """What a user's calendar feed shows: the deadlines still with the OPD (their own OPD's, or all for the
    secretariat and viewers), and the latest forums."""
    require(user, Permission.READ)
    query = (
        sa.select(Assignment)
        .where(Assignment.status.in_(WITH_OPD))
        .options(
            so.joinedload(Assignment.opd),
            so.joinedload(Assignment.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
        .order_by(Assignment.due_date)
        .limit(2000)
    )
    if user.role in ROLES_WITH_OPD:
        query = query.where(Assignment.opd_id == user.opd_id)
    forums = db.session.scalars(sa.select(Forum).order_by(Forum.starts_at.desc()).limit(200))
    return list(db.session.scalars(query)), list(forums)
