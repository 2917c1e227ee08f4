"""Kawal's JSON API, /api/v1/: the same services and permissions as the pages, for other systems (SIPD, e-office,
the Inspektorat's records, a province's dashboards). flask-smorest writes the OpenAPI 3 document, served at
/api/v1/openapi.json, from the marshmallow schemas that read each request and shape each response; /api/v1/docs
reads that document as a page."""

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from api.problems import PROBLEM_CONTENT_TYPE, ProblemSchema
from core.extensions import csrf


class KawalApi(Api):
    """flask-smorest's Api, without its app-wide error handler: the pages keep their error pages, and each API
    blueprint answers its own errors as problems (api/base.py)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        """The error responses the document names, as they are sent: application/problem+json (flask-smorest's
        own registers its Error schema as application/json)."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not 100 <= status < 200 and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


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
