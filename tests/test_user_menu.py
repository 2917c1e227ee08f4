"""The user menu kept per user, language and page address (app.py:user_menu): it shows the user as the data has
them, sends the language form back to the page it is on, and carries each session's own CSRF token, never a kept
one."""

import re

import sqlalchemy as sa

from accounts.models import User
from core.extensions import db
from tests.conftest import PASSWORD, login, templates_rendered

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
    # A token is the session's secret, signed with the second it was given: the same session's next page may
    # carry a later second, so its secret (before the first dot) is what each session keeps.
    secrets = [token.split(".")[0] for token in tokens]
    assert secrets[0] != secrets[1] and secrets[2] == secrets[0]
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


def _log_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302


def test_one_browser_logging_out_and_in_as_another_gets_the_others_menu_and_its_own_valid_token(app, world):
    client = app.test_client()
    _log_in(client, world.users["opd_head"].email)
    first = _menu(client.get("/forums").get_data(as_text=True))
    assert "Test opd_head" in first and "DINKES" in first
    client.post("/logout")
    _log_in(client, world.users["other_head"].email)
    menu = _menu(client.get("/forums").get_data(as_text=True))
    assert "Test other_head" in menu and "DP3AP2KB" in menu and "opd_head" not in menu and "DINKES" not in menu


def test_a_kept_menus_token_is_valid_only_in_its_own_session(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    first, second = app.test_client(), app.test_client()
    login(first, world.users["secretariat"].id)
    login(second, world.users["secretariat"].id)
    tokens = [TOKEN.findall(_menu(client.get("/forums").get_data(as_text=True))) for client in (first, second)]
    assert len(set(tokens[0])) == 1 and len(set(tokens[1])) == 1 and tokens[0][0] != tokens[1][0]
    assert second.post("/logout", data={"csrf_token": tokens[0][0]}).status_code == 400  # the other session's
    assert second.get("/forums").status_code == 200
    assert second.post("/logout", data={"csrf_token": tokens[1][0]}).status_code == 302
    assert second.get("/forums").status_code == 302  # (a logout ends the user's every session, by design)


def test_a_role_an_opd_and_a_deactivation_show_at_once(app, world, client_as):
    client = client_as("opd_staff")
    assert "DINKES" in _menu(client.get("/forums").get_data(as_text=True))
    with app.app_context():
        db.session.execute(
            sa.update(User)
            .where(User.id == world.users["opd_staff"].id)
            .values(role="opd_head", opd_id=world.opds["DP3AP2KB"])
        )
        db.session.commit()
    menu = _menu(client.get("/forums").get_data(as_text=True))
    assert "DP3AP2KB" in menu and "DINKES" not in menu and "Kepala" in menu
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == world.users["opd_staff"].id).values(active=False))
        db.session.commit()
    assert client.get("/forums").status_code == 302


def test_a_hostile_page_address_is_escaped_in_the_kept_menu_and_leads_nowhere_else(app, world, client_as):
    client = client_as("secretariat")
    hostile = "/forums?q=\"><script>alert(1)</script>&x='<b>"
    for _ in range(2):  # rendered, then kept
        menu = _menu(client.get(hostile).get_data(as_text=True))
        assert "<script>" not in menu and "<b>" not in menu and "&#34;&gt;&lt;script&gt;" in menu
    for target in ["//evil.example/", "/\\evil.example", "/\t/evil.example", "https://evil.example/", "/%0a/x"]:
        response = client.post("/language", data={"locale": "en", "next": target})
        assert response.status_code == 302 and "evil" not in response.headers["Location"], target
    page = client.get("//evil.example/").get_data(as_text=True)
    if '<details class="usermenu">' in page:
        back = re.search(r'name="next" value="([^"]*)"', _menu(page)).group(1)
        response = client.post("/language", data={"locale": "id", "next": back.replace("&amp;", "&")})
        assert "evil" not in response.headers["Location"]
