"""Moving a task through the API: every operation calls the page's service with the token's user, so it does what
the page does (the transition table, the history, the audit trail marked with the token, the decision email) and
refuses what the page refuses (another OPD's head, a read token, a move the table has not, another government)."""

import io
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from actions import services
from actions.models import Assignment, AssignmentEvent, Evidence, Status
from core.audit import AuditEvent
from core.extensions import db
from notifications.models import MailKind, OutboxItem, OutboxMessage
from tests.actions.helpers import TODAY
from tests.api.conftest import ApiClient, make_token
from tests.api.followups import PDF, dinkes_task


def _task(app, assignment_id) -> Assignment:
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        db.session.expunge(assignment)
    return assignment


def _problem(response, status):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def _decisions(app, assignment_id) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .join(OutboxItem, OutboxItem.message_id == OutboxMessage.id)
            .where(OutboxMessage.kind == MailKind.DECISION, OutboxItem.assignment_id == assignment_id)
        )


def test_acknowledging_answers_the_task_after_and_the_audit_names_the_token(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    head = api_as("opd_head")
    response = head.post(f"/api/v1/assignments/{assignment_id}/acknowledge", json={"pic_name": "Dewi", "note": "Siap"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "acknowledged" and body["pic_name"] == "Dewi"
    assert (
        body["acknowledged_at"] == "2025-12-16T02:00:00+00:00"
        and body["acknowledged_by_id"] == world.users["opd_head"].id
    )
    assert body["allowed"] == ["pic", "progress", "submit", "cannot"]
    with app.app_context():
        [audit] = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_type == "assignment", AuditEvent.entity_id == assignment_id)
        )
        assert audit.via == f"api:{head.token_id}" and audit.actor_id == world.users["opd_head"].id
    again = head.post(f"/api/v1/assignments/{assignment_id}/acknowledge")
    assert again.status_code == 200 and again.get_json()["version"] == body["version"]  # nothing changed


def test_another_opds_head_a_read_token_and_another_government_are_refused(app, world, tree, api_as):
    assignment_id = dinkes_task(app, world)
    url = f"/api/v1/assignments/{assignment_id}/acknowledge"
    assert _problem(api_as("other_head").post(url), 403)["detail"] == "Tugas ini milik OPD lain."
    assert _problem(api_as("viewer").post(url), 403)
    assert _problem(api_as("opd_head", scope="read").post(url), 403)
    _token, secret = make_token(app, tree.users["kab_head"])
    assert _problem(ApiClient(app, secret).post(url), 404)
    _token, secret = make_token(app, tree.users["prov_secretariat"])  # sees the city's task, does not act for it
    assert _problem(
        ApiClient(app, secret).post(f"/api/v1/assignments/{assignment_id}/cancel", json={"reason": "x"}), 403
    )
    assert _problem(api_as("opd_head").post("/api/v1/assignments/9999/acknowledge"), 404)
    assert _task(app, assignment_id).status == Status.ASSIGNED


def test_a_move_the_table_has_not_is_409(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    body = _problem(api_as("opd_head").post(f"/api/v1/assignments/{assignment_id}/submit"), 409)
    assert "Menunggu konfirmasi" in body["detail"]
    body = _problem(
        api_as("secretariat").post(f"/api/v1/assignments/{assignment_id}/verify", json={"accept": True}), 409
    )
    assert _task(app, assignment_id).status == Status.ASSIGNED


def _upload(client, assignment_id, *files, **fields):
    data = {"percent": "60", "note": "Pelatihan kader", **fields}
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/api/v1/assignments/{assignment_id}/progress", data=data, content_type="multipart/form-data")


def test_progress_with_evidence_files_and_links_as_multipart(app, world, api_as):
    assignment_id = dinkes_task(app, world, "acknowledged")
    staff = api_as("opd_staff")  # staff report progress, as on the page
    response = _upload(
        staff,
        assignment_id,
        ("daftar-hadir.pdf", PDF),
        ("foto.pdf", PDF),
        links=["https://example.org/berita", "https://example.org/foto"],
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["percent"] == 60 and response.get_json()["status"] == "in_progress"
    with app.app_context():
        evidence = list(db.session.scalars(sa.select(Evidence).where(Evidence.assignment_id == assignment_id)))
        assert sorted(e.attachment.original_name for e in evidence if e.attachment) == ["daftar-hadir.pdf", "foto.pdf"]
        assert sorted(e.url for e in evidence if e.url) == ["https://example.org/berita", "https://example.org/foto"]
        assert all(e.attachment.path.read_bytes() == PDF for e in evidence if e.attachment)
        [audit] = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_id == assignment_id, AuditEvent.verb == "change_status")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
        assert audit.via == f"api:{staff.token_id}"


def test_an_upload_is_checked_as_on_the_page_and_nothing_is_saved_when_one_file_fails(app, world, api_as):
    app.config["EVIDENCE_MAX_BYTES"] = 1000
    assignment_id = dinkes_task(app, world, "acknowledged")
    head = api_as("opd_head")
    too_large = _problem(_upload(head, assignment_id, ("ok.pdf", PDF), ("besar.pdf", PDF + b"0" * 1000)), 422)
    assert list(too_large["errors"]) == ["file"] and "melebihi" in too_large["errors"]["file"][0]
    wrong_type = _problem(_upload(head, assignment_id, ("program.exe", b"MZ\x90\x00")), 422)
    assert list(wrong_type["errors"]) == ["file"] and "pdf" in wrong_type["errors"]["file"][0]
    disguised = _problem(_upload(head, assignment_id, ("laporan.pdf", b"MZ\x90\x00 not a pdf")), 422)
    assert "laporan.pdf" in disguised["errors"]["file"][0]
    bad_name = _problem(_upload(head, assignment_id, ("../../.pdf", PDF)), 422)
    assert list(bad_name["errors"]) == ["file"]
    percent = _problem(_upload(head, assignment_id, percent="150"), 422)
    assert list(percent["errors"]) == ["percent"]
    missing = _problem(head.post(f"/api/v1/assignments/{assignment_id}/progress", data={}), 422)
    assert list(missing["errors"]) == ["percent"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0
        assert db.session.get(Assignment, assignment_id).status == Status.ACKNOWLEDGED
    attachments = app.config["ATTACHMENT_DIR"]
    assert not any(path.is_file() for path in Path(attachments).rglob("*"))


def test_progress_before_acknowledgement_and_by_another_opd_are_refused(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    assert (
        "harus menerima tugas" in _problem(_upload(api_as("opd_staff"), assignment_id, ("a.pdf", PDF)), 409)["detail"]
    )
    acknowledged = dinkes_task(app, world, "acknowledged")
    _problem(_upload(api_as("other_head"), acknowledged, ("a.pdf", PDF)), 403)
    _problem(_upload(api_as("opd_head", scope="read"), acknowledged, ("a.pdf", PDF)), 403)


def test_submit_needs_evidence_then_hands_the_task_in(app, world, api_as):
    assignment_id = dinkes_task(app, world, "acknowledged")
    head = api_as("opd_head")
    refused = _problem(head.post(f"/api/v1/assignments/{assignment_id}/submit", json={}), 422)
    assert "bukti" in refused["detail"]
    _upload(head, assignment_id, ("bukti.pdf", PDF))
    _problem(api_as("opd_staff").post(f"/api/v1/assignments/{assignment_id}/submit"), 403)  # staff may not submit
    response = head.post(f"/api/v1/assignments/{assignment_id}/submit", json={"note": "Selesai"})
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"
    assert response.get_json()["submitted_at"] == "2025-12-16T02:00:00+00:00"
    assert api_as("secretariat").get(f"/api/v1/assignments/{assignment_id}").get_json()["allowed"] == [
        "verify",
        "return",
        "cancel",
        "due_date",
        "reassign",
    ]


def test_verify_accepts_and_mails_the_decision(app, world, api_as):
    assignment_id = dinkes_task(app, world, "submitted")
    before = _decisions(app, assignment_id)
    _problem(api_as("opd_head").post(f"/api/v1/assignments/{assignment_id}/verify", json={"accept": True}), 403)
    response = api_as("secretariat").post(f"/api/v1/assignments/{assignment_id}/verify", json={"accept": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "done" and body["percent"] == 100 and body["allowed"] == []
    assert body["verified_by_id"] == world.users["secretariat"].id
    assert _decisions(app, assignment_id) == before + 1


def test_returning_needs_a_note_and_mails_the_decision(app, world, api_as):
    assignment_id = dinkes_task(app, world, "submitted")
    secretariat = api_as("secretariat")
    url = f"/api/v1/assignments/{assignment_id}/verify"
    assert _problem(secretariat.post(url, json={"accept": False}), 422)["errors"] == {"note": ["Isi alasannya."]}
    assert list(_problem(secretariat.post(url, json={}), 422)["errors"]) == ["accept"]
    assert list(_problem(secretariat.post(url, json={"accept": "maybe"}), 422)["errors"]) == ["accept"]
    before = _decisions(app, assignment_id)
    response = secretariat.post(url, json={"accept": False, "note": "Lampirkan daftar hadir."})
    assert response.status_code == 200 and response.get_json()["status"] == "returned"
    assert _decisions(app, assignment_id) == before + 1
    with app.app_context():
        last = db.session.scalar(
            sa.select(AssignmentEvent)
            .where(AssignmentEvent.assignment_id == assignment_id)
            .order_by(AssignmentEvent.id.desc())
        )
        assert (last.to_status, last.note) == (Status.RETURNED, "Lampirkan daftar hadir.")


def test_cancel_takes_the_task_away_with_a_reason(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    secretariat = api_as("secretariat")
    url = f"/api/v1/assignments/{assignment_id}/cancel"
    assert list(_problem(secretariat.post(url, json={}), 422)["errors"]) == ["reason"]
    assert _problem(secretariat.post(url, json={"reason": "   "}), 422)["errors"] == {"reason": ["Isi alasannya."]}
    _problem(api_as("opd_head").post(url, json={"reason": "Bukan tugas kami"}), 403)
    response = secretariat.post(url, json={"reason": "Digabung dengan tindak lanjut lain"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert "Dibatalkan" in _problem(secretariat.post(url, json={"reason": "lagi"}), 409)["detail"]


def test_the_due_date_moves_with_a_reason_and_not_into_the_past(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    secretariat = api_as("secretariat")
    url = f"/api/v1/assignments/{assignment_id}/due-date"
    new = (TODAY + timedelta(days=40)).isoformat()
    past = (TODAY - timedelta(days=1)).isoformat()
    assert list(_problem(secretariat.post(url, json={"due_date": past, "reason": "x"}), 422)["errors"]) == ["due_date"]
    assert list(_problem(secretariat.post(url, json={"due_date": "31-12-2025", "reason": "x"}), 422)["errors"]) == [
        "due_date"
    ]
    _problem(api_as("opd_head").post(url, json={"due_date": new, "reason": "Minta waktu"}), 403)
    response = secretariat.post(url, json={"due_date": new, "reason": "Menunggu anggaran perubahan"})
    assert response.status_code == 200 and response.get_json()["due_date"] == new
    timeline = secretariat.get(f"/api/v1/assignments/{assignment_id}/timeline").get_json()
    assert timeline[-1]["kind"] == "due_date" and timeline[-1]["note"] == "Menunggu anggaran perubahan"
    secretariat.post(f"/api/v1/assignments/{assignment_id}/cancel", json={"reason": "Batal"})
    assert _problem(secretariat.post(url, json={"due_date": new, "reason": "x"}), 409)


def test_a_body_with_an_unknown_field_is_refused_before_anything_changes(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    body = _problem(
        api_as("opd_head").post(f"/api/v1/assignments/{assignment_id}/acknowledge", json={"pic": "Dewi"}), 422
    )
    assert body["errors"] == {"pic": ["Kolom tidak dikenal."]}
    assert _task(app, assignment_id).status == Status.ASSIGNED


def test_the_person_in_charge_is_named_by_the_head_once_acknowledged(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    head = api_as("opd_head")
    url = f"/api/v1/assignments/{assignment_id}/pic"
    _problem(head.post(url, json={"pic_name": "Dewi"}), 409)  # acknowledge first
    head.post(f"/api/v1/assignments/{assignment_id}/acknowledge")
    _problem(api_as("opd_staff").post(url, json={"pic_name": "Dewi"}), 403)
    assert list(_problem(head.post(url, json={}), 422)["errors"]) == ["pic_name"]
    response = head.post(url, json={"pic_name": "dr. Dewi Lestari"})
    assert response.status_code == 200 and response.get_json()["pic_name"] == "dr. Dewi Lestari"


def test_a_cannot_follow_up_request_and_the_secretariats_decision(app, world, api_as):
    assignment_id = dinkes_task(app, world, "acknowledged")
    head, secretariat = api_as("opd_head"), api_as("secretariat")
    url = f"/api/v1/assignments/{assignment_id}/cannot"
    wrong = _problem(head.post(url, json={"category": "weather", "reason": "x"}), 422)
    assert list(wrong["errors"]) == ["category"]
    _problem(api_as("other_head").post(url, json={"category": "budget", "reason": "Tidak ada anggaran"}), 403)
    response = head.post(url, json={"category": "budget", "reason": "Tidak ada anggaran tahun ini"})
    assert response.status_code == 200 and response.get_json()["status"] == "cannot_requested"
    assert secretariat.get(f"/api/v1/assignments/{assignment_id}").get_json()["allowed"][:1] == ["decide_cannot"]
    decide = f"/api/v1/assignments/{assignment_id}/cannot-decision"
    assert _problem(secretariat.post(decide, json={"approve": False}), 422)["errors"] == {"note": ["Isi alasannya."]}
    _problem(head.post(decide, json={"approve": True}), 403)
    before = _decisions(app, assignment_id)
    response = secretariat.post(decide, json={"approve": False, "note": "Gunakan anggaran perubahan."})
    assert response.status_code == 200 and response.get_json()["status"] == "in_progress"
    assert _decisions(app, assignment_id) == before + 1
    head.post(url, json={"category": "budget", "reason": "Anggaran perubahan ditolak"})
    response = secretariat.post(decide, json={"approve": True})
    assert response.status_code == 200 and response.get_json()["status"] == "cannot_follow_up"


def test_reassigning_gives_the_task_to_another_opd_afresh(app, world, api_as):
    assignment_id = dinkes_task(app, world, "acknowledged")
    secretariat = api_as("secretariat")
    url = f"/api/v1/assignments/{assignment_id}/reassign"
    target = world.opds["DISDUKCAPIL"]
    _problem(api_as("opd_head").post(url, json={"opd_id": target, "reason": "Bukan kewenangan kami"}), 403)
    # The refusal names the body's own field (it named the follow-up form's lead_opd_id).
    assert list(_problem(secretariat.post(url, json={"opd_id": 99999, "reason": "x"}), 422)["errors"]) == ["opd_id"]
    response = secretariat.post(url, json={"opd_id": target, "reason": "Kewenangan Disdukcapil"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["opd_id"], body["status"], body["acknowledged_at"]) == (target, "assigned", None)
    assert _problem(api_as("opd_head").get(f"/api/v1/assignments/{assignment_id}/acknowledge"), 405)


MOVES = {
    "acknowledge": ("acknowledge", {"json": {}}),
    "pic": ("pic", {"json": {"pic_name": "Dewi"}}),
    "progress": ("progress", None),  # multipart, made fresh for each request
    "submit": ("submit", {"json": {}}),
    "cannot": ("cannot", {"json": {"category": "budget", "reason": "Tidak ada anggaran"}}),
    "verify": ("verify", {"json": {"accept": True}}),
    "return": ("verify", {"json": {"accept": False, "note": "Lengkapi bukti"}}),
    "decide_cannot": ("cannot-decision", {"json": {"approve": True}}),
    "cancel": ("cancel", {"json": {"reason": "Digabung"}}),
    "due_date": ("due-date", {"json": {"due_date": (TODAY + timedelta(days=60)).isoformat(), "reason": "Anggaran"}}),
    "reassign": ("reassign", None),  # to DISDUKCAPIL, whose id the world knows
}


def _send(client, world, assignment_id, name):
    path, kwargs = MOVES[name]
    url = f"/api/v1/assignments/{assignment_id}/{path}"
    if name == "progress":
        data = {"percent": "70", "files": (io.BytesIO(PDF), "bukti.pdf")}
        return client.post(url, data=data, content_type="multipart/form-data")
    if name == "reassign":
        return client.post(url, json={"opd_id": world.opds["DISDUKCAPIL"], "reason": "Kewenangan Disdukcapil"})
    return client.post(url, **kwargs)


def test_allowed_says_exactly_which_moves_succeed_for_every_role_at_every_stage(app, world, api_as):
    """For each role and each stage of a task, every move is tried: those `allowed` names succeed, every other one
    is refused (403 or 409) and changes nothing. Acknowledging an acknowledged task is the one idempotent move."""
    attempts = refusals = 0
    succeeded = set()
    for role in ("admin", "secretariat", "opd_head", "opd_staff", "viewer", "other_head"):
        client = api_as(role)
        for stage in ("assigned", "reported", "submitted"):
            assignment_id = dinkes_task(app, world, stage)
            allowed = client.get(f"/api/v1/assignments/{assignment_id}").get_json()["allowed"]
            for name in MOVES:
                before = client.get(f"/api/v1/assignments/{assignment_id}").get_json()
                response = _send(client, world, assignment_id, name)
                attempts += 1
                if name in allowed:
                    assert response.status_code == 200, (role, stage, name, response.get_json())
                    succeeded.add((role, stage, name))
                    assignment_id = dinkes_task(app, world, stage)  # the next move starts from the same stage
                    continue
                after = client.get(f"/api/v1/assignments/{assignment_id}").get_json()
                if name == "acknowledge" and response.status_code == 200:
                    assert stage != "assigned" and role == "opd_head" and after["version"] == before["version"]
                    continue
                refusals += 1
                assert response.status_code in (403, 409), (role, stage, name, response.get_json())
                assert after["version"] == before["version"], (role, stage, name)
    secretariats_work = {
        (stage, name) for stage in ("assigned", "reported", "submitted") for name in ("cancel", "due_date", "reassign")
    } | {("submitted", "verify"), ("submitted", "return")}
    expected = (
        {(role, *move) for role in ("admin", "secretariat") for move in secretariats_work}
        | {("opd_head", "assigned", "acknowledge"), ("opd_head", "submitted", "pic")}
        | {("opd_head", "reported", name) for name in ("pic", "progress", "submit", "cannot")}
        | {("opd_staff", "reported", "progress")}
    )
    assert succeeded == expected  # nothing for the viewer, nor for another OPD's head
    assert (attempts, refusals) == (198, 198 - len(expected) - 2)


def test_no_move_on_a_citys_task_is_open_to_the_province_or_a_sibling_kabupaten(app, world, tree):
    """Every user of the province (which sees the city's tasks, and acts for none of them) and of the sibling
    kabupaten (which sees none) tries every move at every stage: the province gets 403 or 409, and the kabupaten
    exactly what a task that does not exist gets (404, or 403 for a move its role may never make)."""
    tasks = {stage: dinkes_task(app, world, stage) for stage in ("assigned", "reported", "submitted")}
    attempts = 0
    for key in ("prov", "kab"):
        for who in ("secretariat", "head", "admin", "viewer"):
            _token, secret = make_token(app, tree.users[f"{key}_{who}"])
            client = ApiClient(app, secret)
            for stage, assignment_id in tasks.items():
                for name in MOVES:
                    response = _send(client, world, assignment_id, name)
                    attempts += 1
                    where = (key, who, stage, name, response.get_json())
                    if key == "prov":
                        assert response.status_code in (403, 409), where
                    else:
                        nowhere = _send(client, world, 2_000_000, name)
                        assert (response.status_code, response.get_json()) == (
                            nowhere.status_code,
                            nowhere.get_json(),
                        ), where
                        assert response.status_code in (403, 404), where
    assert attempts == 2 * 4 * 3 * len(MOVES)
    assert _task(app, tasks["assigned"]).status == Status.ASSIGNED
    assert _task(app, tasks["reported"]).status == Status.IN_PROGRESS
    assert _task(app, tasks["submitted"]).status == Status.SUBMITTED


def test_a_task_changed_by_someone_else_meanwhile_is_a_409_and_nothing_is_saved(app, world, api_as, monkeypatch):
    """Between the API's read of the task and its write, another request changes it (its version moves on): the
    move answers 409 as a problem, and neither its history nor its audit row is kept."""
    assignment_id = dinkes_task(app, world)
    loaded = services.assignment_for

    def read_then_changed_elsewhere(actor, task_id, permission):
        assignment = loaded(actor, task_id, permission)
        # What another request's committed change leaves in the row: its version moved on (written here in this
        # request's own transaction, since SQLite would lock a second writer out until this one ends).
        db.session.execute(
            sa.update(Assignment).where(Assignment.id == task_id).values(version=Assignment.version + 1),
            execution_options={"synchronize_session": False},
        )
        return assignment

    monkeypatch.setattr(services, "assignment_for", read_then_changed_elsewhere)
    body = _problem(api_as("opd_head").post(f"/api/v1/assignments/{assignment_id}/acknowledge"), 409)
    assert body["detail"].startswith("Orang lain mengubah tugas ini pada saat yang sama; tidak ada yang disimpan.")
    assert "halaman" not in body["detail"]  # a client has no page to reload: the API's own wording
    task = _task(app, assignment_id)
    assert task.status == Status.ASSIGNED and task.version == 1  # the rollback took the other change too
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.via.is_not(None)))
            == 0
        )
