"""The emailed link to set one's password: signed, bound to the password as it is, works once, expires."""

from datetime import timedelta

import pytest

from accounts import services as accounts
from accounts.models import User
from core.errors import Invalid
from core.extensions import db
from core.permissions import SYSTEM
from notifications.models import MailKind, OutboxMessage
from tests.conftest import as_user, login


def _new_user(email="nadia@example.org") -> int:
    user = accounts.create_user(SYSTEM, password=None, email=email, name="Nadia", role="viewer")
    return user.id


def test_the_link_expires_by_the_app_clock(appctx, world, clock):
    user = as_user(_new_user())
    token = accounts.password_link_token(user)
    clock.set(clock.now() + timedelta(hours=71))
    assert accounts.user_by_password_token(token).id == user.id
    clock.set(clock.now() + timedelta(hours=2))
    with pytest.raises(Invalid):
        accounts.user_by_password_token(token)


def test_a_link_is_refused_when_changed_or_for_an_inactive_account(appctx, world):
    user = as_user(_new_user())
    token = accounts.password_link_token(user)
    with pytest.raises(Invalid):
        accounts.user_by_password_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(Invalid):
        accounts.user_by_password_token("nonsense")
    accounts.set_user_active(SYSTEM, user.id, False)
    with pytest.raises(Invalid):
        accounts.user_by_password_token(token)


def test_a_weak_password_is_refused_and_the_link_still_works(app, world):
    with app.app_context():
        token = accounts.password_link_token(as_user(_new_user()))
    client = app.test_client()
    response = client.post(f"/account/set-password/{token}", data={"password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert client.get(f"/account/set-password/{token}").status_code == 200


def test_an_admin_sends_a_link_from_the_user_s_page(app, world):
    client = app.test_client()
    login(client, world.users["admin"].id)
    page = client.get(f"/admin/users/{world.users['viewer'].id}").get_data(as_text=True)
    assert f"/admin/users/{world.users['viewer'].id}/password-link" in page
    response = client.post(f"/admin/users/{world.users['viewer'].id}/password-link")
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.query(OutboxMessage).filter_by(kind=MailKind.WELCOME).all()
        assert [row.recipient for row in rows] == [world.users["viewer"].email]
        # The old password keeps working until a new one is set.
        assert db.session.get(User, world.users["viewer"].id).check_password("rahasia-123")


def test_setting_a_password_by_link_ends_the_account_s_sessions(app, world):
    other = app.test_client()
    login(other, world.users["viewer"].id)
    assert other.get("/account/password").status_code == 200
    with app.app_context():
        token = accounts.password_link_token(as_user(world.users["viewer"].id))
        accounts.set_password_with_link(token, "a-long-secret")
    assert other.get("/account/password").status_code == 302  # to the login page
