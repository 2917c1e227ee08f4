"""Requests an integrator (or an attacker) may send that no form on the pages can: a page number past any table,
JSON nested beyond reason, a text where a file belongs, a method the address does not take. Each is refused as a
problem in the user's language, never a 500."""


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_a_page_far_past_the_last_is_an_empty_page_not_a_500(app, world, api_as):
    """page=2**63 made an OFFSET no database integer holds (OverflowError on SQLite, out of range on PostgreSQL)."""
    admin = api_as("admin")
    for page in (2**31, 2**63, 10**30):
        response = admin.get(f"/api/v1/opds?page={page}&page_size=200")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json() == [] and response.headers["X-Total-Count"] == "5"
        assert 'rel="prev"' in response.headers["Link"]
