"""The data version: one number that every committed write moves on, in the same transaction as the write, so that
each web worker learns with one tiny query whether what it computed earlier is still true; and a small cache of
figures keyed by it. Writes only to the tables no cached figure reads (mail, audit, tokens' last use) leave it."""

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, g, has_app_context, has_request_context

from core.extensions import db

# Tables written on every mail sent, API call or audited change: moving the version for them would empty the
# caches for nothing, since no cached figure reads them.
UNCACHED_TABLES = frozenset({"outbox", "outbox_items", "audit_events", "api_tokens"})
# Per cache name and web worker. An entry is a few kilobytes to some 65 KB (a dashboard's HTML with a long query
# string in its links): the rendered caches of a worker stay under some 20 MB however many addresses are asked.
CACHE_ENTRIES = 128
_WROTE = "kawal_wrote"
_CACHES = "kawal_version_caches"
_READ = "kawal_data_version"
# WITH is not among the reads: "WITH ... UPDATE" writes.
_READS = re.compile(r"\s*(SELECT|EXPLAIN|SHOW|PRAGMA)\b", re.IGNORECASE)
_RUNS = re.compile(r"\s*EXPLAIN\s*(\([^)]*)?\bANALY[SZ]E\b", re.IGNORECASE)  # EXPLAIN ANALYZE runs the statement
_WRITES_TO = re.compile(r'\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+"?(\w+)"?(?:\s|\(|$)', re.IGNORECASE)


class DataVersion(db.Model):
    """The single row (id 1) whose version the writes move on."""

    __tablename__ = "data_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version: so.Mapped[int]


def current() -> int | None:
    """The version now; None when the row is missing (then nothing is cached). A request reads it once, before
    any figure, so that every cache it fills holds figures at least as new as the version they are kept under; a
    commit of its own forgets it."""
    if has_request_context() and _READ in g:
        return g.get(_READ)
    version = db.session.scalar(sa.select(DataVersion.version).where(DataVersion.id == 1))
    if has_request_context():
        setattr(g, _READ, version)
    return version


def column() -> sa.ScalarSelect:
    """The version as a column of another statement: a request's first query (its user's) reads it too, and
    remember() keeps it for current(), instead of a round trip of its own."""
    return sa.select(DataVersion.version).where(DataVersion.id == 1).scalar_subquery()


def remember(version: int | None) -> None:
    """Keep the version that column() read as this request's, unless the request has read one already: the
    caches it filled are kept under that one."""
    if has_request_context() and _READ not in g:
        setattr(g, _READ, version)


def cached(name: str, key: Hashable, compute: Callable):
    """What compute() gives, from this worker's cache when it was computed for the same key at the current
    version. The version is read before computing: a write committed meanwhile moves it on, so the next reader
    computes again. A transaction that wrote computes without keeping: its writes may yet be rolled back, and
    would then be kept under a version that never moved."""
    version = current()
    if version is None or db.session.info.get(_WROTE):
        return compute()
    cache = _cache(name)
    with cache.lock:
        hit = cache.entries.get(key)
        if hit is not None and hit[0] == version:
            cache.entries.move_to_end(key)
            return hit[1]
    value = compute()
    with cache.lock:
        cache.entries[key] = (version, value)
        cache.entries.move_to_end(key)
        while len(cache.entries) > CACHE_ENTRIES:
            cache.entries.popitem(last=False)
    return value


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries: OrderedDict = OrderedDict()


def _cache(name: str) -> _Cache:
    caches = current_app.extensions[_CACHES]
    with caches["lock"]:
        return caches.setdefault(name, _Cache())


def _note_flush(session: so.Session, _context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(type(row).__table__.name not in UNCACHED_TABLES for row in changed):
        session.info[_WROTE] = True


def _note_statement(state: so.ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) not in UNCACHED_TABLES:
            state.session.info[_WROTE] = True
    elif isinstance(state.statement, sa.TextClause) and _may_write_cached(state.statement.text):
        state.session.info[_WROTE] = True  # raw SQL that may write: counted as a write, to be safe


def _may_write_cached(text: str) -> bool:
    """Whether raw SQL may write what a cached figure reads: anything but a read, or one statement that writes
    only a table of UNCACHED_TABLES (as the digests' items' states are written on PostgreSQL)."""
    one_statement = ";" not in text.strip().rstrip(";")  # "SELECT 1; UPDATE …" writes (a ; in a string: counted)
    if _READS.match(text) and one_statement and not _RUNS.match(text):
        return False
    target = _WRITES_TO.match(text)
    return not (target and one_statement and target.group(1).lower() in UNCACHED_TABLES)


def _move_on(session: so.Session) -> None:
    # Flushed here, not by commit after this hook: the version moves last, so its row lock is the last one the
    # transaction takes and is held only until the commit.
    session.flush()
    if session.info.pop(_WROTE, False):
        table = DataVersion.__table__
        session.connection().execute(sa.update(table).where(table.c.id == 1).values(version=table.c.version + 1))


def _forget(session: so.Session, previous_transaction: so.SessionTransaction) -> None:
    # A savepoint's rollback (the dispatcher's, for an email that cannot be made) leaves what the transaction
    # around it wrote before: only the outermost rollback forgets.
    if previous_transaction.parent is None:
        session.info.pop(_WROTE, None)


def _committed(_session: so.Session) -> None:
    if has_app_context():
        g.pop(_READ, None)


def init_app(app: Flask) -> None:
    """Give the app its caches, and make every commit of the session move the version on when it wrote."""
    app.extensions[_CACHES] = {"lock": threading.Lock()}
    hooks = [
        ("after_flush", _note_flush),
        ("do_orm_execute", _note_statement),
        ("before_commit", _move_on),
        ("after_soft_rollback", _forget),
        ("after_commit", _committed),
    ]
    for event, hook in hooks:
        if not sa.event.contains(db.session, event, hook):
            sa.event.listen(db.session, event, hook)
