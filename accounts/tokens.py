"""Personal access tokens for the API: made by their user (or by `flask api token create`), shown once, stored as
a SHA-256 of the secret, listed with their last use, revoked by hand, and ended with the user's sessions when the
account is deactivated or its password reset (`accounts.services.end_sessions`)."""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from accounts.models import ApiToken, TokenScope, User
from core import audit, clock
from core.errors import Invalid, NotFound
from core.extensions import db

# The secret: a recognisable prefix (secret scanners look for such), then 32 random bytes.
SECRET_PREFIX = "kawal_"
MAX_DAYS = 366
# How stale "last used" may be: written at most once a minute, so a busy script costs no write per request.
LAST_USE_RESOLUTION = timedelta(minutes=1)
MAX_TOKENS_PER_USER = 50


def secret_digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, *, name: str, scope: str, days: int | None, actor=None) -> tuple[ApiToken, str]:
    """Make a token for `user`, valid `days` days (None: until revoked); returns it and its secret, which is
    never stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise Invalid(_l("Give the token a name."), field="name")
    if len(name) > 100:
        raise Invalid(_l("The name is too long (at most 100 characters)."), field="name")
    if scope not in set(TokenScope):
        raise Invalid(_l("Choose read, or read and write."), field="scope")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise Invalid(_l("A token lasts from 1 to %(max)s days.", max=MAX_DAYS), field="days")
    if not user.active:
        raise Invalid(_l("This account is inactive."))
    if len(active_tokens(user)) >= MAX_TOKENS_PER_USER:
        raise Invalid(_l("You have too many tokens; revoke one you no longer use."))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[: len(SECRET_PREFIX) + 6],
        secret_hash=secret_digest(secret),
        scope=TokenScope(scope),
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        actor or user,
        "create_token",
        "user",
        user.id,
        scope=f"user:{user.id}",
        changes={"token": [None, f"{token.id}: {name} ({token.scope.value})"]},
    )
    db.session.commit()
    return token, secret


def active_tokens(user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    now = clock.now()
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
            .order_by(ApiToken.id.desc())
        )
    )


def user_tokens(user: User) -> list[ApiToken]:
    """All of the user's tokens, working or not, newest first (the token page lists the ended ones too)."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def names_by_id(ids) -> dict[int, str]:
    """The names of these tokens (None left out), in one query: a history page says which token made a change."""
    wanted = {token_id for token_id in ids if token_id is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(wanted))).all())


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of one's own tokens; another user's token is not found."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= 2**31 - 1 else None
    if token is None or token.user_id != user.id:
        raise NotFound(_l("This token does not exist."))
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit.record(
            user, "revoke_token", "user", user.id, scope=f"user:{user.id}", changes={"token": [token.name, None]}
        )
        db.session.commit()
    return token


def revoke_all(user: User) -> int:
    """Revoke every working token of `user` (its sessions are ending); the caller audits and commits."""
    result = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return result.rowcount or 0


def revoke_every_token(actor, user: User) -> int:
    """Revoke every working token of `user` and say so in the audit trail (`flask api token revoke`: a script's
    machine was lost); their sessions stay. Returns how many were revoked."""
    revoked = revoke_all(user)
    if revoked:
        audit.record(actor, "revoke_token", "user", user.id, scope=f"user:{user.id}", changes={"tokens": [revoked, 0]})
    db.session.commit()
    return revoked


def token_by_secret(secret: str) -> ApiToken | None:
    """The working token with this secret, its user loaded with it (one query), or None: unknown, revoked,
    expired, or its user inactive. Notes the last use at most once a minute."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    now = clock.now()
    row = db.session.execute(
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.secret_hash == secret_digest(secret), ApiToken.revoked_at.is_(None), User.active)
    ).first()
    if row is None:
        return None
    token, _user = row
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
        _note_use(token, now)
    return token


def _note_use(token: ApiToken, now: datetime) -> None:
    db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    db.session.commit()
    # As the row now is, without marking it changed: a plain assignment would write it once more at the next flush.
    so.attributes.set_committed_value(token, "last_used_at", now)
