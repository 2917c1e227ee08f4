"""The Berita Acara's number: the secretariat's, from its government's format, never the database id.

A number given here keeps its running number (`record_seq`) and year; the next one is the highest of the
government's year plus one. A number typed by hand that follows the format counts too. The database holds one
forum per number within a government (a unique constraint), so of two requests that take the same number at once
the second is refused at commit and takes the next one.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from accounts.models import Government
from core import audit, clock, numbering
from core.db import max_length
from core.errors import Invalid
from core.extensions import db
from core.permissions import Actor, Permission, require
from forum import services
from forum.models import Forum

# Attempts at the next number before giving up; each failure means another request took a number meanwhile.
ATTEMPTS = 5


def _format(forum: Forum) -> str | None:
    return db.session.scalar(sa.select(Government.numbering_format).where(Government.id == forum.government_id))


def _next_seq(government_id: int, year: int) -> int:
    """One more than the highest running number the government gave this year."""
    highest = db.session.scalar(
        sa.select(sa.func.max(Forum.record_seq)).where(Forum.government_id == government_id, Forum.record_year == year)
    )
    return (highest or 0) + 1


def _next_free(forum: Forum, day) -> tuple[int, str]:
    """The next running number and the number it makes, passing over one that another forum holds although it
    is not counted (typed by hand with another month or year than its forum's date)."""
    seq = _next_seq(forum.government_id, day.year)
    number = numbering.render(_format(forum), seq, day)
    while _taken(forum, number):
        seq += 1
        number = numbering.render(_format(forum), seq, day)
    return seq, number


def proposed_number(forum: Forum) -> str:
    """The number this forum would get now from its government's format (nothing is reserved)."""
    return _next_free(forum, clock.to_local(forum.starts_at).date())[1]


def next_number(government_id: int, fmt: str | None, zone=None) -> str:
    """The number the government's next Berita Acara held today would get with this format (nothing is reserved):
    the preview beside the format on the document settings page."""
    day = clock.to_local(clock.now(), zone).date()
    return numbering.render(fmt, _next_seq(government_id, day.year), day)


def give_number(actor: Actor, forum_id: int) -> Forum:
    """Give the forum the next number of its government's year and keep it; a forum that has one keeps it
    (idempotent: a double click gives one number)."""
    require(actor, Permission.EDIT_FORUMS)
    for _attempt in range(ATTEMPTS):
        forum = services.get_editable_forum(actor, forum_id)
        if forum.record_number:
            return forum
        day = clock.to_local(forum.starts_at).date()
        seq, number = _next_free(forum, day)
        _record(actor, forum, number, seq, day.year)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another forum took this number meanwhile: count again
            continue
        return forum
    raise Invalid(_l("Many numbers were given at the same moment; try again."), field="record_number")


def set_number(actor: Actor, forum_id: int, number: str | None) -> Forum:
    """Type the number by hand (or clear it); one that follows the format counts in the running numbers."""
    require(actor, Permission.EDIT_FORUMS)
    forum = services.get_editable_forum(actor, forum_id)
    number = (number or "").strip() or None
    if number == forum.record_number:
        return forum
    seq = year = None
    if number is not None:
        if len(number) > max_length(Forum.record_number):
            raise Invalid(_l("A number has at most 120 characters."), field="record_number")
        if _taken(forum, number):
            raise Invalid(_TAKEN, field="record_number")
        day = clock.to_local(forum.starts_at).date()
        seq = numbering.sequence_of(_format(forum), number, day)
        year = day.year if seq is not None else None
    _record(actor, forum, number, seq, year)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Invalid(_TAKEN, field="record_number") from None
    return forum


_TAKEN = _l("Another forum of this government already has this number.")


def _taken(forum: Forum, number: str) -> bool:
    other = sa.select(Forum.id).where(
        Forum.government_id == forum.government_id, Forum.record_number == number, Forum.id != forum.id
    )
    return db.session.scalar(other) is not None


def _record(actor: Actor, forum: Forum, number: str | None, seq: int | None, year: int | None) -> None:
    audit.record(
        actor,
        "update",
        "forum",
        forum.id,
        scope=f"forum:{forum.id}",
        changes={"record_number": [forum.record_number, number]},
    )
    forum.record_number, forum.record_seq, forum.record_year = number, seq, year
