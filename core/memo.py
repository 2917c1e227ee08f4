"""Results that hold until the data changes: kept per app (so per web worker), keyed by what they depend on and
by the data's version, and forgotten all at once when that version moves on.

A list's count or its filter choices cost several queries over 100,000 tasks, yet change only with the data; the
caller names the version (one cheap query, e.g. the latest audit row) and everything else its result depends on.
"""

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from core.audit import AuditEvent
from core.extensions import db

T = TypeVar("T")
# Entries of one version at most: filters and pages make keys without bound, and a worker's memory has one.
MAX_ENTRIES = 500
_EXTENSION = "kawal.memo"
_lock = threading.Lock()
# The transactions of this database that hold a transaction id (have written): none, between writes. Those of the
# server's other databases stay out, or every write anywhere would move the version.
_WRITING = sa.literal_column(
    "(SELECT string_agg(backend_xid::text, ',' ORDER BY backend_xid::text) FROM pg_stat_activity"
    " WHERE datname = current_database() AND backend_xid IS NOT NULL)"
)


def data_version(name: str, *latest: sa.ColumnElement) -> tuple:
    """The data's version, read once per request under `name`: the latest audit row (every change of state writes
    one) and the latest value of each of `latest` (a change made without one, e.g. by a job). On PostgreSQL also
    the transactions still writing in this database: ids are taken before commit, so a change that commits after
    a later one moves nothing else, but its end empties that list. SQLite writes one transaction at a time."""
    if has_request_context() and name in g:
        return g.get(name)
    columns = [sa.select(sa.func.max(AuditEvent.id)).scalar_subquery()]
    columns += [sa.select(sa.func.max(column)).scalar_subquery() for column in latest]
    if db.engine.dialect.name == "postgresql":
        columns.append(_WRITING)
    version = tuple(db.session.execute(sa.select(*columns)).one())
    if has_request_context():
        setattr(g, name, version)
    return version


class _Memo:
    def __init__(self):
        self.version: Hashable = None
        self.entries: dict[Hashable, object] = {}


def remembered(version: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave before for this `key` while the data's `version` is the same."""
    memo = current_app.extensions.setdefault(_EXTENSION, _Memo())
    with _lock:
        if memo.version != version:
            memo.version, memo.entries = version, {}
        if key in memo.entries:
            return memo.entries[key]
    value = compute()
    with _lock:
        if memo.version == version:
            if len(memo.entries) >= MAX_ENTRIES:
                memo.entries.clear()
            memo.entries[key] = value
    return value
