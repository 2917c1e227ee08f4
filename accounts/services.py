"""Operations on users and OPDs. Each takes the acting user, checks permission and writes the audit trail."""

import functools
import hashlib
import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from accounts import events, governments
from accounts import tokens as api_tokens
from accounts.models import TIME_ZONE_LABELS, Government, GovernmentKind, Opd, User, normalize_email
from core import attachments, audit, clock, data_version, numbering
from core.errors import Invalid, NotAllowed, NotFound
from core.extensions import db
from core.nip import check_nip
from core.permissions import (
    ROLES_WITH_OPD,
    Actor,
    Permission,
    Reach,
    Role,
    can,
    require,
    require_works_for,
    works_for,
)

MIN_PASSWORD_LENGTH = 8
USER_FIELDS = ("email", "name", "position", "role", "opd_id", "locale", "active")
OPD_FIELDS = ("code", "name", "kind", "parent_id", "email", "active", "head_id")


# --- lookups -------------------------------------------------------------------------------------------


def user_by_email(email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def opd_by_code(code: str, government_id: int | None = None) -> Opd | None:
    """The OPD with this code in a government (the first one unless given), whatever its case."""
    if government_id is None:
        government_id = governments.default_government_id()
    return db.session.scalar(
        sa.select(Opd).where(Opd.government_id == government_id, sa.func.upper(Opd.code) == code.strip().upper())
    )


def get_user(user_id: int, actor: Actor | None = None) -> User:
    """The user of this id, or NotFound; given an administering actor, NotFound too for another government's user."""
    user = db.session.get(User, user_id)
    if user is None or (actor is not None and not works_for(actor, user.government_id)):
        raise NotFound(_l("No such user."))
    return user


def users_by_id(ids) -> dict[int, User]:
    """The users of these ids (None and unknown ids left out), in one query: who acted, for rows that keep an id."""
    wanted = {user_id for user_id in ids if user_id is not None}
    if not wanted:
        return {}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}


def get_opd(opd_id: int, actor: Actor | None = None) -> Opd:
    """The OPD of this id, active or not, or NotFound; given an administering actor, NotFound too for another
    government's OPD."""
    opd = db.session.get(Opd, opd_id)
    if opd is None or (actor is not None and not works_for(actor, opd.government_id)):
        raise NotFound(_l("No such OPD."))
    return opd


def may_edit_opd(actor: Actor | None, opd: Opd) -> bool:
    """Whether the actor may change this OPD (its head, its inbox): its own government's admin, or the instance
    admin. Pages that say an OPD cannot be told link to its edit page for them, and name who can for the others."""
    return can(actor, Permission.ADMINISTER) and works_for(actor, opd.government_id)


def administered(actor: Actor | None) -> Reach:
    """The governments whose users and OPDs an admin manages: its own only, every one for the instance admin."""
    if actor is not None and getattr(actor, "manages_instance", False):
        return None
    return frozenset({governments.acting_government_id(actor)})


def _in_governments(column, government_ids: Reach):
    """The condition "column is one of these governments" (none given: every one)."""
    return sa.true() if government_ids is None else column.in_(government_ids)


def active_opds(government_ids: Reach = None) -> list[Opd]:
    """Every active OPD (of these governments, if given), by code: the choices of OPD fields."""
    return list(
        db.session.scalars(
            sa.select(Opd)
            .where(Opd.active, _in_governments(Opd.government_id, government_ids))
            .order_by(Opd.code, Opd.government_id)
        )
    )


def opd_choices(government_ids: Reach = None) -> list[sa.Row]:
    """id, code and name of every active OPD (of these governments, if given), by code: the choices of filters,
    without loading whole OPDs."""
    return list(
        db.session.execute(
            sa.select(Opd.id, Opd.code, Opd.name, Opd.government_id)
            .where(Opd.active, _in_governments(Opd.government_id, government_ids))
            .order_by(Opd.code, Opd.government_id)
        )
    )


def opd_heads(opd: Opd) -> list[User]:
    """Who may be named this OPD's head, by name: its active OPD heads, and the active head of another OPD of its
    government who heads their own (Plt.). `head_refusal` is the rule; this lists those it lets through."""
    candidates = db.session.scalars(
        sa.select(User)
        .join(Opd, User.opd_id == Opd.id)
        .where(User.role == Role.OPD_HEAD, User.active, Opd.government_id == opd.government_id)
        .options(so.contains_eager(User.opd))
        .order_by(User.name, User.id)
    )
    return [user for user in candidates if head_refusal(user, opd) is None]


def head_refusal(user: User, opd: Opd) -> str | None:
    """Why this user may not head this OPD, or None when they may: an active OPD head of the OPD itself, or of
    another OPD of the same government that they head now, who then heads this one as Plt. (acting head)."""
    if user.opd_id is None or Role(user.role) != Role.OPD_HEAD:
        return _l("Only an OPD head account can head an OPD; staff and other roles cannot.")
    if not user.active:
        return _l("This account is inactive: it cannot head an OPD.")
    if user.government_id != opd.government_id:
        return _l("The head must be of this OPD's government.")
    own = db.session.get(Opd, user.opd_id)  # as changed in this session (an import names heads as it goes)
    if user.opd_id != opd.id and (own is None or own.head_id != user.id):
        return _l("A head of another OPD can be acting head (Plt.) here only while heading their own OPD.")
    return None


def is_acting_head(user: User, opd: Opd) -> bool:
    """Whether the user heads this OPD while their own post is another OPD (Plt.)."""
    return opd.head_id == user.id and user.opd_id != opd.id


def opds_acted_for(actor: Actor) -> frozenset[int]:
    """The OPDs this user acts for: their own and every one they head now (Plt.). The one rule of "own OPD": My
    tasks, evidence downloads, the calendar feed and who does an OPD's part of a task all ask here."""
    own = {actor.opd_id} if getattr(actor, "opd_id", None) is not None else set()
    user_id = getattr(actor, "id", None)
    if user_id is None:
        return frozenset(own)
    # Asked in the middle of a service's work (acts_for, before a status move): it must not flush what the
    # service is still building (evidence files wait for the one commit that keeps or drops them all).
    with db.session.no_autoflush:
        headed = db.session.scalars(sa.select(Opd.id).where(Opd.head_id == user_id))
        return frozenset(own | set(headed))


def opds_without_active_head(government_ids: Reach = None) -> list[Opd]:
    """Active OPDs (of these governments, if given) that nobody heads now: their reminders can only go to the
    official inbox, if any."""
    head = so.aliased(User)
    return list(
        db.session.scalars(
            sa.select(Opd)
            .outerjoin(head, Opd.head_id == head.id)
            .where(
                Opd.active,
                sa.or_(Opd.head_id.is_(None), head.active.is_(False)),
                _in_governments(Opd.government_id, government_ids),
            )
            .order_by(Opd.code, Opd.government_id)
        )
    )


# --- sign-in and one's own account ---------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; records the login time."""
    user = user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = clock.now()
    audit.record(user, "login", "user", user.id, scope=f"user:{user.id}")
    db.session.commit()
    return user


def user_by_session_id(session_id: str) -> tuple[User | None, int | None]:
    """The active user a session or remember cookie names ("id:version"), if that version is still current, and
    the data version (core.data_version) read by the same statement: every signed-in request needs both."""
    user_id, _, version = session_id.partition(":")
    # A bare "id" is version 0: cookies made before versions existed last until the user's first revocation.
    version = version or "0"
    if not (user_id.isdigit() and version.isdigit() and 0 < int(user_id) <= 2**31 - 1):
        return None, None
    row = db.session.execute(_user_with_opd(), {"user_id": int(user_id)}).one_or_none()
    if row is None or not row.User.active or row.User.session_version != int(version):
        return None, None
    return row.User, row.data_version


@functools.cache
def _user_with_opd() -> sa.Select:
    """The statement of every request's first query, built once: session.get builds it and its options anew each
    time. Every page's menu names the user's OPD: loaded with the user, not by a second query; and the data
    version comes as a column of it, not by a round trip of its own."""
    return (
        sa.select(User, data_version.column().label("data_version"))
        .options(so.joinedload(User.opd))
        .where(User.id == sa.bindparam("user_id"))
    )


def end_sessions(actor: Actor, user: User, *, tokens: bool = True) -> None:
    """End every session and remember cookie of `user`, on every device, and (unless `tokens` is false, as when
    one logs out) every API token too: deactivating an account or resetting its password ends them all. The
    caller commits."""
    user.session_version = (user.session_version or 0) + 1
    revoked = tokens and api_tokens.revoke_all(user)
    audit.record(
        actor,
        "end_sessions",
        "user",
        user.id,
        scope=f"user:{user.id}",
        changes={"tokens": [revoked, 0]} if revoked else None,
    )


def log_out(user: User) -> None:
    """Log out: a session is a signed cookie, so ending it for good (a copy replayed later) ends them all. The
    user's API tokens, made for scripts, stay."""
    end_sessions(user, user, tokens=False)
    db.session.commit()


def change_own_password(user: User, current: str, new: str) -> None:
    """Change one's own password, proving the current one; every session ends (the view renews the one in use)."""
    if not user.check_password(current):
        raise Invalid(_l("The current password is wrong."), field="current_password")
    _check_password_strength(new)
    user.set_password(new)
    audit.record(user, "change_password", "user", user.id, scope=f"user:{user.id}")
    end_sessions(user, user)
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    """Choose the language of one's pages and emails."""
    if locale not in ("id", "en"):
        raise Invalid(_l("Unknown language."))
    if user.locale != locale:
        audit.record(
            user, "update", "user", user.id, scope=f"user:{user.id}", changes={"locale": [user.locale, locale]}
        )
        user.locale = locale
        db.session.commit()


def calendar_token(user: User, *, renew: bool = False) -> str:
    """The secret of one's calendar feed, made on first use; renewing revokes the old address."""
    if renew or not user.calendar_token:
        audit.record(user, "renew_calendar", "user", user.id, scope=f"user:{user.id}")
        user.calendar_token = secrets.token_urlsafe(32)
        db.session.commit()
    return user.calendar_token


def user_by_calendar_token(token: str) -> User | None:
    """The active user whose calendar feed this is."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(User).where(User.calendar_token == token, User.active))


# --- the link to set one's password --------------------------------------------------------------------
# A new account gets no password in an email: it gets a link, signed with its own salt, that names the user and a
# fingerprint of its password hash and session version. Setting the password changes both, so the link works once;
# it expires after PASSWORD_LINK_HOURS (72 unless configured), by the app's clock.
PASSWORD_LINK_SALT = "kawal-set-password"


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer, telling time by the app's clock (tests move it)."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _password_link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PASSWORD_LINK_SALT, signer=_ClockSigner)


def _password_fingerprint(user: User) -> str:
    state = f"{user.id}:{user.password_hash or ''}:{user.session_version or 0}"
    return hashlib.sha256(state.encode()).hexdigest()[:24]


def password_link_token(user: User) -> str:
    """The token of a link that lets this user set a password, once, for a while."""
    return _password_link_serializer().dumps({"user": user.id, "state": _password_fingerprint(user)})


def password_link_hours() -> float:
    """How long a set-password link works."""
    return float(current_app.config.get("PASSWORD_LINK_HOURS", 72))


def user_by_password_token(token: str) -> User:
    """The active user whose set-password link this is, or Invalid (expired, used, changed or unknown)."""
    expired = Invalid(_l("This link has expired or was already used. Ask your administrator for a new one."))
    try:
        payload = _password_link_serializer().loads(token, max_age=int(password_link_hours() * 3600))
    except (BadData, TypeError, ValueError):
        raise expired from None
    user_id = payload.get("user") if isinstance(payload, dict) else None
    user = db.session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id <= 2**31 - 1 else None
    if user is None or not user.active or payload.get("state") != _password_fingerprint(user):
        raise expired
    return user


def set_password_with_link(token: str, new: str) -> User:
    """Set one's password through the link of `password_link_token`; the link then works no more, and every
    session of the account ends."""
    user = user_by_password_token(token)
    _check_password_strength(new)
    user.set_password(new)
    audit.record(user, "set_password", "user", user.id, scope=f"user:{user.id}")
    end_sessions(user, user)
    db.session.commit()
    return user


def send_password_link(actor: Actor, user_id: int) -> User:
    """Email a user a link to set a password (the admin's "send a link"); the old password keeps working until
    the new one is set."""
    require(actor, Permission.ADMINISTER)
    user = get_user(user_id, actor)
    if not user.active:
        raise Invalid(_l("This account is inactive."))
    audit.record(actor, "send_password_link", "user", user.id, scope=f"user:{user.id}")
    db.session.commit()
    events.send(events.password_link_wanted, user_ids=[user.id], actor_id=getattr(actor, "id", None))
    return user


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_l("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password")


# --- administration of users ---------------------------------------------------------------------------


def list_users(actor: Actor, *, search: str = "", page: int = 1, per_page: int = 20):
    """A page of the users the admin manages (its government's; every one for the instance admin), with their
    OPDs, filtered by a text search."""
    require(actor, Permission.ADMINISTER)
    query = (
        sa.select(User)
        .options(so.joinedload(User.opd))
        .where(_in_governments(User.government_id, administered(actor)))
        .order_by(User.name, User.id)
    )
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(pattern), User.email.like(pattern)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def create_user(actor: Actor, *, password: str | None, manages_instance: bool = False, **values) -> User:
    """Make an account, in the admin's government (or the one the instance admin chose). Without a password the
    account has none until its owner sets one through the link of `send_password_link`."""
    require(actor, Permission.ADMINISTER)
    values = _clean_user_values(values, actor)
    if password:
        _check_password_strength(password)
    if user_by_email(values["email"]):
        raise Invalid(_l("This email is already in use."), field="email")
    if manages_instance and not getattr(actor, "manages_instance", False):
        raise NotAllowed(_l("Only the administrator of this Kawal manages governments."))
    user = User(**values, manages_instance=manages_instance)
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    _adopt_as_head_if_vacant(user)
    audit.record(actor, "create", "user", user.id, scope=f"user:{user.id}", changes=audit.created(values))
    db.session.commit()
    if not password and user.active:
        events.send(events.password_link_wanted, user_ids=[user.id], actor_id=getattr(actor, "id", None))
    return user


def update_user(actor: Actor, user_id: int, **values) -> User:
    """Change an account's details, role or OPD."""
    require(actor, Permission.ADMINISTER)
    user = get_user(user_id, actor)
    values = _clean_user_values({"government_id": user.government_id, **values}, actor)
    other = user_by_email(values["email"])
    if other is not None and other.id != user.id:
        raise Invalid(_l("This email is already in use."), field="email")
    if actor is not None and getattr(actor, "id", None) == user.id and not values["active"]:
        raise Invalid(_l("You cannot deactivate your own account."), field="active")
    moved = values["opd_id"] != user.opd_id
    changes = audit.diff(user, values)
    if changes:
        _release_headship_if_no_longer_head(user, moved)
        _adopt_as_head_if_vacant(user)
        audit.record(actor, "update", "user", user.id, scope=f"user:{user.id}", changes=changes)
        if not user.active:
            end_sessions(actor, user)
        db.session.commit()
    return user


def set_user_active(actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate (or reactivate) an account; a deactivated user cannot log in and gets no email."""
    require(actor, Permission.ADMINISTER)
    user = get_user(user_id, actor)
    if not active and getattr(actor, "id", None) == user.id:
        raise Invalid(_l("You cannot deactivate your own account."))
    if user.active != active:
        audit.record(actor, "activate" if active else "deactivate", "user", user.id, scope=f"user:{user.id}")
        user.active = active
        _release_headship_if_no_longer_head(user)
        if not active:
            end_sessions(actor, user)
        db.session.commit()
    return user


def reset_password(actor: Actor, user_id: int, new_password: str) -> User:
    """Set another user's password, for one who has lost theirs."""
    require(actor, Permission.ADMINISTER)
    user = get_user(user_id, actor)
    _check_password_strength(new_password)
    user.set_password(new_password)
    audit.record(actor, "reset_password", "user", user.id, scope=f"user:{user.id}")
    end_sessions(actor, user)
    db.session.commit()
    return user


def _clean_user_values(values: dict, actor: Actor) -> dict:
    government_id = values.get("government_id") or governments.acting_government_id(actor)
    values = {name: values.get(name) for name in USER_FIELDS}
    values["government_id"] = government_id
    values["email"] = normalize_email(values["email"] or "")
    values["name"] = (values["name"] or "").strip()
    values["position"] = (values["position"] or "").strip() or None
    values["role"] = Role(values["role"])
    values["locale"] = values["locale"] or "id"
    values["active"] = True if values["active"] is None else bool(values["active"])
    if values["role"] in ROLES_WITH_OPD:
        if not values["opd_id"]:
            raise Invalid(_l("OPD heads and OPD staff need an OPD."), field="opd_id")
        # An OPD user belongs to its OPD's government, which must be one the admin manages.
        values["government_id"] = _opd_of_admin(values["opd_id"], actor).government_id
    else:
        # Administrators and viewers stand outside any OPD; the secretariat keeps its own (Bappeda).
        values["opd_id"] = values["opd_id"] or None
        if not works_for(actor, values["government_id"]):
            raise Invalid(_l("Choose a government you manage."), field="government_id")
        get_government(values["government_id"])
        if values["opd_id"] and _opd_of_admin(values["opd_id"], actor).government_id != values["government_id"]:
            raise Invalid(_l("The OPD must be of the same government."), field="opd_id")
    return values


def _opd_of_admin(opd_id: int, actor: Actor) -> Opd:
    """The OPD a form named, if the admin manages it; otherwise an error on the OPD field (never a 404 page)."""
    try:
        return get_opd(opd_id, actor)
    except NotFound:
        raise Invalid(_l("No such OPD."), field="opd_id") from None


def _adopt_as_head_if_vacant(user: User) -> None:
    """A new active OPD head becomes the head of an OPD that has none."""
    if user.role == Role.OPD_HEAD and user.active and user.opd is not None and user.opd.head_id is None:
        user.opd.head = user


def _release_headship_if_no_longer_head(user: User, moved: bool = False) -> None:
    """An OPD whose head left the role, the OPD or Kawal has no head until one is named. A head who moved to
    another OPD (mutasi) heads nothing until named again, Plt. posts included; one who stays keeps them while
    `head_refusal` allows."""
    for opd in db.session.scalars(sa.select(Opd).where(Opd.head_id == user.id)):
        if moved or head_refusal(user, opd) is not None:
            opd.head = None


# --- administration of OPDs ----------------------------------------------------------------------------


def list_opds(actor: Actor, *, search: str = "", include_inactive: bool = True) -> list[Opd]:
    """The OPDs the admin manages (its government's; every one for the instance admin) with their parent and head,
    by code."""
    require(actor, Permission.ADMINISTER)
    query = (
        sa.select(Opd)
        .options(so.joinedload(Opd.parent), so.joinedload(Opd.head))
        .where(_in_governments(Opd.government_id, administered(actor)))
        .order_by(Opd.code, Opd.government_id)
    )
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(Opd.name).like(pattern), sa.func.lower(Opd.code).like(pattern)))
    if not include_inactive:
        query = query.where(Opd.active)
    return list(db.session.scalars(query))


def create_opd(actor: Actor, **values) -> Opd:
    """Add an agency."""
    require(actor, Permission.ADMINISTER)
    values = {**values, "government_id": values.get("government_id") or governments.acting_government_id(actor)}
    if not works_for(actor, values["government_id"]):
        raise Invalid(_l("Choose a government you manage."), field="government_id")
    get_government(values["government_id"])
    values = _clean_opd_values(values, None)
    opd = Opd(**values)
    db.session.add(opd)
    db.session.flush()
    audit.record(actor, "create", "opd", opd.id, scope=f"opd:{opd.id}", changes=audit.created(values))
    db.session.commit()
    return opd


def update_opd(actor: Actor, opd_id: int, **values) -> Opd:
    """Change an agency: name, parent, inbox, head, or whether it is active."""
    require(actor, Permission.ADMINISTER)
    opd = get_opd(opd_id, actor)
    values = _clean_opd_values({**values, "government_id": opd.government_id}, opd)
    changes = audit.diff(opd, values)
    if changes:
        audit.record(actor, "update", "opd", opd.id, scope=f"opd:{opd.id}", changes=changes)
        db.session.commit()
    return opd


def _clean_opd_values(values: dict, opd: Opd | None) -> dict:
    government_id = values.get("government_id")
    values = {name: values.get(name) for name in OPD_FIELDS}
    values["government_id"] = government_id
    values["code"] = (values["code"] or "").strip().upper()
    values["name"] = (values["name"] or "").strip()
    values["email"] = normalize_email(values["email"]) if values["email"] else None
    values["active"] = True if values["active"] is None else bool(values["active"])
    values["parent_id"] = values["parent_id"] or None
    values["head_id"] = values["head_id"] or None
    values["government_id"] = values["government_id"] or governments.default_government_id()
    other = opd_by_code(values["code"], values["government_id"])
    if other is not None and (opd is None or other.id != opd.id):
        raise Invalid(_l("Another OPD already has this code."), field="code")
    if values["parent_id"]:
        parent = get_opd(values["parent_id"])
        if parent.government_id != values["government_id"]:
            raise Invalid(_l("The parent OPD must be of the same government."), field="parent_id")
        while opd is not None and parent is not None:
            if parent.id == opd.id:
                raise Invalid(_l("An OPD cannot sit under itself."), field="parent_id")
            parent = parent.parent
    if values["head_id"]:
        head = db.session.get(User, values["head_id"])
        if opd is None or head is None:
            raise Invalid(_l("The head must be an active OPD head of this OPD."), field="head_id")
        refusal = head_refusal(head, opd)
        if refusal is not None:
            raise Invalid(refusal, field="head_id")
    return values


# --- administration of governments (the instance admin) ----------------------------------------------------

# What a government's admin sets for its documents: the letterhead, the Berita Acara's numbering, the date line's
# place and the signers. The code, name, kind, place in the tree, time zone and active flag stay the instance admin's.
DOCUMENT_FIELDS = (
    "letterhead_name",
    "letterhead_address",
    "numbering_format",
    "place_name",
    "head_title",
    "secretariat_name",
    "signer_title",
    "signer_name",
    "signer_nip",
)
GOVERNMENT_FIELDS = ("code", "name", "short_name", "kind", "parent_id", "time_zone", *DOCUMENT_FIELDS, "active")
# The texts of a government, trimmed, and None when empty.
GOVERNMENT_TEXTS = tuple(name for name in GOVERNMENT_FIELDS if name not in ("kind", "parent_id", "time_zone", "active"))


def get_government(government_id: int) -> Government:
    """The government of this id, or NotFound."""
    government = db.session.get(Government, government_id)
    if government is None:
        raise NotFound(_l("No such government."))
    return government


def list_governments(actor: Actor) -> list[Government]:
    """Every government of this Kawal with its parent, by name: only the instance admin lists them."""
    _require_instance_admin(actor)
    return list(
        db.session.scalars(sa.select(Government).options(so.joinedload(Government.parent)).order_by(Government.name))
    )


def create_government(actor: Actor, *, logo_upload=None, **values) -> Government:
    """Add a government to this Kawal: only the instance admin may. A logo upload is checked like evidence."""
    _require_instance_admin(actor)
    values = _clean_government_values(values, None)
    government = Government(**values)
    _store_logo(government, logo_upload, actor)
    db.session.add(government)
    db.session.flush()
    governments.forget()
    audit.record(
        actor, "create", "government", government.id, scope=f"government:{government.id}", changes=audit.created(values)
    )
    db.session.commit()
    return government


def update_government(actor: Actor, government_id: int, *, logo_upload=None, **values) -> Government:
    """Change a government's names, place in the tree, time zone, letterhead (a new logo replaces the old one) or
    whether it is active."""
    _require_instance_admin(actor)
    government = get_government(government_id)
    return _save_government(actor, government, _clean_government_values(values, government), logo_upload)


def _save_government(actor: Actor, government: Government, values: dict, logo_upload) -> Government:
    """Set the cleaned values (and a new logo) on the government, with one audit row of what changed."""
    changes = audit.diff(government, values)
    old_logo = government.logo
    _store_logo(government, logo_upload, actor)
    if government.logo != old_logo:
        changes = {**(changes or {}), "logo": [old_logo, government.logo]}
    if changes:
        audit.record(actor, "update", "government", government.id, scope=f"government:{government.id}", changes=changes)
        governments.forget()
        db.session.commit()
    return government


# --- a government's own document settings (its admin) -------------------------------------------------------


def document_government(actor: Actor, government_id: int | None = None) -> Government:
    """Whose document settings an admin reads or changes: its own government's, or, for the instance admin, the
    one it picked. An unknown government is not found; another government's is refused."""
    require(actor, Permission.ADMINISTER)
    if government_id is None:
        government_id = governments.acting_government_id(actor)
    if governments.node(government_id) is None:  # a tampered or huge id never reaches the database
        raise NotFound(_l("No such government."))
    require_works_for(actor, government_id)
    return get_government(government_id)


def document_governments(actor: Actor) -> list[tuple[int, str]]:
    """The governments whose document settings the actor may pick, by name: every one for the instance admin when
    there are several, else none (the page shows the admin's own without a picker)."""
    require(actor, Permission.ADMINISTER)
    if not governments.several() or not getattr(actor, "manages_instance", False):
        return []
    return [(n.id, n.name) for n in sorted(governments.tree().values(), key=lambda n: (n.name, n.id))]


def update_document_settings(actor: Actor, government_id: int | None, *, logo_upload=None, **values) -> Government:
    """Change a government's letterhead (a new logo replaces the old one), numbering format, place, head, secretariat
    and the secretariat head who signs: its own admin may, and the instance admin for any government."""
    government = document_government(actor, government_id)
    values = {name: (values.get(name) or "").strip() or None for name in DOCUMENT_FIELDS}
    values["numbering_format"] = numbering.check(values["numbering_format"])
    values["signer_nip"] = check_nip(values["signer_nip"], "signer_nip")
    return _save_government(actor, government, values, logo_upload)


LOGO_EXTENSIONS = {"png", "jpg", "jpeg"}


def _store_logo(government: Government, upload, actor: Actor) -> None:
    """Keep an uploaded logo (checked for type, content and size like evidence) as the government's."""
    if upload is None or not getattr(upload, "filename", ""):
        return
    try:
        government.logo = attachments.store(upload, actor, allowed=LOGO_EXTENSIONS).stored_name
    except Invalid as error:
        raise Invalid(error.message, field="logo") from None


def _require_instance_admin(actor: Actor) -> None:
    require(actor, Permission.ADMINISTER)
    if not getattr(actor, "manages_instance", False):
        raise NotAllowed(_l("Only the administrator of this Kawal manages governments."))


def _clean_government_values(values: dict, government: Government | None) -> dict:
    values = {name: values.get(name) for name in GOVERNMENT_FIELDS}
    for name in GOVERNMENT_TEXTS:
        values[name] = (values[name] or "").strip() or None
    values["numbering_format"] = numbering.check(values["numbering_format"])
    values["signer_nip"] = check_nip(values["signer_nip"], "signer_nip")
    if not values["code"]:
        raise Invalid(_l("A government needs a code."), field="code")
    values["code"] = values["code"].upper()
    if not values["name"]:
        raise Invalid(_l("A government needs its name as printed."), field="name")
    values["short_name"] = values["short_name"] or governments.short_name_of(values["name"])
    values["kind"] = GovernmentKind(values["kind"] or governments.kind_of(values["name"]))
    values["time_zone"] = values["time_zone"] or "Asia/Jakarta"
    if values["time_zone"] not in TIME_ZONE_LABELS:
        raise Invalid(_l("Choose WIB, WITA or WIT."), field="time_zone")
    values["active"] = True if values["active"] is None else bool(values["active"])
    other = db.session.scalar(sa.select(Government).where(sa.func.upper(Government.code) == values["code"]))
    if other is not None and (government is None or other.id != government.id):
        raise Invalid(_l("Another government already has this code."), field="code")
    values["parent_id"] = values["parent_id"] or None
    if values["parent_id"]:
        get_government(values["parent_id"])
        if government is not None and values["parent_id"] in governments.below(government.id):
            raise Invalid(_l("A government cannot sit under itself or one below it."), field="parent_id")
    return values
