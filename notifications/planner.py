"""The planner: what reminders are due today and not yet planned, written to the outbox.

It selects by state, not by time window: each task's reminder occasions (due in 7/3/1/0 days, overdue week k,
unacknowledged week k, decree expiry) are computed from today's date, and an occasion already in outbox_items is
not planned again. So a missed run loses nothing, a second run adds nothing, and three days of downtime give one
digest holding everything.
"""

import hashlib
from array import array
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from accounts import governments, reach
from accounts.models import Opd, User
from actions.models import WITH_OPD, Assignment, Decree, DecreeStage, Status
from core import clock
from core.calendar import WorkingDays
from core.db import bulk_insert_or_ignore, in_batches, insert_or_ignore
from core.extensions import db
from core.permissions import Role
from notifications import outbox, secretariat, webhooks
from notifications import policy as policies
from notifications.models import CancelReason, MailKind, MailStatus, OutboxItem, OutboxMessage, Reason

# How many rows the planner reads, or writes, at a time.
ROWS_AT_A_TIME = 5000


# An occasion's name starts with what it counts from: the due date, the day assigned, the decree's end.
PREFIXES = {
    Reason.UNACKNOWLEDGED: "unack",
    Reason.OVERDUE: Reason.OVERDUE.value,
    Reason.ESCALATION: Reason.ESCALATION.value,
    Reason.DUE_SOON: "due",
    Reason.DECREE_EXPIRY: "decree",
}
REASONS = tuple(PREFIXES)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A reminder occasion that is due today: why, the task's (or decree's) id, the date it counts from and its
    number (the days before, or the week); its subject key and occasion, as outbox_items holds them, are made from
    these when asked."""

    reason: Reason
    opd_id: int
    subject_id: int
    day: date
    number: int

    @property
    def subject_key(self) -> str:
        return f"{'decree' if self.reason == Reason.DECREE_EXPIRY else 'assignment'}:{self.subject_id}"

    @property
    def occasion(self) -> str:
        return f"{PREFIXES[self.reason]}:{self.day.isoformat()}:{self.number}"

    @property
    def assignment_id(self) -> int | None:
        return None if self.reason == Reason.DECREE_EXPIRY else self.subject_id

    @property
    def decree_id(self) -> int | None:
        return self.subject_id if self.reason == Reason.DECREE_EXPIRY else None


class ByOpd(Mapping):
    """The candidates of each OPD in the order found, kept as four numbers each in one array per OPD (a province
    plans some 50,000 at once: 1.5 MB so, 12 MB as objects with their strings). Reads as {opd id: [Candidate]}."""

    def __init__(self) -> None:
        self._numbers: dict[int, array] = {}

    def add(self, candidate: Candidate) -> None:
        numbers = self._numbers.setdefault(candidate.opd_id, array("q"))
        numbers.extend(
            (REASONS.index(candidate.reason), candidate.subject_id, candidate.day.toordinal(), candidate.number)
        )

    def count(self, opd_id: int) -> int:
        return len(self._numbers[opd_id]) // 4

    def __getitem__(self, opd_id: int) -> list[Candidate]:
        numbers = self._numbers[opd_id]
        return [
            Candidate(REASONS[numbers[i]], opd_id, numbers[i + 1], date.fromordinal(numbers[i + 2]), numbers[i + 3])
            for i in range(0, len(numbers), 4)
        ]

    def __iter__(self) -> Iterator[int]:
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)


class DueDates(Mapping):
    """{task id: its due date as ISO text}, kept as two arrays while the plan streams (a province's 34,000 overdue
    tasks: 0.5 MB so, 4 MB as a dict of strings) and made a dict when first read: webhooks.enqueue_overdue reads
    it only when an endpoint listens."""

    def __init__(self) -> None:
        self._ids, self._days = array("q"), array("q")
        self._read: dict[int, str] | None = None

    def add(self, task_id: int, due_date: date) -> None:
        self._ids.append(task_id)
        self._days.append(due_date.toordinal())

    def _dict(self) -> dict[int, str]:
        if self._read is None:
            self._read = {i: date.fromordinal(day).isoformat() for i, day in zip(self._ids, self._days, strict=True)}
        return self._read

    def __getitem__(self, task_id: int) -> str:
        return self._dict()[task_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(frozen=True, slots=True)
class Day:
    """One government's day as the planner sees it: its zone, its date, its policy and working days."""

    government_id: int
    zone: ZoneInfo
    today: date
    policy: policies.Policy
    workdays: WorkingDays
    send_at: datetime  # today's send time there, as a UTC moment

    @property
    def working_day(self) -> bool:
        return self.workdays.is_working_day(self.today)


@dataclass
class PlanResult:
    today: date  # the first government's date; each government's is in `days`
    working_day: bool  # for at least one government
    before_send_time: bool = False  # every government whose working day it is waits for its send time
    messages: int = 0
    items: int = 0
    by_opd: ByOpd = field(default_factory=ByOpd)
    days: dict[int, Day] = field(default_factory=dict)
    planned: frozenset[int] = frozenset()  # the governments planned in this run
    secretariat: int = 0  # secretariat digests planned (their content is chosen at send time)
    webhooks: int = 0  # assignment.overdue deliveries asked for (those already queued add nothing)


def _tightest(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The smallest threshold that `days_left` has reached (7, 3, 1, 0 → 2 days left gives 3)."""
    reached = [d for d in thresholds if 0 <= days_left <= d]
    return min(reached) if reached else None


def days_at(now: datetime) -> dict[int, Day]:
    """Every government's day at `now`: three queries (tree, policies, cuti bersama) whatever their number."""
    governments.default_government_id()  # a database without a government yet gets the first one
    every = policies.every()
    workdays = WorkingDays.of_each(every)
    days = {}
    for government_id, policy in every.items():
        zone = policies.zone_of(government_id)
        today = clock.to_local(now, zone).date()
        send_at = send_time_today(today, policy, zone)
        days[government_id] = Day(government_id, zone, today, policy, workdays[government_id], send_at)
    return days


def candidates(days: dict[int, Day]) -> Iterator[list[Candidate]]:
    """Every reminder occasion due today, planned or not, of the OPDs of these governments, each judged on its own
    government's date, policy and working days: in batches, those of up to ROWS_AT_A_TIME tasks at a time (a
    province's 60,000 open tasks are never all held), then the decrees'."""
    if not days:
        return
    ids = sorted(days)
    rows = db.session.execute(
        sa.select(
            Assignment.id,
            Assignment.opd_id,
            Assignment.status,
            Assignment.due_date,
            Assignment.assigned_at,
            Opd.government_id,
        )
        .join(Opd, Assignment.opd_id == Opd.id)
        .where(Assignment.status.in_(WITH_OPD), Opd.government_id.in_(ids))
        .execution_options(yield_per=ROWS_AT_A_TIME)
    )
    # (government, assigned on) → first unacknowledged reminder: one calendar walk per day and government
    first_reminder: dict[tuple[int, date], date] = {}
    for batch in rows.partitions():
        found = []
        for assignment_id, opd_id, status, due_date, assigned_at, government_id in batch:
            day = days[government_id]
            today, policy = day.today, day.policy
            if status == Status.ASSIGNED:
                assigned_on = assigned_at.astimezone(day.zone).date()
                walk = (government_id, assigned_on)
                if walk not in first_reminder:
                    first_reminder[walk] = day.workdays.add(assigned_on, policy.unacknowledged_after_working_days)
                first = first_reminder[walk]
                if today >= first:
                    week = 1 + (today - first).days // 7
                    found.append(Candidate(Reason.UNACKNOWLEDGED, opd_id, assignment_id, assigned_on, week))
            days_left = (due_date - today).days
            if days_left < 0:
                late = -days_left
                period = 1 + (late - 1) // policy.overdue_every_days
                escalated = late >= policy.escalate_after_days > 0
                # Crossing into escalation is an occasion of its own, even within an overdue week.
                reason = Reason.ESCALATION if escalated else Reason.OVERDUE
                found.append(Candidate(reason, opd_id, assignment_id, due_date, period))
            else:
                threshold = _tightest(days_left, policy.due_soon_days)
                if threshold is not None:
                    found.append(Candidate(Reason.DUE_SOON, opd_id, assignment_id, due_date, threshold))
        yield found
    decrees = db.session.execute(
        sa.select(Decree.id, Decree.lead_opd_id, Decree.valid_until, Opd.government_id)
        .join(Opd, Decree.lead_opd_id == Opd.id)
        .where(Decree.stage == DecreeStage.SIGNED, Decree.valid_until.is_not(None), Opd.government_id.in_(ids))
    )
    found = []
    for decree_id, opd_id, valid_until, government_id in decrees:
        day = days[government_id]
        threshold = _tightest((valid_until - day.today).days, day.policy.decree_expiry_days)
        if threshold is not None:
            found.append(Candidate(Reason.DECREE_EXPIRY, opd_id, decree_id, valid_until, threshold))
    yield found


def unplanned(found: list[Candidate]) -> list[Candidate]:
    """Those occasions that no earlier run has planned."""
    planned: set[tuple[str, str]] = set()
    for condition in in_batches(OutboxItem.subject_key, sorted({c.subject_key for c in found})):
        planned.update(
            db.session.execute(sa.select(OutboxItem.subject_key, OutboxItem.occasion).where(condition)).tuples()
        )
    return [c for c in found if (c.subject_key, c.occasion) not in planned]


def _found(due: dict[int, Day]) -> tuple[ByOpd, DueDates]:
    """Today's occasions not yet planned, by OPD, and the due dates of the tasks found overdue (planned or not, for
    the webhooks): each batch of candidates is judged "already planned" on its own, and dropped."""
    by_opd, overdue = ByOpd(), DueDates()
    for found in candidates(due):
        for candidate in found:
            if candidate.reason in (Reason.OVERDUE, Reason.ESCALATION):
                overdue.add(candidate.subject_id, candidate.day)
        for candidate in unplanned(found):
            by_opd.add(candidate)
    return by_opd, overdue


def resolve_recipient(opd: Opd) -> tuple[str | None, int | None]:
    """The OPD's recipient now (accounts.reach), as an address and a user id for an outbox row."""
    address, user = reach.recipient(opd)
    return address, user.id if user is not None else None


def send_time_today(today: date, policy: policies.Policy, zone: ZoneInfo | None = None) -> datetime:
    return clock.from_local(datetime.combine(today, policy.send_time), zone)


def plan(now: datetime | None = None, *, dry_run: bool = False) -> PlanResult:
    """Plan today's digests as of `now` (the clock's time unless given); commits unless dry_run. Each OPD is planned
    on its own government's day: at or after its send time there, on its working days (a dry run ignores the send
    time). The queries are the same few whatever the number of governments."""
    now = now or clock.now()
    days = days_at(now)
    first = days[min(days)]
    working = {gid: day for gid, day in days.items() if day.working_day}
    due = {gid: day for gid, day in working.items() if dry_run or now >= day.send_at}
    result = PlanResult(today=first.today, working_day=bool(working), days=days, planned=frozenset(due))
    if not working:
        return result
    if not due:
        result.before_send_time = True
        return result
    result.by_opd, overdue = _found(due)
    by_opd = result.by_opd
    if dry_run:
        db.session.rollback()
        return result
    opds = {}
    if by_opd:
        query = sa.select(Opd).where(Opd.id.in_(list(by_opd))).options(so.joinedload(Opd.head))
        opds = {o.id: o for o in db.session.scalars(query)}
    groups: dict[str, list[int]] = defaultdict(list)  # whose digest → the OPDs it covers
    heads: dict[str, tuple[str | None, int | None]] = {}
    recipients = {opd_id: resolve_recipient(opds[opd_id]) for opd_id in sorted(by_opd)}
    for opd_id, (recipient, user_id) in _as_persons(recipients).items():
        opd = opds[opd_id]
        whose = digest_of(opd.government_id, recipient, user_id, opd_id)
        groups[whose].append(opd_id)
        heads[whose] = (recipient, user_id)
    day_of = {whose: due[opds[opd_ids[0]].government_id] for whose, opd_ids in groups.items()}
    keys = {whose: f"{whose}:{day_of[whose].today.isoformat()}" for whose in groups}
    messages = []
    for whose, key in keys.items():
        recipient, user_id = heads[whose]
        messages.append(
            outbox.new_row(
                key,
                MailKind.DIGEST,
                recipient,
                now=now,
                local_date=day_of[whose].today,
                opd_id=_home_opd(groups[whose], opds),
                government_id=day_of[whose].government_id,
                recipient_user_id=user_id,
                next_attempt_at=max(now, day_of[whose].send_at),
            )
        )
    insert_or_ignore(OutboxMessage, messages, ["dedup_key"])
    todays = _waiting(keys)
    _supersede(todays, {whose: day.today for whose, day in day_of.items()})
    written = [(todays[whose], opd_ids) for whose, opd_ids in groups.items() if whose in todays]
    # (A digest not waiting any more is being sent or went already: its OPDs' items wait for tomorrow's.)
    result.messages = len(written)
    result.items = sum(by_opd.count(opd_id) for _message_id, opd_ids in written for opd_id in opd_ids)
    items = (
        dict(
            message_id=message_id,
            subject_key=c.subject_key,
            occasion=c.occasion,
            reason=c.reason,
            assignment_id=c.assignment_id,
            decree_id=c.decree_id,
        )
        for message_id, opd_ids in written
        for opd_id in opd_ids
        for c in by_opd[opd_id]
    )
    bulk_insert_or_ignore(OutboxItem, items, ["subject_key", "occasion"])  # streamed: never all held
    result.secretariat = _plan_secretariat(due, days, now)
    # A task found overdue is an `assignment.overdue` webhook, once per task and due date (not per overdue week).
    result.webhooks = webhooks.enqueue_overdue(overdue, now)
    db.session.commit()
    return result


def digest_of(government_id: int, address: str | None, user_id: int | None, opd_id: int | None) -> str:
    """Whose daily digest an OPD's reminders join, as the start of its dedup key: the person who hears for the OPD
    (a head of two OPDs, Plt. included, gets one digest), else the address (two OPDs sharing one inbox get one),
    else the OPD itself (nobody to write to: its row fails visibly in the delivery log, as before).

    A digest stays within one government: a person heading OPDs of two governments (rare) gets one from each. Each
    is on its government's day, send time and working days, signed by its secretariat, and the delivery log keeps
    scoping rows by their government, so each secretariat still sees its own OPDs' mail and nothing of the other's.
    """
    if user_id is not None:
        whose = f"user:{user_id}"
    elif address:
        whose = f"addr:{hashlib.sha256(address.lower().encode()).hexdigest()[:16]}"
    else:
        whose = f"opd:{opd_id}"
    return f"digest:{government_id}:{whose}"


def _as_persons(recipients: dict[int, tuple[str | None, int | None]]) -> dict[int, tuple[str | None, int | None]]:
    """The OPDs' recipients, an official inbox that is the address of a head written to in this run counted as that
    head (a kepala whose own address is also the inbox of an OPD without a head): one person, one digest."""
    person = {address: user_id for address, user_id in recipients.values() if address and user_id is not None}
    return {
        opd_id: (address, user_id if user_id is not None else person.get(address))
        for opd_id, (address, user_id) in recipients.items()
    }


def _home_opd(opd_ids: list[int], opds: dict[int, Opd]) -> int:
    """The OPD a digest covering several is filed under (its row's opd_id): its head's own OPD when it is one of
    them (a Plt. head's definitive post), else the first. The send-time check starts from it."""
    head = next((opds[opd_id].head for opd_id in opd_ids if opds[opd_id].head is not None), None)
    if head is not None and head.opd_id in opd_ids:
        return head.opd_id
    return opd_ids[0]


def _waiting(keys: dict[str, str]) -> dict[str, int]:
    """Today's digests that no sender holds, locked until this run commits: {whose: row id}. A dispatcher's
    claim skips locked rows (SKIP LOCKED), and a row it claimed before is not pending any more, so no item is ever
    added to a digest that is being sent. (On SQLite this run holds the only write lock since its INSERT.)"""
    whose_of = {key: whose for whose, key in keys.items()}
    todays = {}
    for condition in in_batches(OutboxMessage.dedup_key, list(keys.values())):
        waiting = (
            sa.select(OutboxMessage.dedup_key, OutboxMessage.id)
            .where(condition, OutboxMessage.status == MailStatus.PENDING, OutboxMessage.lease_token.is_(None))
            .order_by(OutboxMessage.id)  # one locking order for concurrent planners
            .with_for_update()
        )
        todays.update({whose_of[key]: row_id for key, row_id in db.session.execute(waiting).tuples()})
    return todays


def _supersede(todays: dict[str, int], today_of: dict[str, date]) -> None:
    """Cancel the older digests of these recipients that still wait (a worker down since then), moving their items
    into today's: one digest goes out, never a stale one beside it. Rows a sender holds are left to it. Each
    recipient's "today" is its government's; the governments are taken by date (as many as there are time zones)."""
    if not todays:
        return
    by_date: dict[date, set[int]] = defaultdict(set)
    for whose in todays:
        by_date[today_of[whose]].add(int(whose.split(":")[1]))
    older: dict[int, int] = {}
    for today, government_ids in sorted(by_date.items()):
        for row_id, whose in _stale(sorted(government_ids), today).items():
            if whose in todays:
                older[row_id] = todays[whose]
    if not older:
        return
    cancelled = outbox.move(
        OutboxMessage.id.in_(list(older)), MailStatus.CANCELLED, cancel_reason=CancelReason.SUPERSEDED
    )
    items = OutboxItem.__table__
    db.session.execute(
        sa.update(items).where(items.c.message_id == sa.bindparam("old")).values(message_id=sa.bindparam("new")),
        [{"old": row_id, "new": older[row_id]} for row_id in cancelled],
    )


def _stale(government_ids: list[int], today: date) -> dict[int, str]:
    """The digests of these governments from before `today` that still wait, locked: {row id: whose}. Whose a row
    is comes from its recipient columns, so that rows planned one per OPD before digests were per person are
    superseded as well."""
    stale = (
        sa.select(
            OutboxMessage.id,
            OutboxMessage.government_id,
            OutboxMessage.recipient,
            OutboxMessage.recipient_user_id,
            OutboxMessage.opd_id,
        )
        .where(
            OutboxMessage.government_id.in_(government_ids),
            OutboxMessage.kind == MailKind.DIGEST,
            OutboxMessage.local_date < today,
            OutboxMessage.status == MailStatus.PENDING,
            OutboxMessage.lease_token.is_(None),
        )
        .order_by(OutboxMessage.id)
        .with_for_update()
    )
    return {
        row_id: digest_of(government_id, recipient, user_id, opd_id)
        for row_id, government_id, recipient, user_id, opd_id in db.session.execute(stale)
    }


def _plan_secretariat(due: dict[int, Day], days: dict[int, Day], now: datetime) -> int:
    """Today's digest for each active secretariat officer of these governments that has something waiting on it,
    on its government's day and send time. Its content is the state at send time (notifications.secretariat), so
    the row carries no items. A second run adds nothing (the key), and a missed day loses nothing: the next day's
    says what is still open. An older one still waiting (a worker down since) is cancelled, as today's says the
    same and newer."""
    waiting = secretariat.waiting_on(
        {gid: day.today for gid, day in due.items()}, lambda gid: days[gid].policy, whether=True
    )
    busy = sorted(gid for gid, found in waiting.items() if any(found.values()))
    if not busy:
        return 0
    officers = db.session.execute(
        sa.select(User.id, User.government_id, User.email).where(
            User.role == Role.SECRETARIAT, User.active, User.government_id.in_(busy)
        )
    ).all()
    if not officers:
        return 0
    keys = {user_id: f"secretariat:{user_id}:{due[gid].today.isoformat()}" for user_id, gid, _ in officers}
    rows = [
        outbox.new_row(
            keys[user_id],
            MailKind.SECRETARIAT_DIGEST,
            email,
            now=now,
            local_date=due[government_id].today,
            government_id=government_id,
            recipient_user_id=user_id,
            next_attempt_at=max(now, due[government_id].send_at),
        )
        for user_id, government_id, email in officers
    ]
    insert_or_ignore(OutboxMessage, rows, ["dedup_key"])
    for condition in in_batches(OutboxMessage.recipient_user_id, sorted(keys)):
        outbox.move(
            sa.and_(
                condition,
                OutboxMessage.kind == MailKind.SECRETARIAT_DIGEST,
                OutboxMessage.dedup_key.not_in(list(keys.values())),
                OutboxMessage.status == MailStatus.PENDING,
                OutboxMessage.lease_token.is_(None),
            ),
            MailStatus.CANCELLED,
            cancel_reason=CancelReason.SUPERSEDED,
        )
    return len(rows)


def next_run_time(now: datetime, government_ids: frozenset[int] | None = None) -> datetime:
    """When reminders next go out for these governments (None: any): of each, today's send time if still ahead on a
    working day, else its next working day's; the earliest of them."""
    moments = []
    for day in days_at(now).values():
        if government_ids is not None and day.government_id not in government_ids:
            continue
        if day.working_day and now < day.send_at:
            moments.append(day.send_at)
        else:
            moments.append(send_time_today(day.workdays.add(day.today, 1), day.policy, day.zone))
    return min(moments, default=now)
