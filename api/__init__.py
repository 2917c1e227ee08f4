"""Kawal's JSON API, /api/v1/: the same services and permissions as the pages, for other systems (SIPD, e-office,
the Inspektorat's records, a province's dashboards). flask-smorest writes the OpenAPI 3 document, served at
/api/v1/openapi.json, from the marshmallow schemas that read each request and shape each response; /api/v1/docs
reads that document as a page."""

from threading import Lock

from flask import Flask
from flask_smorest import Api

from api.problems import PROBLEM_CONTENT_TYPE
from api.schemas import ProblemSchema
from core.extensions import csrf


class KawalApi(Api):
    """flask-smorest's Api, without its app-wide error handler: the pages keep their error pages, and each API
    blueprint answers its own errors as problems (api/base.py). Its OpenAPI document describes the blueprints'
    operations when it is first read, not as each app is built: describing them is most of create_app's time, and
    only the document's two addresses read it."""

    ERROR_SCHEMA = ProblemSchema

    @property
    def spec(self):
        """The OpenAPI document, with every blueprint registered so far described in it."""
        with self._describing:
            while self._undescribed:
                # Off the list once described, not before: a reading that fails (and answers 500) leaves it for
                # the next, instead of a document that silently lacks its operations from then on.
                blueprint, name, parameters = self._undescribed[0]
                blueprint.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                self._spec.tag({"name": name, "description": blueprint.description})
                self._undescribed.pop(0)
        return self._spec

    @spec.setter
    def spec(self, spec):
        """A new document (init_app makes one per app), with nothing waiting to be described in it."""
        self._spec = spec
        self._undescribed = []
        self._describing = Lock()

    def register_blueprint(self, blueprint, *, parameters=None, **options):
        """Register the blueprint's routes as flask-smorest does, and describe them when the document is read."""
        name = options.get("name", blueprint.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blueprint, **options)
        self._undescribed.append((blueprint, name, parameters))

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        """The error responses every operation documents carry application/problem+json, as api/base.py answers
        them (flask-smorest would document them as application/json)."""
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_CONTENT_TYPE
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE  # the class's application/json again, for the successes


rest = KawalApi()

SPEC = {
    "API_TITLE": "Kawal",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Kawal's forums, their recommendations and the follow-ups given to OPDs, read and driven by other "
                "systems. Every request carries a personal access token (`Authorization: Bearer kawal_…`), made "
                "from the user menu; it may do what its user may do on the pages, and no more."
            )
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "kawal_…"}}
        },
    },
}


def init_app(app: Flask) -> None:
    """Register every resource of the API and the document that describes them."""
    from api import actions, assignments, decrees, docs, forums, governments, reports

    for key, value in SPEC.items():
        app.config.setdefault(key, value)
    rest.init_app(app)
    for blueprint in (governments.bp, forums.bp, actions.bp, assignments.bp, decrees.bp, reports.bp):
        rest.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    app.register_blueprint(docs.bp)
