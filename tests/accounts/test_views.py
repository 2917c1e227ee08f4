from tests.conftest import PASSWORD


def test_login_with_the_right_password_goes_home(client, world):
    response = client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/forums").status_code == 200


def test_a_wrong_password_reshows_the_form_with_the_email_kept(client, world):
    response = client.post("/login", data={"email": "admin@example.org", "password": "salah"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Email atau kata sandi salah" in page
    assert 'value="admin@example.org"' in page


def test_next_only_follows_local_paths(client, world):
    response = client.post(
        "/login?next=https://evil.example/x", data={"email": "admin@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/series", data={"email": "admin@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/series"


def test_failed_logins_are_limited_per_account(make_app, world):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="3 per 5 minutes", LOGIN_LIMIT_PER_IP="100 per 5 minutes")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"email": "admin@example.org", "password": "salah"}).status_code == 422
    blocked = client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan" in blocked.get_data(as_text=True)
    # Another account from the same address is not affected.
    assert client.post("/login", data={"email": "viewer@example.org", "password": PASSWORD}).status_code == 302


def test_failed_logins_are_limited_per_address(make_app, world):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="100 per 5 minutes", LOGIN_LIMIT_PER_IP="2 per 5 minutes")
    client = app.test_client()
    client.post("/login", data={"email": "a@example.org", "password": "salah"})
    client.post("/login", data={"email": "b@example.org", "password": "salah"})
    assert client.post("/login", data={"email": "c@example.org", "password": "salah"}).status_code == 429


def test_logout_ends_the_session(client_as):
    client = client_as("viewer")
    assert client.get("/forums").status_code == 200
    client.post("/logout")
    assert client.get("/forums").status_code == 302


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/forums")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_password_change_form_keeps_errors_visible(client_as):
    client = client_as("viewer")
    response = client.post(
        "/account/password", data={"current_password": "salah", "password": "baru-panjang", "confirm": "baru-panjang"}
    )
    assert response.status_code == 422
    assert "Kata sandi saat ini salah." in response.get_data(as_text=True)
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": "baru-panjang", "confirm": "baru-panjang"}
    )
    assert response.status_code == 302


def test_switching_language_changes_the_pages(client_as):
    client = client_as("viewer")
    assert "Forum" in client.get("/series").get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/series"})
    page = client.get("/series").get_data(as_text=True)
    assert "A series is a process that takes several meetings" in page
    assert 'lang="en"' in page


def test_anonymous_language_choice_lives_in_the_session(client):
    client.post("/language", data={"locale": "en"})
    assert "Log in to Kawal" in client.get("/login").get_data(as_text=True)


def test_admin_creates_a_user_through_the_form(client_as, world):
    client = client_as("admin")
    data = {
        "email": "baru@example.org",
        "name": "Baru",
        "role": "opd_staff",
        "opd_id": world.opds["DINKES"],
        "locale": "id",
        "active": "y",
        "password": "sandi-panjang",
    }
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 302
    assert "baru@example.org" in client.get("/admin/users").get_data(as_text=True)


def test_a_bad_user_form_is_reshown_with_the_input(client_as, world):
    client = client_as("admin")
    data = {
        "email": "admin@example.org",
        "name": "Nama Dipertahankan",
        "role": "opd_head",
        "opd_id": "",
        "locale": "id",
        "password": "sandi-panjang",
    }
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Email ini sudah dipakai." in page
    assert 'value="Nama Dipertahankan"' in page


def test_a_tampered_opd_choice_is_an_error_not_a_crash(client_as):
    client = client_as("admin")
    data = {
        "email": "x@example.org",
        "name": "X",
        "role": "opd_head",
        "opd_id": "99999",
        "locale": "id",
        "password": "sandi-panjang",
    }
    assert client.post("/admin/users/new", data=data).status_code == 422
    data["opd_id"] = "bukan-angka"
    assert client.post("/admin/users/new", data=data).status_code == 422


def test_admin_edits_an_opd_and_names_its_head(client_as, world):
    client = client_as("admin")
    dinkes = world.opds["DINKES"]
    assert client.get(f"/admin/opds/{dinkes}").status_code == 200
    data = {
        "code": "DINKES",
        "name": "Dinas Kesehatan Kota",
        "kind": "dinas",
        "parent_id": "",
        "email": "dinkes@example.org",
        "head_id": world.users["opd_head"].id,
        "active": "y",
    }
    assert client.post(f"/admin/opds/{dinkes}", data=data).status_code == 302
    assert "Dinas Kesehatan Kota" in client.get("/admin/opds").get_data(as_text=True)


def test_a_bad_opd_form_keeps_the_input(client_as, world):
    client = client_as("admin")
    data = {"code": "DINKES", "name": "Duplikat", "kind": "dinas", "email": "bukan-email"}
    response = client.post("/admin/opds/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Kode ini sudah dipakai OPD lain." in page
    assert 'value="Duplikat"' in page


def test_admin_deactivates_a_user_from_the_list(client_as, world):
    client = client_as("admin")
    response = client.post(f"/admin/users/{world.users['viewer'].id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert client_as("viewer").get("/forums").status_code == 302
