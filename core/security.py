"""Security headers on every response, and secret paths kept out of the access logs."""

import logging
import re

from flask import current_app, request, session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# The caching of a page that answers conditional GETs: this browser only, and asked again before each use.
REVALIDATE = "private, no-cache"


def add_security_headers(response):
    """CSP, no sniffing, no framing, a strict referrer, HSTS in production, no caching of a logged-in user's pages."""
    headers = response.headers
    if current_app.config.get("HSTS_MAX_AGE"):
        headers.setdefault("Strict-Transport-Security", f"max-age={current_app.config['HSTS_MAX_AGE']}")
    # A shared computer's cache or back button must not show someone's pages after they left. The session says
    # who is logged in without asking the database, which may be the very thing that failed on an error page.
    # A list with an ETag (core.conditional) is kept but revalidated each time; logging out clears the cache.
    if request.endpoint != "static" and "_user_id" in session and headers.get("Cache-Control") != REVALIDATE:
        headers["Cache-Control"] = "no-store"
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


# A secret in a URL path: the one-click acknowledgement links (/a/<token>) and the calendar feeds
# (/calendar/<token>.ics). Anyone who reads the access log could use them.
_SECRET_IN_PATH = re.compile(r"(/a/|/calendar/)[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*")


class RedactTokens(logging.Filter):
    """Access logs show /a/[token] and /calendar/[token] instead of the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        # gunicorn passes its access-log atoms as a dict; werkzeug passes a tuple.
        if isinstance(record.args, dict):
            record.args = {k: _redact(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_redact(a) for a in record.args)
        record.msg = _redact(record.msg)
        return True


def _redact(value):
    return _SECRET_IN_PATH.sub(r"\1[token]", value) if isinstance(value, str) else value


def install_log_filter() -> None:
    """Attach the filter to the access loggers of the dev server and of gunicorn."""
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def init_app(app) -> None:
    """Attach the headers to every response."""
    app.after_request(add_security_headers)
