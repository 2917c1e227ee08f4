"""One-click acknowledgement links: signed, expiring, bound to one task and one head (core.security keeps them out
of the access logs)."""

from typing import NamedTuple

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from core import clock
from core.views import MAX_ID, absolute_url

ACKNOWLEDGE_SALT = "kawal.acknowledge.v1"


class _ClockedSigner(TimestampSigner):
    """Timestamps come from the app's clock, so a link's expiry is business time like every other rule."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


class _ClockedSerializer(URLSafeTimedSerializer):
    default_signer = _ClockedSigner


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return _ClockedSerializer(current_app.config["SECRET_KEY"], salt=salt)


class AcknowledgeLink(NamedTuple):
    """What a good token names: the task, the head it was sent to, and that head's OPD when the link was made
    (None in links made before the OPD was part of them)."""

    assignment_id: int
    user_id: int
    opd_id: int | None


def acknowledge_token(assignment_id: int, user_id: int, opd_id: int | None = None) -> str:
    data = {"a": assignment_id, "u": user_id}
    if opd_id is not None:
        data["o"] = opd_id
    return _serializer(ACKNOWLEDGE_SALT).dumps(data)


def _id(value) -> int:
    """An id from a token: an integer the database can hold, or ValueError (a bad token, not a crash)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValueError(value)
    return value


def read_acknowledge_token(token: str, max_age_days: int) -> AcknowledgeLink | None:
    """The ids of a good token; None when it is tampered, expired, for another purpose or names no possible id."""
    try:
        data = _serializer(ACKNOWLEDGE_SALT).loads(token, max_age=max_age_days * 86400)
        opd_id = data.get("o")
        return AcknowledgeLink(_id(data["a"]), _id(data["u"]), None if opd_id is None else _id(opd_id))
    except (BadData, AttributeError, KeyError, TypeError, ValueError):
        return None


def acknowledge_url(assignment_id: int, user_id: int, opd_id: int | None = None) -> str:
    """The absolute link an email carries."""
    token = acknowledge_token(assignment_id, user_id, opd_id)
    return absolute_url("notifications.acknowledge_link", token=token)
