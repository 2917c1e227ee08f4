"""A government's own admin sets its documents: the letterhead, the Berita Acara's numbering format and the
secretariat head who signs "Mengetahui" — for its own government only (GET/POST /admin/documents)."""

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from accounts.models import Government
from core.audit import AuditEvent
from core.extensions import db
from core.permissions import SYSTEM
from forum import numbering
from forum import services as forums
from tests.conftest import as_user, login
from tests.forum.helpers import FGD

FORMAT = "000.1.5/{seq:03}/BA-Bappeda-Srg/{roman_month}/{year}"
SETTINGS = {
    "letterhead_name": "PEMERINTAH KABUPATEN SERANG",
    "letterhead_address": "Jl. Veteran No. 1, Serang",
    "numbering_format": FORMAT,
    "place_name": "Serang",
    "head_title": "Bupati Serang",
    "secretariat_name": "Bappeda Kabupaten Serang",
    "signer_title": "Kepala Bappeda Kabupaten Serang",
    "signer_name": "H. Yusuf, S.T.",
    "signer_nip": "19700101 199503 1 001",
}


def _client(app, user_id, locale=None):
    client = app.test_client()
    login(client, user_id)
    if locale:
        client.post("/language", data={"locale": locale})
    return client


def _settings(app, government_id) -> dict:
    with app.app_context():
        government = db.session.get(Government, government_id)
        values = {name: getattr(government, name) for name in (*SETTINGS, "code", "name", "time_zone", "active")}
        db.session.remove()
    return values


def test_the_kabupatens_admin_saves_its_format_and_signer_and_the_berita_acara_follows(app, tree):
    client = _client(app, tree.users["kab_admin"])
    page = client.get("/admin/documents")
    assert page.status_code == 200 and "Pemerintah Kabupaten Serang" in page.get_data(as_text=True)
    assert "1/BA/2025" in page.get_data(as_text=True)  # the preview of the default format
    before = _settings(app, tree.govs["kab"])
    saved = client.post("/admin/documents", data={**SETTINGS, "signer_name": "  H. Yusuf, S.T.  "})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/documents")
    after = _settings(app, tree.govs["kab"])
    assert {name: after[name] for name in SETTINGS} == SETTINGS  # trimmed
    assert {name: after[name] for name in ("code", "name", "time_zone", "active")} == {
        name: before[name] for name in ("code", "name", "time_zone", "active")
    }
    assert "000.1.5/001/BA-Bappeda-Srg/XII/2025" in client.get("/admin/documents").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "government", AuditEvent.actor_id == tree.users["kab_admin"]
            )
        )
        assert event.verb == "update" and event.scope == f"government:{tree.govs['kab']}"
        assert event.changes["numbering_format"] == [None, FORMAT]
        forum = forums.create_forum(SYSTEM, government_id=tree.govs["kab"], **(FGD | {"ends_at": None}))
        numbering.give_number(as_user(tree.users["kab_secretariat"]), forum.id)
        forum_id = forum.id
        db.session.remove()
    pdf = _client(app, tree.users["kab_secretariat"]).get(f"/forums/{forum_id}/berita-acara.pdf")
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "Nomor: 000.1.5/001/BA-Bappeda-Srg/XII/2025" in text
    assert "Mengetahui, Kepala Bappeda Kabupaten Serang" in text
    assert "H. Yusuf, S.T. NIP. 19700101 199503 1 001" in text


@pytest.mark.parametrize("other", ["kota", "prov"])
def test_the_kabupatens_admin_cannot_change_another_governments(app, tree, other):
    client = _client(app, tree.users["kab_admin"])
    before = _settings(app, tree.govs[other])
    url = f"/admin/documents?government={tree.govs[other]}"
    assert client.get(url).status_code == 403
    assert client.post(url, data=SETTINGS).status_code == 403
    assert client.post("/admin/documents?government=99999999999999", data=SETTINGS).status_code == 404
    assert client.post("/admin/documents?government=abc", data=SETTINGS).status_code == 302  # its own, then
    assert _settings(app, tree.govs[other]) == before
    assert _settings(app, tree.govs["kab"])["numbering_format"] == FORMAT


@pytest.mark.parametrize("who", ["kab_secretariat", "kab_head", "kab_viewer"])
def test_a_secretariat_a_head_or_a_viewer_is_refused(app, tree, who):
    before = _settings(app, tree.govs["kab"])
    client = _client(app, tree.users[who])
    assert client.get("/admin/documents").status_code == 403
    assert client.post("/admin/documents", data=SETTINGS).status_code == 403
    assert _settings(app, tree.govs["kab"]) == before
    assert "/admin/documents" not in client.get("/forums").get_data(as_text=True)  # nor in its menu


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("id", "Isian {nomor} tidak dikenal"),
        ("en", "Unknown placeholder {nomor}: use {seq}"),
    ],
)
def test_an_invalid_format_is_refused_beside_the_field_and_the_input_kept(app, tree, locale, message):
    client = _client(app, tree.users["kab_admin"], locale)
    response = client.post("/admin/documents", data={**SETTINGS, "numbering_format": "{nomor}/BA/{year}"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="{nomor}/BA/{year}"' in page and 'value="H. Yusuf, S.T."' in page
    assert _settings(app, tree.govs["kab"])["numbering_format"] is None


def test_the_admin_menu_links_the_page_in_both_languages(app, tree):
    assert ">Dokumen</a>" in _client(app, tree.users["kab_admin"], "id").get("/forums").get_data(as_text=True)
    assert ">Documents</a>" in _client(app, tree.users["kab_admin"], "en").get("/forums").get_data(as_text=True)


def test_the_instance_admin_picks_any_government(app, tree):
    with app.app_context():
        as_user(tree.world.users["admin"].id).manages_instance = True
        db.session.commit()
        db.session.remove()
    client = _client(app, tree.world.users["admin"].id)
    page = client.get(f"/admin/documents?government={tree.govs['prov']}").get_data(as_text=True)
    assert 'id="government-picker"' in page and "Pemerintah Provinsi Banten" in page
    saved = client.post(f"/admin/documents?government={tree.govs['prov']}", data=SETTINGS)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"?government={tree.govs['prov']}")
    assert _settings(app, tree.govs["prov"])["numbering_format"] == FORMAT
    assert _settings(app, tree.govs["kab"])["numbering_format"] is None


@pytest.mark.parametrize(("locale", "message"), [("id", "NIP terdiri atas 18 angka"), ("en", "A NIP is 18 digits")])
@pytest.mark.parametrize("nip", ["abc", "19700101 199503 1 00", "19700101-199503-1-001x"])
def test_a_nip_that_is_not_18_digits_is_refused_beside_the_field(app, tree, locale, message, nip):
    client = _client(app, tree.users["kab_admin"], locale)
    response = client.post("/admin/documents", data={**SETTINGS, "signer_nip": nip})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and f'value="{nip}"' in page
    assert _settings(app, tree.govs["kab"])["signer_nip"] is None
