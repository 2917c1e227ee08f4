"""Figures for the dashboard, the compliance table, the roll-up per government and the OPD page, each from a fixed
number of aggregate queries whatever the number of assignments or governments. Every figure counts only what the
actor may see (`actions.queries.visible_assignments`, `forum.services.visible_forums`); the dashboard's aggregates
are cached per reach and filters until the next write (core.data_version)."""

from collections import Counter, defaultdict
from dataclasses import astuple, dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from accounts import governments
from accounts import services as accounts
from accounts.models import Government, Opd
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
from actions.queries import forum_scope, stale_since, visible_assignments
from core import clock, data_version
from core.attachments import Attachment
from core.db import days_between, local_days_after, median
from core.errors import Invalid, NotFound
from core.extensions import db
from core.permissions import ROLES_WITH_OPD, Actor, Permission, require, sees
from core.types import UtcDateTime
from forum.models import Forum, Recommendation
from forum.services import visible_forums
from notifications import reach as mail_reach

AGE_BUCKETS = [(0, 7, "0–7"), (8, 30, "8–30"), (31, 90, "31–90"), (91, None, ">90")]


@dataclass
class ReportFilters:
    """The dashboard's filters: meetings held in a period, a series, a kind of meeting, a theme, and the government
    whose OPDs' tasks are counted (where there are several)."""

    date_from: date | None = None
    date_to: date | None = None
    series_id: int | None = None
    forum_kind: str | None = None
    theme: str | None = None
    government_id: int | None = None

    def conditions(self, actor: Actor) -> list:
        """The filters, and what the actor may see, as conditions on Assignment; the cancelled are left out."""
        conditions = [Assignment.status != Status.CANCELLED, visible_assignments(actor)]
        scope = forum_scope(
            series_id=self.series_id,
            forum_kind=self.forum_kind,
            held_from=self.date_from,
            held_to=self.date_to,
            theme=self.theme,
        )
        if scope is not None:
            conditions.append(scope)
        if self.government_id:
            conditions.append(Assignment.opd_id.in_(governments.opds_of([self.government_id])))
        return conditions

    def list_args(self) -> dict:
        """The same filters as arguments of the follow-ups list."""
        args = {
            "series": self.series_id,
            "kind": self.forum_kind,
            "theme": self.theme,
            "held_from": self.date_from,
            "held_to": self.date_to,
            "government": self.government_id,
        }
        return {k: v for k, v in args.items() if v}


def _scoped(actor: Actor, filters: ReportFilters, *columns):
    """SELECT columns FROM assignments the actor may see, filtered, without the cancelled. No join: the aggregates
    over 100,000 assignments read one table (and the visibility's subqueries)."""
    return sa.select(*columns).select_from(Assignment).where(*filters.conditions(actor))


def government_filter(actor: Actor, government_id: int | None) -> int | None:
    """The government a report may be narrowed to: one of the actor's reach, or Invalid."""
    if government_id is None:
        return None
    if government_id not in governments.tree() or not sees(governments.reach(actor), government_id):
        raise Invalid(_l("That government is not one whose reports you may see; all of yours are shown."))
    return government_id


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
    per_opd: list[tuple[str, int, int]]  # the OPD as the viewer reads it, open, overdue
    bpk: dict[BpkCategory, int]
    ages: list[tuple[str, int]]
    per_forum: list[tuple[int, str, int, int]]  # id, title, done, total
    upcoming: list["ListedTask"]
    most_overdue: list["ListedTask"]
    headless: list["HeadlessOpd"]
    today: date
    rollup: list["GovernmentCompliance"]  # empty unless the viewer's reach holds several governments


def _by_status_and_due_date(actor: Actor, filters: ReportFilters) -> list[tuple[Status, date, int]]:
    """Assignments in scope per (status, due date): one scan that gives the tiles' open, overdue and awaiting
    counts, the BPK split and the ages of the overdue."""
    count = sa.func.count()
    query = _scoped(actor, filters, Assignment.status, Assignment.due_date, count).group_by(
        Assignment.status, Assignment.due_date
    )
    return [(Status(status), due_date, number) for status, due_date, number in db.session.execute(query)]


def tiles(actor: Actor, filters: ReportFilters, today: date, rows: list[tuple[Status, date, int]]) -> Tiles:
    """The five figures at the top of the dashboard, from the (status, due date) counts and two small counts; the
    same rules as the follow-ups list's filters."""
    count = sa.func.count()
    stale = _scoped(actor, filters, count).where(
        Assignment.status == Status.ASSIGNED, Assignment.assigned_at < stale_since(today)
    )
    done = _scoped(actor, filters, count).where(
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


def _most_behind_opds(actor: Actor, filters: ReportFilters, today: date) -> list[tuple[str, int, int]]:
    """The OPDs with the most overdue (then open) tasks: the OPD as the viewer reads it, open, overdue.
    Aggregated on assignments alone, then joined to the few OPDs shown."""
    count = sa.func.count()
    open_ = count.label("open")
    overdue = count.filter(overdue_clause(today)).label("overdue")
    per_opd = (
        _scoped(actor, filters, Assignment.opd_id, open_, overdue)
        .where(Assignment.status.in_(OPEN))
        .group_by(Assignment.opd_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Opd.code, Opd.government_id, per_opd.c.open, per_opd.c.overdue)
        .join(per_opd, per_opd.c.opd_id == Opd.id)
        .order_by(per_opd.c.overdue.desc(), per_opd.c.open.desc(), Opd.code)
        .limit(OPDS_CHARTED)
    )
    return [(governments.opd_name(code, government, actor), open_, late) for code, government, open_, late in rows]


@dataclass(frozen=True)
class HeadlessOpd:
    """An OPD without an active head, as the dashboard names it (the `opd_name` filter reads code and government)."""

    id: int
    code: str
    government_id: int


def headless(actor: Actor, filters: ReportFilters) -> list[HeadlessOpd]:
    """The active OPDs without an active head that the actor's reach holds (of the filter's government, if any)."""
    require(actor, Permission.READ)
    reach = governments.reach(actor)
    return [
        HeadlessOpd(opd.id, opd.code, opd.government_id)
        for opd in accounts.opds_without_active_head()
        if sees(reach, opd.government_id) and filters.government_id in (None, opd.government_id)
    ]


@dataclass(frozen=True)
class UnreachableOpd:
    """An OPD Kawal's email does not reach now (notifications.reach), its open tasks, and whether the viewer may
    fix it (set its head or its inbox)."""

    opd: mail_reach.OpdRow
    why: mail_reach.Why
    address: str | None
    reply: str | None
    open_tasks: int
    may_fix: bool


def unreachable_opds(actor: Actor, filters: ReportFilters, recent: list | None = None) -> list[UnreachableOpd]:
    """The OPDs of the actor's reach (of the filter's government, if any) that mail does not reach now, with the
    open tasks the actor sees of each: the dashboard lists them until someone fixes them. Two queries and the
    outbox's refusals (`recent`, when the caller read them: notifications.reach.recent_refusals), whatever the
    number of OPDs."""
    require(actor, Permission.DELIVERY_LOG)
    reach = governments.reach(actor)
    ids = {filters.government_id} if filters.government_id else reach
    found = mail_reach.unreachable(government_ids=ids, recent=recent)
    if not found:
        return []
    open_tasks = dict(
        db.session.execute(
            sa.select(Assignment.opd_id, sa.func.count())
            .where(
                Assignment.opd_id.in_([u.opd.id for u in found]),
                Assignment.status.in_(OPEN),
                visible_assignments(actor),
            )
            .group_by(Assignment.opd_id)
        ).all()
    )
    return [
        UnreachableOpd(
            u.opd, u.why, u.address, u.reply, open_tasks.get(u.opd.id, 0), accounts.may_edit_opd(actor, u.opd)
        )
        for u in found
    ]


def shows_rollup(actor: Actor) -> bool:
    """Whether the actor sees the work of several governments: a parent government, or the instance admin."""
    reach = governments.reach(actor)
    return governments.several() and (reach is None or len(reach) > 1)


@dataclass(frozen=True)
class DashboardFigures:
    """The dashboard's aggregates: plain values, shared by every reader with the same reach and filters."""

    tiles: Tiles
    per_opd: list[tuple[str, int, int]]
    bpk: dict[BpkCategory, int]
    ages: list[tuple[str, int]]
    per_forum: list[tuple[int, str, int, int]]
    upcoming: list["ListedTask"]
    most_overdue: list["ListedTask"]
    headless: list[HeadlessOpd]
    rollup: list["GovernmentCompliance"]


def dashboard_figures(actor: Actor, filters: ReportFilters, today: date) -> DashboardFigures:
    """The aggregates of the dashboard, computed again only when the data version moved on (a write anywhere) or
    the day changed. They depend on the reader only through its reach (what it sees) and its own government (how
    OPDs and the roll-up are named), which the key holds with the filters."""
    return data_version.cached(
        "dashboard", dashboard_key(actor, filters, today), lambda: _dashboard_figures(actor, filters, today)
    )


def dashboard_key(actor: Actor, filters: ReportFilters, today: date) -> tuple:
    """What the dashboard's figures depend on besides the data: the reach, the reader's own government, the
    filters and the day."""
    return (governments.reach(actor), getattr(actor, "government_id", None), astuple(filters), today)


def _dashboard_figures(actor: Actor, filters: ReportFilters, today: date) -> DashboardFigures:
    by_status_and_due_date = _by_status_and_due_date(actor, filters)
    bpk: dict[BpkCategory, int] = Counter()
    ages = Counter()
    for status, due_date, number in by_status_and_due_date:
        if BPK_CATEGORY[status] is not None:
            bpk[BPK_CATEGORY[status]] += number
        if status in WITH_OPD and due_date < today:
            ages[_bucket((today - due_date).days)] += number
    return DashboardFigures(
        tiles=tiles(actor, filters, today, by_status_and_due_date),
        per_opd=_most_behind_opds(actor, filters, today),
        bpk={c: bpk.get(c, 0) for c in BpkCategory},
        ages=[(label, ages.get(label, 0)) for _, _, label in AGE_BUCKETS],
        per_forum=_latest_forums(actor, filters),
        upcoming=_listed_tasks(
            actor,
            filters,
            sa.and_(
                Assignment.status.in_(WITH_OPD),
                Assignment.due_date >= today,
                Assignment.due_date <= today + timedelta(days=14),
            ),
            30,
        ),
        most_overdue=_listed_tasks(actor, filters, overdue_clause(today), 10),
        headless=headless(actor, filters),
        # Narrowed to one government, the dashboard is that government's; the roll-up compares several.
        rollup=rollup(actor, filters) if shows_rollup(actor) and not filters.government_id else [],
    )


@dataclass(frozen=True)
class ListedTask:
    """A task as the dashboard lists it: plain values, with the OPD named as the viewer reads it."""

    id: int
    opd_id: int
    opd_name: str
    status: Status
    due_date: date
    title: str
    forum_title: str
    # The same rules as an Assignment's, for the status and due-date macros.
    is_open = Assignment.is_open
    days_late = Assignment.days_late
    days_left = Assignment.days_left


def _listed_tasks(actor: Actor, filters: ReportFilters, condition, limit: int) -> list[ListedTask]:
    """The first tasks in scope that meet the condition, earliest due first."""
    query = (
        _scoped(
            actor,
            filters,
            Assignment.id,
            Assignment.opd_id,
            Opd.code,
            Opd.government_id,
            Assignment.status,
            Assignment.due_date,
            Action.title,
            Forum.title,
        )
        .join(Opd, Assignment.opd_id == Opd.id)
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(Forum, Recommendation.forum_id == Forum.id)
        .where(condition)
        .order_by(Assignment.due_date, Assignment.id)
        .limit(limit)
    )
    return [
        ListedTask(id_, opd_id, governments.opd_name(code, government, actor), Status(status), due, title, forum)
        for id_, opd_id, code, government, status, due, title, forum in db.session.execute(query)
    ]


def dashboard(actor: Actor, filters: ReportFilters) -> Dashboard:
    """Everything the dashboard shows, from dashboard_figures: a fixed number of queries whatever the number of
    governments, none but the data version's while no write has moved it on."""
    require(actor, Permission.READ)
    today = clock.today_local()
    figures = dashboard_figures(actor, filters, today)
    return Dashboard(
        tiles=figures.tiles,
        per_opd=figures.per_opd,
        bpk=figures.bpk,
        ages=figures.ages,
        per_forum=figures.per_forum,
        upcoming=figures.upcoming,
        most_overdue=figures.most_overdue,
        headless=figures.headless,
        today=today,
        rollup=figures.rollup,
    )


FORUMS_CHARTED = 12


def _latest_forums(actor: Actor, filters: ReportFilters) -> list[tuple[int, str, int, int]]:
    """The latest FORUMS_CHARTED forums the actor may see with follow-ups in scope, newest first: id, title, done,
    total. A province holds thousands of forums; the chart shows where the recent ones stand."""
    has_tasks = (
        sa.select(Assignment.id)
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .where(Recommendation.forum_id == Forum.id, *filters.conditions(actor))
    )
    latest = (
        sa.select(Forum.id)
        .where(has_tasks.exists(), visible_forums(actor))
        .order_by(Forum.starts_at.desc())
        .limit(FORUMS_CHARTED)
    )
    count = sa.func.count()
    rows = db.session.execute(
        _scoped(actor, filters, Forum.id, Forum.title, count.filter(Assignment.status == Status.DONE), count)
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


# --- the review meeting's presentation ------------------------------------------------------------------


@dataclass
class LateOpd:
    """One OPD on the presentation's ranking: how many of its tasks are late, and their days late added up."""

    opd_id: int
    code: str  # as the viewer reads it: "DINKES", or "DINKES · Kab. Serang"
    name: str
    overdue: int = 0
    days_late: int = 0


@dataclass
class Presentation:
    """What a review meeting puts on the screen: the OPDs with late tasks, most behind first, and per OPD its late
    tasks, latest due date last (`tasks` may hold fewer than `overdue` when more than PRESENTED_TASKS are late)."""

    today: date
    ranking: list[LateOpd]
    tasks: dict[int, list[Assignment]]
    truncated: bool


PRESENTED_TASKS = 2000


def neighbours(rows: list, index: int) -> tuple:
    """The rows before and after one of a list (None at either end): a slide's previous and next."""
    return (rows[index - 1] if index else None, rows[index + 1] if index + 1 < len(rows) else None)


def presentation(actor: Actor, filters: ReportFilters) -> Presentation:
    """The overdue tasks the actor may see under the dashboard's filters, by OPD: ranked by the number late, then by
    the days late added up, then by code. Three queries whatever the number of tasks: the ranking is counted per
    (OPD, due date), so that a long tail of late tasks never shifts it."""
    require(actor, Permission.READ)
    today = clock.today_local()
    per_due_date = db.session.execute(
        _scoped(actor, filters, Assignment.opd_id, Assignment.due_date, sa.func.count())
        .where(overdue_clause(today))
        .group_by(Assignment.opd_id, Assignment.due_date)
    )
    late: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for opd_id, due_date, number in per_due_date:
        late[opd_id][0] += number
        late[opd_id][1] += number * (today - due_date).days
    opds = db.session.execute(sa.select(Opd.id, Opd.code, Opd.name, Opd.government_id).where(Opd.id.in_(late)))
    ranking = [
        LateOpd(opd_id, governments.opd_name(code, government, actor), name, *late[opd_id])
        for opd_id, code, name, government in opds
    ]
    ranking.sort(key=lambda row: (-row.overdue, -row.days_late, row.code))
    loaded = db.session.scalars(
        _scoped(actor, filters, Assignment)
        .where(overdue_clause(today))
        .options(
            so.joinedload(Assignment.opd),
            so.joinedload(Assignment.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
        .order_by(Assignment.due_date, Assignment.id)
        .limit(PRESENTED_TASKS + 1)
    ).all()
    tasks: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in loaded[:PRESENTED_TASKS]:
        tasks[assignment.opd_id].append(assignment)
    return Presentation(today, ranking, dict(tasks), truncated=len(loaded) > PRESENTED_TASKS)


# --- compliance per OPD, and per government ------------------------------------------------------------


@dataclass(kw_only=True)
class Figures:
    """What a compliance row counts, of an OPD's tasks or of a government's OPDs' tasks."""

    total: int = 0
    done: int = 0
    in_progress: int = 0
    overdue: int = 0
    unacknowledged: int = 0
    due: int = 0  # past their deadline
    done_of_due: int = 0  # of those, done
    median_late_days: float | None = None  # of the late: days past the due date until done, or until today

    @property
    def rate(self) -> float | None:
        """Follow-up rate: of the tasks whose deadline has passed, the share done."""
        return self.done_of_due / self.due if self.due else None

    def count(self, figures) -> None:
        """Take the counts of a row of `_figures`, in its order."""
        for name, value in zip(FIGURE_NAMES, figures, strict=True):
            setattr(self, name, value)


FIGURE_NAMES = ("total", "done", "in_progress", "overdue", "unacknowledged", "due", "done_of_due")


@dataclass
class Compliance(Figures):
    opd_id: int
    code: str
    name: str
    government_id: int | None = None
    median_ack_days: float | None = None  # days from assignment to acknowledgement, to one decimal


@dataclass
class GovernmentCompliance(Figures):
    """One row of the roll-up: the figures of the tasks of one government's own OPDs."""

    government_id: int
    name: str  # short: "Kab. Serang"
    depth: int  # below the viewer's government


def _figures(today: date) -> list:
    """The counts of a compliance row, in the order of FIGURE_NAMES."""
    count = sa.func.count()
    due = Assignment.due_date < today
    return [
        count,
        count.filter(Assignment.status == Status.DONE),
        count.filter(
            Assignment.status.in_([Status.IN_PROGRESS, Status.SUBMITTED, Status.RETURNED, Status.CANNOT_REQUESTED])
        ),
        count.filter(overdue_clause(today)),
        count.filter(Assignment.status == Status.ASSIGNED),
        count.filter(due),
        count.filter(sa.and_(due, Assignment.status == Status.DONE)),
    ]


def _lateness(actor: Actor, filters: ReportFilters, today: date, key):
    """The median days late of the late tasks (days past the due date until done, or until now), per `key`: a
    column of Assignment, or of Opd (joined)."""
    now = clock.now()
    finished = sa.case(
        (sa.and_(Assignment.status == Status.DONE, Assignment.completed_at.is_not(None)), Assignment.completed_at),
        else_=sa.literal(now, UtcDateTime()),
    )
    offset_minutes = int(clock.to_local(now).utcoffset().total_seconds() // 60)
    days_late = local_days_after(finished, Assignment.due_date, offset_minutes)
    query = (
        _scoped(actor, filters, key, median(days_late))
        .where(Assignment.due_date < today, Assignment.status.in_(list(WITH_OPD) + [Status.DONE]), days_late > 0)
        .group_by(key)
    )
    return query.join(Opd, Assignment.opd_id == Opd.id) if key.class_ is Opd else query


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
    """The compliance table: one row per active OPD that has tasks the actor may see, in three queries."""
    require(actor, Permission.READ)
    today = clock.today_local()
    query = (
        _scoped(actor, filters, Assignment.opd_id, Opd.code, Opd.name, Opd.government_id, *_figures(today))
        .join(Opd, Assignment.opd_id == Opd.id)
        .group_by(Assignment.opd_id, Opd.code, Opd.name, Opd.government_id)
    )
    if opd_id:
        query = query.where(Assignment.opd_id == opd_id)
    rows = {}
    for opd, code, name, government, *figures in db.session.execute(query):
        rows[opd] = Compliance(opd, code, name, government)
        rows[opd].count(figures)
    # The medians are computed by the database (percentile_cont, or our aggregate on SQLite): streaming 100,000
    # rows of dates into Python took a second and a half.
    ack_days = median(days_between(Assignment.acknowledged_at, Assignment.assigned_at))
    acknowledgement = (
        _scoped(actor, filters, Assignment.opd_id, ack_days)
        .where(Assignment.acknowledged_at.is_not(None))
        .group_by(Assignment.opd_id)
    )
    lateness = _lateness(actor, filters, today, Assignment.opd_id)
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


def rollup(actor: Actor, filters: ReportFilters) -> list[GovernmentCompliance]:
    """Compliance per government of the actor's reach, its own first and those below it in the tree's order, each
    of the tasks of its own OPDs: how a province's kabupaten/kota follow up. Two queries whatever their number."""
    require(actor, Permission.READ)
    today = clock.today_local()
    rows = {
        node.id: GovernmentCompliance(node.id, node.short_name, depth)
        for node, depth in governments.in_tree_order(actor)
    }
    query = (
        _scoped(actor, filters, Opd.government_id, *_figures(today))
        .join(Opd, Assignment.opd_id == Opd.id)
        .group_by(Opd.government_id)
    )
    for government_id, *figures in db.session.execute(query):
        if government_id in rows:
            rows[government_id].count(figures)
    for government_id, days in db.session.execute(_lateness(actor, filters, today, Opd.government_id)):
        if government_id in rows and days is not None:
            rows[government_id].median_late_days = float(days)
    return list(rows.values())


def report_opd(actor: Actor, opd_id: int) -> Opd:
    """The OPD whose page the actor opens: one of its reach's, or NotFound (another government's is not shown)."""
    require(actor, Permission.READ)
    opd = accounts.get_opd(opd_id)
    if not sees(governments.reach(actor), opd.government_id):
        raise NotFound(_l("No such OPD."))
    return opd


def monthly(actor: Actor, opd_id: int, months: int = 12) -> list[tuple[date, int, int]]:
    """For an OPD, per month of due date over the last months: tasks due, and of them done (of those the actor
    may see)."""
    require(actor, Permission.READ)
    today = clock.today_local()
    first = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    series: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    rows = db.session.execute(
        _scoped(actor, ReportFilters(), Assignment.due_date, Assignment.status, sa.func.count())
        .where(Assignment.opd_id == opd_id, Assignment.due_date >= first, Assignment.due_date <= today)
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
    """What a user's calendar feed shows, of what the user may see: the deadlines still with the OPD (their own
    OPD's, or all for the secretariat and viewers), and the latest forums."""
    require(user, Permission.READ)
    query = (
        sa.select(Assignment)
        .where(Assignment.status.in_(WITH_OPD), visible_assignments(user))
        .options(
            so.joinedload(Assignment.opd),
            so.joinedload(Assignment.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
        .order_by(Assignment.due_date)
        .limit(2000)
    )
    if user.role in ROLES_WITH_OPD:
        query = query.where(Assignment.opd_id.in_(sorted(accounts.opds_acted_for(user))))
    forums = db.session.scalars(
        sa.select(Forum).where(visible_forums(user)).order_by(Forum.starts_at.desc()).limit(200)
    )
    return list(db.session.scalars(query)), list(forums)


# --- letterheads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letterhead:
    """What a document prints on top: the government's name upper-cased, its address and logo if it has them."""

    name: str
    address: str | None = None
    logo: str | None = None  # the path of a PNG or JPEG file
    # The place of the date line, the head, the secretariat and who signs "Mengetahui" (accounts.governments).
    names: governments.DocumentNames | None = None


LOGO_TYPES = ("image/png", "image/jpeg")


def letterhead(government_id: int | None) -> Letterhead:
    """The letterhead of a government (of the first one when none is given); a logo whose file is gone is left
    out rather than breaking the document."""
    government = db.session.get(Government, government_id or governments.default_government_id())
    logo = None
    if government.logo:
        attachment = db.session.scalar(sa.select(Attachment).where(Attachment.stored_name == government.logo))
        if attachment is not None and attachment.content_type in LOGO_TYPES and attachment.path.is_file():
            logo = str(attachment.path)
    return Letterhead(
        name=government.printed_name,
        address=government.letterhead_address,
        logo=logo,
        names=governments.document_names(government),
    )


# --- documents of a forum -----------------------------------------------------------------------------


def summary_government(actor, forum: Forum) -> int | None:
    """Whose letterhead a forum's follow-up summary carries: the owner's when the reader sees all of the forum's
    follow-ups (its own people, a parent, the instance admin); a reader who sees only their own government's part
    (an attending sibling, a kabupaten at the province's FGD) prints it under their own letterhead, not as the
    owner's summary."""
    reach = governments.reach(actor)
    return forum.government_id if reach is None or forum.government_id in reach else actor.government_id


def organiser_name(forum: Forum) -> str:
    """Who held the meeting, as a document says it: the organising OPD with its government ("Bappeda Provinsi
    Banten"), the host typed for one outside this Kawal, or else the secretariat of the government that owns it."""
    if forum.organiser is not None:
        area = governments.area_name(forum.organiser.government.name)
        name = forum.organiser.name
        return name if area.lower() in name.lower() else f"{name} {area}"
    if forum.host:
        return forum.host
    return governments.document_names(forum.government).secretariat


@dataclass
class MeetingReport:
    """What a Laporan Hasil Rapat tells a government's leadership of a meeting someone else held: its own people
    who attended, the conclusions that concern it, and its own OPDs' tasks. Nothing of any other government."""

    government_id: int
    attendees: list
    points: list
    tasks: list


def meeting_report(actor: Actor, forum: Forum) -> MeetingReport | None:
    """The report of a forum (loaded in full) for the actor's government; None when that government owns it (its
    document is the Berita Acara) or neither attended it nor got a task from it."""
    government_id = getattr(actor, "government_id", None)
    if government_id is None or government_id == forum.government_id:
        return None
    attendees = [p for p in forum.participants if p.opd is not None and p.opd.government_id == government_id]
    tasks = list(
        db.session.scalars(
            sa.select(Assignment)
            .join(Action, Assignment.action_id == Action.id)
            .join(Recommendation, Action.recommendation_id == Recommendation.id)
            .where(
                Recommendation.forum_id == forum.id,
                Assignment.status != Status.CANCELLED,
                Assignment.opd_id.in_(governments.opds_of({government_id})),
                visible_assignments(actor),
            )
            .options(so.joinedload(Assignment.opd), so.joinedload(Assignment.action).joinedload(Action.recommendation))
            .order_by(Recommendation.number, Action.id, Assignment.opd_id)
        )
    )
    if not attendees and not tasks:
        return None
    concerned = {a.action.recommendation_id for a in tasks}
    points = [r for r in forum.recommendations if r.id in concerned] or list(forum.recommendations)
    return MeetingReport(government_id=government_id, attendees=attendees, points=points, tasks=tasks)
