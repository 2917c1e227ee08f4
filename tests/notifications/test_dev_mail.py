"""The development mail viewer (issue 10, defect 19): only the admin and the secretariat may read caught mail."""

import pytest

MAIL = b"""From: Kawal <kawal@localhost>
To: kepala.dinkes@example.org
Subject: Tugas baru
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Konfirmasi: http://127.0.0.1:5000/a/rahasia
--b
Content-Type: text/html; charset=utf-8

<p>Konfirmasi</p>
--b--
"""
PAGES = ["/dev/mail", "/dev/mail/1.eml", "/dev/mail/1.eml/html"]


@pytest.fixture
def sink_app(make_app, tmp_path, world):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "1.eml").write_bytes(MAIL)
    return make_app(MAIL_SINK_DIR=str(tmp_path / "mail"))


def _client(app, world, role):
    from tests.conftest import login

    client = app.test_client()
    login(client, world.users[role].id)
    return client


@pytest.mark.parametrize("role", ["opd_head", "opd_staff", "other_head", "viewer"])
def test_other_roles_cannot_read_caught_mail(sink_app, world, role):
    client = _client(sink_app, world, role)
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    assert "/dev/mail" not in client.get("/forums").get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "secretariat"])
def test_the_admin_and_the_secretariat_read_caught_mail(sink_app, world, role):
    client = _client(sink_app, world, role)
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    assert "/dev/mail" in client.get("/forums").get_data(as_text=True)
