"""The OpenAPI document is written when it is first read, not as each app is built, and is the same document."""

from flask_smorest import Api

import api


def test_the_document_describes_the_operations_when_first_read_as_flask_smorest_would_have_as_the_app_was_built(
    make_app, monkeypatch
):
    make_app()
    assert api.rest._spec.to_dict()["paths"] == {}  # built, and nothing described yet
    lazily = make_app()
    document = lazily.test_client().get("/api/v1/openapi.json")
    assert document.status_code == 200 and len(document.get_json()["paths"]) > 20
    assert lazily.test_client().get("/api/v1/docs").status_code == 200

    monkeypatch.setattr(api.KawalApi, "register_blueprint", Api.register_blueprint)  # described as registered
    eagerly = make_app()
    assert api.rest._spec.to_dict()["paths"] != {}
    assert eagerly.test_client().get("/api/v1/openapi.json").get_data() == document.get_data()
