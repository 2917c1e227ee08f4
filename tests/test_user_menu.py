"""The user menu kept per user, language and page address (app.py:user_menu): it shows the user as the data has
them, sends the language form back to the page it is on, and carries each session's own CSRF token, never a kept
one."""

import re

import sqlalchemy as sa

from accounts.models import User
from core.extensions import db
from tests.conftest import templates_rendered

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _menu(page: str) -> str:
    return re.search(r'<details class="usermenu">.*?</details>', page, re.S).group(0)


def test_the_menu_is_rendered_once_for_a_user_language_and_address(app, world, client_as):
    client = client_as("secretariat")
    with templates_rendered(app) as rendered:
        for _ in range(3):
            assert client.get("/forums").status_code == 200
        assert rendered.count("_user_menu.html") == 1
        client.get("/forums?page=2")
        client_as("opd_head").get("/forums")
    assert rendered.count("_user_menu.html") == 3


def test_each_session_gets_its_own_csrf_token_in_the_kept_menu(app, world, client_as):
    first, second = client_as("secretariat"), client_as("secretariat")  # two sessions of one user
    tokens = []
    for client in (first, second, first):
        found = set(TOKEN.findall(_menu(client.get("/forums").get_data(as_text=True))))
        assert len(found) == 1
        tokens.append(found.pop())
    assert tokens[0] != tokens[1] and tokens[2] == tokens[0]
    assert second.post("/logout", data={"csrf_token": tokens[1]}).status_code == 302  # the session's own, valid
    assert second.get("/forums").status_code == 302


def test_the_menu_shows_the_user_as_the_data_has_them_and_comes_back_to_its_page(app, world, client_as):
    client = client_as("opd_head")
    menu = _menu(client.get("/forums?page=1").get_data(as_text=True))
    assert "DINKES" in menu and 'name="next" value="/forums?page=1"' in menu
    assert 'name="next" value="/tasks?"' in _menu(client.get("/tasks").get_data(as_text=True))
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.id == world.users["opd_head"].id).values(name="Nama Baru", locale="en")
        )
        db.session.commit()  # moves the data version on
    menu = _menu(client.get("/forums?page=1").get_data(as_text=True))
    assert "Nama Baru" in menu and "Log out everywhere" in menu
