"""Fixtures for the whole suite: an app on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
a fixed clock, a small world of OPDs and users, and a logged-in client per role.

With KAWAL_REQUIRE_ALL_TESTS=1 (set by .ci/run) a missing PostgreSQL or Chromium fails the run instead of
skipping, because a skipped test hides a failure.

Under pytest-xdist (`make test` runs `-n auto`) each worker has a PostgreSQL database of its own, named after
TEST_DATABASE_URL's with the worker's id (test_gw0, test_gw1...) and made on first use; TEST_DATABASE_URL itself is
rewritten to it inside the worker, so that anything reading it meets the worker's database. A serial run
(`make test PYTEST_WORKERS=0`) uses the given database as is.
"""

import contextlib
import copy
import functools
import graphlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

import psycopg
import pytest
import sqlalchemy as sa
from jinja2 import BytecodeCache
from werkzeug.routing import Rule

from app import create_app
from config import TestConfig, normalize_database_url
from core.clock import FixedClock
from core.data_version import DataVersion
from core.extensions import db
from core.migrations import upgrade
from core.permissions import SYSTEM, Role

REQUIRE_ALL = os.environ.get("KAWAL_REQUIRE_ALL_TESTS") == "1"
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"... in an xdist worker; None in a serial run
GIVEN_POSTGRES_URL = normalize_database_url(os.environ.get("TEST_DATABASE_URL"))


def worker_database_url(url: str | None, worker: str | None) -> str | None:
    """The database of an xdist worker: the given one's name + "_gw0" (and so on); the given one when serial."""
    if not url or not worker:
        return url
    given = sa.engine.make_url(url)
    return given.set(database=f"{given.database}_{worker}").render_as_string(hide_password=False)


def worker_port(port: int) -> int:
    """A fixed test port, moved by 100 for each xdist worker after the first: two workers run a test's SQLite and
    PostgreSQL cases at once, and both would listen on the same port."""
    return port + 100 * int((WORKER or "gw0").removeprefix("gw") or 0)


POSTGRES_URL = worker_database_url(GIVEN_POSTGRES_URL, WORKER)
if WORKER and POSTGRES_URL:
    os.environ["TEST_DATABASE_URL"] = POSTGRES_URL
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

# Tuesday 16 December 2025, 09.00 WIB: the morning of the FGD PPT Kespro.
NOW = datetime(2025, 12, 16, 2, 0, tzinfo=UTC)
PASSWORD = "rahasia-123"


def pytest_configure(config):
    if REQUIRE_ALL and not POSTGRES_URL:
        raise pytest.UsageError("KAWAL_REQUIRE_ALL_TESTS=1 needs TEST_DATABASE_URL naming a PostgreSQL database.")


# The longest tests (from twenty seconds to a minute or so each: the crawls, the fuzz, the isolation matrix, the axe
# tour, three dispatchers), started first under xdist so that they spread over the workers instead of meeting on one
# at the end of the run. A serial run keeps the collection order.
LONGEST_FIRST = (
    "tests/test_crawl.py::test_no_page_or_form_answers_500",
    "tests/test_fuzz.py::",
    "tests/test_isolation.py::test_a_sibling_reaches_nothing_of_the_other",
    "tests/test_i18n.py::test_an_indonesian_user_meets_no_english",
    "tests/browser/test_axe.py::test_every_page_of_the_demo",
    "tests/test_html_ids.py::test_every_page_has_unique_ids",
    "tests/notifications/test_dispatcher.py::test_three_dispatchers",
)


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by backend
def pytest_collection_modifyitems(items):
    if WORKER:
        items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))  # stable: the rest keep their order


def require_or_skip(reason: str):
    """Skip locally; fail in CI, where every test must run."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (KAWAL_REQUIRE_ALL_TESTS=1 forbids skipping)")
    pytest.skip(reason)


@dataclass
class Backend:
    name: str
    url: str
    template: str | None = None  # SQLite: a migrated, empty file that each test copies


@sa.event.listens_for(sa.engine.Engine, "connect")
def _commit_without_waiting_for_the_disk(dbapi_connection, _record):
    """A test's database need not survive a crash of the machine: commits skip the wait for the disk (fsync), which
    took 6-8 ms a commit on SQLite and 2 ms on PostgreSQL here. What every other connection sees is unchanged."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")
    elif isinstance(dbapi_connection, psycopg.Connection):
        autocommit, dbapi_connection.autocommit = dbapi_connection.autocommit, True
        dbapi_connection.execute("SET synchronous_commit = off")
        dbapi_connection.autocommit = autocommit


def _migrate(url: str) -> None:
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _create_worker_database() -> None:
    """Make this worker's database, if missing, through a connection to the given one."""
    if POSTGRES_URL == GIVEN_POSTGRES_URL:
        return
    name = sa.engine.make_url(POSTGRES_URL).database
    engine = sa.create_engine(GIVEN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory) -> Backend:
    """A migrated database per backend, made once per session."""
    if request.param == "postgresql" and not POSTGRES_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite") / "template.db"
        _migrate(f"sqlite:///{template}")
        return Backend("sqlite", f"sqlite:///{template}", str(template))
    _create_worker_database()
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    _migrate(POSTGRES_URL)
    return Backend("postgresql", POSTGRES_URL)


# The tables, and the foreign keys that make a parent's rows wait for its children's (NO ACTION, RESTRICT): the
# order in which plain DELETEs empty the schema. CASCADE and SET NULL keys, and a table's keys to itself, need none.
_TABLES_AND_KEYS = """
SELECT tablename, NULL FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'
UNION ALL
SELECT child.relname, parent.relname FROM pg_constraint
JOIN pg_class child ON child.oid = conrelid JOIN pg_class parent ON parent.oid = confrelid
WHERE contype = 'f' AND confdeltype IN ('a', 'r') AND conrelid <> confrelid
  AND connamespace = 'public'::regnamespace
"""
_RESTART_SEQUENCES = sa.text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = 'public'"
)


def _empty_postgresql(connection) -> None:
    """Empty every table and restart the ids, as TRUNCATE ... RESTART IDENTITY CASCADE does: DELETE takes a few
    milliseconds on a test's few rows where TRUNCATE takes a few hundred, which made a tenth of the suite."""
    waits_for: dict[str, set[str]] = {}
    for table, parent in connection.exec_driver_sql(_TABLES_AND_KEYS):
        waits_for.setdefault(table, set())
        if parent is not None:
            waits_for.setdefault(parent, set()).add(table)  # the parent is emptied after its children
    try:
        order = list(graphlib.TopologicalSorter(waits_for).static_order())
    except graphlib.CycleError:  # keys that no order of DELETEs satisfies
        connection.exec_driver_sql(f"TRUNCATE {', '.join(waits_for)} RESTART IDENTITY CASCADE")
        _seed_as_migrated(connection)
        return
    connection.exec_driver_sql("; ".join(f'DELETE FROM "{table}"' for table in order))
    connection.execute(_RESTART_SEQUENCES)
    _seed_as_migrated(connection)


def _seed_as_migrated(connection) -> None:
    """The rows the migrations insert and the app needs: the data version's one row (core.data_version)."""
    connection.exec_driver_sql("INSERT INTO data_version (id, version) VALUES (1, 1)")


def _fresh_database_url(backend: Backend, tmp_path) -> str:
    if backend.name == "sqlite":
        path = tmp_path / "kawal.db"
        shutil.copyfile(backend.template, path)
        return f"sqlite:///{path}"
    with _emptying_engine(backend.url).begin() as connection:
        _empty_postgresql(connection)
    return backend.url


@functools.cache
def _emptying_engine(url: str) -> sa.Engine:
    """One connection for the worker's emptying, kept between tests: a new engine's first connection cost more
    than the emptying itself. pre_ping, since a test may end every connection to its database."""
    return sa.create_engine(url, pool_size=1, pool_pre_ping=True)


class _CompiledTemplates(BytecodeCache):
    """Each test builds its own app, and each app its own Jinja environment, which would compile every template it
    renders again: the compiled code is kept for the worker's whole run instead, keyed by the template's name and
    checked against its source (an edited template compiles afresh)."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATES_COMPILED = _CompiledTemplates()


def _share_url_builders() -> None:
    """Werkzeug compiles two URL builders for every rule of every new app (two thirds of create_app's time, about
    70 ms an app), and the suite makes an app per test. A builder is a plain function of the rule's shape, taking the
    rule as its first argument, so one compiled for a rule of the same shape serves every later app of the worker."""
    compile_builder = Rule._compile_builder
    builders = {}

    def shared(rule, append_unknown=True):
        shape = (
            rule.rule,
            rule.subdomain,
            repr(sorted((rule.defaults or {}).items())),
            tuple(sorted((name, type(converter)) for name, converter in rule._converters.items())),
            append_unknown,
        )
        if shape not in builders:
            builders[shape] = compile_builder(rule, append_unknown)
        return builders[shape]

    Rule._compile_builder = shared


_share_url_builders()


# The settings make_app gives each test its own value of.
_PER_TEST_SETTINGS = {"SQLALCHEMY_DATABASE_URI", "ATTACHMENT_DIR"}


@pytest.fixture
def make_app(backend, tmp_path):
    """Build apps on this test's fresh database; extra settings override TestConfig."""
    url = _fresh_database_url(backend, tmp_path)
    apps = []

    def factory(**overrides):
        # Files under this test's tmp_path, not the checkout's instance/, which every test (and worker) would share.
        settings = {"SQLALCHEMY_DATABASE_URI": url, "ATTACHMENT_DIR": str(tmp_path / "attachments"), **overrides}
        app = create_app(TestConfig, settings)
        app.jinja_env.bytecode_cache = TEMPLATES_COMPILED
        app.extensions["kawal.clock"] = FixedClock(NOW)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def appctx(app):
    """An app context for tests that call services directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def clock(app) -> FixedClock:
    return app.extensions["kawal.clock"]


@dataclass
class _Snapshot:
    """Every table's rows after a fixture's services wrote them, the state they were written on, and what the
    fixture returned."""

    before: tuple
    rows: list[tuple[sa.Table, list[dict]]]
    sequences: list[tuple[str, int]]
    value: object


_SNAPSHOTS: dict[tuple, _Snapshot] = {}
# The columns of a key to a later table (an OPD's head) or to the same one (a parent government) are written once
# every row is in.
_DEFERRED = "kawal_deferred"


def _state(connection) -> tuple:
    """Each table's row count and the data version: two databases that differ here are not the same state."""
    counts = [sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in db.metadata.sorted_tables]
    version = sa.select(sa.func.coalesce(sa.func.sum(DataVersion.version), 0)).scalar_subquery()
    return tuple(connection.execute(sa.select(*counts, version)).one())


def _take(connection, before: tuple, value) -> _Snapshot:
    rows = [
        (table, [dict(row) for row in connection.execute(table.select()).mappings()])
        for table in db.metadata.sorted_tables
    ]
    sequences = []
    if connection.dialect.name == "postgresql":
        sequences = list(
            connection.exec_driver_sql(
                "SELECT sequencename, last_value FROM pg_sequences"
                " WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        )
    return _Snapshot(before, [(table, found) for table, found in rows if found], sequences, value)


def _restore(connection, snapshot: _Snapshot) -> None:
    """Put the snapshot's rows in place of the tables' present ones (the state it was taken on)."""
    tables = db.metadata.sorted_tables
    for table, count in reversed(list(zip(tables, snapshot.before, strict=False))):
        if count:
            connection.execute(table.delete())
    updates = []
    for table, rows in snapshot.rows:
        later = [fk.parent.name for fk in table.foreign_keys if fk.use_alter or fk.column.table is table]
        connection.execute(table.insert(), [row | dict.fromkeys(later) for row in rows])
        (key,) = table.primary_key.columns
        for column in later:
            deferred = [{_DEFERRED: row[key.name], column: row[column]} for row in rows if row[column] is not None]
            update = table.update().where(key == sa.bindparam(_DEFERRED)).values({column: sa.bindparam(column)})
            updates += [(update, deferred)] if deferred else []
    for update, deferred in updates:  # once every table's rows are in
        connection.execute(update, deferred)
    if snapshot.sequences:
        names, values = zip(*snapshot.sequences, strict=True)
        connection.execute(
            sa.text(
                "SELECT setval(format('public.%I', name)::regclass, value)"
                " FROM unnest(CAST(:names AS text[]), CAST(:values AS bigint[])) AS restored (name, value)"
            ),
            {"names": list(names), "values": list(values)},
        )


def built_once(app, name: str, build):
    """What `build` makes through the services, made so once per worker, backend and settings: later tests on a
    database in the same state (fresh, or holding what the fixture beneath built) get the rows it wrote copied in,
    the same database for a few milliseconds instead of a dozen audited commits. The services themselves are
    tested on their own (tests/accounts/). Called in an app context; the value is a copy each time."""
    settings = repr(sorted((key, value) for key, value in app.config.items() if key not in _PER_TEST_SETTINGS))
    key = (name, db.engine.dialect.name, settings, app.extensions["kawal.clock"].now())
    with db.engine.connect() as connection:
        before = _state(connection)
    snapshot = _SNAPSHOTS.get(key)
    if snapshot is not None and snapshot.before == before:
        with db.engine.begin() as connection:
            _restore(connection, snapshot)
        return copy.deepcopy(snapshot.value)
    value = build()
    db.session.remove()
    if snapshot is None:
        with db.engine.connect() as connection:
            _SNAPSHOTS[key] = _take(connection, before, copy.deepcopy(value))
    return value


@pytest.fixture
def world(app):
    """A few OPDs and one user per role, as plain ids and emails (no ORM objects outlive the context)."""
    with app.app_context():
        return built_once(app, "world", _build_world)


def _build_world() -> SimpleNamespace:
    from accounts import services as accounts

    opds = {}
    for code, name, kind, parent in [
        ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah", "badan", None),
        ("DINKES", "Dinas Kesehatan", "dinas", None),
        ("DP3AP2KB", "Dinas Pemberdayaan Perempuan dan Perlindungan Anak", "dinas", None),
        ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", "dinas", None),
        ("PKM-CIBODAS", "UPTD Puskesmas Cibodas", "uptd", "DINKES"),
    ]:
        opd = accounts.create_opd(SYSTEM, code=code, name=name, kind=kind, parent_id=opds.get(parent))
        opds[code] = opd.id
    users = {}
    for key, role, opd in [
        ("admin", Role.ADMIN, None),
        ("secretariat", Role.SECRETARIAT, "BAPPEDA"),
        ("opd_head", Role.OPD_HEAD, "DINKES"),
        ("opd_staff", Role.OPD_STAFF, "DINKES"),
        ("viewer", Role.VIEWER, None),
        ("other_head", Role.OPD_HEAD, "DP3AP2KB"),
    ]:
        user = _test_user(f"{key.replace('_', '.')}@example.org", f"Test {key}", role, opds.get(opd))
        users[key] = SimpleNamespace(id=user.id, email=user.email)
    return SimpleNamespace(opds=opds, users=users)


def _test_user(email: str, name: str, role: Role, opd_id: int | None, government_id: int | None = None):
    """An account with the suite's password, made by the system."""
    from accounts import services as accounts

    return accounts.create_user(
        SYSTEM, password=PASSWORD, email=email, name=name, role=role, opd_id=opd_id, government_id=government_id
    )


@pytest.fixture
def tree(app, world):
    """Three governments on top of `world`: Provinsi Banten, with Kabupaten Serang and world's own Kota Tangerang
    (the first government) under it. Each has a Bappeda and a Dinkes with a secretariat and a head; `tree.govs`,
    `tree.opds` ("prov:DINKES", "kab:DINKES", "kota:DINKES", ...) and `tree.users` ("kab_secretariat", ...) are ids."""
    with app.app_context():
        built = built_once(app, "tree", lambda: _build_tree(world))
    return SimpleNamespace(**vars(built), world=world)


def _build_tree(world) -> SimpleNamespace:
    from accounts import governments
    from accounts import services as accounts

    kota = governments.default_government_id()
    prov = accounts.create_government(
        SYSTEM, code="BANTEN", name="Pemerintah Provinsi Banten", kind="provinsi", time_zone="Asia/Jakarta"
    ).id
    kab = accounts.create_government(
        SYSTEM, code="KAB-SERANG", name="Pemerintah Kabupaten Serang", kind="kabupaten", parent_id=prov
    ).id
    current = accounts.get_government(kota)
    accounts.update_government(
        SYSTEM,
        kota,
        **({name: getattr(current, name) for name in accounts.GOVERNMENT_FIELDS} | {"parent_id": prov}),
    )
    govs = {"prov": prov, "kab": kab, "kota": kota}
    opds = {f"kota:{code}": opd_id for code, opd_id in world.opds.items()}
    users = {}
    for key in ("prov", "kab"):
        for code, name, kind in [("BAPPEDA", "Bappeda", "badan"), ("DINKES", "Dinas Kesehatan", "dinas")]:
            opd = accounts.create_opd(SYSTEM, government_id=govs[key], code=code, name=name, kind=kind)
            opds[f"{key}:{code}"] = opd.id
        for role, who, opd in [
            (Role.SECRETARIAT, "secretariat", "BAPPEDA"),
            (Role.OPD_HEAD, "head", "DINKES"),
            (Role.ADMIN, "admin", None),
            (Role.VIEWER, "viewer", None),
        ]:
            user = _test_user(
                f"{who}.{key}@example.org", f"Test {who} {key}", role, opds.get(f"{key}:{opd}"), govs[key]
            )
            users[f"{key}_{who}"] = user.id
    return SimpleNamespace(govs=govs, opds=opds, users=users)


def login(client, user_id: int) -> None:
    """Log a test client in as a user, without the login form (tested on its own)."""
    from accounts.models import User

    with client.application.app_context():
        session_id = db.session.get(User, user_id).get_id()  # "id:version", as Flask-Login would store it
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def client_as(app, world):
    """client_as("secretariat") is a test client logged in with that role; None stays anonymous."""

    def factory(role: str | None):
        client = app.test_client()
        if role is not None:
            login(client, world.users[role].id)
        return client

    return factory


def as_user(user_id: int):
    """The user object, for services called inside an app context."""
    from accounts.models import User

    return db.session.get(User, user_id)


def update_government(government_id: int, **changes):
    """`accounts.services.update_government` as the system, every field as the government has it but `changes`."""
    from accounts import services as accounts

    current = accounts.get_government(government_id)
    values = {name: getattr(current, name) for name in accounts.GOVERNMENT_FIELDS}
    return accounts.update_government(SYSTEM, government_id, **(values | changes))


def opd_values(opd, **changes) -> dict:
    """Every field `accounts.services.update_opd` takes, as the OPD has them now, with `changes` applied."""
    fields = ("code", "name", "kind", "parent_id", "email", "head_id", "active")
    return {field: getattr(opd, field) for field in fields} | changes


class QueryCounter:
    """Counts the SQL statements an engine runs while active."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _count(self, *args):
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)


@contextlib.contextmanager
def templates_rendered(app):
    """The names of the templates rendered inside the block, in order."""
    from flask import template_rendered

    rendered = []

    def note(_sender, template, **_):
        rendered.append(template.name)

    with template_rendered.connected_to(note, app):
        yield rendered


def page_and_statements(app, client, url: str) -> tuple[str, list[str]]:
    """A page the client gets, and the SQL statements its request ran (each on one line)."""
    statements = []

    def note(_conn, _cursor, statement, *_):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            page = client.get(url).get_data(as_text=True)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
    return page, statements


SUMMARY = "kawal_summary"
_summaries: list[str] = []  # in the process that prints the run's summary


@pytest.fixture
def crawl_summary(request):
    """crawl_summary(line) prints the line at the end of the run: the counts of the crawler and the fuzz. The line
    rides on the test's report, which xdist carries from the worker to the process that prints the summary."""
    return lambda line: request.node.user_properties.append((SUMMARY, line))


def pytest_runtest_logreport(report):
    if report.when == "teardown":
        _summaries.extend(value for name, value in report.user_properties if name == SUMMARY)


def pytest_terminal_summary(terminalreporter, config):
    for line in _summaries:
        terminalreporter.write_line(line)
