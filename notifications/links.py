"""One-click acknowledgement links: signed, expiring, bound to one task and one head (core.security keeps them out
of the access logs)."""

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from core import clock
from core.views import absolute_url

ACKNOWLEDGE_SALT = "kawal.acknowledge.v1"


class _ClockedSigner(TimestampSigner):
    """Timestamps come from the app's clock, so a link's expiry is business time like every other rule."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


class _ClockedSerializer(URLSafeTimedSerializer):
    default_signer = _ClockedSigner


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return _ClockedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def acknowledge_token(assignment_id: int, user_id: int) -> str:
    return _serializer(ACKNOWLEDGE_SALT).dumps({"a": assignment_id, "u": user_id})


def read_acknowledge_token(token: str, max_age_days: int) -> tuple[int, int] | None:
    """(assignment id, user id) from a good token; None when it is tampered, expired or for another purpose."""
    try:
        data = _serializer(ACKNOWLEDGE_SALT).loads(token, max_age=max_age_days * 86400)
        return int(data["a"]), int(data["u"])
    except (BadData, KeyError, TypeError, ValueError):
        return None


def acknowledge_url(assignment_id: int, user_id: int) -> str:
    """The absolute link an email carries."""
    return absolute_url("notifications.acknowledge_link", token=acknowledge_token(assignment_id, user_id))
