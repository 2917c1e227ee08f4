"""How the API behaves for every operation (point 4 of issue 15): a rate limit per token, ETags, errors as
application/problem+json in the user's language, times with their offset, and a fixed number of queries per
request. The operations are read from the OpenAPI document, so a new one is covered without editing this file."""

import inspect
import re

import marshmallow as ma
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from accounts.models import User
from api.problems import MARSHMALLOW_MESSAGES, say
from core.extensions import db
from core.permissions import SYSTEM
from tests.api.conftest import ApiClient, make_token
from tests.conftest import QueryCounter, _fresh_database_url


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


# A rate limit per token, answered 429 with Retry-After.


def test_a_token_over_its_rate_limit_gets_429_with_retry_after_and_another_token_is_still_served(make_app, world):
    limited = make_app(API_RATE_LIMIT="3 per minute")
    busy = ApiClient(limited, make_token(limited, world.users["viewer"].id)[1])
    other = ApiClient(limited, make_token(limited, world.users["opd_head"].id)[1])
    assert [busy.get("/api/v1/opds").status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get("/api/v1/opds", headers={"Accept-Language": "en"})
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Said in the token's user's language (Indonesian here), which wins over the client's Accept-Language.
    assert refused.get_json()["detail"] == "Terlalu banyak permintaan dengan token ini. Tunggu lalu coba lagi."
    assert busy.get("/api/v1/governments").status_code == 429  # the limit is the token's, over every operation
    assert other.get("/api/v1/opds").status_code == 200


# ETag and If-None-Match.


def test_a_changed_resource_gets_a_new_etag_and_the_old_one_no_longer_answers_304(app, world, api_as):
    from accounts import services as accounts
    from tests.conftest import opd_values

    viewer = api_as("viewer")
    url = f"/api/v1/opds/{world.opds['DINKES']}"
    first = viewer.get(url)
    etag = first.headers["ETag"]
    assert viewer.get(url, headers={"If-None-Match": etag}).status_code == 304
    listed = viewer.get("/api/v1/opds").headers["ETag"]
    with app.app_context():
        opd = accounts.get_opd(world.opds["DINKES"])
        accounts.update_opd(SYSTEM, opd.id, **opd_values(opd, name="Dinas Kesehatan Kota"))
        db.session.remove()
    changed = viewer.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["name"] == "Dinas Kesehatan Kota"
    assert changed.headers["ETag"] != etag
    assert viewer.get("/api/v1/opds", headers={"If-None-Match": listed}).status_code == 200


# marshmallow's messages, each in MARSHMALLOW_MESSAGES and in Indonesian.


def field_messages(field_class) -> set[str]:
    """A field's messages as it says them, its own and its parents' (with the kind of value it names filled in:
    "Not a valid {obj_type}." is "Not a valid date." for a Date). A "format" message is raised while a response is
    written, a bug of ours shown to no client, and is left out."""
    messages = {}
    for parent in reversed(field_class.__mro__):
        messages |= vars(parent).get("default_error_messages", {})
    filled = set()
    for key, text in messages.items():
        for placeholder, attribute in (("{obj_type}", "OBJ_TYPE"), ("{awareness}", "AWARENESS")):
            if placeholder in text and getattr(field_class, attribute, None):
                text = text.replace(placeholder, getattr(field_class, attribute))
        if key != "format" and "{obj_type}" not in text and "{awareness}" not in text:
            filled.add(text)
    return filled


def marshmallow_templates() -> set[str]:
    """Every message the installed marshmallow can say: each field's default_error_messages, the schema's own,
    and each validator's message templates (Range's with each of its comparisons filled in)."""
    found = set(ma.Schema._default_error_messages.values())
    for value in vars(ma.fields).values():
        if inspect.isclass(value) and issubclass(value, ma.fields.Field):
            found |= field_messages(value)
    for value in vars(ma.validate).values():
        if not (inspect.isclass(value) and issubclass(value, ma.validate.Validator)):
            continue
        texts = {name: text for name, text in vars(value).items() if isinstance(text, str) and "message" in name}
        comparisons = {name: texts.pop(name) for name in list(texts) if re.fullmatch(r"message_(gt|gte|lt|lte)", name)}
        for text in texts.values():
            if "_op}" not in text:
                found.add(text)
                continue
            lower = [comparisons[name] for name in ("message_gt", "message_gte")]
            upper = [comparisons[name] for name in ("message_lt", "message_lte")]
            found |= {text.format(min_op=low, max_op=high) for low in lower for high in upper}
    return found


def test_every_marshmallow_message_is_known_and_said_in_indonesian(app):
    known = {message._args[0] for message in MARSHMALLOW_MESSAGES}
    templates = marshmallow_templates()
    assert len(templates) > 30  # the walk found marshmallow's messages
    assert templates - known == set(), "add these to api/problems.py MARSHMALLOW_MESSAGES and translate them"
    with app.test_request_context(), force_locale("id"):
        untranslated = [template for template in sorted(templates) if gettext(template) == template]
        lost = [
            template
            for template in templates
            if set(re.findall(r"\{\w+\}", template)) != set(re.findall(r"\{\w+\}", gettext(template)))
        ]
    assert untranslated == [] and lost == []


def test_a_filled_in_message_is_said_in_indonesian_with_its_values(app):
    with app.test_request_context(), force_locale("id"):
        assert say("Must be greater than 1 and less than 5.") == gettext(
            "Must be greater than {min} and less than {max}."
        ).format(min="1", max="5")
        assert say("One or more of the choices you made was not in: a, b.") != (
            "One or more of the choices you made was not in: a, b."
        )


# Problems: application/problem+json with type, title, status and detail, whatever the status.


def test_every_error_status_is_a_problem(make_app, world):
    from api.base import ApiBlueprint

    app = make_app(API_RATE_LIMIT="5 per minute")
    probe = ApiBlueprint("probe", __name__, url_prefix="/api/v1/probe")
    probe.add_url_rule("/change", "change", lambda: {"done": True}, methods=["POST"])
    app.register_blueprint(probe)  # a write operation, whatever the document holds today
    reader = ApiClient(app, make_token(app, world.users["viewer"].id, scope="read")[1])
    writer = ApiClient(app, make_token(app, world.users["admin"].id)[1])
    answers = {
        401: ApiClient(app, None).get("/api/v1/opds"),
        403: reader.post("/api/v1/probe/change"),
        404: writer.get(f"/api/v1/opds/{2**31 - 1}"),
        405: writer.delete("/api/v1/opds"),
        422: writer.get("/api/v1/opds?active=maybe"),
    }
    assert writer.post("/api/v1/probe/change").status_code == 200  # the write scope passes
    answers[429] = next(
        response for response in (reader.get("/api/v1/opds") for _ in range(6)) if response.status_code == 429
    )
    for status, response in answers.items():
        assert response.status_code == status
        assert response.mimetype == "application/problem+json", status
        body = response.get_json()
        assert {"type", "title", "status", "detail"} <= set(body), status
        assert body["status"] == status and body["detail"], status
    assert set(answers[422].get_json()["errors"]) == {"active"}


# Reads, walked over the operations of the document.


def get_operations(app) -> list[str]:
    """The path of every GET operation the document describes."""
    return [path for path, item in spec_of(app)["paths"].items() if "get" in item]


def reachable_urls(app, client) -> list[str]:
    """Every GET operation as a URL: a path parameter is the id of the first row of the list before it
    (/api/v1/forums/{forum_id}/participants takes the first forum of /api/v1/forums); one with no row is left out."""
    first_rows: dict[str, dict | None] = {}

    def first_row(list_path: str) -> dict | None:
        if list_path not in first_rows:
            response = client.get(list_path)
            rows = response.get_json() if response.status_code == 200 else None
            first_rows[list_path] = rows[0] if isinstance(rows, list) and rows else None
        return first_rows[list_path]

    urls = []
    for path in get_operations(app):
        url = path
        for match in re.finditer(r"/\{(\w+)\}", path):
            row = first_row(url[: url.index(match.group())])
            if row is None:
                break
            # A row names the id its item takes, when it is not its own (a decree is opened by its action_id).
            url = url.replace(match.group(), f"/{row.get(match.group(1), row['id'])}", 1)
        else:
            urls.append(url)
    return urls


MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def moments_in(value) -> list[str]:
    if isinstance(value, dict):
        return [moment for inner in value.values() for moment in moments_in(inner)]
    if isinstance(value, list):
        return [moment for inner in value for moment in moments_in(inner)]
    return [value] if isinstance(value, str) and MOMENT.match(value) else []


def test_every_moment_an_operation_answers_carries_its_offset(make_app, tmp_path, crawl_summary):
    from demo import data

    app = make_app()
    with app.app_context():
        data.load()
        admin = db.session.scalar(sa.select(User.id).where(User.email == data.INSTANCE_ADMIN))
        db.session.remove()
    client = ApiClient(app, make_token(app, admin)[1])
    urls = reachable_urls(app, client)
    assert len(urls) >= 4
    found, naive = 0, []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        moments = moments_in(response.get_json())
        found += len(moments)
        naive += [f"{url}: {moment}" for moment in moments if not OFFSET.search(moment)]
    assert found > 0 and naive == []  # the forums' and tasks' times are among them
    crawl_summary(f"api moments: {found} times in {len(urls)} reads of the demo, every one with its offset")


# The same number of queries per request, whatever the data's size.


def query_counts(app, emails) -> dict[tuple[str, str], int]:
    """The statements each GET operation without path parameters runs, for each of these accounts."""
    with app.app_context():
        users = dict(db.session.execute(sa.select(User.email, User.id).where(User.email.in_(emails))).all())
        engine = db.engine
        db.session.remove()
    counts = {}
    for email in emails:
        client = ApiClient(app, make_token(app, users[email])[1])
        for path in get_operations(app):
            if "{" in path:
                continue
            with QueryCounter(engine) as counter:
                response = client.get(path)
            assert response.status_code == 200, f"{path} as {email}"
            counts[path, email] = counter.count
    return counts


def test_each_list_runs_the_same_number_of_queries_for_a_few_rows_and_for_many(make_app, backend, tmp_path):
    """The benchmark's data at two sizes (about 1,000 tasks, then 4,000), each on a database of its own; each
    account sees a different part of them (the province's admin, a kabupaten's secretariat, an OPD head)."""
    from bench.generate import MEASURED, generate

    emails = ["admin@bench.example", MEASURED["kabupaten"][0], "user2@bench.example"]  # user2 heads OPD 1
    counts = []
    for size, scale in (("few", 0.01), ("many", 0.04)):
        (tmp_path / size).mkdir()
        app = make_app(SQLALCHEMY_DATABASE_URI=_fresh_database_url(backend, tmp_path / size))
        with app.app_context():
            generate(scale=scale, seed=3)
            db.session.remove()
        counts.append(query_counts(app, emails))
        with app.app_context():
            db.engine.dispose()  # PostgreSQL's database is emptied for the next size
    few, many = counts
    assert few and set(many) == set(few)
    assert {read: (few[read], many[read]) for read in few if few[read] != many[read]} == {}
