"""The OpenAPI document is written when it is first read, not as each app is built, and is the same document."""

import threading

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


def test_a_document_whose_first_reading_failed_is_whole_when_read_again(make_app, monkeypatch):
    whole = make_app().test_client().get("/api/v1/openapi.json").get_data()
    app = make_app()
    blueprint, *_ = api.rest._undescribed[0]
    describe = type(blueprint).register_views_in_doc
    failures = []

    def fails_once(self, *args, **kwargs):
        if self is blueprint and not failures:
            failures.append(self.name)
            raise RuntimeError("describing failed")
        return describe(self, *args, **kwargs)

    monkeypatch.setattr(type(blueprint), "register_views_in_doc", fails_once)
    client = app.test_client()
    assert client.get("/api/v1/openapi.json").status_code == 500
    assert failures and client.get("/api/v1/openapi.json").get_data() == whole


def test_two_first_readings_at_once_give_the_same_whole_document(make_app):
    whole = make_app().test_client().get("/api/v1/openapi.json").get_data()
    app = make_app()
    start, documents = threading.Barrier(2), []

    def read():
        start.wait()
        documents.append(app.test_client().get("/api/v1/openapi.json").get_data())

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert documents == [whole, whole]
