"""What every operation shares: a token or 401, the write scope, problems in the user's language, pages with a
total and Link headers, ETag and If-None-Match, and the document that describes it all."""

import re

from tests.api.conftest import ApiClient


def test_without_a_token_the_api_answers_401_as_a_problem_with_a_bearer_challenge(app, world):
    anonymous = ApiClient(app, None)
    response = anonymous.get("/api/v1/opds", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["status"] == 401 and "Bearer" in body["detail"]
    wrong = ApiClient(app, "kawal_not-a-real-token")
    assert wrong.get("/api/v1/opds").status_code == 401


def test_a_session_cookie_alone_does_not_open_the_api(app, world, client_as):
    """Cookies would make every API call forgeable from another site (the API takes no CSRF token)."""
    browser = client_as("admin")
    assert browser.get("/dashboard").status_code == 200
    assert browser.get("/api/v1/opds").status_code == 401


def test_the_list_of_opds_pages_with_a_total_and_link_headers(app, world, api_as):
    admin = api_as("admin")
    first = admin.get("/api/v1/opds?page_size=2")
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "5"
    assert [opd["code"] for opd in first.get_json()] == ["BAPPEDA", "DINKES"]
    links = dict(re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"])[::1])
    rels = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"])}
    assert set(rels) == {"first", "next", "last"} and links
    assert rels["last"].endswith("page_size=2&page=3")
    last = admin.get(rels["last"])
    assert [opd["code"] for opd in last.get_json()] == ["PKM-CIBODAS"]
    assert "prev" in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]


def test_a_read_answers_304_to_its_own_etag(app, world, api_as):
    viewer = api_as("viewer")
    response = viewer.get("/api/v1/opds")
    etag = response.headers["ETag"]
    again = viewer.get("/api/v1/opds", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_a_bad_query_is_a_problem_naming_the_field_in_the_users_language(app, world, api_as):
    admin = api_as("admin")
    response = admin.get("/api/v1/opds?government_id=abc")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"government_id": ["Bukan bilangan bulat yang valid."]}
    paging = admin.get("/api/v1/opds?page_size=9999").get_json()
    assert paging["errors"] == {"page_size": ["Harus antara 1 dan 200."]}
    anonymous = ApiClient(app, None).get("/api/v1/opds", headers={"Accept-Language": "en"}).get_json()
    assert anonymous["detail"] == "Send a personal access token: Authorization: Bearer <token>."


def test_an_unknown_address_under_the_api_is_a_problem_not_a_page(app, world, api_as):
    response = api_as("admin").get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_read_token_may_not_write(app, world, api_as):
    reader = api_as("secretariat", scope="read")
    response = reader.post("/api/v1/opds", json={})
    assert response.status_code in (403, 405)


def test_the_document_and_its_reference_page(app, world, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/opds" in spec["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "GET /api/v1/opds" in page.get_data(as_text=True)


def test_an_id_in_a_query_string_is_read_from_its_text(app, world, api_as):
    """A query's values all come as text: "?government_id=1" filters, where a strict integer would refuse it."""
    admin = api_as("admin")
    government_id = admin.get("/api/v1/governments").get_json()[0]["id"]
    response = admin.get(f"/api/v1/opds?government_id={government_id}")
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "5"
    assert admin.get(f"/api/v1/opds?government_id={government_id + 1000}").headers["X-Total-Count"] == "0"
    assert admin.get("/api/v1/opds?government_id=1.5").status_code == 422
