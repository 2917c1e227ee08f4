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
        create_app(ProductionConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app = create_app(ProductionConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_an_unknown_page_answers_404_with_a_page(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman ini tidak ada." in response.get_data(as_text=True)
