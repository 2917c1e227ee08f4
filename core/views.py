"""Helpers for views: permission gates, the query string's numbers and dates, addresses that keep it, and
redirect targets."""

import unicodedata
from collections.abc import Mapping
from datetime import date
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter

from core.errors import Invalid
from core.forms import attach_error
from core.permissions import Permission, require


def permission_required(permission: Permission):
    """Log in first, then hold the permission; the check is the same table the services use."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            require(current_user, permission)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def safe_redirect_target(target: str | None) -> str | None:
    """`target` if a browser would read it as a path on this site, else None: the judge of every redirect."""
    # Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so "/<tab>/evil.com" and
    # "/<backslash>evil.com" lead off-site: a control, format or space character or a backslash is refused,
    # not cleaned, and what remains must be a path with neither scheme nor host.
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# Ids are 32-bit integers in the database; a larger number in a URL names nothing, and PostgreSQL would
# otherwise answer it with an error instead of an empty result.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """The `int` converter of every route: a larger number than an id can hold is a 404, not a crash."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


MAX_PAGE = 100_000


def bounded_int(text: str | None, *, low: int, high: int, default: int | None = None) -> int | None:
    """Text as an integer within low..high, or `default` for anything else: words, or a number the database
    could not compare with (PostgreSQL refuses one past its column's type instead of matching nothing)."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def int_arg(name: str, *, low: int, high: int, default: int | None = None) -> int | None:
    """A query-string integer within low..high, or `default` for anything else."""
    return bounded_int(request.args.get(name), low=low, high=high, default=default)


def id_arg(name: str) -> int | None:
    """A query-string id, or None for anything that cannot be one."""
    return int_arg(name, low=1, high=MAX_ID)


def page_number() -> int:
    """The ?page= argument, 1 for anything that is not a sensible page number."""
    return int_arg("page", low=1, high=MAX_PAGE, default=1)


def date_arg(name: str) -> date | None:
    """A query-string ISO date, or None for anything else. Any date of the calendar is kept as typed: the
    clock's conversions hold the calendar's ends, so a filter "until 9999-12-31" means "no end"."""
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


# The names url_for takes for itself: a query string carrying one must not steer the address it builds.
RESERVED_URL_ARGS = frozenset({"endpoint", "_external", "_anchor", "_scheme", "_method"})


def url_with(endpoint: str | None = None, args: Mapping | None = None, /, **changes) -> str:
    """The address of `endpoint` (this page, with its path, unless told) carrying the query arguments `args`
    (this request's unless told) with `changes` applied, None dropping one; reserved names are never passed on."""
    path_args = dict(request.view_args or {}) if endpoint is None else {}
    source = request.args if args is None else args
    pairs = source.lists() if hasattr(source, "lists") else ((k, [v]) for k, v in source.items())
    query = {k: v for k, v in pairs if k not in RESERVED_URL_ARGS and k not in path_args}
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return url_for(endpoint or request.endpoint, **path_args, **query)


def id_url(endpoint: str, name: str, **values):
    """url_for done once for the rows of a list: a function of an id giving the address of `endpoint` with that id
    as its argument `name` (the other arguments fixed), as url_for would build it for each row."""
    before, after = url_for(endpoint, **{name: MAX_ID}, **values).rsplit(str(MAX_ID), 1)
    return lambda value: f"{before}{int(value)}{after}"


def select_options(rows, selected) -> Markup:
    """<option>s for rows of (value, label, ...), `selected` marked. Built in Python with the C escape: the
    follow-ups list's filters with 500 OPDs and 500 series cost 15 ms as Jinja loops. `rows` may be options built
    already (`options_html`), as a list remembers its filter choices: only the mark is added then."""
    html = rows if isinstance(rows, Markup) else options_html(rows)
    if selected is None or selected == "":
        return html
    value = escape(selected)
    # Both sides as Markup: Markup.replace escapes a plain str, which would print the mark as text.
    return html.replace(Markup(f'<option value="{value}">'), Markup(f'<option value="{value}" selected>'), 1)


def options_html(rows) -> Markup:
    """<option>s for rows of (value, label, ...), none selected."""
    return Markup("".join(f'<option value="{escape(row[0])}">{escape(row[1])}</option>' for row in rows))


def absolute_url(endpoint: str, **values) -> str:
    """A link on KAWAL_BASE_URL, built without a request: emails are written by the worker."""
    base = urlsplit(current_app.config["KAWAL_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def read_upload(form, read):
    """The submitted upload form's file as `read(filename, data)` makes it (an import's reader), or None: not
    submitted, or refused, with the reason beside the file field. Reads one byte past the limit, so the reader
    can tell a file that is too large."""
    if not form.validate_on_submit():
        return None
    upload = form.file.data
    try:
        return read(upload.filename or "", upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1))
    except Invalid as error:
        attach_error(form, error)
        return None


def attachment_download(attachment):
    """A stored file as a download under the name it was uploaded with, kept in no cache (it may be private)."""
    response = send_file(
        attachment.path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
