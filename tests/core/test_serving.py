"""Static files: versioned URLs are cached for a year, anything else is revalidated."""

import re

import pytest

from core.extensions import db


def _stylesheet_url(client):
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'href="(/static/css/kawal\.css\?v=[0-9a-f]{12})"', page).group(1)


def test_pages_link_static_files_by_content_hash_and_those_are_immutable(app):
    client = app.test_client()
    url = _stylesheet_url(client)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_an_unversioned_or_outdated_url_is_revalidated_with_its_etag(app):
    client = app.test_client()
    for url in ("/static/css/kawal.css", "/static/css/kawal.css?v=000000000000"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-cache"
        etag = response.headers["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_a_missing_static_file_is_404(app):
    assert app.test_client().get("/static/css/nothing.css").status_code == 404


def test_health_answers_without_a_session_or_the_database(app, monkeypatch):
    from core.extensions import db

    def no_database(*args, **kwargs):
        raise AssertionError("the health check must not touch the database")

    with app.app_context():
        monkeypatch.setattr(db.engine, "connect", no_database)
        response = app.test_client().get("/health")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
    assert "Set-Cookie" not in response.headers


def _drop_every_other_connection(app):
    """What a PostgreSQL restart does to the pool: the server closes every connection it holds."""
    import sqlalchemy as sa

    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        killed = connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    engine.dispose()
    return killed


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_request_after_postgresql_dropped_its_connections_succeeds(app, client_as):
    client = client_as("secretariat")
    assert client.get("/dashboard").status_code == 200  # the pool now holds a connection
    assert _drop_every_other_connection(app) >= 1
    assert client.get("/dashboard").status_code == 200  # pre_ping found it dead and reconnected


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_ping_that_fails_in_any_way_gets_a_new_connection_not_an_error(app, client_as, monkeypatch):
    """A backend killed while it answers the ping leaves psycopg's connection "active", and restoring autocommit
    then raises a ProgrammingError (seen once when CI killed the connections mid-ping): still a dead connection."""
    import psycopg

    client = client_as("secretariat")
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        dialect = type(db.engine.dialect)
    real, failed = dialect.do_ping, []

    def dying_ping(self, dbapi_connection):
        if not failed:
            failed.append(True)
            raise psycopg.ProgrammingError("can't change 'autocommit' now: connection in transaction status ACTIVE")
        return real(self, dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", dying_ping)
    assert client.get("/dashboard").status_code == 200 and failed


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_without_pre_ping_the_same_request_would_fail(make_app, world):
    from tests.conftest import login

    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
    client = app.test_client()
    login(client, world.users["secretariat"].id)
    assert client.get("/dashboard").status_code == 200
    _drop_every_other_connection(app)
    assert client.get("/dashboard").status_code == 500


def test_a_static_files_version_follows_its_content_with_one_stat_a_link(tmp_path, monkeypatch):
    import os

    from core.static import content_version

    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "site.css"
    sheet.write_text("a { color: red }")
    first = content_version(str(tmp_path), "css/site.css")
    assert len(first) == 12
    sheet.write_text("a { color: blue }")
    os.utime(sheet, (1_000_000, 1_000_000))  # another modification time, as an edit gives
    assert content_version(str(tmp_path), "css/site.css") not in ("", first)
    assert content_version(str(tmp_path), "css") == ""  # a folder
    assert content_version(str(tmp_path), "css/none.css") == ""
    assert content_version(str(tmp_path), "../outside.css") == ""
    stats, real = [], os.stat
    monkeypatch.setattr(os, "stat", lambda *args, **kwargs: stats.append(args) or real(*args, **kwargs))
    content_version(str(tmp_path), "css/site.css")
    assert len(stats) == 1
