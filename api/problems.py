"""Errors as application/problem+json (RFC 9457), and marshmallow's own messages in the user's language.

marshmallow and webargs write their messages in English, already filled in ("Must be one of: a, b."). Each is
matched here against the catalogue's copy of its template, translated, and filled in again with the same values, so
a field error reads like the pages' own (`tests/api/test_behaviour.py` walks every message of the installed
marshmallow, and fails on one missing here or not translated)."""

import re
from functools import cache

from flask import jsonify
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

PROBLEM_TYPE = "about:blank"
PROBLEM_CONTENT_TYPE = "application/problem+json"

# marshmallow's messages, as it words them (fields, validators and the schema itself); {name} is a value it fills.
MARSHMALLOW_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Invalid value."),
    _l("Invalid type."),
    _l("Invalid input type."),
    _l("Unknown field."),
    _l("Not a valid list."),
    _l("Not a valid tuple."),
    _l("Not a valid string."),
    _l("Not a valid utf-8 string."),
    _l("Not a valid UUID."),
    _l("Not a valid number."),
    _l("Number too large."),
    _l("Not a valid integer."),
    _l("Special numeric values (nan or infinity) are not permitted."),
    _l("Not a valid boolean."),
    _l("Not a valid datetime."),
    _l("Not a valid aware datetime."),
    _l("Not a valid naive datetime."),
    _l("Not a valid date."),
    _l("Not a valid time."),
    _l("Not a valid period of time."),
    _l("Not a valid mapping type."),
    _l("Not a valid URL."),
    _l("Not a valid email address."),
    _l("Must be one of: {choices}."),
    _l("Must be greater than or equal to {min}."),
    _l("Must be greater than {min}."),
    _l("Must be less than or equal to {max}."),
    _l("Must be less than {max}."),
    _l("Must be greater than or equal to {min} and less than or equal to {max}."),
    _l("Shorter than minimum length {min}."),
    _l("Longer than maximum length {max}."),
    _l("Length must be between {min} and {max}."),
    _l("Length must be {equal}."),
    _l("Must be equal to {other}."),
    _l("Must be greater than {min} and less than {max}."),
    _l("Must be greater than {min} and less than or equal to {max}."),
    _l("Must be greater than or equal to {min} and less than {max}."),
    _l("Invalid input."),
    _l("String does not match expected pattern."),
    _l("One or more of the choices you made was not in: {choices}."),
    _l("One or more of the choices you made was in: {values}."),
    _l("Not a valid IP address."),
    _l("Not a valid IPv4 address."),
    _l("Not a valid IPv6 address."),
    _l("Not a valid IP interface."),
    _l("Not a valid IPv4 interface."),
    _l("Not a valid IPv6 interface."),
    # webargs' own, for a body that is not JSON
    _l("Invalid JSON body."),
)


@cache
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    """Each template's English wording as a pattern whose groups are its values (built once per process)."""
    patterns = []
    # The longest first: "… {min} and less than or equal to {max}." before "… {min}.", whose value would swallow it.
    for message in sorted(MARSHMALLOW_MESSAGES, key=lambda message: -len(message._args[0])):
        template = message._args[0]
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+)", re.escape(template))
        patterns.append((re.compile(f"^{regex}$", re.S), template))
    return tuple(patterns)


def say(message) -> str:
    """One message of marshmallow's in the user's language; a message of our own (already translated) as it is."""
    text = str(message)
    for pattern, template in _patterns():
        match = pattern.match(text)
        if match:
            return gettext(template).format(**match.groupdict())
    return text


def say_errors(messages) -> dict:
    """webargs' errors ({"json": {"field": ["..."]}, "query": {...}}) as {"field": ["..."]}, each message said in
    the user's language; a nested field is named with dots ("members.0.name")."""
    flat: dict[str, list[str]] = {}

    def walk(value, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, (*path, str(key)))
        elif isinstance(value, list | tuple) and value and not all(isinstance(item, str) for item in value):
            for index, inner in enumerate(value):
                walk(inner, (*path, str(index)))
        else:
            items = value if isinstance(value, list | tuple) else [value]
            flat.setdefault(".".join(path) or "_schema", []).extend(say(item) for item in items)

    for location_errors in (messages or {}).values():
        walk(location_errors, ())
    return flat


def problem(status: int, detail, *, errors: dict | None = None, headers: dict | None = None, title=None):
    """An application/problem+json response: type, title, status, detail, and `errors` by field when there are."""
    body = {"type": PROBLEM_TYPE, "title": str(title or detail), "status": status, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_CONTENT_TYPE
    response.headers.update(headers or {})
    response.headers.setdefault("Cache-Control", "no-store")
    return response
