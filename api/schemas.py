"""What every resource's schemas share: ids that an id column can hold, times in ISO 8601 with their offset, and
the query parameters of a page."""

from datetime import UTC

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from werkzeug.datastructures import FileStorage

from core import clock

# Ids are integers a column can hold: a bigger one is refused as a field error, never reaches the database.
MAX_ID = 2**31 - 1


class Id(ma.fields.Integer):
    """An id in a query (its digits, as a query string carries every value) or a body (a JSON integer: 1.0 and
    true are refused)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        return super()._validated(value)


class QueryId(Id):
    """An id in a query string, where every value comes as text: "12" is read as 12 (a strict `Id` refuses it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", False)
        super().__init__(**kwargs)


class Moment(ma.fields.AwareDateTime):
    """A moment in ISO 8601 with its offset ("2026-12-02T09:30:00+00:00"); a query's moment must carry one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "iso")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        """The moment in UTC; one of the calendar's first or last hours that UTC cannot hold ("0001-01-01T00:00
        +14:00") is held at that end, as the clock holds a local day's, instead of failing in the database."""
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            return clock.FIRST_MOMENT if moment.year == 1 else clock.LAST_MOMENT


class Schema(ma.Schema):
    """A response or request schema; a request with a field the schema does not know is refused."""

    class Meta:
        unknown = ma.RAISE


class ProblemSchema(Schema):
    """An error, as application/problem+json (RFC 9457): what every operation answers when it refuses."""

    type = ma.fields.String(required=True, metadata={"description": "Always about:blank: the status says it."})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True, metadata={"description": "In the user's language."})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "The messages of each field refused, by its name (nested: dotted)."},
    )


class File(Upload):
    """A file of a multipart body; a plain field sent under its name (`files=text`) is refused, not read as one."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ma.ValidationError(str(_l("Not a valid file.")))
        return value
