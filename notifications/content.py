"""What an outbox row says at send time: its items checked again, its recipient chosen again, its body rendered.

A task acknowledged or finished since planning drops out; a row with nothing left is cancelled.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import force_locale, get_translations
from flask_babel import lazy_gettext as _l

from accounts import governments, reach
from accounts import services as accounts
from accounts.models import Opd, User
from actions.models import (
    OPEN,
    STATUS_LABELS,
    WITH_OPD,
    Action,
    Assignment,
    AssignmentEvent,
    Decree,
    DecreeStage,
    Status,
)
from core import clock
from core.db import in_batches
from core.extensions import db
from core.formatting import long_date
from core.permissions import Role
from core.views import absolute_url
from forum.models import Forum, Recommendation
from notifications import decisions, links
from notifications import policy as policies
from notifications.decisions import Decision
from notifications.mailer import Rendered, render
from notifications.models import MailError, MailKind, MailStatus, OutboxItem, OutboxMessage, Reason

# A digest stays readable on a phone: beyond this many tasks it gives the count and a link to "My tasks".
LISTED_PER_DIGEST = 25
# The order of the groups in a digest.
GROUPS = [Reason.ESCALATION, Reason.OVERDUE, Reason.DUE_SOON, Reason.UNACKNOWLEDGED, Reason.DECREE_EXPIRY]
GROUP_LABELS = {
    Reason.NEW_TASK: _l("New task"),
    Reason.ESCALATION: _l("Overdue for more than %(days)d days (escalated)"),
    Reason.OVERDUE: _l("Overdue"),
    Reason.DUE_SOON: _l("Due soon"),
    Reason.UNACKNOWLEDGED: _l("Not yet acknowledged"),
    Reason.DECREE_EXPIRY: _l("Decrees nearing the end of their validity"),
}
# A task's one line in a digest names its other reasons after its most urgent one, in these words.
URGENCY = [Reason.NEW_TASK, *GROUPS]
ALSO_LABELS = {
    Reason.ESCALATION: _l("escalated"),
    Reason.OVERDUE: _l("overdue"),
    Reason.DUE_SOON: _l("due soon"),
    Reason.UNACKNOWLEDGED: _l("not yet acknowledged"),
    Reason.DECREE_EXPIRY: _l("decree nearing the end of its validity"),
}


# Items carried over from a superseded digest may say what a newer item of the same task says better ("due in 3
# days", then "overdue"): of one task's items in one family, only the newest planned is said.
FAMILIES = {Reason.DUE_SOON: "deadline", Reason.OVERDUE: "deadline", Reason.ESCALATION: "deadline"}


def _family(item: "Item") -> tuple:
    """What an item says about its task, as one key: a deadline item of any kind, or its own reason."""
    return item.subject_key, FAMILIES.get(item.reason, item.reason)


class NothingToSay(Exception):
    """Every item of the row was settled before it could be sent."""


class NoRecipient(Exception):
    """The OPD has no active head and no official inbox (`params` names it for the delivery log)."""

    def __init__(self, **params):
        super().__init__(MailError.NO_RECIPIENT.value)
        self.params = params


@dataclass
class Prepared:
    to: list[str]
    cc: list[str]
    rendered: Rendered
    # What send time found of the row's items ({"id", "dropped"} or {"id", "state"}): written for a whole claim at
    # once (`write_items`), and only for the emails that were made.
    found: list[dict] = field(default_factory=list)


@dataclass(slots=True)
class Item:
    """One item of a digest and the state now of its task (or decree), read as one row: a digest of a hundred
    items is a hundred rows, not five hundred ORM objects."""

    id: int
    message_id: int
    subject_key: str
    reason: Reason
    assignment_id: int | None
    decree_id: int | None
    opd_id: int | None  # the task's OPD now, or the decree's lead
    title: str  # the action's title, or the decree's subject
    status: Status | None = None
    due_date: date | None = None
    forum: str | None = None
    giver_id: int | None = None  # the government whose forum gave the task
    stage: DecreeStage | None = None
    number: str | None = None
    valid_until: date | None = None
    decree_action_id: int | None = None

    def days_late(self, today: date) -> int:
        """As Assignment.days_late."""
        return max((today - self.due_date).days, 0) if self.status in WITH_OPD else 0


def still_worth_saying(item: Item, today) -> bool:
    """Whether an item should still be in the email, judged on the task's state now. (A task moved to another OPD
    since planning is not judged here: `_whom` gives it back to the planner, for whoever hears for that OPD.)"""
    if item.decree_id is not None:
        return item.stage == DecreeStage.SIGNED and item.valid_until is not None and item.valid_until >= today
    if item.status is None or item.status not in OPEN:
        return False
    if item.reason == Reason.UNACKNOWLEDGED:
        return item.status == Status.ASSIGNED
    if item.reason in (Reason.OVERDUE, Reason.ESCALATION):
        return item.status in WITH_OPD and item.due_date < today
    if item.reason == Reason.DUE_SOON:
        return item.status in WITH_OPD
    return True


def load_items(message_ids: list[int]) -> dict[int, list[Item]]:
    """The items of these outbox rows with their tasks' state now, in id order: one query for a whole claim."""
    task_action = so.aliased(Action)
    found: dict[int, list[Item]] = {message_id: [] for message_id in message_ids}
    if not message_ids:
        return found
    query = (
        sa.select(
            OutboxItem.id,
            OutboxItem.message_id,
            OutboxItem.subject_key,
            OutboxItem.reason,
            OutboxItem.assignment_id,
            OutboxItem.decree_id,
            sa.func.coalesce(Decree.lead_opd_id, Assignment.opd_id),
            sa.func.coalesce(Decree.subject, task_action.title),
            Assignment.status,
            Assignment.due_date,
            Forum.title,
            Forum.government_id,
            Decree.stage,
            Decree.number,
            Decree.valid_until,
            Decree.action_id,
        )
        .outerjoin(Assignment, OutboxItem.assignment_id == Assignment.id)
        .outerjoin(task_action, Assignment.action_id == task_action.id)
        .outerjoin(Recommendation, task_action.recommendation_id == Recommendation.id)
        .outerjoin(Forum, Recommendation.forum_id == Forum.id)
        .outerjoin(Decree, OutboxItem.decree_id == Decree.id)
        .order_by(OutboxItem.id)
    )
    for condition in in_batches(OutboxItem.message_id, sorted(message_ids)):
        for values in db.session.execute(query.where(condition)).tuples():
            item = Item(*values)
            if item.decree_id is None and item.assignment_id is None:
                continue  # its task was deleted since (the foreign key cascades; a race with the delete)
            found[item.message_id].append(item)
    return found


def load_opds(opd_ids) -> dict[int, Opd]:
    """These OPDs with their heads, in one query (reach.recipient reads the head)."""
    query = sa.select(Opd).where(Opd.id.in_(sorted(set(opd_ids)))).options(so.joinedload(Opd.head))
    return {opd.id: opd for opd in db.session.scalars(query)}


# What send time found of each item, as one statement: on PostgreSQL an executemany of a hundred UPDATEs cost the
# driver more than the rest of the digest.
_ITEMS_FOUND = sa.text(
    "UPDATE outbox_items AS item"
    " SET dropped = coalesce(found.dropped, item.dropped), state = coalesce(found.state, item.state)"
    " FROM json_to_recordset(CAST(:found AS json)) AS found(id integer, dropped boolean, state json)"
    " WHERE item.id = found.id"
)


def write_items(found: list[dict]) -> None:
    """Mark the dropped items, and keep the state at send time of the others: one statement on PostgreSQL for a
    whole claim."""
    if not found:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_ITEMS_FOUND, {"found": json.dumps(found)})
        return
    for key in ("dropped", "state"):  # one executemany per kind of change, not an ORM flush of dirty objects
        changes = [change for change in found if key in change]
        if changes:
            db.session.execute(sa.update(OutboxItem), changes)


def _recipient(row: OutboxMessage) -> tuple[str, User | None]:
    """The address of an email for no OPD (a test email), and the user it belongs to, if any."""
    if not row.recipient:
        raise NoRecipient()
    user = db.session.scalar(sa.select(User).where(User.email == row.recipient))
    return row.recipient, user


def _test_mail(row: OutboxMessage, now: datetime) -> Prepared:
    to, user = _recipient(row)
    rendered = render("test", user.locale if user is not None else "id", recipient=to, now=now)
    row.recipient, row.subject = to, rendered.subject
    return Prepared([to], [], rendered)


def _welcome(row: OutboxMessage, now: datetime) -> Prepared:
    """The "set your password" email: the link is made now, so it is fresh and bound to the password as it is."""
    user = db.session.get(User, row.recipient_user_id) if row.recipient_user_id else None
    if user is None or not user.active:
        raise NothingToSay()
    url = absolute_url("accounts.set_password", token=accounts.password_link_token(user))
    rendered = render("welcome", user.locale, user=user, url=url, hours=int(accounts.password_link_hours()))
    row.recipient, row.subject = user.email, rendered.subject
    return Prepared([user.email], [], rendered)


# An id no row has, replaced in a URL pattern by each row's.
_PLACEHOLDER = 987654321987


@dataclass
class Book:
    """What a dispatch run reads once, not once per email: each government's policy and the addresses of its
    active secretariat officers."""

    policies: dict[int, policies.Policy]
    secretariat: dict[int, list[str]]
    urls: dict[str, str] = field(default_factory=dict)  # endpoint → its absolute URL with "{}" for the id
    items: dict[int, list[Item]] = field(default_factory=dict)  # read ahead for the rows of a claim
    opds: dict[int, Opd] = field(default_factory=dict)
    labels: dict[str, dict] = field(default_factory=dict)  # locale → the words of `labels_in`

    def labels_in(self, locale: str) -> dict:
        """The status, group and "also" words of a digest in this language, looked up once per run, not once for
        each item of each email."""
        if locale not in self.labels:
            with force_locale(locale):
                self.labels[locale] = {
                    "status": {status: str(label) for status, label in STATUS_LABELS.items()},
                    "group": {reason: str(label) for reason, label in GROUP_LABELS.items()},
                    "also": {reason: str(label) for reason, label in ALSO_LABELS.items()},
                    "translations": get_translations(),
                }
        return self.labels[locale]

    def read_ahead(self, rows: list[OutboxMessage]) -> None:
        """Read the items of these rows, and every OPD they name, in two queries for all of them."""
        self.items = load_items([row.id for row in rows if row.kind not in ONE_OFF])
        named = {item.opd_id for items in self.items.values() for item in items}
        self.opds = load_opds(named | {row.opd_id for row in rows if row.opd_id is not None})

    def items_of(self, row: OutboxMessage) -> list[Item]:
        found = self.items.pop(row.id, None)
        return found if found is not None else load_items([row.id])[row.id]

    def opd(self, opd_id: int | None) -> Opd | None:
        if opd_id is None:
            return None
        if opd_id not in self.opds:
            self.opds[opd_id] = db.session.get(Opd, opd_id)
        return self.opds[opd_id]

    def url(self, endpoint: str, name: str, value: int | str) -> str:
        """absolute_url(endpoint, name=value) from a pattern built once per run: url_for costs more than an item."""
        if endpoint not in self.urls:
            self.urls[endpoint] = absolute_url(endpoint, **{name: _PLACEHOLDER}).replace(str(_PLACEHOLDER), "{}")
        return self.urls[endpoint].format(value)

    def policy(self, government_id: int | None) -> policies.Policy:
        found = self.policies.get(government_id)
        if found is None:  # a row of no government is the first one's; with none yet, the defaults
            found = self.policies[min(self.policies)] if self.policies else policies.instance_defaults()
        return found

    def escalation_copies(self, assigning: set[int], government_id: int | None) -> list[str]:
        """Who is copied on an escalation: the secretariat of each government that assigned the escalated tasks
        (their forums' owners), and the escalation address of the OPD's own government."""
        found = [address for owner in sorted(assigning) for address in self.secretariat.get(owner, [])]
        extra = self.policy(government_id).escalation_email
        return found + ([extra] if extra else [])


def book() -> Book:
    """Two queries whatever the number of governments."""
    secretariat: dict[int, list[str]] = {}
    rows = db.session.execute(
        sa.select(User.government_id, User.email)
        .where(User.role == Role.SECRETARIAT, User.active)
        .order_by(User.government_id, User.email)
    )
    for government_id, email in rows:
        secretariat.setdefault(government_id, []).append(email)
    return Book(policies.every(), secretariat)


class View(dict):
    """What the templates show of an item: a dict whose keys are read as attributes too. Jinja reads `item.title`
    as an attribute first, and on a plain dict that fails, with an exception, before it tries the key: a digest
    reads some 600 of them."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _item_view(item: Item, opd: Opd, today, labels: dict) -> View:
    """What the template shows of one item, also kept on the item as the state at send time."""
    if item.decree_id is not None:
        return View(
            title=item.title,
            number=item.number,
            valid_until=item.valid_until,
            days_left=(item.valid_until - today).days,
        )
    return View(
        title=item.title,
        forum=item.forum,
        opd=opd.code,
        due_date=item.due_date,
        days_late=item.days_late(today),
        days_left=(item.due_date - today).days,
        status=item.status.value,
        status_label=labels["status"][item.status],
    )


def _add_links(view: dict, item: Item, opd: Opd, head: User | None, book: Book) -> dict:
    """The item's page, and for an unacknowledged task of an OPD the recipient heads now (a Plt. head's too) the
    one-click acknowledgement.
    Only for the items the email lists: signing a token costs more than the rest of an item."""
    if item.decree_id is not None:
        view["url"] = book.url("actions.decree_view", "action_id", item.decree_action_id)
        return view
    view["url"] = book.url("actions.assignment_view", "assignment_id", item.assignment_id)
    view["acknowledge_url"] = None
    if item.status == Status.ASSIGNED and head is not None and opd.head_id == head.id:
        token = links.acknowledge_token(item.assignment_id, head.id, opd.id)  # URL-safe: put in as it is
        view["acknowledge_url"] = book.url("notifications.acknowledge_link", "token", token)
    return view


def _add_words(view: dict, labels: dict) -> dict:
    """The dates and day counts a listed item says, in the reader's language (within its `force_locale`): made once
    here for both parts of the email, which only place them, not by a filter and an ngettext in each part."""
    translations = labels["translations"]

    def left(num: int) -> str:
        return translations.ngettext("%(num)d day left", "%(num)d days left", num) % {"num": num}

    if "valid_until" in view:  # a decree
        view["valid_said"] = long_date(view["valid_until"])
        view["left_said"] = left(view["days_left"])
        return view
    days_late, days_left = view["days_late"], view["days_left"]
    view["due_said"] = long_date(view["due_date"])
    view["late_said"] = (
        translations.ngettext("%(num)d day late", "%(num)d days late", days_late) % {"num": days_late}
        if days_late
        else ""
    )
    if days_left == 0:
        view["left_said"] = translations.gettext("due today")
    else:
        view["left_said"] = left(days_left) if days_left > 0 else ""
    return view


# What of an item's view is the email's words and links, not its task's state.
_NOT_STATE = frozenset(("url", "acknowledge_url", "status_label", "also", "opd_label"))


def _snapshot(view: dict) -> dict:
    """The item's state at send time, as JSON values: text, its dates in ISO form (a view holds dates, never
    datetimes, and `str` of a date is its ISO form)."""
    return {key: None if value is None else str(value) for key, value in view.items() if key not in _NOT_STATE}


def _signed_by(row: OutboxMessage, groups: dict, opd: Opd) -> str:
    """The government whose secretariat signs the email: for a new task the one that gave it (the forum's owner,
    which may be a province writing to a kabupaten's OPD), for a digest the OPD's own."""
    government_id = opd.government_id
    if row.kind == MailKind.NEW_TASK and groups.get(Reason.NEW_TASK):
        government_id = groups[Reason.NEW_TASK][0][1].giver_id
    return _government_name(government_id)


def _government_name(government_id: int | None) -> str:
    found = governments.node(government_id)
    return found.name if found is not None else current_app.config["KAWAL_PEMDA_NAME"]


def _inbox_copy(opd: Opd, to: str) -> list[str]:
    """The OPD's official inbox is copied on what goes to its head, as on a new task."""
    return [opd.email] if opd.email and opd.email != to else []


def _said(decision: Decision, event: AssignmentEvent) -> str:
    """The sentence that says the decision, in the current locale (dates and the OPD that now holds the task)."""
    params = {}
    if decision == Decision.DUE_DATE:
        old, new = decisions.moved_dates(event) or (None, None)
        params = {"old": long_date(_a_date(old)), "new": long_date(_a_date(new))}
    elif decision == Decision.REASSIGNED:
        data = event.data or {}
        holder = db.session.get(Opd, data["to_opd_id"]) if data.get("to_opd_id") else None
        params = {"opd": f"{holder.code} ({holder.name})" if holder is not None else data.get("to", "")}
    return str(decisions.SAID[decision]) % params if params else str(decisions.SAID[decision])


def _a_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _due_date_said(decision: Decision, event: AssignmentEvent, assignment: Assignment) -> date:
    """The due date an email gives its task: the one a moved due date set (the task may have moved again since,
    and that move has its own email), else the task's own now."""
    moved = decisions.moved_dates(event) if decision == Decision.DUE_DATE else None
    return _a_date(moved[1]) if moved and moved[1] else assignment.due_date


def _told(assignment_id: int, opd_id: int) -> bool:
    """Whether the OPD has heard of the task: an email that carried it went to the OPD (filed under it, or to its
    head, whose one digest may be filed under another OPD it heads), or someone of the OPD, or its head, acted on it
    (an outage may hold the new-task email back while a Plt. head works on the task from "Tugas saya"). A task
    given and cancelled (or moved to another OPD) before its new-task email went is news to nobody: that email is
    cancelled, and so is the decision's."""
    head_id = sa.select(Opd.head_id).where(Opd.id == opd_id).scalar_subquery()
    sent = (
        sa.select(OutboxItem.id)
        .join(OutboxMessage, OutboxItem.message_id == OutboxMessage.id)
        .where(
            OutboxItem.assignment_id == assignment_id,
            OutboxItem.dropped.is_(False),
            sa.or_(OutboxMessage.opd_id == opd_id, OutboxMessage.recipient_user_id == head_id),
            OutboxMessage.status == MailStatus.SENT,
        )
    )
    acted = (  # by one of its people, or its head (a Plt.'s own post is another OPD)
        sa.select(AssignmentEvent.id)
        .join(User, AssignmentEvent.actor_id == User.id)
        .where(AssignmentEvent.assignment_id == assignment_id, sa.or_(User.opd_id == opd_id, User.id == head_id))
    )
    return bool(db.session.scalar(sa.select(sa.or_(sa.exists(sent), sa.exists(acted)))))


def _decision(row: OutboxMessage, now: datetime) -> Prepared:
    """A decision on a task, said from the history row it names, in the reader's language and signed by the
    government that gave the task. The task may be finished by now (accepted, cancelled): it is said all the same."""
    item = db.session.scalar(sa.select(OutboxItem).where(OutboxItem.message_id == row.id).limit(1))
    event_id = decisions.event_id_of(item.occasion) if item is not None else None
    event = db.session.get(AssignmentEvent, event_id) if event_id is not None else None
    decision = decisions.decision_of(event) if event is not None else None
    if decision is None or not _told(event.assignment_id, row.opd_id):  # deleted; or news of a task never heard of
        raise NothingToSay()
    opd = db.session.get(Opd, row.opd_id)
    to, user = reach.recipient(opd)  # whoever hears for the OPD now
    if to is None:
        raise NoRecipient(code=opd.code)
    locale = user.locale if user is not None else "id"
    assignment = event.assignment
    forum = assignment.action.recommendation.forum
    with force_locale(locale):
        said = _said(decision, event)
    rendered = render(
        "decision",
        locale,
        pemda_name=_government_name(forum.government_id),
        opd=opd,
        head=user,
        heads_of=_heads_of([opd], user),
        headline=decisions.HEADLINES[decision],
        said=said,
        note=event.note,
        note_heading=decisions.NOTE_HEADINGS[decision],
        ask=decisions.ASKS.get(decision),
        task={
            "title": assignment.action.title,
            "forum": forum.title,
            "due_date": _due_date_said(decision, event, assignment),
            "url": absolute_url("actions.assignment_view", assignment_id=assignment.id),
        },
        tasks_url=absolute_url("actions.my_tasks"),
    )
    item.state = {"decision": decision.value, "status": assignment.status.value}
    cc = _inbox_copy(opd, to)
    row.recipient, row.recipient_user_id, row.cc, row.subject = to, user.id if user else None, cc, rendered.subject
    return Prepared([to], cc, rendered)


# Emails that say one thing to one person, and carry no list of tasks.
ONE_OFF = {MailKind.TEST: _test_mail, MailKind.WELCOME: _welcome, MailKind.DECISION: _decision}


def _opd_of(item: Item, row: OutboxMessage, book: Book) -> Opd:
    """The OPD an item is for now: its task's (which may have moved since), or its decree's lead."""
    opd = book.opd(item.opd_id)
    return opd if opd is not None else book.opd(row.opd_id)


def _whom(row: OutboxMessage, items: list[Item], book: Book) -> tuple[str, User | None, list[Opd]]:
    """Who the row goes to now, and the OPDs it still speaks for (the row's own first). Mail goes to whoever hears
    for each OPD now (accounts.reach): the recipient it was planned for while one of its OPDs is still theirs,
    else whoever hears for the OPD the row is filed under. Items of an OPD that someone else hears for now (a new
    head, a task moved to another OPD) are given back to the planner, deleted from the row in the commit that
    sends it: the planner's next run puts a reminder in that recipient's digest, and a moved task has its own new
    mail. So a task changing hands between planning and sending is neither lost nor said twice."""
    home = book.opd(row.opd_id)
    opds = {opd.id: opd for opd in (_opd_of(item, row, book) for item in items)} or {home.id: home}
    now_for = {opd_id: reach.recipient(opd) for opd_id, opd in (opds | {home.id: home}).items()}

    def who(opd_id: int):
        # By address: an OPD's inbox that is a head's own address is that head, as the planner counts it.
        return now_for[opd_id][0]  # None: nobody hears for it

    planned = row.recipient
    if planned is None or not any(who(opd_id) == planned for opd_id in opds):
        planned = who(home.id)
    # Nobody hears for the row's own OPD: its items fail visibly (the delivery log, the secretariat's digest), the
    # other OPDs' go back to the planner for their own recipients.
    keeps = (lambda opd_id: opd_id == home.id) if planned is None else (lambda opd_id: who(opd_id) == planned)
    gone = {item.id for item in items if not keeps(_opd_of(item, row, book).id)}
    if gone:
        db.session.execute(sa.delete(OutboxItem).where(OutboxItem.id.in_(sorted(gone))))
        items[:] = [item for item in items if item.id not in gone]
    if planned is None:
        raise NoRecipient(code=home.code)
    if gone and not items:
        raise NothingToSay()
    kept = {opd.id: opd for opd in (_opd_of(item, row, book) for item in items)} or {home.id: home}
    # The person behind the address, where one of the OPDs has them as its head (an inbox alone has none).
    address, user = next(
        (now_for[opd_id] for opd_id in kept if now_for[opd_id][1] is not None), now_for[next(iter(kept))]
    )
    return address, user, sorted(kept.values(), key=lambda opd: (opd.id != home.id, opd.code))


def _by_task(pairs: list[tuple[dict, Item]], labels: dict) -> dict[Reason, list[tuple[dict, Item]]]:
    """Each task once, in its most urgent group (GROUPS order), its other reasons said beside it: "due in 3 days"
    and "not yet acknowledged" are one line, not two."""
    tasks: dict[str, list[tuple[dict, Item]]] = {}
    for view, item in pairs:
        tasks.setdefault(item.subject_key, []).append((view, item))
    groups: dict[Reason, list[tuple[dict, Item]]] = {}
    for same in tasks.values():
        same.sort(key=lambda pair: URGENCY.index(pair[1].reason))
        view, item = same[0]
        others = dict.fromkeys(other.reason for _, other in same[1:] if other.reason != item.reason)
        view["also"] = [labels["also"][reason] for reason in others if reason in ALSO_LABELS]
        groups.setdefault(item.reason, []).append((view, item))
    return groups


def _opd_label(opd: Opd, head: User | None) -> str:
    """An OPD as a digest covering several names it: "(Plt.)" where its head's own post is another OPD."""
    if head is not None and accounts.is_acting_head(head, opd):
        return str(_l("%(name)s (acting head)", name=opd.name))
    return opd.name


def _heads_of(opds: list[Opd], head: User | None) -> list:
    """Whom an email greets by post: the head of each OPD it covers, "Plt." before those that are not the head's own
    post ("Kepala Dinas Kesehatan / Plt. Kepala DP3AP2KB", or "Plt. Kepala DP3AP2KB" alone); empty for the head of
    one OPD, their own, greeted as before."""
    if head is None or (len(opds) < 2 and not any(accounts.is_acting_head(head, opd) for opd in opds)):
        return []
    return [
        _l("Acting Head of %(opd)s", opd=opd.name)
        if accounts.is_acting_head(head, opd)
        else _l("Head of %(opd)s", opd=opd.name)
        for opd in opds
    ]


def _copies(opds: list[Opd], groups: dict, to: str, book: Book) -> list[str]:
    """Who is copied: each OPD's own inbox, as for one, and for escalated tasks the escalation copies."""
    cc = [each.email for each in opds if each.email]
    if Reason.ESCALATION in groups:
        assigning = {item.giver_id for _, item in groups[Reason.ESCALATION]}
        cc += book.escalation_copies(assigning, opds[0].government_id)
    return [address for address in dict.fromkeys(cc) if address != to]


def prepare(row: OutboxMessage, now: datetime, book: Book) -> Prepared:
    """Check the row's items against the tasks' state now, choose its recipients, and render it. A digest covers
    every OPD its recipient hears for, each task once; it lists the most urgent LISTED_PER_DIGEST tasks and counts
    the rest; every item's state is kept either way. Dates and the policy are those of the row's government."""
    if row.kind in ONE_OFF:
        return ONE_OFF[row.kind](row, now)
    policy = book.policy(row.government_id)
    today = clock.to_local(now, policies.zone_of(row.government_id)).date()
    items = book.items_of(row)
    to, user, opds = _whom(row, items, book)
    locale = user.locale if user is not None else "id"
    labels = book.labels_in(locale)
    pairs, dropped, states = [], [], []
    newest = {_family(item): item.id for item in items}  # items come in id order: the last one planned wins
    for item in items:
        if newest[_family(item)] != item.id or not still_worth_saying(item, today):
            dropped.append({"id": item.id, "dropped": True})
            continue
        view = _item_view(item, _opd_of(item, row, book), today, labels)
        states.append({"id": item.id, "state": _snapshot(view)})
        pairs.append((view, item))
    if not states:
        write_items(dropped)  # a row cancelled says why each item went
        raise NothingToSay()
    groups = _by_task(pairs, labels)
    if len(opds) > 1:
        with force_locale(locale):  # "(Plt.)" is a word of the reader's language
            opd_labels = {opd.id: _opd_label(opd, user) for opd in opds}
        for view, item in pairs:
            view["opd_label"] = opd_labels[_opd_of(item, row, book).id]
    for found in groups.values():
        found.sort(
            key=lambda pair: (-pair[0].get("days_late", 0), pair[0].get("due_date") or pair[0].get("valid_until"))
        )

    def shown(view: dict, item: Item) -> dict:
        return _add_words(_add_links(view, item, _opd_of(item, row, book), user, book), labels)

    listed, room = [], LISTED_PER_DIGEST
    with force_locale(locale):  # the listed items' dates in the reader's language
        for reason in GROUPS:
            if groups.get(reason) and room > 0:
                listed.append((reason, [shown(view, item) for view, item in groups[reason][:room]]))
                room -= len(listed[-1][1])
        new_tasks = [shown(view, item) for view, item in groups.get(Reason.NEW_TASK, [])]
    not_listed = sum(len(groups.get(reason, [])) for reason in GROUPS) - sum(len(views) for _, views in listed)
    opd = opds[0]
    cc = _copies(opds, groups, to, book)
    context = dict(
        pemda_name=_signed_by(row, groups, opd),
        opd=opd,
        opds=opds,
        head=user,
        heads_of=_heads_of(opds, user),
        groups=listed,
        not_listed=not_listed,
        new_tasks=new_tasks,
        group_labels=labels["group"],
        policy=policy,
        today=today,
        counts={reason: len(found) for reason, found in groups.items()},
        tasks_url=absolute_url("actions.my_tasks"),
    )
    rendered = render("new_task" if row.kind == MailKind.NEW_TASK else "digest", locale, **context)
    row.recipient, row.recipient_user_id, row.cc, row.subject = to, user.id if user else None, cc, rendered.subject
    return Prepared([to], cc, rendered, found=dropped + states)
