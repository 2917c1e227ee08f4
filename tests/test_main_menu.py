"""The main menu kept per role, language and address prefix (app.py:main_menu): each reader gets the entries of
their own role, in their language, with links under the address the app is served at."""

import re

import sqlalchemy as sa

from accounts.models import User
from core.extensions import db
from tests.conftest import templates_rendered


def _menu(page: str) -> str:
    return re.search(r'<nav class="mainnav".*?</nav>', page, re.S).group(0)


def test_the_menu_is_each_roles_own(app, world, client_as):
    admin = _menu(client_as("admin").get("/forums").get_data(as_text=True))
    head = _menu(client_as("opd_head").get("/forums").get_data(as_text=True))
    viewer = _menu(client_as("viewer").get("/forums").get_data(as_text=True))
    assert 'href="/admin/users"' in admin and 'href="/admin/users"' not in head and 'href="/admin/users"' not in viewer
    assert 'href="/tasks"' in head and 'href="/tasks"' not in admin and 'href="/tasks"' not in viewer
    assert 'href="/dashboard"' in viewer


def test_the_menu_is_kept_per_language_and_address_prefix(app, world, client_as):
    client = client_as("opd_head")
    assert "Tugas saya" in _menu(client.get("/forums").get_data(as_text=True))
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == world.users["opd_head"].id).values(locale="en"))
        db.session.commit()
    assert "My tasks" in _menu(client.get("/forums").get_data(as_text=True))
    prefixed = _menu(client.get("/forums", base_url="http://localhost/kawal").get_data(as_text=True))
    assert 'href="/kawal/tasks"' in prefixed and 'href="/tasks"' not in prefixed


def test_the_menu_is_rendered_once_for_a_role_and_language(app, world, client_as):
    client = client_as("secretariat")
    with templates_rendered(app) as rendered:
        for _ in range(3):
            assert client.get("/forums").status_code == 200
    assert rendered.count("_main_menu.html") == 1
