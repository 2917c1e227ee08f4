"""Evidence uploads through the page: the allowlist, the size limit, a hostile name, a lying extension, and who
may download."""

import io
import re

import pytest

from actions import services
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user, login

PDF = b"%PDF-1.4\n% bukti\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def acknowledged(app, world):
    with app.app_context():
        assignment = dinkes_assignment(make_action(world))
        services.acknowledge(as_user(world.users["opd_head"].id), assignment.id)
        return assignment.id


def _report(client, assignment_id, *files, percent="40"):
    return client.post(
        f"/assignments/{assignment_id}/progress",
        data={"percent": percent, "note": "Bukti pelatihan", "files": [(io.BytesIO(d), n) for n, d in files]},
        content_type="multipart/form-data",
    )


def test_allowed_files_are_accepted(client_as, acknowledged):
    response = _report(client_as("opd_staff"), acknowledged, ("laporan.pdf", PDF), ("foto.png", PNG))
    assert response.status_code == 302


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("program.exe", b"MZ\x90\x00", "Berkas yang diizinkan"),
        ("laporan.pdf", b"MZ\x90\x00 not a pdf", "bukan berkas .pdf yang sah"),
        ("foto.jpg", PNG, "bukan berkas .jpg yang sah"),
        ("dokumen.docx", b"PK\x03\x04 not really a zip", "bukan berkas .docx yang sah"),
        ("kosong.pdf", b"", "Berkas kosong"),
        ("tanpa-ekstensi", PDF, "Berkas yang diizinkan"),
    ],
)
def test_refused_files_keep_the_typed_note_and_save_nothing(app, client_as, acknowledged, name, data, message):
    response = _report(client_as("opd_staff"), acknowledged, ("laporan.pdf", PDF), (name, data))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "Bukti pelatihan" in page  # the note is kept
    with app.app_context():
        assert services.evidence_count(acknowledged) == 0  # all or nothing: the good pdf is not kept either


def test_the_size_limit_comes_from_config(make_app, world, acknowledged):
    app = make_app(EVIDENCE_MAX_BYTES=1024)
    client = app.test_client()
    login(client, world.users["opd_staff"].id)
    response = _report(client, acknowledged, ("besar.pdf", PDF + b"0" * 2000))
    assert response.status_code == 422
    assert "Ukuran berkas melebihi" in response.get_data(as_text=True)


def test_a_hostile_file_name_cannot_escape_storage(app, client_as, acknowledged):
    _report(client_as("opd_staff"), acknowledged, ("../../../../tmp/evil.pdf", PDF))
    with app.app_context():
        from core.attachments import Attachment, storage_root
        from core.extensions import db

        attachment = db.session.query(Attachment).one()
        assert attachment.original_name == "evil.pdf"
        assert attachment.path.resolve().is_relative_to(storage_root().resolve())


def _evidence_url(client, assignment_id):
    page = client.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    return re.search(r'href="(/evidence/\d+)"', page).group(1)


def test_downloads_are_for_the_secretariat_and_the_own_opd(client_as, acknowledged):
    _report(client_as("opd_staff"), acknowledged, ("laporan.pdf", PDF))
    url = _evidence_url(client_as("secretariat"), acknowledged)
    for role in ("secretariat", "admin", "opd_head", "opd_staff"):
        response = client_as(role).get(url)
        assert response.status_code == 200, role
        assert response.data == PDF
        assert "attachment" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for role in ("other_head", "viewer"):
        assert client_as(role).get(url).status_code == 403, role
    # Those who may not download do not get a link either.
    assert "/evidence/" not in client_as("other_head").get(f"/assignments/{acknowledged}").get_data(as_text=True)


def test_evidence_links_take_http_and_https_only_and_are_completed(app, world, client_as, acknowledged):
    head = client_as("opd_head")
    url = f"/assignments/{acknowledged}/progress"
    for hostile in ("javascript:alert(1)", "javascript://x.org/%0aalert(1)", "https://x.org/" + "a" * 1000):
        response = head.post(url, data={"percent": "40", "note": "Bukti", "links": hostile})
        assert response.status_code == 422, hostile
    assert head.post(url, data={"percent": "40", "links": "drive.google.com/file/d/1"}).status_code == 302
    page = head.get(f"/assignments/{acknowledged}").get_data(as_text=True)
    assert 'href="https://drive.google.com/file/d/1"' in page


def test_a_stored_script_evidence_link_is_shown_as_text(app, world, client_as, acknowledged):
    from actions.models import Evidence
    from core.extensions import db

    with app.app_context():
        services.report_progress(as_user(world.users["opd_head"].id), acknowledged, percent=10, note="Bukti",
                                 links=["https://example.org/bukti"])  # fmt: skip
        evidence = db.session.query(Evidence).filter_by(assignment_id=acknowledged).one()
        evidence.url = "javascript:alert(1)"  # saved before links were checked
        db.session.commit()
    page = client_as("secretariat").get(f"/assignments/{acknowledged}").get_data(as_text=True)
    assert "javascript:alert(1)" in page and 'href="javascript' not in page
