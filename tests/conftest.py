"""Fixtures for the whole suite: an app on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
a fixed clock, a small world of OPDs and users, and a logged-in client per role.

With KAWAL_REQUIRE_ALL_TESTS=1 (set by .ci/run) a missing PostgreSQL or Chromium fails the run instead of
skipping, because a skipped test hides a failure.
"""

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from config import TestConfig, normalize_database_url
from core.clock import FixedClock
from core.extensions import db
from core.permissions import SYSTEM, Role

REQUIRE_ALL = os.environ.get("KAWAL_REQUIRE_ALL_TESTS") == "1"
POSTGRES_URL = normalize_database_url(os.environ.get("TEST_DATABASE_URL"))
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

# Tuesday 16 December 2025, 09.00 WIB: the morning of the FGD PPT Kespro.
NOW = datetime(2025, 12, 16, 2, 0, tzinfo=UTC)
PASSWORD = "rahasia-123"


def pytest_configure(config):
    if REQUIRE_ALL and not POSTGRES_URL:
        raise pytest.UsageError("KAWAL_REQUIRE_ALL_TESTS=1 needs TEST_DATABASE_URL naming a PostgreSQL database.")


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


def _migrate(url: str) -> None:
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory) -> Backend:
    """A migrated database per backend, made once per session."""
    if request.param == "postgresql" and not POSTGRES_URL:
        require_or_skip("TEST_DATABASE_URL is not set")
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite") / "template.db"
        _migrate(f"sqlite:///{template}")
        return Backend("sqlite", f"sqlite:///{template}", str(template))
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    _migrate(POSTGRES_URL)
    return Backend("postgresql", POSTGRES_URL)


def _fresh_database_url(backend: Backend, tmp_path) -> str:
    if backend.name == "sqlite":
        path = tmp_path / "kawal.db"
        shutil.copyfile(backend.template, path)
        return f"sqlite:///{path}"
    engine = sa.create_engine(backend.url)
    with engine.begin() as connection:
        tables = [
            name
            for (name,) in connection.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    engine.dispose()
    return backend.url


@pytest.fixture
def make_app(backend, tmp_path):
    """Build apps on this test's fresh database; extra settings override TestConfig."""
    url = _fresh_database_url(backend, tmp_path)
    apps = []

    def factory(**overrides):
        app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, **overrides})
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


@pytest.fixture
def world(app):
    """A few OPDs and one user per role, as plain ids and emails (no ORM objects outlive the context)."""
    from accounts import services as accounts

    with app.app_context():
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
            user = accounts.create_user(
                SYSTEM,
                password=PASSWORD,
                email=f"{key.replace('_', '.')}@example.org",
                name=f"Test {key}",
                role=role,
                opd_id=opds.get(opd),
            )
            users[key] = SimpleNamespace(id=user.id, email=user.email)
        db.session.remove()
    return SimpleNamespace(opds=opds, users=users)


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


SUMMARIES = pytest.StashKey[list[str]]()


@pytest.fixture
def crawl_summary(request):
    """crawl_summary(line) prints the line at the end of the run: the counts of the crawler and the fuzz."""
    return request.config.stash.setdefault(SUMMARIES, []).append


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(SUMMARIES, []):
        terminalreporter.write_line(line)
