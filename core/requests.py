"""The request class of the app: what every view reads from a query string or a form is free of NUL."""

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict


class NulFreeMultiDict(ImmutableMultiDict):
    """Query and form values without NUL characters: no one types them, PostgreSQL refuses them in text (a
    500), and SQLite would keep them. Files pass untouched."""

    def __init__(self, mapping=None):
        if isinstance(mapping, MultiDict):
            mapping = mapping.items(multi=True)
        elif isinstance(mapping, dict):
            mapping = [(k, v) for k, vs in mapping.items() for v in (vs if isinstance(vs, list | tuple) else [vs])]
        pairs = [(key, value.replace("\x00", "") if isinstance(value, str) else value) for key, value in mapping or ()]
        super().__init__(pairs)


class KawalRequest(Request):
    """Flask's request, with NUL-free `args` and `form`."""

    parameter_storage_class = NulFreeMultiDict
