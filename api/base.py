"""What every operation of the API shares: the bearer-token login, the write scope, the rate limit per token,
errors as application/problem+json (RFC 9457) in the user's language, and pages with a total and Link headers.

Each resource is an `ApiBlueprint`; `api.init_app` registers them with flask-smorest, which writes the OpenAPI
document from the same marshmallow schemas that read the requests and shape the responses."""

import math
import time
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import HTTPException

from accounts import tokens
from api.problems import problem, say_errors
from core import audit
from core.errors import Conflict, DomainError, NotAllowed
from core.extensions import db, limiter
from core.text import without_controls

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Send a personal access token: Authorization: Bearer <token>."),
    403: _l("You are not allowed to do this."),
    404: _l("This does not exist, or you may not see it."),
    405: _l("This address does not accept that method."),
    406: _l("This address answers in JSON only."),
    409: _l("This conflicts with the current state."),
    412: _l("The resource changed since you read it."),
    413: _l("The upload is too large."),
    415: _l("Send JSON, or multipart/form-data for an upload."),
    416: _l("The requested part of the file lies outside its size."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests with this token. Wait and try again."),
}


# core.errors.Conflict's page wording ("reload the page") for a client that has no page to reload.
SAME_MOMENT = _l("Someone changed this task at the same moment; nothing was saved. Read it again and retry.")


def bearer_secret() -> str:
    """The secret of the request's `Authorization: Bearer …`, or "" without one."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def token_locale() -> str | None:
    """The language of the request token's user, for an error said before (or without) a resource's login: an
    address or a method no resource answers."""
    token = tokens.token_by_secret(bearer_secret())
    return token.user.locale if token is not None else None


def rate_limit_key() -> str:
    """Requests are counted per token (a hash of the secret, so no lookup), and per address without one."""
    secret = bearer_secret()
    if secret:
        return "api-token:" + tokens.secret_digest(secret)[:32]
    return f"api-address:{request.remote_addr}"


class ApiParser(FlaskParser):
    """webargs' parser, with one more location: `multipart`, a multipart/form-data body's fields and files read by
    one schema (an upload with its percent and note), documented as one request body."""

    __location_map__ = dict(multipart="load_multipart", **FlaskParser.__location_map__)

    def _raw_load_json(self, req):
        """A JSON body's text as a page's form reads it (core/requests.py): without control characters. A body
        nested deeper than the parser recurses, or holding a lone surrogate ("\\ud800") that no text holds, is no
        JSON we read, like a malformed one (400). A body of another type is refused (415), not read as none."""
        if not is_json_request(req) and (req.content_length or req.headers.get("Transfer-Encoding")):
            raise_problem(415)
        try:
            return _form_text(super()._raw_load_json(req))
        except (RecursionError, UnicodeEncodeError) as error:
            self._handle_invalid_json_error(error, req)

    def load_multipart(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


def _form_text(value):
    """Every string of a parsed JSON value without control characters; a lone surrogate fails to encode."""
    if isinstance(value, str):
        value.encode("utf-8")
        return without_controls(value)
    if isinstance(value, list):
        return [_form_text(item) for item in value]
    if isinstance(value, dict):
        return {_form_text(key): _form_text(item) for key, item in value.items()}
    return value


class ApiBlueprint(Blueprint):
    """A resource of the API: its views need a token, answer errors as problems, and page with a total."""

    ARGUMENTS_PARSER = ApiParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": PAGE_SIZE, "max_page_size": MAX_PAGE_SIZE}
    PAGINATION_HEADER_NAME = "X-Total-Count"
    ETAG_INCLUDE_HEADERS = ["X-Total-Count", "Link"]

    def __init__(self, name: str, import_name: str, **kwargs):
        kwargs.setdefault("url_prefix", "/api/v1")
        super().__init__(name, import_name, **kwargs)
        self.before_request(authenticate)
        self.after_request(private_answer)
        self.register_error_handler(HTTPException, http_problem)
        self.register_error_handler(DomainError, domain_problem)
        self.register_error_handler(StaleDataError, lambda _error: domain_problem(Conflict()))
        self.register_error_handler(IntegrityError, same_change_twice)
        # Shared: one count per token over every operation of every resource (a plain limit counts per endpoint).
        limiter.shared_limit(
            lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key, scope="api", per_method=False
        )(self)

    def _set_pagination_metadata(self, page_params, result, headers):
        """The total in X-Total-Count, and RFC 8288 Link headers to the first, previous, next and last pages."""
        headers = dict(headers or {})
        total, size = page_params.item_count, page_params.page_size
        last = max(1, math.ceil(total / size))
        links = {"first": 1, "last": last}
        if page_params.page > 1:
            links["prev"] = min(page_params.page - 1, last)
        if page_params.page < last:
            links["next"] = page_params.page + 1
        headers["X-Total-Count"] = str(total)
        headers["Link"] = ", ".join(f'<{page_url(page)}>; rel="{rel}"' for rel, page in links.items())
        return result, headers

    def _document_pagination_metadata(self, spec, resp_doc):
        resp_doc.setdefault("headers", {}).update(
            {
                "X-Total-Count": {"description": "How many items all pages hold.", "schema": {"type": "integer"}},
                "Link": {
                    "description": "RFC 8288 links to the first, previous, next and last pages.",
                    "schema": {"type": "string"},
                },
            }
        )


def paged(query: sa.Select, pagination_parameters) -> list:
    """One page of a select's rows, and their total for the headers: two queries whatever the data's size (one for
    a page past the last)."""
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    size = pagination_parameters.page_size
    offset = (pagination_parameters.page - 1) * size
    if offset >= pagination_parameters.item_count:
        return []  # past the last page; an offset past SQLite's 64 bits would be a 500
    return list(db.session.scalars(query.limit(size).offset(offset)))


def page_url(page: int) -> str:
    """This request's URL on another page, every other query parameter kept."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    return f"{request.base_url}?{urlencode([*args, ('page', page)])}"


def private_answer(response):
    """An answer is its token's user's: a shared cache keeps none, a client revalidates with its ETag."""
    response.headers.setdefault("Cache-Control", "private, no-cache")
    response.vary.update(("Authorization", "Accept-Language"))
    return response


def authenticate() -> None:
    """Log the request in as the token's user, for this request only (no session, no cookie): every service then
    sees the same user, with the same permissions, as on the pages. A token of scope `read` may only read."""
    token = tokens.token_by_secret(bearer_secret())
    if token is None:
        raise_problem(401)
    g._login_user = token.user  # Flask-Login's current user for this request
    g.api_token = token
    g.audit_via = audit.api_via(token.id)
    if request.method not in SAFE_METHODS and not token.may_write:
        raise NotAllowed(_l("This token may only read; make one with the write scope."))


def raise_problem(status: int) -> None:
    error = HTTPException()
    error.code = status
    raise error


def http_problem(error: HTTPException):
    """An HTTP error as a problem; webargs' 422 carries each field's messages, said in the user's language."""
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = {key: value for key, value in error.get_headers() if key == "Allow"} if status == 405 else {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="kawal"'
    if isinstance(error, RateLimitExceeded):
        headers["Retry-After"] = str(retry_after())
    errors = say_errors(data["messages"]) if data.get("messages") else None
    return problem(status, HTTP_MESSAGES.get(status, error.name), errors=errors, headers=headers)


def retry_after() -> int:
    """Seconds until the token's window lets a request through again."""
    current = limiter.current_limit
    return max(1, math.ceil(current.reset_at - time.time())) if current else 60


def domain_problem(error: DomainError):
    """A rule of the domain said no: the same message as the page shows, and the field it concerns."""
    db.session.rollback()
    field = getattr(error, "field", None)
    message = SAME_MOMENT if getattr(error, "same_moment", False) else error.message
    errors = {field: [str(message)]} if field else None
    return problem(error.status_code, message, errors=errors)


def same_change_twice(error: IntegrityError):
    current_app.logger.warning("Refused by a database constraint: %s", error.orig)
    return domain_problem(
        Conflict(_l("Someone made the same change at the same moment; nothing was saved. Reload and try again."))
    )
