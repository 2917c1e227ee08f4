"""The secretariat's daily digest: what waits on its officers (work to verify, requests for "cannot follow up",
escalated tasks) and the OPDs its mail does not reach, each with a link to act. Said from the state at send time,
so a day the worker missed loses nothing and a settled task is never announced."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from accounts import governments
from accounts.models import Opd, User
from actions.models import OPEN, WITH_OPD, Action, Assignment, Status
from core import clock
from core.extensions import db
from core.permissions import Role, sees
from core.views import absolute_url
from forum.models import Forum, Recommendation
from notifications import policy as policies
from notifications import reach
from notifications.content import LISTED_PER_DIGEST, Book, NothingToSay, Prepared
from notifications.mailer import render
from notifications.models import OutboxMessage


@dataclass
class Line:
    """One thing to act on: what it is, whose, where to act, and what the template says of its state."""

    title: str
    opd: str
    url: str | None  # None: the reader may not act on it there (an OPD only its government's admin can fix)
    due_date: date | None = None
    days_late: int = 0
    note: str | None = None  # a refused address and the server's words


@dataclass
class Section:
    key: str
    title: str
    lines: list[Line] = field(default_factory=list)
    more: int = 0  # beyond LISTED_PER_DIGEST, only counted

    def add(self, line: Line) -> None:
        if len(self.lines) < LISTED_PER_DIGEST:
            self.lines.append(line)
        else:
            self.more += 1

    @property
    def count(self) -> int:
        return len(self.lines) + self.more


SECTIONS = {
    "verify": _l("Reported as done, awaiting verification"),
    "cannot": _l('Requests for "cannot be followed up"'),
    "escalated": _l("Escalated: overdue past the policy's threshold"),
    "unreachable": _l("OPDs that Kawal's mail does not reach"),
}


@dataclass(slots=True)
class Task:
    """What the digest says of a task that waits on a secretariat, read as a row (a province's escalated tasks are
    thousands: the planner only asks whether there are any)."""

    id: int
    status: Status
    due_date: date
    cannot_reason: str | None
    title: str
    opd_code: str
    opd_government_id: int

    def days_late(self, today: date) -> int:
        """As Assignment.days_late."""
        return max((today - self.due_date).days, 0) if self.status in WITH_OPD else 0


def _owned_tasks(government_ids: list[int]):
    """(owner, the task's columns for `Task`) for the follow-ups these governments' forums gave."""
    return (
        sa.select(
            Forum.government_id,
            Assignment.id,
            Assignment.status,
            Assignment.due_date,
            Assignment.cannot_reason,
            Action.title,
            Opd.code,
            Opd.government_id,
        )
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(Forum, Recommendation.forum_id == Forum.id)
        .join(Opd, Assignment.opd_id == Opd.id)
        .where(Forum.government_id.in_(government_ids))
    )


class Waiting(list):
    """A section's waiting things as a digest lists them: the first LISTED_PER_DIGEST, and the `total` of all (a
    province's escalated tasks are thousands, and the planner only asks whether there are any)."""

    total: int = 0

    def add(self, thing) -> None:
        self.total += 1
        if len(self) < LISTED_PER_DIGEST:
            self.append(thing)

    def __bool__(self) -> bool:
        return self.total > 0


def waiting_on(
    today_of: dict[int, date], policy_of: Callable[[int], policies.Policy], *, whether: bool = False
) -> dict[int, dict[str, Waiting]]:
    """What waits on each of these governments' secretariats on its day, by section: tasks its forums gave that are
    to verify, asked to be released, or escalated, and the OPDs mail does not reach. The one rule of the digest,
    asked by the planner (whether to plan one) and at send time (what it says). A few queries, whatever the number
    of governments. With `whether` (the planner's question) the reading stops once each government has something
    waiting: a province's escalated tasks are thousands, and the first says as much as all of them."""
    ids = sorted(today_of)
    found = {gid: {key: Waiting() for key in SECTIONS} for gid in ids}
    if not ids:
        return found
    busy: set[int] = set()
    # Escalation is judged by each OPD's government's policy, as the OPD's own reminders are: the query narrows to
    # the smallest threshold of any policy, and each task is then held against its own.
    thresholds = [p.escalate_after_days for p in map(policy_of, governments.tree()) if p.escalate_after_days > 0]
    waiting = [Assignment.status.in_([Status.SUBMITTED, Status.CANNOT_REQUESTED])]
    if thresholds:
        late_since = max(today_of.values()) - timedelta(days=min(thresholds))
        waiting.append(sa.and_(Assignment.status.in_(WITH_OPD), Assignment.due_date <= late_since))
    query = _owned_tasks(ids).where(sa.or_(*waiting)).order_by(Assignment.due_date, Assignment.id)
    rows = db.session.execute(query.execution_options(yield_per=1000))
    for owner, *values in rows.tuples():
        task = Task(*values)
        if task.status == Status.SUBMITTED:
            found[owner]["verify"].add(task)
        elif task.status == Status.CANNOT_REQUESTED:
            found[owner]["cannot"].add(task)
        else:
            threshold = policy_of(task.opd_government_id).escalate_after_days
            if threshold > 0 and task.days_late(today_of[owner]) >= threshold:
                found[owner]["escalated"].add(task)
        if whether and any(found[owner].values()):
            busy.add(owner)
            if len(busy) == len(ids):
                rows.close()  # every government has its answer: the rest of the stream is not read
                return found
    for owner, missing in _unreachable([gid for gid in ids if gid not in busy]):
        found[owner]["unreachable"].add(missing)
    return found


def _unreachable(ids: list[int]) -> list[tuple[int, reach.Unreachable]]:
    """(government, OPD) for the OPDs mail does not reach now that have open tasks a government cares for: given
    by its forums, or its own OPDs' (whoever gave them), within what it sees (its own and those below). An OPD
    with nothing open waits for a task: the follow-up form warns of it then. The OPDs are found first (mail reaches
    nearly all of them), so the open tasks are read for those few alone."""
    if not ids:
        return []
    seen = {gid: governments.below(gid) for gid in ids}
    missing = reach.unreachable(sorted(set().union(*seen.values())))
    if not missing:
        return []
    open_tasks = sa.and_(Assignment.status.in_(OPEN), Assignment.opd_id.in_(sorted({m.opd.id for m in missing})))
    given = (
        sa.select(Forum.government_id, Assignment.opd_id)
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(Forum, Recommendation.forum_id == Forum.id)
        .where(open_tasks, Forum.government_id.in_(ids))
    )
    own = (
        sa.select(Opd.government_id, Assignment.opd_id)
        .join(Opd, Assignment.opd_id == Opd.id)
        .where(open_tasks, Opd.government_id.in_(ids))
    )
    concerned: dict[int, set[int]] = {}
    for government_id, opd_id in db.session.execute(sa.union(given, own)):
        concerned.setdefault(opd_id, set()).add(government_id)
    return [
        (gid, each)
        for each in missing
        for gid in sorted(concerned.get(each.opd.id, ()))
        if sees(seen[gid], each.opd.government_id)
    ]


def _task_line(task: Task, officer: User, anchor: str = "", days_late: int = 0) -> Line:
    """A task's line, linking to its page where the decision is taken (the section named by `anchor`)."""
    url = absolute_url("actions.assignment_view", assignment_id=task.id) + (f"#{anchor}" if anchor else "")
    opd = governments.opd_name(task.opd_code, task.opd_government_id, officer)
    return Line(task.title, opd, url, due_date=task.due_date, days_late=days_late)


def _unreachable_line(missing: reach.Unreachable, officer: User) -> Line:
    """An OPD's line, linking to its page (reports.opd_page), which every officer may open: it says the OPD cannot
    be emailed and links its administrator to the form where a head or an official email is set. (The edit form
    itself is the administrator's alone: an officer following the link there was refused.)"""
    if missing.why == reach.Why.NO_RECIPIENT:
        note = str(_l("No active head and no official email."))
    else:
        note = str(_l("The mail server refused %(address)s.", address=missing.address))
        note += f" {missing.reply}" if missing.reply else ""
    opd = governments.opd_name(missing.opd.code, missing.opd.government_id, officer)
    return Line(missing.opd.name, opd, absolute_url("reports.opd_page", opd_id=missing.opd.id), note=note)


def sections(officer: User, today: date, book: Book) -> list[Section]:
    """What waits on the officer's government today, as the digest's sections; empty ones left out."""
    waiting = waiting_on({officer.government_id: today}, book.policy)[officer.government_id]
    found = {key: Section(key, str(title)) for key, title in SECTIONS.items()}
    for task in waiting["verify"]:
        found["verify"].add(_task_line(task, officer, "verify"))
    for task in waiting["cannot"]:
        line = _task_line(task, officer, "cannot-decision")
        line.note = task.cannot_reason
        found["cannot"].add(line)
    for task in waiting["escalated"]:
        found["escalated"].add(_task_line(task, officer, days_late=task.days_late(today)))
    for missing in waiting["unreachable"]:
        found["unreachable"].add(_unreachable_line(missing, officer))
    for key, section in found.items():
        section.more += waiting[key].total - len(waiting[key])  # those waiting_on counted and did not keep
    return [section for section in found.values() if section.count]


def prepare(row: OutboxMessage, now: datetime, book: Book) -> Prepared:
    """The officer's digest as of now, in its language; nothing to act on cancels it (NothingToSay). An officer no
    longer active, or no longer of the secretariat, is told nothing."""
    officer = db.session.get(User, row.recipient_user_id) if row.recipient_user_id else None
    if officer is None or not officer.active or officer.role != Role.SECRETARIAT:
        raise NothingToSay()
    today = clock.to_local(now, policies.zone_of(officer.government_id)).date()
    with force_locale(officer.locale):  # the titles and notes are words of the officer's language
        found = sections(officer, today, book)
    if not found:
        raise NothingToSay()
    node = governments.node(officer.government_id)
    rendered = render(
        "secretariat_digest",
        officer.locale,
        officer=officer,
        sections=found,
        counts={section.key: section.count for section in found},
        policy=book.policy(officer.government_id),
        pemda_name=node.name if node is not None else "",
        tasks_url=absolute_url("actions.action_list"),
        delivery_url=absolute_url("notifications.delivery_log"),
    )
    row.recipient, row.cc, row.subject = officer.email, [], rendered.subject
    return Prepared([officer.email], [], rendered)
