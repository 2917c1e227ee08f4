"""Team decrees (SK): their fields, their stage (proposed, drafted, signed) and their members."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from actions import decree_paste, events
from actions.models import Action, Assignment, Decree, DecreeMember, DecreeStage, TeamRole
from actions.queries import visible_assignments
from actions.services import assignable_opd
from core import attachments, audit
from core.db import ids_fingerprint
from core.errors import Invalid, InvalidItems, InvalidTransition, NotFound
from core.extensions import db
from core.permissions import Actor, Permission, require, require_works_for
from forum import services as forums
from forum.models import Recommendation

P = Permission

DECREE_FIELDS = ("subject", "number", "signed_on", "signer", "valid_from", "valid_until", "lead_opd_id")
D = DecreeStage
# The decree stages' transition table: one step forward or back at a time. change_stage() applies it.
DECREE_TRANSITIONS: dict[DecreeStage, frozenset[DecreeStage]] = {
    D.PROPOSED: frozenset({D.DRAFTED}),
    D.DRAFTED: frozenset({D.PROPOSED, D.SIGNED}),
    D.SIGNED: frozenset({D.DRAFTED}),
}


def _scope(decree: Decree) -> str:
    return f"decree:{decree.id}"


def _decree_event(signal, actor: Actor, decree: Decree) -> None:
    events.later(signal, getattr(actor, "id", None), decree_id=decree.id, action_id=decree.action_id)


def _visible_decrees(actor: Actor) -> sa.ColumnElement[bool]:
    """The decrees of the follow-ups an actor may see (actions.queries.visible_assignments)."""
    return Decree.action_id.in_(sa.select(Assignment.action_id).where(visible_assignments(actor)))


def get_decree(actor: Actor, action_id: int) -> Decree:
    """The decree of a follow-up the actor may see, with its members and lead OPD."""
    require(actor, P.READ)
    decree = db.session.scalar(
        sa.select(Decree)
        .where(Decree.action_id == action_id, _visible_decrees(actor))
        .options(
            so.selectinload(Decree.members).joinedload(DecreeMember.opd),
            so.joinedload(Decree.lead_opd),
            so.joinedload(Decree.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
    )
    if decree is None:
        raise NotFound(_l("This follow-up has no decree."))
    return decree


def decrees_query(actor: Actor) -> sa.Select:
    """The decrees an actor may see with their action, forum and lead OPD, soonest expiry first: the list page
    reads it whole, the API a page at a time."""
    require(actor, P.READ)
    return (
        sa.select(Decree)
        .where(_visible_decrees(actor))
        .options(
            so.joinedload(Decree.lead_opd),
            so.joinedload(Decree.action).joinedload(Action.recommendation).joinedload(Recommendation.forum),
        )
        .order_by(Decree.valid_until.is_(None), Decree.valid_until, Decree.id)
    )


def list_decrees(actor: Actor) -> list[Decree]:
    """Every decree with its action, soonest expiry first."""
    return list(db.session.scalars(decrees_query(actor)))


def _editable_decree(actor: Actor, action_id: int) -> Decree:
    """The decree, for the people of the government that owns its forum."""
    decree = get_decree(actor, action_id)
    require_works_for(actor, decree.action.recommendation.forum.government_id)
    return decree


def may_edit_decree(actor: Actor, decree: Decree) -> bool:
    """Whether the actor edits this decree (the rule of _editable_decree), for the page."""
    return forums.may_edit(actor, decree.action.recommendation.forum)


def update_decree(actor: Actor, action_id: int, *, document=None, **values) -> Decree:
    """Fill in the decree: subject, number, dates, signer, lead OPD, and the scanned document."""
    require(actor, P.EDIT_FORUMS)
    decree = _editable_decree(actor, action_id)
    values = {name: values.get(name) for name in DECREE_FIELDS}
    for name in ("subject", "number", "signer"):
        values[name] = (values[name] or "").strip() or None
    if not values["subject"]:
        raise Invalid(_l("A decree needs a subject."), field="subject")
    if values["valid_from"] and values["valid_until"] and values["valid_until"] < values["valid_from"]:
        raise Invalid(_l("The decree ends before it starts."), field="valid_until")
    if values["lead_opd_id"]:
        assignable_opd(decree.action.recommendation.forum, values["lead_opd_id"], field="lead_opd_id")
    if document is not None and document.filename:
        scan = attachments.store(document, actor, allowed={"pdf", "jpg", "jpeg", "png"})
        db.session.flush()
        values["document_id"] = scan.id
    if decree.stage == DecreeStage.SIGNED:
        _check_signable({**{n: getattr(decree, n) for n in DECREE_FIELDS}, "document_id": decree.document_id, **values})
    changes = audit.diff(decree, values)
    if changes:
        audit.record(actor, "update", "decree", decree.id, scope=_scope(decree), changes=changes)
        _decree_event(events.decree_changed, actor, decree)
        events.commit()
    return decree


def _check_signable(values: dict) -> None:
    missing = [
        label
        for name, label in (
            ("number", _l("number")),
            ("signed_on", _l("date signed")),
            ("signer", _l("signer")),
            ("document_id", _l("scanned document")),
        )
        if not values.get(name)
    ]
    if missing:
        raise Invalid(_l("A signed decree needs its %(fields)s.", fields=", ".join(str(m) for m in missing)))


def change_stage(actor: Actor, decree: Decree, to: DecreeStage) -> None:
    """The one place a decree's stage changes, by DECREE_TRANSITIONS: audit row and event; the caller commits."""
    if to not in DECREE_TRANSITIONS[decree.stage]:
        raise InvalidTransition(_l("A decree moves one stage at a time."))
    if to == DecreeStage.SIGNED:
        _check_signable(
            {
                "number": decree.number,
                "signed_on": decree.signed_on,
                "signer": decree.signer,
                "document_id": decree.document_id,
            }
        )
    audit.record(
        actor,
        "change_stage",
        "decree",
        decree.id,
        scope=_scope(decree),
        changes={"stage": [decree.stage.value, to.value]},
    )
    decree.stage = to
    _decree_event(events.decree_stage_changed, actor, decree)


def set_decree_stage(actor: Actor, action_id: int, stage: str) -> Decree:
    """Move a decree proposed → drafted → signed (or back a step); signing needs number, date, signer and scan."""
    require(actor, P.EDIT_FORUMS)
    decree = _editable_decree(actor, action_id)
    change_stage(actor, decree, DecreeStage(stage))
    events.commit()
    return decree


def add_decree_member(
    actor: Actor, action_id: int, *, name: str, opd_id: int | None, position: str | None, team_role: str
) -> DecreeMember:
    """Add a member to the decree's team."""
    require(actor, P.EDIT_FORUMS)
    decree = _editable_decree(actor, action_id)
    member = _add_member(actor, decree, name=name, opd_id=opd_id, position=position, team_role=team_role)
    _decree_event(events.decree_changed, actor, decree)
    events.commit()
    return member


def add_decree_members(actor: Actor, action_id: int, text: str, *, seen: str | None = None) -> list[DecreeMember]:
    """Add the members of rows pasted from a spreadsheet (decree_paste.check_rows), each by add_decree_member's
    rules: all of them, or none and InvalidItems naming the rows that cannot be matched. `seen` is the
    members_fingerprint the preview was made against; a team that changed since is refused, so one preview
    saves once."""
    require(actor, P.EDIT_FORUMS)
    decree = _editable_decree(actor, action_id)
    # Locked while compared and saved (on PostgreSQL; SQLite has one writer): of two saves of one preview at
    # once (a double click), the second sees the first one's members.
    db.session.execute(sa.select(Decree.id).where(Decree.id == decree.id).with_for_update())
    if seen is not None and members_fingerprint(decree) != seen:
        raise Invalid(_l("The team changed since the preview: check the rows and save again."))
    rows = check_member_rows(decree, text)
    problems = {position: "; ".join(row.problems) for position, row in enumerate(rows) if row.problems}
    if problems:
        raise InvalidItems(_l("Some rows cannot be matched; nothing was saved."), problems)
    members = [
        _add_member(
            actor,
            decree,
            name=row.name,
            opd_id=row.opd.id if row.opd else None,
            position=row.position,
            team_role=row.team_role,
        )
        for row in rows
    ]
    _decree_event(events.decree_changed, actor, decree)
    events.commit()
    return members


def check_member_rows(decree: Decree, text: str) -> list[decree_paste.MemberRow]:
    """The pasted rows as members of this decree would be saved, with what cannot be matched (the preview)."""
    return decree_paste.check_rows(decree.action.recommendation.forum, text, members=decree.members)


def members_fingerprint(decree: Decree) -> str:
    """The decree's team as it is now, in a few characters (core.db.ids_fingerprint)."""
    return ids_fingerprint(
        db.session.scalars(
            sa.select(DecreeMember.id).where(DecreeMember.decree_id == decree.id).order_by(DecreeMember.id)
        )
    )


def _add_member(
    actor: Actor, decree: Decree, *, name: str, opd_id: int | None, position: str | None, team_role: str
) -> DecreeMember:
    """A member added to the team and audited; the caller sends the event and commits."""
    name = (name or "").strip()
    if not name:
        raise Invalid(_l("A member needs a name."), field="name")
    member = DecreeMember(
        decree=decree,
        name=name,
        opd_id=opd_id or None,
        position=(position or "").strip() or None,
        team_role=TeamRole(team_role),
    )
    db.session.add(member)
    db.session.flush()
    audit.record(
        actor,
        "add_member",
        "decree",
        decree.id,
        scope=_scope(decree),
        changes={"member": [None, name], "team_role": [None, member.team_role.value]},
    )
    return member


def remove_decree_member(actor: Actor, action_id: int, member_id: int) -> None:
    """Take a member off the decree's team."""
    require(actor, P.EDIT_FORUMS)
    decree = _editable_decree(actor, action_id)
    member = next((m for m in decree.members if m.id == member_id), None)
    if member is None:
        raise NotFound(_l("No such member."))
    audit.record(
        actor, "remove_member", "decree", decree.id, scope=_scope(decree), changes={"member": [member.name, None]}
    )
    decree.members.remove(member)
    _decree_event(events.decree_changed, actor, decree)
    events.commit()
