"""What every resource's schemas share: ids that an id column can hold, times in ISO 8601 with their offset, and
the query parameters of a page."""

import marshmallow as ma

# Ids are integers a column can hold: a bigger one is refused as a field error, never reaches the database.
MAX_ID = 2**31 - 1


class Id(ma.fields.Integer):
    """An id in a query or a body."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)


class QueryId(Id):
    """An id in a query string, where every value is text: "12" is the id 12 (a body's id must be a number)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", False)
        super().__init__(**kwargs)


class Moment(ma.fields.AwareDateTime):
    """A moment in ISO 8601 with its offset ("2026-12-02T09:30:00+00:00"); a query's moment must carry one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "iso")
        super().__init__(**kwargs)


class Schema(ma.Schema):
    """A response or request schema; a request with a field the schema does not know is refused."""

    class Meta:
        unknown = ma.RAISE
