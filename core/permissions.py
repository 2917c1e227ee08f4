"""Roles and the permission table of DESIGN.md, in one place. Services call `require` before they act."""

from enum import StrEnum
from typing import Protocol

from flask_babel import lazy_gettext as _l

from core.errors import NotAllowed


class Role(StrEnum):
    """What a user is in Kawal."""

    ADMIN = "admin"
    SECRETARIAT = "secretariat"
    OPD_HEAD = "opd_head"
    OPD_STAFF = "opd_staff"
    VIEWER = "viewer"


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.SECRETARIAT: _l("Secretariat"),
    Role.OPD_HEAD: _l("OPD head"),
    Role.OPD_STAFF: _l("OPD staff"),
    Role.VIEWER: _l("Viewer"),
}

ROLES_WITH_OPD = frozenset({Role.OPD_HEAD, Role.OPD_STAFF})


class Permission(StrEnum):
    """One row of the permission table."""

    ADMINISTER = "administer"  # users, OPDs, settings
    EDIT_FORUMS = "edit_forums"  # forums, participants, minutes, recommendations, actions; assign
    REOPEN_FORUM = "reopen_forum"
    READ = "read"  # forums, recommendations, actions, assignments, dashboard
    ACKNOWLEDGE = "acknowledge"  # own OPD
    REPORT_PROGRESS = "report_progress"  # own OPD
    SUBMIT = "submit"  # own OPD: done, or "cannot follow up"
    VERIFY = "verify"  # verify, return, approve "cannot follow up", cancel
    DOWNLOAD_EVIDENCE = "download_evidence"  # all for the secretariat, own OPD for OPD users
    DELIVERY_LOG = "delivery_log"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {P.ADMINISTER, P.EDIT_FORUMS, P.REOPEN_FORUM, P.READ, P.VERIFY, P.DOWNLOAD_EVIDENCE, P.DELIVERY_LOG}
    ),
    Role.SECRETARIAT: frozenset({P.EDIT_FORUMS, P.REOPEN_FORUM, P.READ, P.VERIFY, P.DOWNLOAD_EVIDENCE, P.DELIVERY_LOG}),
    Role.OPD_HEAD: frozenset({P.READ, P.ACKNOWLEDGE, P.REPORT_PROGRESS, P.SUBMIT, P.DOWNLOAD_EVIDENCE}),
    Role.OPD_STAFF: frozenset({P.READ, P.REPORT_PROGRESS, P.DOWNLOAD_EVIDENCE}),
    Role.VIEWER: frozenset({P.READ}),
}


class Actor(Protocol):
    """Whoever acts in a service call: a signed-in `accounts.models.User`, or `SYSTEM` for commands and seeding.

    Services take it first and decide with it; they read only these attributes, so core needs no User model.
    """

    id: int | None
    name: str
    role: str
    opd_id: int | None
    government_id: int | None
    manages_instance: bool  # the instance admin: every government, and the governments themselves
    active: bool
    is_authenticated: bool


def can(user: Actor | None, permission: Permission) -> bool:
    """Whether an active user's role grants the permission."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return permission in ROLE_PERMISSIONS[Role(user.role)]


def require(user: Actor | None, permission: Permission) -> None:
    """Raise NotAllowed unless the user may do this."""
    if not can(user, permission):
        raise NotAllowed(_l("You are not allowed to do this."))


# --- governments -------------------------------------------------------------------------------------------
# The ids of the governments whose work a user sees in full: their own and every one below it (a province sees its
# kabupaten/kota). None means every government (the instance admin, the system). `accounts.governments.reach`
# computes it from the tree; the rules below are all that is decided with it.
Reach = frozenset[int] | None


def sees(reach: Reach, government_id: int | None) -> bool:
    """Whether a government's own work (its forums, its OPDs' tasks, its settings) is within the reach."""
    return reach is None or government_id in reach


def works_for(actor: Actor | None, government_id: int | None) -> bool:
    """Whether the actor acts for this government: logs its forums, verifies their follow-ups, runs its admin.

    Only its own people do, and the instance admin; a parent government sees below but does not act there.
    """
    if actor is None:
        return False
    return bool(getattr(actor, "manages_instance", False)) or actor.government_id == government_id


def may_assign_to(below_owner: frozenset[int], opd_government_id: int) -> bool:
    """A forum's follow-ups go to OPDs of its government and of those under it, never upwards or sideways."""
    return opd_government_id in below_owner


def require_works_for(actor: Actor | None, government_id: int | None) -> None:
    """Raise NotAllowed unless the actor acts for this government."""
    if not works_for(actor, government_id):
        raise NotAllowed(_l("This belongs to another government."))


class _System:
    """The acting user for command-line and seeding work: an administrator with no account."""

    id = None
    name = "system"
    role = Role.ADMIN
    opd_id = None
    government_id = None
    manages_instance = True
    active = True
    is_authenticated = True

    def __repr__(self) -> str:
        return "<System>"


SYSTEM = _System()
