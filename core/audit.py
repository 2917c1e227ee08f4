"""The audit trail: one AuditEvent row for every change of state, written by the service that made it.

Who acted is kept as a plain id, `actor_id`. Its ForeignKey to "users.id" stays: that is a fact of the schema,
which the database enforces (and sets to NULL when a user row goes), not a Python import. Core has no
relationship to `accounts.models.User`, because core sits below accounts and must not know its models, not
even by a string that SQLAlchemy resolves at run time. Where a page shows who acted, the layer that renders
it (a package above accounts) turns the ids into users with one query, `accounts.services.users_by_id`.
`core.attachments.Attachment.uploaded_by_id` follows the same rule.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import g, has_app_context, has_request_context, request
from flask_babel import lazy_gettext as _l

from core import clock
from core.extensions import db
from core.types import UtcDateTime

VERB_LABELS = {
    "create": _l("created"),
    "update": _l("changed"),
    "delete": _l("deleted"),
    "import": _l("imported"),
    "reorder": _l("reordered"),
    "change_status": _l("changed the status of"),
    "reopen": _l("re-opened"),
    "update_minutes": _l("wrote the minutes of"),
    "login": _l("logged in as"),
    "change_password": _l("changed the password of"),
    "reset_password": _l("set a new password for"),
    "activate": _l("activated"),
    "deactivate": _l("deactivated"),
}
# `via` of a change made through the API: "api:<token id>" (`api_via`).
API_VIA = "api"
# Each domain package adds the names of its own entities and fields, so that core needs to know none of them.
ENTITY_LABELS: dict[str, Any] = {}
FIELD_LABELS: dict[str, Any] = {"reason": _l("Reason"), "note": _l("Note")}


class AuditEvent(db.Model):
    """Who did what to which thing, when, from where, and what changed."""

    __tablename__ = "audit_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    verb: so.Mapped[str] = so.mapped_column(sa.String(40))
    entity_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    entity_id: so.Mapped[int | None]
    # The page whose history shows this event, e.g. "forum:12" for a participant of forum 12.
    scope: so.Mapped[str | None] = so.mapped_column(sa.String(60), index=True)
    changes: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    ip: so.Mapped[str | None] = so.mapped_column(sa.String(45))
    # How the change came in when not through the pages: "api:<token id>" for a personal access token.
    via: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    @property
    def token_id(self) -> int | None:
        """The personal access token the change came through, or None for the pages and commands."""
        prefix, _, number = (self.via or "").partition(":")
        return int(number) if prefix == API_VIA and number.isdigit() else None

    @property
    def description(self) -> str:
        """ "changed participant", in the reader's language."""
        verb = VERB_LABELS.get(self.verb, self.verb)
        entity = ENTITY_LABELS.get(self.entity_type, self.entity_type)
        return f"{verb} {entity}"


def api_via(token_id: int) -> str:
    """What `via` says of a change made with this personal access token."""
    return f"{API_VIA}:{token_id}"


def _channel() -> tuple[str | None, str | None]:
    """Where a change came from: the IP, and "api:<token id>" when the API's authentication put it in g for the
    request. Infrastructure, not business input, so read here rather than passed by every service."""
    ip = request.remote_addr if has_request_context() else None
    return ip, (g.get("audit_via") if has_app_context() else None)


def record(
    actor,
    verb: str,
    entity_type: str,
    entity_id: int | None,
    *,
    scope: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row to the session; the caller's commit makes it durable with the change itself."""
    ip, via = _channel()
    event = AuditEvent(
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        verb=verb,
        entity_type=entity_type,
        entity_id=entity_id,
        scope=scope,
        changes=jsonable(changes or {}),
        ip=ip,
        via=via,
    )
    db.session.add(event)
    return event


def record_all(actor, verb: str, entity_type: str, changes_by_id: dict[int, dict[str, Any]]) -> None:
    """Audit rows for many things of one type at once, in one INSERT (an import of hundreds of rows); each is
    scoped to the thing itself ("opd:12"). The caller commits."""
    if not changes_by_id:
        return
    ip, via = _channel()
    at, actor_id = clock.now(), getattr(actor, "id", None)
    db.session.execute(
        sa.insert(AuditEvent),
        [
            dict(
                at=at,
                actor_id=actor_id,
                verb=verb,
                entity_type=entity_type,
                entity_id=entity_id,
                scope=f"{entity_type}:{entity_id}",
                changes=jsonable(changes),
                ip=ip,
                via=via,
            )
            for entity_id, changes in changes_by_id.items()
        ],
    )


def diff(obj, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set attributes on obj and return {field: [old, new]} for those that changed."""
    changed = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changed[name] = [old, new]
            setattr(obj, name, new)
    return changed


def created(values: dict[str, Any]) -> dict[str, list[Any]]:
    """The changes of a new record: {field: [None, value]} for every field given a value."""
    return {name: [None, value] for name, value in values.items() if value is not None}


def history(scope: str, limit: int = 200) -> list[AuditEvent]:
    """The newest events of one scope, in one query; their actors by id: `accounts.services.users_by_id`."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.scope == scope)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def jsonable(value):
    """Dates, enums and the like as JSON-friendly values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
