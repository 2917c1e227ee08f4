"""Kawal's own error page, even when what failed is the database the page would read the user from."""

import socket

import pytest

from app import create_app
from config import TestConfig, normalize_database_url

MESSAGE_ID = "Terjadi kesalahan di sisi kami."


def _closed_port() -> int:
    """A port of this helper's range on loopback where nothing listens."""
    for port in range(6199, 6099, -1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port  # free when bound, so closed once the probe is
    raise RuntimeError("no free port in 6100-6199")


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable_database(request, tmp_path) -> str:
    if request.param == "postgresql":
        return normalize_database_url(f"postgresql://postgres@127.0.0.1:{_closed_port()}/kawal")
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'kawal.db'}"  # SQLite cannot create a file there


def _signed_in(client) -> None:
    """A session naming user 1 ("id:version"), written by hand: tests.conftest.login reads the user's version from
    the database, which is down here."""
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = "1:0", True


def _app(url: str):
    # As in production: an error inside the error handler becomes Werkzeug's bare page instead of reaching the test.
    return create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "PROPAGATE_EXCEPTIONS": False})


def test_the_error_page_renders_while_the_database_is_down(unreachable_database):
    app = _app(unreachable_database)
    client = app.test_client()
    _signed_in(client)  # a signed-in user, whose row (and language) the database cannot give
    response = client.get("/forums")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert MESSAGE_ID in page  # the default language
    assert '<a class="brand"' in page  # Kawal's page, not the bare one of Werkzeug
    assert response.headers["Content-Type"].startswith("text/html")


def test_the_error_page_keeps_the_language_chosen_on_the_login_page(unreachable_database):
    app = _app(unreachable_database)
    client = app.test_client()
    _signed_in(client)
    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get("/forums").get_data(as_text=True)
    assert "Something went wrong on our side." in page


def test_a_json_client_gets_json_while_the_database_is_down(unreachable_database):
    app = _app(unreachable_database)
    client = app.test_client()
    _signed_in(client)
    response = client.get("/forums", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.get_json()["error"].startswith("Terjadi kesalahan")


def test_with_the_database_up_the_error_page_keeps_the_users_menu_and_language(app, world, client_as):
    from accounts import services as accounts
    from core.extensions import db
    from tests.conftest import as_user

    with app.app_context():
        accounts.set_locale(as_user(world.users["secretariat"].id), "en")
        db.session.commit()
    client = client_as("secretariat")
    for url in ("/no-such-page", "/forums/999"):  # Werkzeug's 404, and a service's NotFound after a rollback
        response = client.get(url)
        assert response.status_code == 404, url
        page = response.get_data(as_text=True)
        assert "Test secretariat" in page and ">Forums<" in page, url
