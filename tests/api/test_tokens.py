"""Personal access tokens end to end: the token page in the user menu (made, shown once, listed, revoked), the
`flask api token` commands, the tokens ended with the user's sessions, expiry by the app's clock, the last use, and
the audit trail's "via API (token «name»)" on the history pages."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from accounts import services as accounts
from accounts import tokens
from accounts.models import ApiToken
from core import audit
from core.extensions import db
from tests.api.conftest import ApiClient, make_token
from tests.conftest import PASSWORD, QueryCounter, as_user, login

SECRET = re.compile(r"kawal_[A-Za-z0-9_\-]{43}")


def _opds(secret: str, app) -> int:
    return ApiClient(app, secret).get("/api/v1/opds").status_code


def _make(client, **data):
    return client.post("/account/tokens", data={"name": "SIPD", "scope": "read", "days": "90", **data})


def _tokens_of(app, user_id: int) -> list[ApiToken]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user_id)))
        db.session.expunge_all()
    return rows


# --- the page ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "secretariat", "opd_head", "opd_staff", "viewer", "other_head"])
def test_every_role_reaches_the_token_page_from_the_user_menu(client_as, role):
    client = client_as(role)
    menu = client.get("/forums").get_data(as_text=True)
    assert 'href="/account/tokens"' in menu
    page = client.get("/account/tokens")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Token API" in text and 'href="/api/v1/docs"' in text
    assert page.headers["Cache-Control"] == "no-store"


def test_the_api_reference_links_to_the_token_page_for_a_signed_in_user(client, client_as):
    assert 'href="/account/tokens"' in client_as("opd_staff").get("/api/v1/docs").get_data(as_text=True)
    anonymous = client.get("/api/v1/docs").get_data(as_text=True)
    assert 'href="/account/tokens"' not in anonymous and "Token API" in anonymous


def test_the_page_needs_a_login(client):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_token_is_shown_once_with_a_curl_example_and_works(app, world, client_as):
    client = client_as("opd_head")
    response = _make(client, scope="write", name="E-office DINKES")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    secrets = set(SECRET.findall(text))
    assert len(secrets) == 1
    secret = secrets.pop()
    assert f'curl -H "Authorization: Bearer {secret}" http://localhost/api/v1/opds' in text
    assert "tidak akan ditampilkan lagi" in text
    assert _opds(secret, app) == 200
    # Never again: not on the next page, not in the session, not in a flash.
    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and "E-office DINKES" in again and secret[:12] in again
    with client.session_transaction() as session:
        assert secret not in repr(dict(session))
    # The form is empty again, ready for the next token.
    assert 'value="E-office DINKES"' not in text
    [row] = _tokens_of(app, world.users["opd_head"].id)
    assert row.name == "E-office DINKES" and row.scope == "write" and row.secret_hash != secret


def test_the_list_shows_scope_dates_last_use_and_whether_each_token_works(app, world, client_as, clock):
    user_id = world.users["viewer"].id
    used_id, used = make_token(app, user_id, scope="read", days=30)
    expired_id, _ = make_token(app, user_id, scope="write", days=1)
    revoked_id, _ = make_token(app, user_id, scope="read", days=None)
    with app.app_context():
        tokens.revoke_token(as_user(user_id), revoked_id)
    client = client_as("viewer")
    assert "Belum pernah" in _row(client, used_id)
    assert _opds(used, app) == 200
    clock.set(clock.now() + timedelta(days=2))
    used_row = _row(client, used_id)
    assert "Baca" in used_row and "Berlaku" in used_row and "Belum pernah" not in used_row
    assert clock.now().strftime("%Y") in used_row  # the last use, by the app's clock
    expired_row = _row(client, expired_id)
    assert "Baca dan tulis" in expired_row and "Kedaluwarsa" in expired_row and "Cabut</button>" not in expired_row
    revoked_row = _row(client, revoked_id)
    assert "Dicabut" in revoked_row and "Tidak pernah" in revoked_row and "Cabut</button>" not in revoked_row
    assert "Cabut</button>" in used_row


def _row(client, token_id: int) -> str:
    text = client.get("/account/tokens").get_data(as_text=True)
    return re.search(rf'<tr[^>]*id="token-{token_id}">(.*?)</tr>', text, re.S).group(1)


def test_english_labels_for_an_english_reader(app, world, client_as):
    client = client_as("viewer")
    client.post("/language", data={"locale": "en"})
    text = client.get("/account/tokens").get_data(as_text=True)
    assert "API tokens" in text and "Read and write" in text and "Never (until revoked)" in text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Isian ini wajib diisi."),
        ({"name": "   "}, "name", "Isian ini wajib diisi."),
        ({"name": "x" * 101}, "name", "100"),
        ({"scope": "admin"}, "scope", "Pilihan tidak sah."),
        ({"scope": ""}, "scope", ""),
        ({"days": "99999"}, "days", "Pilihan tidak sah."),
        ({"days": "-1"}, "days", "Pilihan tidak sah."),
        ({"days": "3.5"}, "days", "Pilihan tidak sah."),
    ],
)
def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong(app, world, client_as, data, field, message):
    client = client_as("secretariat")
    response = _make(client, **{"name": "Dasbor Provinsi", **data})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert not SECRET.search(text)
    assert message in text
    if field != "name":
        assert 'value="Dasbor Provinsi"' in text
    assert _tokens_of(app, world.users["secretariat"].id) == []


def test_hostile_input_is_escaped_and_never_a_500(app, world, client_as):
    client = client_as("viewer")
    hostile = '<script>alert("x")</script>\'"'
    response = _make(client, name=hostile)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    for data in ({"name": "\x00"}, {"name": "a" * 100_000}, {"days": "9" * 400}, {"scope": "read", "name": "é" * 100}):
        assert _make(client, **data).status_code < 500
    assert client.post("/account/tokens", data={}).status_code == 422
    assert client.post("/account/tokens/99999999999999999999/revoke").status_code == 404


def test_too_many_tokens_is_said_above_the_form(app, world, client_as, monkeypatch):
    monkeypatch.setattr(tokens, "MAX_TOKENS_PER_USER", 1)
    client = client_as("viewer")
    assert _make(client).status_code == 200
    response = _make(client, name="kedua")
    assert response.status_code == 422
    assert "Token Anda terlalu banyak" in response.get_data(as_text=True)
    assert 'value="kedua"' in response.get_data(as_text=True)


def test_the_new_token_form_needs_its_csrf_token(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, world.users["viewer"].id)
    assert _make(client).status_code == 400
    assert _tokens_of(app, world.users["viewer"].id) == []


# --- revoking ----------------------------------------------------------------------------------------------


def test_revoking_ends_the_token_and_says_so(app, world, client_as):
    token_id, secret = make_token(app, world.users["opd_staff"].id)
    client = client_as("opd_staff")
    response = client.post(f"/account/tokens/{token_id}/revoke", follow_redirects=True)
    assert response.status_code == 200
    assert "Token test dicabut" in response.get_data(as_text=True)
    assert _opds(secret, app) == 401
    assert "Dicabut" in _row(client, token_id)
    # Revoking again changes nothing and fails nothing.
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302


def test_another_users_token_cannot_be_revoked(app, world, client_as):
    token_id, secret = make_token(app, world.users["opd_head"].id)
    for role in ("opd_staff", "admin", "other_head"):
        assert client_as(role).post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert _opds(secret, app) == 200
    assert f'id="token-{token_id}"' not in client_as("admin").get("/account/tokens").get_data(as_text=True)


def test_revoking_needs_a_post_with_its_csrf_token(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    token_id, secret = make_token(app, world.users["viewer"].id)
    client = app.test_client()
    login(client, world.users["viewer"].id)
    assert client.get(f"/account/tokens/{token_id}/revoke").status_code == 405
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 400
    assert _opds(secret, app) == 200
    page = client.get("/account/tokens").get_data(as_text=True)
    csrf = re.search(rf'token-{token_id}.*?name="csrf_token"[^>]*value="([^"]+)"', page, re.S).group(1)
    assert 'data-confirm="Cabut token test?' in page
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert _opds(secret, app) == 401


# --- ended with the sessions, by expiry ------------------------------------------------------------------------


def test_deactivation_ends_the_users_tokens(app, world, client_as):
    _, secret = make_token(app, world.users["viewer"].id)
    admin = client_as("admin")
    admin.post(f"/admin/users/{world.users['viewer'].id}/active", data={"active": "0"})
    assert _opds(secret, app) == 401
    admin.post(f"/admin/users/{world.users['viewer'].id}/active", data={"active": "1"})
    assert _opds(secret, app) == 401  # revoked, not only refused while the account was inactive


def test_an_admins_password_reset_ends_the_users_tokens(app, world, client_as):
    _, secret = make_token(app, world.users["viewer"].id)
    client_as("admin").post(f"/admin/users/{world.users['viewer'].id}/password", data={"password": "sandi-baru-1"})
    assert _opds(secret, app) == 401


def test_changing_ones_own_password_ends_ones_tokens(app, world, client_as):
    _, secret = make_token(app, world.users["viewer"].id)
    response = client_as("viewer").post(
        "/account/password", data={"current_password": PASSWORD, "password": "baru-panjang", "confirm": "baru-panjang"}
    )
    assert response.status_code == 302
    assert _opds(secret, app) == 401


def test_setting_a_password_through_the_link_ends_the_users_tokens(app, world):
    _, secret = make_token(app, world.users["viewer"].id)
    with app.app_context():
        link = accounts.password_link_token(as_user(world.users["viewer"].id))
        db.session.remove()
    response = app.test_client().post(
        f"/account/set-password/{link}", data={"password": "a-long-secret", "confirm": "a-long-secret"}
    )
    assert response.status_code == 302
    assert _opds(secret, app) == 401


def test_logging_out_keeps_the_users_tokens(app, world, client_as):
    _, secret = make_token(app, world.users["viewer"].id)
    client = client_as("viewer")
    client.post("/logout")
    assert client.get("/forums").status_code == 302  # the session did end
    assert _opds(secret, app) == 200
    client_as("viewer").post("/account/sessions/end")
    assert _opds(secret, app) == 200


def test_a_token_stops_at_its_expiry_by_the_app_clock(app, world, clock):
    _, secret = make_token(app, world.users["viewer"].id, days=30)
    clock.set(clock.now() + timedelta(days=30) - timedelta(seconds=1))
    assert _opds(secret, app) == 200
    clock.set(clock.now() + timedelta(seconds=1))
    assert _opds(secret, app) == 401


def test_a_token_made_to_never_expire_works_years_later(app, world, client_as, clock):
    text = _make(client_as("viewer"), days="never").get_data(as_text=True)
    secret = SECRET.search(text).group(0)
    clock.set(clock.now() + timedelta(days=3650))
    assert _opds(secret, app) == 200


# --- the command line ----------------------------------------------------------------------------------------


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["api", "token", *args])


def test_the_command_prints_the_secret_alone_for_scripts(app, world, clock):
    result = _cli(app, "create", "--email", "OPD.Head@example.org", "--scope", "write", "--days", "7", "--name", "SIPD")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert SECRET.fullmatch(secret) and result.stdout == secret + "\n" and result.stderr == ""
    [row] = _tokens_of(app, world.users["opd_head"].id)
    assert (row.name, row.scope, row.expires_at) == ("SIPD", "write", clock.now() + timedelta(days=7))
    assert _opds(secret, app) == 200


def test_the_command_defaults_to_90_days_or_none(app, world, clock):
    assert _cli(app, "create", "--email", "viewer@example.org", "--scope", "read").exit_code == 0
    assert _cli(app, "create", "--email", "viewer@example.org", "--scope", "read", "--no-expiry").exit_code == 0
    rows = sorted(_tokens_of(app, world.users["viewer"].id), key=lambda row: row.id)
    assert [row.expires_at for row in rows] == [clock.now() + timedelta(days=90), None]
    assert {row.name for row in rows} == {"Command line"}


@pytest.mark.parametrize(
    "args",
    [
        ["--email", "nobody@example.org", "--scope", "read"],
        ["--email", "viewer@example.org", "--scope", "admin"],
        ["--email", "viewer@example.org", "--scope", "read", "--days", "0"],
        ["--email", "viewer@example.org", "--scope", "read", "--days", "367"],
        ["--email", "viewer@example.org", "--scope", "read", "--days", "many"],
        ["--email", "viewer@example.org"],
        ["--scope", "read"],
        ["--email", "viewer@example.org", "--scope", "read", "--name", "  "],
    ],
)
def test_the_command_refuses_bad_options_on_stderr_with_status_2(app, world, args):
    result = _cli(app, "create", *args)
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.strip()
    assert _tokens_of(app, world.users["viewer"].id) == []


def test_the_command_refuses_an_inactive_user(app, world, client_as):
    client_as("admin").post(f"/admin/users/{world.users['viewer'].id}/active", data={"active": "0"})
    result = _cli(app, "create", "--email", "viewer@example.org", "--scope", "read")
    assert result.exit_code == 2 and "inactive" in result.stderr and result.stdout == ""


def test_the_command_revokes_every_token_of_a_user(app, world):
    _, first = make_token(app, world.users["viewer"].id)
    _, second = make_token(app, world.users["viewer"].id)
    _, others = make_token(app, world.users["admin"].id)
    result = _cli(app, "revoke", "--email", "viewer@example.org")
    assert result.exit_code == 0 and "2" in result.stdout
    assert (_opds(first, app), _opds(second, app), _opds(others, app)) == (401, 401, 200)
    assert _cli(app, "revoke", "--email", "nobody@example.org").exit_code == 2
    with app.app_context():
        [event] = [e for e in audit.history(f"user:{world.users['viewer'].id}") if e.verb == "revoke_token"]
        assert event.changes == {"tokens": [2, 0]}


# --- the audit trail ---------------------------------------------------------------------------------------------


def _change_through_the_api(app, world, forum_id: int, token_id: int, text: str) -> None:
    from forum import services as forums

    with app.test_request_context():
        g.audit_via = audit.api_via(token_id)
        forums.add_recommendation(as_user(world.users["secretariat"].id), forum_id, text=text)
        db.session.remove()


def _history_entries(client, forum_id: int) -> list[str]:
    text = client.get(f"/forums/{forum_id}/history").get_data(as_text=True)
    return re.findall(r"<li>(.*?)</li>", text.split('<ol class="timeline">')[1], re.S)


def test_the_forum_history_says_which_token_made_a_change(app, world, client_as):
    from tests.forum.helpers import make_forum

    with app.app_context():
        forum_id = make_forum(world).id
        db.session.remove()
    token_id, _ = make_token(app, world.users["secretariat"].id)
    with app.app_context():
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(name="SIPD <sync>"))
        db.session.commit()
    _change_through_the_api(app, world, forum_id, token_id, "Data stunting dari SIPD")
    client = client_as("secretariat")
    entries = _history_entries(client, forum_id)
    through_api = [entry for entry in entries if "lewat API" in entry]
    assert len(through_api) == 1
    assert "lewat API (token «SIPD &lt;sync&gt;»)" in through_api[0]
    assert len(entries) > 1  # the forum's own creation, through the pages, says nothing of the API
    client.post("/language", data={"locale": "en"})
    assert any("via API (token «SIPD &lt;sync&gt;»)" in entry for entry in _history_entries(client, forum_id))


def test_the_history_reads_the_token_names_in_one_query_whatever_their_number(app, world, client_as):
    from tests.forum.helpers import make_forum

    with app.app_context():
        forum_id = make_forum(world).id
        db.session.remove()
    client = client_as("secretariat")

    def queries() -> int:
        with app.app_context(), QueryCounter(db.engine) as counter:
            assert client.get(f"/forums/{forum_id}/history").status_code == 200
        return counter.count

    first, _ = make_token(app, world.users["secretariat"].id)
    _change_through_the_api(app, world, forum_id, first, "Satu")
    with_one = queries()
    for number in range(4):
        token_id, _ = make_token(app, world.users["secretariat"].id)
        _change_through_the_api(app, world, forum_id, token_id, f"Rekomendasi {number}")
    assert queries() == with_one
    assert sum("lewat API" in entry for entry in _history_entries(client, forum_id)) == 5


def test_a_tokens_first_use_is_written_once(app, world):
    """The last use is one UPDATE on a token's first request (it was two: the row, marked changed by the
    assignment after the commit, was written again at the next flush), and none within the minute after."""
    _token_id, secret = make_token(app, world.users["viewer"].id)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        assert _opds(secret, app) == 200
        first = [s for s in statements if s.lstrip().upper().startswith("UPDATE API_TOKENS")]
        statements.clear()
        assert _opds(secret, app) == 200
        again = [s for s in statements if s.lstrip().upper().startswith("UPDATE API_TOKENS")]
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert (len(first), len(again)) == (1, 0)
