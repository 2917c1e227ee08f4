"""Figures for the dashboard, the compliance table and the OPD page, each from a fixed number of aggregate
queries whatever the number of assignments."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

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
from actions.queries import forum_scope, stale_since
from core import clock
from core.db import days_between, local_days_after, median
from core.extensions import db
from core.permissions import ROLES_WITH_OPD, Actor, Permission, require
from core.types import UtcDateTime
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

    def scope(self):
        """The filters as one condition on Assignment, or None."""
        return forum_scope(
            series_id=self.series_id,
            forum_kind=self.forum_kind,
            held_from=self.date_from,
            held_to=self.date_to,
            theme=self.theme,
        )

    def list_args(self) -> dict:
        """The same filters as arguments of the follow-ups list."""
        args = {
            "series": self.series_id,
            "kind": self.forum_kind,
            "theme": self.theme,
            "held_from": self.date_from,
            "held_to": self.date_to,
        }
        return {k: v for k, v in args.items() if v}


def _scoped(filters: ReportFilters, *columns):
    """SELECT columns FROM assignments, filtered by meeting, without the cancelled. No join: the aggregates over
    100,000 assignments read one table."""
    query = sa.select(*columns).select_from(Assignment).where(Assignment.status != Status.CANCELLED)
    scope = filters.scope()
    return query if scope is None else query.where(scope)


def month_start(today: date) -> datetime:
    """The first moment of the Pemda's month of this day."""
    return clock.start_of_local_day(today.replace(day=1))


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


def _by_status_and_due_date(filters: ReportFilters) -> list[tuple[Status, date, int]]:
    """Assignments in scope per (status, due date): one index-only scan that gives the tiles' open, overdue and
    awaiting counts, the BPK split and the ages of the overdue."""
    count = sa.func.count()
    query = _scoped(filters, Assignment.status, Assignment.due_date, count).group_by(
        Assignment.status, Assignment.due_date
    )
    return [(Status(status), due_date, number) for status, due_date, number in db.session.execute(query)]


def tiles(filters: ReportFilters, today: date, rows: list[tuple[Status, date, int]]) -> Tiles:
    """The five figures at the top of the dashboard, from the (status, due date) counts and two small counts; the
    same rules as the follow-ups list's filters."""
    count = sa.func.count()
    stale = _scoped(filters, count).where(
        Assignment.status == Status.ASSIGNED, Assignment.assigned_at < stale_since(today)
    )
    done = _scoped(filters, count).where(
        Assignment.status == Status.DONE, Assignment.completed_at >= month_start(today)
    )
    return Tiles(
        open=sum(n for status, _due, n in rows if status in OPEN),
        overdue=sum(n for status, due, n in rows if status in WITH_OPD and due < today),
        stale=db.session.scalar(stale),
        awaiting=sum(n for status, _due, n in rows if status in (Status.SUBMITTED, Status.CANNOT_REQUESTED)),
        done_this_month=db.session.scalar(done),
    )


OPDS_CHARTED = 15


def _most_behind_opds(filters: ReportFilters, today: date) -> list[tuple[str, int, int]]:
    """The OPDs with the most overdue (then open) tasks: code, open, overdue. Aggregated on assignments alone, then
    joined to the few OPDs shown."""
    count = sa.func.count()
    open_ = count.label("open")
    overdue = count.filter(overdue_clause(today)).label("overdue")
    per_opd = (
        _scoped(filters, Assignment.opd_id, open_, overdue)
        .where(Assignment.status.in_(OPEN))
        .group_by(Assignment.opd_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Opd.code, per_opd.c.open, per_opd.c.overdue)
        .join(per_opd, per_opd.c.opd_id == Opd.id)
        .order_by(per_opd.c.overdue.desc(), per_opd.c.open.desc(), Opd.code)
        .limit(OPDS_CHARTED)
    )
    return [tuple(row) for row in rows]


def dashboard(actor: Actor, filters: ReportFilters) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries."""
    require(actor, Permission.READ)
    today = clock.today_local()
    by_status_and_due_date = _by_status_and_due_date(filters)
    bpk: dict[BpkCategory, int] = Counter()
    ages = Counter()
    for status, due_date, number in by_status_and_due_date:
        if BPK_CATEGORY[status] is not None:
            bpk[BPK_CATEGORY[status]] += number
        if status in WITH_OPD and due_date < today:
            ages[_bucket((today - due_date).days)] += number
    per_forum = _latest_forums(filters)
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
        _scoped(filters, Assignment)
        .where(overdue_clause(today))
        .options(*with_context)
        .order_by(Assignment.due_date, Assignment.id)
        .limit(10)
    ).all()
    return Dashboard(
        tiles=tiles(filters, today, by_status_and_due_date),
        per_opd=_most_behind_opds(filters, today),
        bpk={c: bpk.get(c, 0) for c in BpkCategory},
        ages=[(label, ages.get(label, 0)) for _, _, label in AGE_BUCKETS],
        per_forum=per_forum,
        upcoming=list(upcoming),
        most_overdue=list(most_overdue),
        headless=accounts.opds_without_active_head(),
        today=today,
    )


FORUMS_CHARTED = 12


def _latest_forums(filters: ReportFilters) -> list[tuple[int, str, int, int]]:
    """The latest FORUMS_CHARTED forums with follow-ups in scope, newest first: id, title, done, total. A province
    holds thousands of forums; the chart shows where the recent ones stand."""
    scope = filters.scope()
    has_tasks = (
        sa.select(Assignment.id)
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .where(Recommendation.forum_id == Forum.id, Assignment.status != Status.CANCELLED)
    )
    has_tasks = has_tasks if scope is None else has_tasks.where(scope)
    latest = sa.select(Forum.id).where(has_tasks.exists()).order_by(Forum.starts_at.desc()).limit(FORUMS_CHARTED)
    count = sa.func.count()
    rows = db.session.execute(
        _scoped(filters, Forum.id, Forum.title, count.filter(Assignment.status == Status.DONE), count)
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(Forum, Recommendation.forum_id == Forum.id)
        .where(Forum.id.in_(latest))
        .group_by(Forum.id, Forum.title, Forum.starts_at)
        .order_by(Forum.starts_at.desc())
    )
    return [tuple(row) for row in rows]


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
    median_ack_days: float | None = None  # days from assignment to acknowledgement, to one decimal
    median_late_days: float | None = None  # of the late: days past the due date until done, or until today

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


def compliance(
    actor: Actor, filters: ReportFilters, *, opd_id: int | None = None, sort: str = "overdue"
) -> list[Compliance]:
    """The compliance table: one row per active OPD that has tasks, in three queries."""
    require(actor, Permission.READ)
    today = clock.today_local()
    count = sa.func.count()
    due = Assignment.due_date < today
    query = (
        _scoped(
            filters,
            Assignment.opd_id,
            Opd.code,
            Opd.name,
            count,
            count.filter(Assignment.status == Status.DONE),
            count.filter(
                Assignment.status.in_([Status.IN_PROGRESS, Status.SUBMITTED, Status.RETURNED, Status.CANNOT_REQUESTED])
            ),
            count.filter(overdue_clause(today)),
            count.filter(Assignment.status == Status.ASSIGNED),
            count.filter(due),
            count.filter(sa.and_(due, Assignment.status == Status.DONE)),
        )
        .join(Opd, Assignment.opd_id == Opd.id)
        .group_by(Assignment.opd_id, Opd.code, Opd.name)
    )
    if opd_id:
        query = query.where(Assignment.opd_id == opd_id)
    rows = {r[0]: Compliance(*r[:3], *r[3:]) for r in db.session.execute(query)}
    # The medians are computed by the database (percentile_cont, or our aggregate on SQLite): streaming 100,000
    # rows of dates into Python took a second and a half.
    ack_days = median(days_between(Assignment.acknowledged_at, Assignment.assigned_at))
    acknowledgement = (
        _scoped(filters, Assignment.opd_id, ack_days)
        .where(Assignment.acknowledged_at.is_not(None))
        .group_by(Assignment.opd_id)
    )
    now = clock.now()
    finished = sa.case(
        (sa.and_(Assignment.status == Status.DONE, Assignment.completed_at.is_not(None)), Assignment.completed_at),
        else_=sa.literal(now, UtcDateTime()),
    )
    offset_minutes = int(clock.to_local(now).utcoffset().total_seconds() // 60)
    days_late = local_days_after(finished, Assignment.due_date, offset_minutes)
    lateness = (
        _scoped(filters, Assignment.opd_id, median(days_late))
        .where(Assignment.due_date < today, Assignment.status.in_(list(WITH_OPD) + [Status.DONE]), days_late > 0)
        .group_by(Assignment.opd_id)
    )
    if opd_id:
        acknowledgement = acknowledgement.where(Assignment.opd_id == opd_id)
        lateness = lateness.where(Assignment.opd_id == opd_id)
    for opd, days in db.session.execute(acknowledgement):
        if opd in rows and days is not None:
            rows[opd].median_ack_days = round(days, 1)
    for opd, days in db.session.execute(lateness):
        if opd in rows and days is not None:
            rows[opd].median_late_days = float(days)
    key = SORT_KEYS.get(sort, SORT_KEYS["overdue"])
    return sorted(rows.values(), key=lambda c: (key(c), c.code))


def monthly(actor: Actor, opd_id: int, months: int = 12) -> list[tuple[date, int, int]]:
    """For an OPD, per month of due date over the last months: tasks due, and of them done."""
    require(actor, Permission.READ)
    today = clock.today_local()
    first = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    series: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    rows = db.session.execute(
        sa.select(Assignment.due_date, Assignment.status, sa.func.count())
        .where(
            Assignment.opd_id == opd_id,
            Assignment.status != Status.CANCELLED,
            Assignment.due_date >= first,
            Assignment.due_date <= today,
        )
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
    evidence = dict(
        db.session.execute(
            sa.select(Evidence.assignment_id, sa.func.count(Evidence.id))
            .where(Evidence.assignment_id.in_(ids))
            .group_by(Evidence.assignment_id)
        )
        .tuples()
        .all()
    )
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
