"""The "set your password" email: queued by an accounts event, sent through the real SMTP path, in the user's
language, with a link that works once and never a password."""

import re

from accounts import services as accounts
from core.extensions import db
from core.permissions import SYSTEM
from notifications import dispatcher
from notifications.models import MailKind, MailStatus, OutboxMessage
from tests.conftest import as_user


def test_a_new_account_gets_a_link_to_set_its_password_which_works_once(mail_app, world, smtp):
    with mail_app.app_context():
        user_id = accounts.create_user(
            SYSTEM, password=None, email="nadia@example.org", name="Nadia", role="viewer", locale="en"
        ).id
        [row] = db.session.query(OutboxMessage).filter_by(kind=MailKind.WELCOME).all()
        assert row.recipient_user_id == user_id
        assert dispatcher.dispatch().sent == 1
        assert db.session.get(OutboxMessage, row.id).status == MailStatus.SENT
    [mail] = smtp.messages
    assert mail["To"] == "nadia@example.org" and mail["Subject"] == "[Kawal] Set your password"
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Dear Nadia,") and "72 hours" in text
    token = re.search(r"http://kawal\.test/account/set-password/(\S+)", text).group(1)
    client = mail_app.test_client()
    path = f"/account/set-password/{token}"
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "a-long-secret", "confirm": "a-long-secret"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get(path).status_code == 410
    assert client.post(path, data={"password": "another-secret", "confirm": "another-secret"}).status_code == 410
    with mail_app.app_context():
        assert as_user(user_id).check_password("a-long-secret")


def test_the_welcome_email_is_in_indonesian_by_default(mail_app, world, smtp):
    with mail_app.app_context():
        accounts.create_user(SYSTEM, password=None, email="budi@example.org", name="Budi", role="viewer")
        dispatcher.dispatch()
    [mail] = smtp.messages
    assert mail["Subject"] != "[Kawal] Set your password"
    assert "/account/set-password/" in mail.get_body(("html",)).get_content()


def test_a_user_given_a_password_gets_no_link(mail_app, world, smtp):
    with mail_app.app_context():
        accounts.create_user(SYSTEM, password="a-long-secret", email="citra@example.org", name="Citra", role="viewer")
        assert db.session.query(OutboxMessage).filter_by(kind=MailKind.WELCOME).count() == 0
