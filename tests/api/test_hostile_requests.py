"""Requests an integrator (or an attacker) may send that no form on the pages can: a page number past any table,
JSON nested beyond reason, a text where a file belongs, a method the address does not take. Each is refused as a
problem in the user's language, never a 500."""

import io

import sqlalchemy as sa

from accounts.models import User
from actions.models import Assignment, AssignmentEvent, Evidence
from core.extensions import db
from tests.api.conftest import ApiClient
from tests.api.followups import PDF, dinkes_task


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


def test_json_nested_beyond_reason_is_a_bad_request_in_the_users_language(app, world, api_as):
    """The parser's RecursionError answered 500; a body that is not JSON says so in Indonesian."""
    assignment_id = dinkes_task(app, world)
    head = api_as("opd_head")
    url = f"/api/v1/assignments/{assignment_id}/acknowledge"
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000, "{"):
        problem = _problem(head.post(url, data=body, content_type="application/json"), 400)
        assert problem["errors"] == {"_schema": ["Isi JSON tidak valid."]}
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).status == "assigned"


def test_a_text_sent_as_an_evidence_file_is_a_field_error_and_nothing_is_saved(app, world, api_as):
    assignment_id = dinkes_task(app, world, "acknowledged")
    head = api_as("opd_head")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentEvent))
    response = head.post(
        f"/api/v1/assignments/{assignment_id}/progress",
        data={"percent": "50", "note": "Rapat", "files": "bukan berkas"},
        content_type="multipart/form-data",
    )
    problem = _problem(response, 422)
    assert problem["errors"] == {"files.0": ["Bukan berkas yang valid."]}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentEvent)) == before


def test_a_method_an_address_does_not_take_is_405_with_allow(app, world, api_as):
    """RFC 9110: a 405 names the methods the address takes."""
    assignment_id = dinkes_task(app, world)
    reader = api_as("viewer", scope="read")
    for method, url, allowed in (
        ("delete", f"/api/v1/assignments/{assignment_id}", {"GET", "HEAD", "OPTIONS"}),
        ("get", f"/api/v1/assignments/{assignment_id}/acknowledge", {"POST", "OPTIONS"}),
        ("patch", "/api/v1/opds", {"GET", "HEAD", "OPTIONS"}),
    ):
        response = getattr(reader, method)(url)
        problem = _problem(response, 405)
        assert problem["detail"] == "Alamat ini tidak menerima metode itu."
        assert set(response.headers["Allow"].split(", ")) == allowed


def test_json_text_is_kept_as_a_form_keeps_it_without_control_characters(app, world, api_as):
    """A page's form drops NUL and the other C0 controls (core/requests.py); a JSON body kept them, and PostgreSQL
    refused the NUL with a 500. A lone surrogate ("\\ud800"), which no text holds and no database encodes, is no
    JSON we read, like invalid UTF-8."""
    assignment_id = dinkes_task(app, world)
    head = api_as("opd_head")
    url = f"/api/v1/assignments/{assignment_id}/acknowledge"
    lone = head.post(url, data='{"note": "a\\ud800b"}', content_type="application/json")
    assert _problem(lone, 400)["errors"] == {"_schema": ["Isi JSON tidak valid."]}
    response = head.post(url, json={"pic_name": "Dewi\x00 L\x1b.", "note": "Siap\x07\n\tya"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["pic_name"] == "Dewi L."
    with app.app_context():
        note = db.session.scalar(
            sa.select(AssignmentEvent.note).where(
                AssignmentEvent.assignment_id == assignment_id, AssignmentEvent.note.is_not(None)
            )
        )
    assert note == "Siap\n\tya"


def test_reassigning_to_an_opd_that_does_not_exist_names_the_bodys_field(app, world, api_as):
    """The refusal named `lead_opd_id`, a field of the follow-up form, not of this body."""
    assignment_id = dinkes_task(app, world)
    secretariat = api_as("secretariat")
    url = f"/api/v1/assignments/{assignment_id}/reassign"
    for opd_id in (99_999, 2**31 - 1):
        problem = _problem(secretariat.post(url, json={"opd_id": opd_id, "reason": "Salah OPD"}), 422)
        assert problem["errors"] == {"opd_id": ["OPD tidak ditemukan."]}
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).opd_id == world.opds["DINKES"]


def test_a_body_that_is_not_json_is_refused_not_read_as_an_empty_one(app, world, api_as):
    """A JSON body sent as text/plain or as a form was read as no body at all: the task was acknowledged and the
    person in charge it named silently dropped."""
    assignment_id = dinkes_task(app, world)
    head = api_as("opd_head")
    url = f"/api/v1/assignments/{assignment_id}/acknowledge"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        problem = _problem(head.post(url, data='{"pic_name": "Dewi"}', content_type=content_type), 415)
        assert problem["detail"] == "Kirim JSON, atau multipart/form-data untuk unggahan."
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).status == "assigned"
    assert head.post(url).status_code == 200  # no body at all is an acknowledgement without a note


def test_the_document_describes_every_error_as_the_problem_it_is(app, world, api_as, client):
    """The document said errors were application/json with flask-smorest's own Error schema (code, message), while
    every error is an application/problem+json (type, title, status, detail, errors): a client generated from it,
    or schemathesis, read every refusal as breaking the document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        assert spec["components"]["responses"][name]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    documented = spec["components"]["schemas"]["Problem"]["properties"]
    refused = api_as("admin").get("/api/v1/opds?government_id=abc")
    assert refused.mimetype == "application/problem+json"
    assert set(refused.get_json()) == set(documented) == {"type", "title", "status", "detail", "errors"}
    assert documented["errors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_an_address_no_resource_answers_speaks_the_token_users_language(app, world, api_as):
    """An unknown address or method never runs a resource's login, so its problem was said in Accept-Language's
    language (Indonesian without one) to a user who reads English."""
    with app.app_context():
        user = db.session.get(User, world.users["viewer"].id)
        user.locale = "en"
        db.session.commit()
    viewer = api_as("viewer", scope="read")
    assert _problem(viewer.get("/api/v1/nothing-here"), 404)["detail"] == "This does not exist, or you may not see it."
    refused = _problem(viewer.delete("/api/v1/opds"), 405)
    assert refused["detail"] == "This address does not accept that method."
    assert _problem(viewer.get("/api/v1/assignments/999999"), 404)["detail"] == "No such task."
    stranger = ApiClient(app, "kawal_not-a-real-token")
    assert (
        _problem(stranger.get("/api/v1/nothing-here"), 404)["detail"]
        == "Ini tidak ada, atau Anda tidak boleh melihatnya."
    )


def test_the_document_says_a_required_reason_may_not_be_blank(app, world, api_as, client):
    """The service refuses a blank reason ("Give the reason."); the document allowed "", so a client written from
    it (and schemathesis, ST202) sent requests it said were valid and got 422."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for body in ("ReasonBody", "DueDateBody", "ReassignBody", "CannotBody"):
        assert schemas[body]["properties"]["reason"]["pattern"] == r"\S", body
    assignment_id = dinkes_task(app, world)
    blank = api_as("secretariat").post(f"/api/v1/assignments/{assignment_id}/cancel", json={"reason": "  "})
    assert _problem(blank, 422)["errors"] == {"reason": ["Isi alasannya."]}


def test_a_range_past_an_evidence_files_end_is_refused_in_the_users_language(app, world, api_as):
    """416 had no message of ours: its problem read werkzeug's "Requested Range Not Satisfiable" to everyone."""
    assignment_id = dinkes_task(app, world, "acknowledged")
    head = api_as("opd_head")
    uploaded = head.post(
        f"/api/v1/assignments/{assignment_id}/progress",
        data={"percent": "40", "note": "Notulen", "files": [(io.BytesIO(PDF), "notulen.pdf")]},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 200, uploaded.get_data(as_text=True)
    with app.app_context():
        evidence_id = db.session.scalar(sa.select(Evidence.id).where(Evidence.assignment_id == assignment_id))
    url = f"/api/v1/evidence/{evidence_id}"
    assert head.get(url, headers={"Range": "bytes=0-3"}).data == PDF[:4]
    problem = _problem(head.get(url, headers={"Range": f"bytes={len(PDF) + 10}-"}), 416)
    assert problem["detail"] == "Bagian berkas yang diminta berada di luar ukurannya."
