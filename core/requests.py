"""The request class of the app: what every view reads from a query string or a form is free of control
characters (NUL and the other C0 controls but tab and line breaks)."""

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from core.text import without_controls


class ControlFreeMultiDict(ImmutableMultiDict):
    """Query and form values without control characters: no one types them, PostgreSQL refuses NUL in text (a
    500), SQLite would keep them, and one in a title would break every Excel export. Files pass untouched."""

    def __init__(self, mapping=None):
        if isinstance(mapping, MultiDict):
            mapping = mapping.items(multi=True)
        elif isinstance(mapping, dict):
            mapping = [(k, v) for k, vs in mapping.items() for v in (vs if isinstance(vs, list | tuple) else [vs])]
        pairs = [(key, without_controls(value) if isinstance(value, str) else value) for key, value in mapping or ()]
        super().__init__(pairs)


class KawalRequest(Request):
    """Flask's request, with control-free `args` and `form`."""

    parameter_storage_class = ControlFreeMultiDict
