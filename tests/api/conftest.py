"""The API's fixtures: a token per role of `world` (`api_as("opd_head")` is a client whose every request carries
that user's token), made through the same service as the token page."""

import pytest

from accounts import tokens
from core.extensions import db
from tests.conftest import as_user


class ApiClient:
    """A test client that sends one user's token with every request, as a script would."""

    def __init__(self, app, secret: str | None, token_id: int | None = None):
        self.client, self.secret, self.token_id = app.test_client(), secret, token_id

    def _headers(self, headers):
        sent = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return sent | (headers or {})

    def get(self, url, headers=None, **kwargs):
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url, headers=None, **kwargs):
        return self.client.post(url, headers=self._headers(headers), **kwargs)

    def patch(self, url, headers=None, **kwargs):
        return self.client.patch(url, headers=self._headers(headers), **kwargs)

    def delete(self, url, headers=None, **kwargs):
        return self.client.delete(url, headers=self._headers(headers), **kwargs)


def make_token(app, user_id: int, scope: str = "write", days: int | None = 30) -> tuple[int, str]:
    with app.app_context():
        token, secret = tokens.create_token(as_user(user_id), name="test", scope=scope, days=days)
        token_id = token.id
        db.session.remove()
    return token_id, secret


@pytest.fixture
def api_as(app, world):
    """api_as("secretariat") is a client with a write token of that role's user; scope="read" for a read one."""

    def factory(role: str, scope: str = "write") -> ApiClient:
        token_id, secret = make_token(app, world.users[role].id, scope)
        return ApiClient(app, secret, token_id)

    return factory
