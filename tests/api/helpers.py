"""Helpers of the API's tests: a client with any user's read token, and the queries one read takes."""

from core.extensions import db
from tests.api.conftest import ApiClient, make_token
from tests.conftest import QueryCounter


def read_client(app, user_id: int) -> ApiClient:
    """A client sending a read token of this user (of any government of `tree`)."""
    return ApiClient(app, make_token(app, user_id, "read")[1])


def queries_of(app, client: ApiClient, paths) -> list[int]:
    """The number of SQL statements each of these reads runs, each answered 200."""
    found = []
    for path in paths:
        with app.app_context(), QueryCounter(db.engine) as counter:
            response = client.get(path)
        assert response.status_code == 200, (path, response.get_json())
        found.append(counter.count)
    return found
