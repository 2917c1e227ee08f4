def test_every_page_carries_the_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_post_without_csrf_token_is_refused(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/login", data={"email": world.users["admin"].email, "password": "x"})
    assert response.status_code == 400
    assert "kedaluwarsa" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite(client, world):
    from tests.conftest import PASSWORD

    response = client.post("/login", data={"email": world.users["admin"].email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_need_a_secret_key(monkeypatch):
    import pytest

    from app import create_app
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://", "WEB_CONCURRENCY": 1})
    app = create_app(
        ProductionConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32, "WEB_CONCURRENCY": 1}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_an_unknown_page_answers_404_with_a_page(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman ini tidak ada." in response.get_data(as_text=True)


# --- issue 10, defect 22 ---------------------------------------------------------------------------------


def test_a_logged_in_users_pages_are_never_cached(client_as, world):
    from tests.conftest import PASSWORD

    client = client_as("viewer")
    for page in ["/forums", "/dashboard", "/reports/followups.xlsx", "/account/password"]:
        assert client.get(page).headers.get("Cache-Control") == "no-store", page
    # The task lists answer conditional GETs: kept by this browser alone, asked again before each use, and
    # cleared from its cache when the user logs out.
    assert client.get("/actions").headers.get("Cache-Control") == "private, no-cache"
    logged_out = client.post("/logout")
    assert logged_out.status_code == 302 and logged_out.headers["Clear-Site-Data"] == '"cache"'
    # A browser that comes back with only its remember cookie is a logged-in user too.
    remembered = client_as(None)
    remembered.post("/login", data={"email": world.users["viewer"].email, "password": PASSWORD, "remember": "y"})
    fresh = client_as(None)
    fresh.set_cookie("remember_token", remembered.get_cookie("remember_token").value)
    assert fresh.get("/forums").headers.get("Cache-Control") == "no-store"


def test_static_files_and_anonymous_pages_keep_their_caching(client_as):
    client = client_as("viewer")
    page = client.get("/forums").get_data(as_text=True)
    css = page.split('href="/static/css/kawal.css', 1)[1].split('"', 1)[0]
    assert "immutable" in client.get("/static/css/kawal.css" + css).headers["Cache-Control"]
    assert client_as(None).get("/login").headers.get("Cache-Control") != "no-store"


def test_production_sends_hsts_and_development_does_not(client):
    from app import create_app
    from config import ProductionConfig

    app = create_app(
        ProductionConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32, "WEB_CONCURRENCY": 1}
    )
    assert app.test_client().get("/health").headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/health").headers


def test_production_refuses_to_start_without_a_database_url(monkeypatch):
    import pytest

    from app import create_app
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", None)
    with pytest.raises(RuntimeError, match="DATABASE_URL must be set in production"):
        create_app(ProductionConfig, {"SECRET_KEY": "x" * 32})


def test_calendar_feed_tokens_never_reach_the_access_log(caplog, app, client_as):
    import logging

    page = client_as("viewer").get("/account/calendar").get_data(as_text=True)
    token = page.split("/calendar/", 1)[1].split(".ics", 1)[0]
    caplog.set_level(logging.INFO)
    line = f"/calendar/{token}.ics"
    logging.getLogger("werkzeug").info('127.0.0.1 - - "%s %s %s" %s -', "GET", line, "HTTP/1.1", "200")
    logging.getLogger("gunicorn.access").info("%(r)s", {"r": f"GET {line}?x=1 HTTP/1.1"})
    assert token not in caplog.text
    assert caplog.text.count("/calendar/[token]") == 2
