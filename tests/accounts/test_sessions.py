"""Sessions end when they should (issue 10, defect 17): logout, a password change, an admin's reset and
deactivation end every session and remember cookie of the account; the menu can log out everywhere."""

from tests.conftest import PASSWORD

VIEWER = "viewer@example.org"


def _logged_in(app, email=VIEWER, password=PASSWORD, remember=True):
    client = app.test_client()
    data = {"email": email, "password": password, **({"remember": "y"} if remember else {})}
    assert client.post("/login", data=data).status_code == 302
    return client


def _copy(app, client, *names):
    """A second browser holding copies of these cookies, as a thief or a replay would."""
    other = app.test_client()
    for name in names:
        other.set_cookie(name, client.get_cookie(name).value)
    return other


def _works(client) -> bool:
    return client.get("/forums").status_code == 200


def test_a_session_cookie_replayed_after_logout_is_refused(app, world):
    client = _logged_in(app, remember=False)
    copy = _copy(app, client, "session")
    assert _works(copy)
    client.post("/logout")
    assert not _works(copy)
    assert not _works(client)


def test_a_remember_cookie_replayed_after_logout_is_refused(app, world):
    client = _logged_in(app)
    remembered = _copy(app, client, "remember_token")
    assert _works(remembered)
    client.post("/logout")
    assert not _works(remembered)


def test_a_password_change_ends_every_other_session_but_not_ones_own(app, world):
    mine = _logged_in(app)
    other_session = _logged_in(app, remember=False)
    other_remembered = _copy(app, _logged_in(app), "remember_token")
    response = mine.post(
        "/account/password", data={"current_password": PASSWORD, "password": "baru-panjang", "confirm": "baru-panjang"}
    )
    assert response.status_code == 302
    assert _works(mine)
    assert not _works(other_session)
    assert not _works(other_remembered)
    # The remember cookie of the browser that changed the password was renewed with it.
    assert _works(_copy(app, mine, "remember_token"))


def test_an_admin_reset_ends_every_session_of_that_user(app, world, client_as):
    session_only = _logged_in(app, remember=False)
    remembered = _copy(app, _logged_in(app), "remember_token")
    client_as("admin").post(f"/admin/users/{world.users['viewer'].id}/password", data={"password": "sandi-baru-1"})
    assert not _works(session_only)
    assert not _works(remembered)
    assert _works(_logged_in(app, password="sandi-baru-1"))


def test_deactivation_ends_every_session_even_after_reactivation(app, world, client_as):
    session_only = _logged_in(app, remember=False)
    remembered = _copy(app, _logged_in(app), "remember_token")
    admin = client_as("admin")
    admin.post(f"/admin/users/{world.users['viewer'].id}/active", data={"active": "0"})
    assert not _works(session_only)
    admin.post(f"/admin/users/{world.users['viewer'].id}/active", data={"active": "1"})
    assert not _works(session_only)
    assert not _works(remembered)


def test_log_out_everywhere_ends_the_sessions_of_every_device(app, world):
    phone = _logged_in(app)
    laptop = _logged_in(app, remember=False)
    page = laptop.get("/forums").get_data(as_text=True)
    assert "Keluar dari semua perangkat" in page
    assert 'action="/account/sessions/end"' in page
    response = laptop.post("/account/sessions/end")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not _works(laptop)
    assert not _works(phone)
    assert not _works(_copy(app, phone, "remember_token"))
    assert _works(_logged_in(app))


def test_log_out_everywhere_needs_a_csrf_token(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[-1].split('"', 1)[0]
    data = {"email": VIEWER, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    assert client.post("/account/sessions/end").status_code == 400
    assert _works(client)


def test_a_kept_page_asks_for_its_user_and_the_data_version_in_one_statement(app, world, client_as):
    import sqlalchemy as sa

    from accounts.models import User
    from core.extensions import db
    from tests.conftest import page_and_statements

    client = client_as("opd_head")
    client.get("/tasks")
    page, statements = page_and_statements(app, client, "/tasks")
    assert len(statements) == 1 and "FROM users" in statements[0] and "FROM data_version" in statements[0]
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == world.users["opd_head"].id).values(name="Nama Baru"))
        db.session.commit()  # moves the version on: the kept page is not served under the version read with the user
    page, statements = page_and_statements(app, client, "/tasks")
    assert "Nama Baru" in page and len(statements) > 1


def test_each_request_loads_its_user_with_the_opd_by_one_statement_built_once(app, world, client_as):
    import sqlalchemy as sa
    from flask import g, has_request_context

    from core.extensions import db

    client = client_as("opd_head")
    firsts = []

    def note(state):
        if has_request_context() and "_first_noted" not in g:
            g._first_noted = True
            firsts.append(state.statement)

    sa.event.listen(db.session, "do_orm_execute", note)
    try:
        page = client.get("/account/calendar").get_data(as_text=True)
        client.get("/account/calendar")
    finally:
        sa.event.remove(db.session, "do_orm_execute", note)
    assert "DINKES" in page  # the menu names the OPD, loaded with the user
    assert len(firsts) == 2 and firsts[0] is firsts[1]  # not a new select and options on every request
