"""How the API behaves for every operation (point 4 of issue 15): a rate limit per token, ETags, errors as
application/problem+json in the user's language, times with their offset, and a fixed number of queries per
request. The operations are read from the OpenAPI document, so a new one is covered without editing this file."""


def spec_of(app) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()


# Bugs schemathesis found (tests/api/test_schemathesis.py), each kept here as it was met.


def test_an_id_in_a_query_string_is_read_from_its_digits(app, world, tree, api_as):
    """A query string carries text: a strict integer field refused every government_id=2 as "not an integer"."""
    response = api_as("admin").get(f"/api/v1/opds?government_id={tree.govs['kota']}")
    assert response.status_code == 200
    assert {opd["government_id"] for opd in response.get_json()} == {tree.govs["kota"]}
    for wrong in ("1.0", "-1", "abc", "2147483648"):
        assert api_as("admin").get(f"/api/v1/opds?government_id={wrong}").status_code == 422, wrong


def test_a_page_far_past_the_last_is_empty_not_a_500(app, world, api_as):
    """SQLite cannot hold an OFFSET past 64 bits: page=143486623844 answered 500."""
    response = api_as("admin").get("/api/v1/opds?page=143486623844&page_size=71")
    assert response.status_code == 200 and response.get_json() == []
    assert response.headers["X-Total-Count"] == "5"
    assert 'rel="prev"' in response.headers["Link"]


def test_a_method_an_address_does_not_take_is_a_405_with_allow(app, world, api_as):
    """RFC 9110: a 405 says which methods the address takes; the app-wide handler answered without Allow."""
    admin = api_as("admin")
    for method in ("TRACE", "PUT", "DELETE"):
        response = admin.client.open("/api/v1/opds/1", method=method, headers=admin._headers({}))
        assert response.status_code == 405 and response.mimetype == "application/problem+json"
        assert "GET" in response.headers["Allow"], method


def test_the_document_says_errors_are_problems(app):
    """Every error the document describes is application/problem+json with type, title, status and detail (it
    described flask-smorest's application/json {code, status, message})."""
    spec = spec_of(app)
    responses = spec["components"]["responses"]
    for name, response in responses.items():
        if name == "NOT_MODIFIED":
            continue
        assert list(response["content"]) == ["application/problem+json"], name
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
