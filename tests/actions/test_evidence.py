"""Evidence uploads through the page: the allowlist, the size limit, a hostile name, a lying extension, and who
may download."""

import io
import re

import pytest

from actions import decrees, services
from actions.evidence import evidence_count
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
        assert evidence_count(acknowledged) == 0  # all or nothing: the good pdf is not kept either


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


# --- files appear only with their row (issue 10, defect 14) ------------------------------------------------


def _files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def storage_app(make_app, tmp_path):
    return make_app(ATTACHMENT_DIR=str(tmp_path / "files"))


def _staff(app, world):
    client = app.test_client()
    login(client, world.users["opd_staff"].id)
    return client


def test_a_stored_file_takes_its_name_only_with_its_row(storage_app, world, acknowledged, tmp_path):
    response = _report(_staff(storage_app, world), acknowledged, ("laporan.pdf", PDF), ("foto.png", PNG))
    assert response.status_code == 302
    with storage_app.app_context():
        from core.attachments import Attachment
        from core.extensions import db

        names = sorted(a.stored_name for a in db.session.query(Attachment))
    assert _files(tmp_path / "files") == names  # no temporary file left beside them


def test_a_failed_commit_leaves_no_file_behind(storage_app, world, acknowledged, tmp_path):
    import sqlalchemy as sa

    from core.extensions import db

    def refuse(session):
        if any(type(obj).__name__ == "Attachment" for obj in session.new):
            raise sa.exc.OperationalError("COMMIT", {}, Exception("database is locked"))

    # The failure comes inside the real commit, after the files were written, as a locked SQLite file or a
    # dropped PostgreSQL connection would. First among the commit's hooks: the data version's flushes the session.
    sa.event.listen(db.session, "before_commit", refuse, insert=True)
    try:
        response = _report(_staff(storage_app, world), acknowledged, ("laporan.pdf", PDF), ("foto.png", PNG))
    finally:
        sa.event.remove(db.session, "before_commit", refuse)
    assert response.status_code == 500
    assert _files(tmp_path / "files") == []
    with storage_app.app_context():
        assert evidence_count(acknowledged) == 0


def test_a_refused_decree_change_leaves_no_scan_behind(storage_app, world, tmp_path):
    """A new scan is stored, then the change is refused (a signed decree keeps its number): its file goes too."""
    from datetime import date

    from werkzeug.datastructures import FileStorage

    from core.errors import Invalid
    from core.extensions import db

    def scan():
        return FileStorage(io.BytesIO(PDF), filename="sk.pdf")

    signed = dict(
        subject="Tim PPT Kespro",
        number="800/12/2025",
        signed_on=date(2025, 12, 16),
        signer="Wali Kota",
        valid_from=None,
        valid_until=None,
        lead_opd_id=None,
    )
    with storage_app.app_context():
        action = make_action(world, kind="decree", support=())
        secretariat = as_user(world.users["secretariat"].id)
        decrees.update_decree(secretariat, action.id, document=scan(), **signed)
        decrees.set_decree_stage(secretariat, action.id, "drafted")
        decrees.set_decree_stage(secretariat, action.id, "signed")
        kept = _files(tmp_path / "files")
        with pytest.raises(Invalid):
            decrees.update_decree(secretariat, action.id, document=scan(), **{**signed, "number": None})
        db.session.rollback()
    assert len(kept) == 1
    assert _files(tmp_path / "files") == kept


@pytest.mark.parametrize("extension", ["pdf", "docx"])
def test_a_very_long_file_name_keeps_its_extension(storage_app, world, acknowledged, extension):
    data = PDF if extension == "pdf" else _office()
    response = _report(_staff(storage_app, world), acknowledged, ("laporan-" + "x" * 300 + "." + extension, data))
    assert response.status_code == 302
    with storage_app.app_context():
        from core.attachments import Attachment
        from core.extensions import db

        name = db.session.query(Attachment).one().original_name
    assert len(name) == 255 and name.startswith("laporan-xxx") and name.endswith("." + extension)


def _office() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


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
        services.report_progress(
            as_user(world.users["opd_head"].id),
            acknowledged,
            percent=10,
            note="Bukti",
            links=["https://example.org/bukti"],
        )
        evidence = db.session.query(Evidence).filter_by(assignment_id=acknowledged).one()
        evidence.url = "javascript:alert(1)"  # saved before links were checked
        db.session.commit()
    page = client_as("secretariat").get(f"/assignments/{acknowledged}").get_data(as_text=True)
    assert "javascript:alert(1)" in page and 'href="javascript' not in page
