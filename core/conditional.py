"""Conditional GET: a list page answers 304 Not Modified, without running its queries or its template, when
nothing it would show has changed since the copy the browser holds.

The page's ETag is a digest of everything the page depends on: the data (core.data_version: one row that every
committed write moves on), the signed-in user and their session (the CSRF token in the page's forms, pending flashed
messages), the language, today's date in the viewer's zone, and the address with its filters and page number.
"""

import hashlib
import secrets
import time
from collections.abc import Callable
from functools import wraps

from flask import current_app, request, session
from flask_login import current_user

from core import clock
from core.security import REVALIDATE

# The CSRF tokens in a page are signed with the moment it was rendered and expire after WTF_CSRF_TIME_LIMIT: a
# copy is confirmed for at most this share of that time, so that a form on it still posts.
TOKEN_AGE_SHARE = 10
# Drawn once per app (gunicorn's preload_app shares it among the workers): a restart, a new release's templates or
# a database made anew (whose version starts again at 1) confirms no copy from before it.
_STARTED = "kawal.conditional_started"


def init_app(app) -> None:
    """Draw the app's token, before gunicorn forks its workers."""
    app.extensions[_STARTED] = secrets.token_hex(8)


def page_etag(version) -> str:
    """The ETag of this request's page for the current user, given the data's `version`."""
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    # The real time, not core.clock's: itsdangerous signs the CSRF tokens with it.
    token_period = int(time.time() // max(limit // TOKEN_AGE_SHARE, 1)) if limit else 0
    parts = (
        current_app.extensions[_STARTED],
        repr(version),
        str(current_user.get_id()),
        str(session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))),
        repr(session.get("_flashes")),
        str(token_period),
        str(getattr(current_user, "locale", None)),
        clock.today_local().isoformat(),
        request.full_path,
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def conditional(version: Callable[[], object]):
    """Answer a GET with 304 when the browser's ETag is this page's; otherwise render it and send its ETag, with
    `Cache-Control: private, no-cache`, so that the browser keeps it for this user alone and asks each time.
    `version()` reads what the page's data has become, in one small query (core.data_version.current)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(*args, **kwargs)
            data_version = version()
            if data_version is None:  # no version to trust (core.data_version): the page as it is, untagged
                return view(*args, **kwargs)
            etag = page_etag(data_version)
            if request.if_none_match.contains_weak(etag):
                response = current_app.response_class(status=304)
            else:
                response = current_app.make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
                # Rendering may have made the session's CSRF token or shown the flashes, and the browser's next
                # request carries that session: the tag is of the session as it is now.
                if session.modified:
                    etag = page_etag(data_version)
            response.set_etag(etag)
            response.headers["Cache-Control"] = REVALIDATE
            return response

        return wrapped

    return decorator
