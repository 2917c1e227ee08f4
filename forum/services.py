"""Operations on series, forums, participants, minutes and recommendations."""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts import governments
from accounts.models import Opd
from core import audit, clock, data_version
from core.db import ids_fingerprint, max_length, text_fingerprint
from core.errors import Invalid, InvalidItems, InvalidTransition, NotFound
from core.extensions import db
from core.nip import check_nip
from core.permissions import (
    Actor,
    Permission,
    can,
    may_assign_to,
    require,
    require_works_for,
    sees,
    works_for,
)
from core.weblinks import web_link
from forum import attendance_import, events
from forum.models import (
    FORUM_STATUS_LABELS,
    PRESENT,
    Attendance,
    Forum,
    ForumStatus,
    Participant,
    Recommendation,
    Series,
    Theme,
)

FORUM_FIELDS = (
    "kind",
    "title",
    "series_id",
    "starts_at",
    "ends_at",
    "venue",
    "mode",
    "online_link",
    "platform",
    "organiser_opd_id",
    "host",
    "chair",
    "chair_position",
    "chair_nip",
    "minute_taker",
    "minute_taker_position",
    "minute_taker_nip",
    "agenda",
    "period_start",
    "period_end",
)
PARTICIPANT_FIELDS = ("name", "position", "opd_id", "institution", "category", "role", "attendance", "email", "phone")
RECOMMENDATION_FIELDS = ("text", "planning_ref")

# The one table of forum transitions. Re-opening a closed forum needs its own permission and is audited.
FORUM_TRANSITIONS: dict[ForumStatus, set[ForumStatus]] = {
    ForumStatus.SCHEDULED: {ForumStatus.HELD},
    ForumStatus.HELD: {ForumStatus.CLOSED, ForumStatus.SCHEDULED},
    ForumStatus.CLOSED: {ForumStatus.HELD},
}


def visible_forums(actor: Actor) -> sa.ColumnElement[bool]:
    """The one condition on forums an actor may see: its governments' own, those an OPD of theirs attended or
    organised, and
    those that concern them otherwise: app.py lists in `forum_concerns` what later packages add (the actions: a
    forum that gave a task to one of their OPDs), each a function of the reach that selects forum ids."""
    reach = governments.reach(actor)
    if reach is None:
        return sa.true()
    ids = sorted(reach)
    attended = sa.select(Participant.forum_id).join(Opd, Participant.opd_id == Opd.id).where(Opd.government_id.in_(ids))
    concerns = [Forum.id.in_(concern(reach)) for concern in current_app.extensions.get("forum_concerns", ())]
    organised = Forum.organiser_opd_id.in_(sa.select(Opd.id).where(Opd.government_id.in_(ids)))
    return sa.or_(Forum.government_id.in_(ids), Forum.id.in_(attended), organised, *concerns)


def visible_forum_ids(actor: Actor) -> sa.Select:
    """The ids of the forums an actor may see, for the queries of what hangs off a forum."""
    return sa.select(Forum.id).where(visible_forums(actor))


def may_edit(actor: Actor, forum: Forum) -> bool:
    """Whether the actor edits this forum: its participants, minutes, recommendations and follow-ups. Only the
    people of the government that owns it do (and the instance admin); a parent or an attending sibling reads."""
    return can(actor, Permission.EDIT_FORUMS) and works_for(actor, forum.government_id)


def assignable_governments(forum: Forum) -> frozenset[int]:
    """The governments whose OPDs may get this forum's follow-ups: the owner and every one under it."""
    return governments.below(forum.government_id)


def may_assign(forum: Forum, opd: Opd) -> bool:
    """Whether this OPD may get a follow-up of this forum (never upwards or sideways)."""
    return may_assign_to(assignable_governments(forum), opd.government_id)


def assignable_opds(forum: Forum) -> list[Opd]:
    """The active OPDs this forum's follow-ups may go to, by government (the owner's first) and code."""
    allowed = assignable_governments(forum)
    opds = db.session.scalars(sa.select(Opd).where(Opd.active, Opd.government_id.in_(sorted(allowed))))
    return sorted(opds, key=lambda opd: (opd.government_id != forum.government_id, opd.government_id, opd.code))


def filter_opds(actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the active OPDs of the governments an actor sees in full, by code: the OPD filter of the
    forum and follow-up lists. Another government's OPD is named with its government ("DINKES · Kab. Serang")."""
    reach = governments.reach(actor)
    query = sa.select(Opd.id, Opd.code, Opd.government_id).where(Opd.active).order_by(Opd.code, Opd.government_id)
    if reach is not None:
        query = query.where(Opd.government_id.in_(sorted(reach)))
    return [(row.id, governments.opd_name(row.code, row.government_id, actor)) for row in db.session.execute(query)]


def forum_governments(forum: Forum) -> frozenset[int]:
    """The governments a forum's attendance list is read against: its owner, those under it, and those whose
    OPDs already attend it."""
    attending = (
        sa.select(Opd.government_id)
        .select_from(Participant)
        .join(Opd, Participant.opd_id == Opd.id)
        .where(Participant.forum_id == forum.id)
        .distinct()
    )
    return assignable_governments(forum) | frozenset(db.session.scalars(attending))


def check_import(forum: Forum, table: list) -> list:
    """The rows of an attendance list as this forum would save them (attendance_import.check_rows)."""
    return attendance_import.check_rows(table, forum_governments(forum))


def without_listed_people(forum: Forum, table: list, rows: list) -> tuple[list, list, int]:
    """The table and its checked rows without the rows of people the forum already lists, or that a row above
    names again (attendance_import.already_listed); and how many were left out."""
    participants = db.session.scalars(sa.select(Participant).where(Participant.forum_id == forum.id))
    listed = attendance_import.already_listed(rows, list(participants))
    kept = [(entry, row) for entry, row, dropped in zip(table, rows, listed, strict=True) if not dropped]
    return [entry for entry, _ in kept], [row for _, row in kept], sum(listed)


def _scope(forum_id: int) -> str:
    return f"forum:{forum_id}"


def _strip(values: dict) -> dict:
    """Trim text values and turn blank ones into None."""
    cleaned = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        cleaned[name] = value
    return cleaned


# --- series --------------------------------------------------------------------------------------------


def visible_series(actor: Actor) -> sa.ColumnElement[bool]:
    """The series an actor may see: those of its governments, and those with a forum it may see."""
    reach = governments.reach(actor)
    if reach is None:
        return sa.true()
    forums = sa.select(Forum.series_id).where(Forum.series_id.is_not(None), visible_forums(actor))
    return sa.or_(Series.government_id.in_(sorted(reach)), Series.id.in_(forums))


def list_series(actor: Actor) -> list[tuple[Series, int]]:
    """Every series the actor may see, with the number of its forums the actor may see, newest first."""
    require(actor, Permission.READ)
    count = (
        sa.select(sa.func.count(Forum.id)).where(Forum.series_id == Series.id, visible_forums(actor)).scalar_subquery()
    )
    return list(
        db.session.execute(
            sa.select(Series, count).where(visible_series(actor)).order_by(Series.created_at.desc(), Series.id.desc())
        )
    )


def get_series(actor: Actor, series_id: int) -> Series:
    """A series the actor may see, or NotFound."""
    require(actor, Permission.READ)
    series = db.session.scalar(sa.select(Series).where(Series.id == series_id, visible_series(actor)))
    if series is None:
        raise NotFound(_l("No such series."))
    return series


def series_forums(actor: Actor, series_id: int) -> list[Forum]:
    """The forums of a series the actor may see, in the order they were held."""
    require(actor, Permission.READ)
    return list(
        db.session.scalars(
            sa.select(Forum)
            .where(Forum.series_id == series_id, visible_forums(actor))
            .order_by(Forum.starts_at, Forum.id)
        )
    )


def create_series(actor: Actor, *, title: str, description: str | None = None) -> Series:
    """Start a series of forums (a recurring meeting)."""
    require(actor, Permission.EDIT_FORUMS)
    values = _strip({"title": title, "description": description})
    series = Series(**values, government_id=governments.acting_government_id(actor))
    db.session.add(series)
    db.session.flush()
    audit.record(actor, "create", "series", series.id, scope=f"series:{series.id}", changes=audit.created(values))
    db.session.commit()
    return series


def update_series(actor: Actor, series_id: int, *, title: str, description: str | None = None) -> Series:
    """Change a series' title and description."""
    require(actor, Permission.EDIT_FORUMS)
    series = get_editable_series(actor, series_id)
    changes = audit.diff(series, _strip({"title": title, "description": description}))
    if changes:
        audit.record(actor, "update", "series", series.id, scope=f"series:{series.id}", changes=changes)
        db.session.commit()
    return series


def may_edit_series(actor: Actor, series: Series) -> bool:
    """Whether the actor edits the series and adds forums to it: the people of the government that started it."""
    return can(actor, Permission.EDIT_FORUMS) and works_for(actor, series.government_id)


def get_editable_series(actor: Actor, series_id: int) -> Series:
    """A series, for the people of the government that started it: NotFound if unseen, NotAllowed if another's."""
    require(actor, Permission.EDIT_FORUMS)
    series = get_series(actor, series_id)
    require_works_for(actor, series.government_id)
    return series


def all_series(actor: Actor) -> list[sa.Row]:
    """id and title of every series the actor may see, by title: the choices of a forum's series field and of
    filters. They depend on the reach alone, and are read again after a write (core.data_version): the visibility
    of forums behind them costs a scan of the reach's tasks."""
    return data_version.cached("series", governments.reach(actor), lambda: _series_choices(actor))


def _series_choices(actor: Actor) -> list[sa.Row]:
    query = sa.select(Series.id, Series.title, Series.government_id).where(visible_series(actor)).order_by(Series.title)
    return list(db.session.execute(query))


# --- forums --------------------------------------------------------------------------------------------


@dataclass
class ForumFilters:
    """What the forum list is narrowed to; every field is optional. The page offers the first six; the API also
    the series, the organising government, the days held and the last change (for synchronisation)."""

    kind: str | None = None
    status: str | None = None
    period_start: int | None = None
    period_end: int | None = None
    organiser_opd_id: int | None = None
    search: str | None = None
    series_id: int | None = None
    government_id: int | None = None
    held_from: date | None = None
    held_to: date | None = None
    updated_since: datetime | None = None

    @property
    def period(self) -> str | None:
        """The period as the list's filter names it: "2025-2029", or "2025"."""
        return "-".join(str(year) for year in (self.period_start, self.period_end) if year) or None


def forums_query(actor: Actor, filters: ForumFilters) -> sa.Select:
    """The forums an actor may see under the filters, newest first, with series and organiser loaded in the same
    query: the list page pages it, and so does the API."""
    require(actor, Permission.READ)
    query = (
        sa.select(Forum)
        .where(visible_forums(actor))
        .options(so.joinedload(Forum.series), so.joinedload(Forum.organiser))
        .order_by(Forum.starts_at.desc(), Forum.id.desc())
    )
    equal = {
        Forum.kind: filters.kind,
        Forum.status: filters.status,
        Forum.organiser_opd_id: filters.organiser_opd_id,
        Forum.period_start: filters.period_start,
        Forum.period_end: filters.period_end,
        Forum.series_id: filters.series_id,
        Forum.government_id: filters.government_id,
    }
    query = query.where(*(column == value for column, value in equal.items() if value))
    if filters.held_from:
        query = query.where(Forum.starts_at >= clock.start_of_local_day(filters.held_from))
    if filters.held_to:
        query = query.where(Forum.starts_at < clock.end_of_local_day(filters.held_to))
    if filters.updated_since:
        query = query.where(Forum.updated_at >= filters.updated_since)
    if filters.search:
        pattern = f"%{filters.search.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Forum.title).like(pattern),
                sa.func.lower(Forum.venue).like(pattern),
                sa.func.lower(Forum.host).like(pattern),
            )
        )
    return query


def list_forums(actor: Actor, filters: ForumFilters, *, page: int = 1, per_page: int = 20):
    """A page of forums, newest first (`forums_query`)."""
    return db.paginate(forums_query(actor, filters), page=page, per_page=per_page, error_out=False)


def planning_periods(actor: Actor) -> list[str]:
    """The planning periods that the forums an actor may see name, for the list's filter."""
    rows = db.session.execute(
        sa.select(Forum.period_start, Forum.period_end)
        .where(Forum.period_start.is_not(None), visible_forums(actor))
        .distinct()
        .order_by(Forum.period_start.desc())
    )
    return [f"{start}-{end}" if end else str(start) for start, end in rows]


def get_forum(actor: Actor, forum_id: int, *, full: bool = False) -> Forum:
    """A forum; with full=True its participants, recommendations and themes come in a fixed number of queries."""
    require(actor, Permission.READ)
    query = sa.select(Forum).where(Forum.id == forum_id)
    if full:
        query = query.options(
            so.joinedload(Forum.series),
            so.joinedload(Forum.organiser),
            so.selectinload(Forum.participants).joinedload(Participant.opd),
            so.selectinload(Forum.recommendations).selectinload(Recommendation.themes),
        )
    forum = db.session.scalar(query)
    if forum is None or not sees_forum(actor, forum):
        raise NotFound(_l("No such forum."))
    return forum


def sees_forum(actor: Actor, forum: Forum) -> bool:
    """Whether the actor may see this forum (visible_forums): one its reach owns without asking the database,
    whose plan of visible_forums' subqueries costs more than the forum's own row."""
    if sees(governments.reach(actor), forum.government_id):
        return True
    return bool(db.session.scalar(sa.select(sa.exists().where(Forum.id == forum.id, visible_forums(actor)))))


def create_forum(actor: Actor, *, government_id: int | None = None, **values) -> Forum:
    """Log a meeting of the actor's government (the instance admin and the system may name another); it starts as
    scheduled."""
    require(actor, Permission.EDIT_FORUMS)
    government_id = government_id or governments.acting_government_id(actor)
    require_works_for(actor, government_id)
    values = _clean_forum_values(government_id, values)
    forum = Forum(
        **values,
        government_id=government_id,
        status=ForumStatus.SCHEDULED,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(forum)
    db.session.flush()
    audit.record(actor, "create", "forum", forum.id, scope=_scope(forum.id), changes=audit.created(values))
    db.session.commit()
    return forum


def update_forum(actor: Actor, forum_id: int, **values) -> Forum:
    """Change a forum's header and agenda."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_open_forum(actor, forum_id)
    changes = audit.diff(forum, _clean_forum_values(forum.government_id, values))
    if changes:
        audit.record(actor, "update", "forum", forum.id, scope=_scope(forum.id), changes=changes)
        db.session.commit()
    return forum


def set_minutes(actor: Actor, forum_id: int, minutes: str | None, *, seen: str | None = None) -> Forum:
    """Write the minutes (notulen), in Markdown. `seen` is the minutes_fingerprint of the text the form was
    opened on; a text changed since (a line a review meeting appended from /dashboard/present, another tab's
    save) is refused (Invalid), so a save never erases lines its writer did not see."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_open_forum(actor, forum_id)
    # Read again under the row's lock (on PostgreSQL; SQLite has one writer): append_to_minutes writes in one
    # UPDATE that waits for this transaction, so what is compared is what is overwritten.
    current = db.session.scalar(sa.select(Forum.minutes).where(Forum.id == forum.id).with_for_update())
    if seen is not None and minutes_fingerprint(current) != seen:
        db.session.expire(forum, ["minutes"])  # the caller shows the minutes as they are now
        raise Invalid(
            _l(
                "Someone changed the minutes since you opened them, so nothing was saved. Your text is kept in the "
                "field; copy into it what is missing from the minutes as they are now, shown above it, and save again."
            )
        )
    minutes = (minutes or "").strip() or None
    if current != minutes:
        # The text itself can be long; the trail keeps its sizes, and the forum keeps the text.
        audit.record(
            actor,
            "update_minutes",
            "forum",
            forum.id,
            scope=_scope(forum.id),
            changes={"minutes_length": [len(current or ""), len(minutes or "")]},
        )
        forum.minutes = minutes
        db.session.commit()
    return forum


def minutes_fingerprint(minutes: str | None) -> str:
    """The minutes as read when a form opened them, in a few characters (core.db.text_fingerprint)."""
    return text_fingerprint(minutes)


def append_to_minutes(actor: Actor, forum: Forum, line: str) -> None:
    """Add a line at the end of an open forum's minutes, loaded by the caller (get_open_forum), which commits it
    with the change the line records. The database appends it in one UPDATE, so two people writing down a review
    meeting at the same moment keep both their lines."""
    require(actor, Permission.EDIT_FORUMS)
    require_works_for(actor, forum.government_id)
    if forum.is_closed:
        raise InvalidTransition(_l("This forum is closed. Re-open it to change it."))
    line = line.strip()
    db.session.execute(
        sa.update(Forum)
        .where(Forum.id == forum.id)
        .values(minutes=sa.func.coalesce(Forum.minutes + "\n", "") + line)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(forum, ["minutes"])
    audit.record(actor, "append_minutes", "forum", forum.id, scope=_scope(forum.id), changes={"minutes_line": line})


def review_forums(actor: Actor, limit: int = 50) -> list[Forum]:
    """The meetings a review of follow-ups may be written down in: the open forums of the actor's own government
    (only its people edit their minutes), the latest first."""
    require(actor, Permission.EDIT_FORUMS)
    return list(
        db.session.scalars(
            sa.select(Forum)
            .where(
                Forum.government_id == governments.acting_government_id(actor),
                Forum.status != ForumStatus.CLOSED,
                visible_forums(actor),
            )
            .order_by(Forum.starts_at.desc(), Forum.id.desc())
            .limit(limit)
        )
    )


def change_status(actor: Actor, forum_id: int, to: ForumStatus | str, note: str | None = None) -> Forum:
    """Move a forum along scheduled → held → closed, or re-open it; the one place its status changes."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_editable_forum(actor, forum_id)
    to = ForumStatus(to)
    if to not in FORUM_TRANSITIONS[forum.status]:
        raise InvalidTransition(
            _l(
                "A forum that is %(from)s cannot become %(to)s.",
                **{"from": FORUM_STATUS_LABELS[forum.status], "to": FORUM_STATUS_LABELS[to]},
            )
        )
    reopening = forum.status == ForumStatus.CLOSED
    if reopening:
        require(actor, Permission.REOPEN_FORUM)
        if not (note or "").strip():
            raise Invalid(_l("Say why the forum is re-opened."), field="note")
    changes = {"status": [forum.status.value, to.value]}
    if note:
        changes["note"] = note.strip()
    audit.record(
        actor, "reopen" if reopening else "change_status", "forum", forum.id, scope=_scope(forum.id), changes=changes
    )
    forum.status = to
    db.session.commit()
    if to == ForumStatus.CLOSED:
        events.forum_closed.send(
            current_app._get_current_object(),
            forum_id=forum.id,
            actor_id=getattr(actor, "id", None),
            occasion=clock.now().isoformat(),
        )
    return forum


def allowed_transitions(actor: Actor, forum: Forum) -> list[ForumStatus]:
    """The statuses this user may move this forum to, for the buttons on its page."""
    if not may_edit(actor, forum):
        return []
    targets = FORUM_TRANSITIONS[forum.status]
    if forum.status == ForumStatus.CLOSED and not can(actor, Permission.REOPEN_FORUM):
        return []
    order = list(ForumStatus)
    return sorted(targets, key=order.index)


def forum_history(actor: Actor, forum_id: int):
    """The audit trail of a forum and everything in it: for editors of any government that sees the forum (a parent
    reads what its kabupaten changed)."""
    require(actor, Permission.EDIT_FORUMS)
    get_forum(actor, forum_id)
    return audit.history(_scope(forum_id))


def get_editable_forum(actor: Actor, forum_id: int) -> Forum:
    """The forum, for its owner's people: one the actor cannot see is NotFound, one it sees but another government
    owns is NotAllowed."""
    forum = get_forum(actor, forum_id)
    require_works_for(actor, forum.government_id)
    return forum


def get_open_forum(actor: Actor, forum_id: int) -> Forum:
    """The forum, for a change by its owner's people, refusing when it is closed: closing locks minutes,
    attendance and recommendations."""
    forum = get_editable_forum(actor, forum_id)
    if forum.is_closed:
        raise InvalidTransition(_l("This forum is closed. Re-open it to change it."))
    return forum


def _clean_forum_values(government_id: int, values: dict) -> dict:
    values = _strip({name: values.get(name) for name in FORUM_FIELDS})
    if not values["title"]:
        raise Invalid(_l("A forum needs a title."), field="title")
    if values["starts_at"] is None:
        raise Invalid(_l("A forum needs a start."), field="starts_at")
    if values["ends_at"] is not None and values["ends_at"] < values["starts_at"]:
        raise Invalid(_l("The end comes before the start."), field="ends_at")
    start, end = values["period_start"], values["period_end"]
    if start and end and end < start:
        raise Invalid(_l("The planning period ends before it starts."), field="period_end")
    # A series is one government's process: its forums are that government's.
    own = sa.select(Series.id).where(Series.id == values["series_id"], Series.government_id == government_id)
    if values["series_id"] and db.session.scalar(own) is None:
        raise Invalid(_l("No such series."), field="series_id")
    if values["organiser_opd_id"] and db.session.get(Opd, values["organiser_opd_id"]) is None:
        raise Invalid(_l("No such OPD."), field="organiser_opd_id")
    if values["online_link"]:
        values["online_link"] = web_link(
            values["online_link"], max_length=max_length(Forum.online_link), field="online_link"
        )
    for signer in ("chair_nip", "minute_taker_nip"):
        values[signer] = check_nip(values[signer], signer)
    return values


# --- participants --------------------------------------------------------------------------------------


def get_participant(actor: Actor, forum_id: int, participant_id: int) -> Participant:
    """A participant of this forum, or NotFound."""
    return _part_of_forum(actor, Participant, forum_id, participant_id, _l("No such participant."))


def _part_of_forum(actor: Actor, model, forum_id: int, row_id: int, missing):
    """A row of a forum's own table (participants, recommendations), of a forum the actor may see, or NotFound."""
    require(actor, Permission.READ)
    row = db.session.scalar(
        sa.select(model).where(
            model.id == row_id, model.forum_id == forum_id, model.forum_id.in_(visible_forum_ids(actor))
        )
    )
    if row is None:
        raise NotFound(missing)
    return row


def add_participant(actor: Actor, forum_id: int, **values) -> Participant:
    """Add one participant to an open forum."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_open_forum(actor, forum_id)
    values = _clean_participant_values(values)
    participant = Participant(forum=forum, **values)
    db.session.add(participant)
    db.session.flush()
    audit.record(actor, "create", "participant", participant.id, scope=_scope(forum.id), changes=audit.created(values))
    db.session.commit()
    return participant


def update_participant(actor: Actor, forum_id: int, participant_id: int, **values) -> Participant:
    """Change a participant of an open forum."""
    require(actor, Permission.EDIT_FORUMS)
    get_open_forum(actor, forum_id)
    participant = get_participant(actor, forum_id, participant_id)
    changes = audit.diff(participant, _clean_participant_values(values))
    if changes:
        audit.record(actor, "update", "participant", participant.id, scope=_scope(forum_id), changes=changes)
        db.session.commit()
    return participant


def remove_participant(actor: Actor, forum_id: int, participant_id: int) -> None:
    """Remove a participant from an open forum."""
    require(actor, Permission.EDIT_FORUMS)
    get_open_forum(actor, forum_id)
    participant = get_participant(actor, forum_id, participant_id)
    audit.record(
        actor,
        "delete",
        "participant",
        participant.id,
        scope=_scope(forum_id),
        changes={"name": [participant.name, None]},
    )
    db.session.delete(participant)
    db.session.commit()


def add_participants(actor: Actor, forum_id: int, rows: list[dict]) -> list[Participant]:
    """Add many participants in one transaction: all of them or, on any error, none."""
    require(actor, Permission.EDIT_FORUMS)
    return _save_participants(actor, get_open_forum(actor, forum_id), rows)


def import_participants(actor: Actor, forum_id: int, token: str) -> list[Participant]:
    """Save the rows of an attendance-list preview (the token of `attendance_import.seal`), checked again, once:
    the preview carries the participant list it was made against, and saving refuses one that changed since."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_open_forum(actor, forum_id)
    sealed = attendance_import.unseal(forum.id, token)
    # The forum's row is locked while the list is compared and saved (on PostgreSQL; SQLite has one writer),
    # so of two confirmations of one preview at once (a double click), the second sees the first one's rows.
    db.session.execute(sa.select(Forum.id).where(Forum.id == forum.id).with_for_update())
    if attendance_import.participants_fingerprint(forum.id) != sealed.participants:
        raise Invalid(
            _l("This list was already imported, or the participants changed since the preview. Preview the file again.")
        )
    # Check again at saving time: an OPD may have been deactivated or renamed since the preview, and a row
    # that no longer finds the OPD the preview showed would be saved as something else.
    rows = check_import(forum, sealed.table)
    if not all(row.ok for row in rows) or [row.values["opd_id"] for row in rows] != sealed.opd_ids:
        raise Invalid(_l("Some rows have problems. Correct the file and upload it again."))
    return _save_participants(actor, forum, [row.values for row in rows])


def _save_participants(actor: Actor, forum: Forum, rows: list[dict]) -> list[Participant]:
    wanted = {row["opd_id"] for row in rows if row.get("opd_id")}
    known = set(db.session.scalars(sa.select(Opd.id).where(Opd.id.in_(wanted)))) if wanted else set()
    cleaned = [_clean_participant_values(row, known_opds=known) for row in rows]
    participants = [Participant(forum=forum, **values) for values in cleaned]
    db.session.add_all(participants)
    db.session.flush()
    audit.record(
        actor, "import", "participant", None, scope=_scope(forum.id), changes={"count": [0, len(participants)]}
    )
    db.session.commit()
    return participants


def _clean_participant_values(values: dict, known_opds: set[int] | None = None) -> dict:
    """The participant's values, trimmed and checked; `known_opds`, when given, are the OPD ids known to exist
    (many rows are checked with one query)."""
    values = _strip({name: values.get(name) for name in PARTICIPANT_FIELDS})
    if not values["name"]:
        raise Invalid(_l("A participant needs a name."), field="name")
    if values["email"]:
        values["email"] = values["email"].lower()
    if values["opd_id"]:
        if known_opds is None:
            known_opds = {values["opd_id"]} if db.session.get(Opd, values["opd_id"]) else set()
        if values["opd_id"] not in known_opds:
            raise Invalid(_l("No such OPD."), field="opd_id")
    elif not values["institution"]:
        raise Invalid(_l("Give the participant's OPD or institution."), field="institution")
    return values


@dataclass
class AttendanceSummary:
    """How many came, in which capacity, and from which institutions."""

    total: int
    by_attendance: dict[Attendance, int]
    present: int
    institutions_present: list[str]


def attendance_summary(participants: list[Participant], viewer: Actor | None = None) -> AttendanceSummary:
    """Count the attendance of already-loaded participants (no query); an OPD of another government than the
    viewer's is named with it ("Dinas Kesehatan · Kota Tangerang")."""
    counts = Counter(p.attendance for p in participants)
    institutions = sorted(
        {
            p.institution_name + (governments.other_government(p.opd.government_id, viewer) if p.opd else "")
            for p in participants
            if p.attendance in PRESENT and p.institution_name
        }
    )
    return AttendanceSummary(
        total=len(participants),
        by_attendance={a: counts.get(a, 0) for a in Attendance},
        present=sum(counts.get(a, 0) for a in PRESENT),
        institutions_present=institutions,
    )


# --- recommendations -----------------------------------------------------------------------------------


def get_recommendation(actor: Actor, forum_id: int, recommendation_id: int) -> Recommendation:
    """A recommendation of this forum, or NotFound."""
    return _part_of_forum(actor, Recommendation, forum_id, recommendation_id, _l("No such recommendation."))


def add_recommendation(
    actor: Actor, forum_id: int, *, text: str, planning_ref: str | None = None, themes: list[str] = ()
) -> Recommendation:
    """Add a conclusion at the end of the forum's numbered list."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_open_forum(actor, forum_id)
    values = _clean_recommendation_values({"text": text, "planning_ref": planning_ref})
    recommendation = _new_recommendation(actor, forum, _last_number(forum.id) + 1, values, themes)
    db.session.commit()
    return recommendation


# A pasted list longer than this is not a meeting's conclusions: it is refused with a message, not saved.
MAX_PASTED_ITEMS = 100


def add_recommendations(actor: Actor, forum_id: int, items: list[dict], *, seen: str | None = None) -> list:
    """Add several conclusions (a pasted list) at the end of the forum's numbered list, each checked as
    add_recommendation checks one: all of them, or none and InvalidItems saying which are wrong. `seen` is the
    recommendations_fingerprint the preview was made against; a list that changed since is refused, so one
    preview saves once (a double click adds nothing twice)."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_open_forum(actor, forum_id)
    if not items:
        raise Invalid(_l("There is nothing to save."))
    if len(items) > MAX_PASTED_ITEMS:
        raise Invalid(_l("At most %(n)d recommendations can be added at once.", n=MAX_PASTED_ITEMS))
    # Locked while numbered and saved (on PostgreSQL; SQLite has one writer): two saves at once number in turn.
    db.session.execute(sa.select(Forum.id).where(Forum.id == forum.id).with_for_update())
    if seen is not None and recommendations_fingerprint(forum.id) != seen:
        raise Invalid(_l("The recommendations changed since the preview: check the numbers and save again."))
    cleaned, problems = [], {}
    for position, item in enumerate(items):
        try:
            cleaned.append(_clean_recommendation_values({"text": item.get("text"), "planning_ref": None}))
        except Invalid as error:
            problems[position] = str(error.message)
    problems = repeated_recommendations(forum.id, [item.get("text") for item in items]) | problems
    if problems:
        raise InvalidItems(_l("Some recommendations have problems; nothing was saved."), problems)
    first = _last_number(forum.id) + 1
    added = [
        _new_recommendation(actor, forum, first + position, values, item.get("themes") or ())
        for position, (values, item) in enumerate(zip(cleaned, items, strict=True))
    ]
    db.session.commit()
    return added


def _said(text: str | None) -> str:
    """What a recommendation says, case, spaces and punctuation aside."""
    return "".join(re.findall(r"[^\W_]+", (text or "").lower()))


def repeated_recommendations(forum_id: int, texts: list[str | None]) -> dict[int, str]:
    """{position: problem} of the pasted texts that say what a recommendation of the forum already says (a list
    pasted again), or what a text above them says; the numbers are those the preview shows."""
    numbers = {
        _said(text): number
        for number, text in db.session.execute(
            sa.select(Recommendation.number, Recommendation.text).where(Recommendation.forum_id == forum_id)
        )
    }
    first = _last_number(forum_id) + 1
    problems = {}
    for position, text in enumerate(texts):
        said = _said(text)
        if not said:
            continue
        if said in numbers:
            problems[position] = str(_l("Recommendation %(n)d already says this.", n=numbers[said]))
        else:
            numbers[said] = first + position
    return problems


def recommendations_fingerprint(forum_id: int) -> str:
    """The forum's recommendations as they are now, in a few characters (core.db.ids_fingerprint)."""
    ids = db.session.scalars(
        sa.select(Recommendation.id).where(Recommendation.forum_id == forum_id).order_by(Recommendation.id)
    )
    return ids_fingerprint(ids)


def next_recommendation_number(forum_id: int) -> int:
    """The number the next conclusion of this forum gets: after the existing ones."""
    return _last_number(forum_id) + 1


def _last_number(forum_id: int) -> int:
    last = db.session.scalar(sa.select(sa.func.max(Recommendation.number)).where(Recommendation.forum_id == forum_id))
    return last or 0


def _new_recommendation(actor: Actor, forum: Forum, number: int, values: dict, themes) -> Recommendation:
    """A recommendation with this number, added and audited as created; the caller commits."""
    recommendation = Recommendation(forum=forum, number=number, themes=_themes(themes), **values)
    db.session.add(recommendation)
    db.session.flush()
    changes = audit.created(values) | {
        "number": [None, recommendation.number],
        "themes": [None, [t.name for t in recommendation.themes]],
    }
    audit.record(actor, "create", "recommendation", recommendation.id, scope=_scope(forum.id), changes=changes)
    return recommendation


def update_recommendation(
    actor: Actor,
    forum_id: int,
    recommendation_id: int,
    *,
    text: str,
    planning_ref: str | None = None,
    themes: list[str] = (),
) -> Recommendation:
    """Change a recommendation's text, planning reference and themes."""
    require(actor, Permission.EDIT_FORUMS)
    get_open_forum(actor, forum_id)
    recommendation = get_recommendation(actor, forum_id, recommendation_id)
    changes = audit.diff(recommendation, _clean_recommendation_values({"text": text, "planning_ref": planning_ref}))
    old_themes = [t.name for t in recommendation.themes]
    recommendation.themes = _themes(themes)
    new_themes = [t.name for t in recommendation.themes]
    if sorted(old_themes) != sorted(new_themes):
        changes["themes"] = [old_themes, new_themes]
    if changes:
        audit.record(actor, "update", "recommendation", recommendation.id, scope=_scope(forum_id), changes=changes)
    db.session.commit()
    return recommendation


def delete_recommendation(actor: Actor, forum_id: int, recommendation_id: int) -> None:
    """Remove a conclusion and close the gap in the numbering."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_open_forum(actor, forum_id)
    recommendation = get_recommendation(actor, forum_id, recommendation_id)
    audit.record(
        actor,
        "delete",
        "recommendation",
        recommendation.id,
        scope=_scope(forum_id),
        changes={"number": [recommendation.number, None], "text": [recommendation.text, None]},
    )
    forum.recommendations.remove(recommendation)
    db.session.flush()
    _renumber(forum, list(forum.recommendations))
    db.session.commit()


def move_recommendation(actor: Actor, forum_id: int, recommendation_id: int, direction: str) -> None:
    """Swap a conclusion with its neighbour above ("up") or below ("down")."""
    require(actor, Permission.EDIT_FORUMS)
    forum = get_open_forum(actor, forum_id)
    ordered = list(forum.recommendations)
    index = next((i for i, r in enumerate(ordered) if r.id == recommendation_id), None)
    if index is None:
        raise NotFound(_l("No such recommendation."))
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    moved = ordered[other]
    audit.record(
        actor,
        "reorder",
        "recommendation",
        moved.id,
        scope=_scope(forum_id),
        changes={"number": [moved.number, other + 1]},
    )
    _renumber(forum, ordered)
    db.session.commit()


def _renumber(forum: Forum, ordered: list[Recommendation]) -> None:
    """Number 1..n in the given order. Numbers are unique per forum, so park them out of the way first."""
    for recommendation in ordered:
        recommendation.number = -recommendation.number - 1000
    db.session.flush()
    for position, recommendation in enumerate(ordered, start=1):
        recommendation.number = position
    db.session.flush()


def _clean_recommendation_values(values: dict) -> dict:
    values = _strip(values)
    if not values["text"]:
        raise Invalid(_l("A recommendation needs a text."), field="text")
    return values


def normalize_theme(name: str) -> str:
    """One spelling per theme: trimmed, single-spaced, lower-case."""
    return re.sub(r"\s+", " ", name).strip().lower()[:80]


def _themes(names) -> list[Theme]:
    """The Theme rows for these names, making the ones that do not exist yet."""
    wanted = list(dict.fromkeys(n for n in (normalize_theme(x) for x in names) if n))
    if not wanted:
        return []
    existing = {t.name: t for t in db.session.scalars(sa.select(Theme).where(Theme.name.in_(wanted)))}
    themes = []
    for name in wanted:
        theme = existing.get(name) or Theme(name=name)
        db.session.add(theme)
        themes.append(theme)
    return themes


def theme_names() -> list[str]:
    """Every theme in use, for suggestions; read again after a write (core.data_version)."""
    return data_version.cached(
        "themes", None, lambda: list(db.session.scalars(sa.select(Theme.name).order_by(Theme.name)))
    )


def parse_theme_list(text: str | None) -> list[str]:
    """Themes typed as a comma-separated list."""
    return [normalize_theme(part) for part in (text or "").split(",") if part.strip()]
