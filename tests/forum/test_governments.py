"""Forums by government, through the pages: a sibling finds nothing of another's forum or task by any route, the
parent reads but cannot change, pages name another government's OPD, and the attendance import tells which
government's OPD a row means."""

import io
import re
from datetime import timedelta

import pytest

from actions import services as actions
from core.errors import Invalid
from core.extensions import db
from forum import attendance_import, services
from forum.models import Participant
from tests.actions.helpers import TODAY
from tests.conftest import as_user, login
from tests.forum.helpers import FGD, participant
from tests.forum.test_import import _sealed, xlsx


def _kab_forum(tree, title="Lokakarya PIP Kabupaten Serang"):
    """A forum of Kabupaten Serang attended by its Dinkes, with a follow-up for it; returns the ids."""
    kabupaten = as_user(tree.users["kab_secretariat"])
    forum = services.create_forum(kabupaten, **{**FGD, "title": title})
    services.add_participants(
        kabupaten, forum.id, [participant(tree.world, name="Dr. Rina", opd=None, opd_id=tree.opds["kab:DINKES"])]
    )
    recommendation = services.add_recommendation(kabupaten, forum.id, text="Susun rencana aksi PIP")
    action = actions.create_action(
        kabupaten,
        recommendation.id,
        kind="task",
        title="Rencana aksi PIP disusun",
        due_date=TODAY + timedelta(days=14),
        lead_opd_id=tree.opds["kab:DINKES"],
    )
    person = db.session.scalar(db.select(Participant.id).where(Participant.forum_id == forum.id))
    return dict(forum=forum.id, rec=recommendation.id, action=action.id, task=action.assignments[0].id, person=person)


def _routes(ids):
    f, r, a, t, p = ids["forum"], ids["rec"], ids["action"], ids["task"], ids["person"]
    gets = [
        f"/forums/{f}",
        f"/forums/{f}/edit",
        f"/forums/{f}/minutes",
        f"/forums/{f}/history",
        f"/forums/{f}/participants/new",
        f"/forums/{f}/participants/{p}/edit",
        f"/forums/{f}/participants/import",
        f"/forums/{f}/recommendations/new",
        f"/forums/{f}/recommendations/{r}/edit",
        f"/forums/{f}/recommendations/{r}/actions/new",
        f"/actions/{a}",
        f"/actions/{a}/edit",
        f"/actions/{a}/decree",
        f"/assignments/{t}",
    ]
    posts = [
        (f"/forums/{f}/edit", {"title": "Diambil alih"}),
        (f"/forums/{f}/status", {"status": "held"}),
        (f"/forums/{f}/minutes", {"minutes": "x"}),
        (f"/forums/{f}/participants/{p}/delete", {}),
        (f"/forums/{f}/recommendations/{r}/delete", {}),
        (f"/forums/{f}/recommendations/{r}/move", {"direction": "down"}),
        (f"/forums/{f}/carry-over/{a}", {"outcome": "closed"}),
        (f"/actions/{a}/opds", {"opd_id": "1", "role": "support", "reason": "x"}),
        (f"/actions/{a}/cancel", {"reason": "x"}),
        (f"/assignments/{t}/acknowledge", {}),
        (f"/assignments/{t}/verify", {"decision": "yes"}),
        (f"/assignments/{t}/cancel", {"reason": "x"}),
        (f"/assignments/{t}/due-date", {"due_date": "2026-02-01", "reason": "x"}),
        (f"/assignments/{t}/reassign", {"opd_id": "1", "reason": "x"}),
    ]
    return gets, posts


def test_a_sibling_gets_404_on_every_route_of_anothers_forum_and_task(app, tree):
    with app.app_context():
        ids = _kab_forum(tree)
    gets, posts = _routes(ids)
    attempts = allowed = 0
    for who in ("secretariat", "opd_head", "viewer", "admin"):  # Kota Tangerang's people
        client = app.test_client()
        login(client, tree.world.users[who].id)
        for url in gets:
            attempts += 1
            status = client.get(url).status_code
            allowed += status not in (403, 404)
            assert status in (403, 404), (who, url, status)
        for url, data in posts:
            attempts += 1
            status = client.post(url, data=data).status_code
            allowed += status not in (403, 404)
            assert status in (403, 404), (who, url, status)
        for page in ("/forums", "/actions", "/series", "/decrees", "/tasks"):
            text = client.get(page).get_data(as_text=True)
            assert "Lokakarya PIP" not in text and "Kab. Serang" not in text, (who, page)
    assert attempts == 4 * (len(gets) + len(posts)) and allowed == 0


def test_the_parent_reads_a_kabupaten_forum_but_every_change_is_refused(app, tree):
    with app.app_context():
        ids = _kab_forum(tree)
    client = app.test_client()
    login(client, tree.users["prov_secretariat"])
    page = client.get(f"/forums/{ids['forum']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Lokakarya PIP" in text and "DINKES · Kab. Serang" in text
    assert "Dinas Kesehatan · Kab. Serang" in text  # among the institutions present, with its government
    assert f"/forums/{ids['forum']}/edit" not in text and "/actions/new" not in text
    assert client.get(f"/assignments/{ids['task']}").status_code == 200
    gets, posts = _routes(ids)
    for url, data in posts:
        if "/acknowledge" in url:
            continue  # the OPD's own act: refused as another OPD's task, a 403 too
        assert client.post(url, data=data).status_code == 403, url
    editing = [url for url in [*gets[1:10], gets[11]] if not url.endswith("/history")]
    for url in editing:  # every editing page of the forum, and of its follow-up
        assert client.get(url).status_code == 403, url
    assert client.get(f"/forums/{ids['forum']}/history").status_code == 200  # what the kabupaten changed: read


def test_the_follow_up_form_offers_the_owner_and_below_named_by_government(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        forum_id = services.create_forum(province, **{**FGD, "title": "FGD PPT Kespro"}).id
        prov_rec = services.add_recommendation(province, forum_id, text="Informasikan ke pimpinan").id
        kab = _kab_forum(tree)
    client = app.test_client()
    login(client, tree.users["prov_secretariat"])
    text = client.get(f"/forums/{forum_id}/recommendations/{prov_rec}/actions/new").get_data(as_text=True)
    assert "DINKES · Kab. Serang – Dinas Kesehatan" in text and "DINKES · Kota Tangerang" in text
    assert "DINKES – Dinas Kesehatan" in text  # the province's own, bare
    client = app.test_client()
    login(client, tree.users["kab_secretariat"])
    text = client.get(f"/forums/{kab['forum']}/recommendations/{kab['rec']}/actions/new").get_data(as_text=True)
    assert "DINKES – Dinas Kesehatan" in text
    assert "· Prov. Banten" not in text and "· Kota Tangerang" not in text


# --- the attendance import across governments ------------------------------------------------------------


def test_the_import_matches_by_the_government_column_flags_an_ambiguous_code_and_keeps_outsiders_free(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        forum = services.create_forum(province, **{**FGD, "title": "FGD PPT Kespro"})
        rows = [
            ["Nama", "Instansi", "Kode OPD", "Pemerintah", "Kehadiran"],
            ["Andi", "", "DINKES", "KAB-SERANG", "Hadir"],
            ["Budi", "", "DINKES", "Pemerintah Kota Tangerang", "Hadir"],
            ["Citra", "", "DINKES", "", "Hadir"],  # the province, its kabupaten and its kota all have one
            ["Dedi", "Bappeda", "BAPPEDA", "Pemerintah Provinsi Jawa Barat", "Hadir"],  # not in this Kawal
            ["Euis", "", "DINKES", "Kab. Serang", "Hadir"],
        ]
        table = attendance_import.read_table("daftar.xlsx", xlsx(rows), max_bytes=10**7, max_rows=100)
        andi, budi, citra, dedi, euis = services.check_import(forum, table)
        assert andi.ok and andi.values["opd_id"] == tree.opds["kab:DINKES"]
        assert budi.ok and budi.values["opd_id"] == tree.opds["kota:DINKES"]
        assert euis.ok and euis.values["opd_id"] == tree.opds["kab:DINKES"]  # by short name
        assert not citra.ok and citra.values["opd_id"] is None
        assert (
            re.search("several governments|beberapa pemerintah", citra.problems[0])
            and "Kab. Serang" in citra.problems[0]
        )
        assert dedi.ok and dedi.values["opd_id"] is None and dedi.values["institution"] == "Bappeda"
        token = _sealed(forum.id, xlsx(rows))
        with pytest.raises(Invalid):  # nothing is saved while a row cannot tell its OPD
            services.import_participants(province, forum.id, token)
        del rows[3]
        saved = services.import_participants(province, forum.id, _sealed(forum.id, xlsx(rows)))
        assert [p.opd_id for p in saved] == [
            tree.opds["kab:DINKES"],
            tree.opds["kota:DINKES"],
            None,
            tree.opds["kab:DINKES"],
        ]


def test_without_a_government_column_a_kabupaten_forum_finds_its_own_opd(app, tree):
    with app.app_context():
        kabupaten = as_user(tree.users["kab_secretariat"])
        forum = services.create_forum(kabupaten, **{**FGD, "title": "Lokakarya PIP"})
        table = attendance_import.read_table(
            "daftar.xlsx",
            xlsx(
                [
                    ["Nama", "Kode OPD", "Instansi"],
                    ["Rina", "DINKES", ""],
                    ["Sari", "DISDUKCAPIL", ""],
                    ["Tono", "", "Kemenkeu"],
                ]
            ),
            max_bytes=10**7,
            max_rows=100,
        )
        rina, sari, tono = services.check_import(forum, table)
        assert rina.ok and rina.values["opd_id"] == tree.opds["kab:DINKES"]  # not the kota's or the province's
        # Kota Tangerang's DISDUKCAPIL is no OPD of this forum's governments: said, not guessed
        assert not sari.ok and re.search("not among this forum's governments|tidak termasuk", sari.problems[0])
        assert tono.ok and tono.values["opd_id"] is None and tono.values["institution"] == "Kemenkeu"


# An "Instansi/Unit Kerja" column as secretariats fill it: the OPD and its government in one cell.
INSTITUTIONS = [
    ("Bappeda Provinsi Banten", "prov:BAPPEDA"),
    ("Dinas Kesehatan Kabupaten Serang", "kab:DINKES"),
    ("Dinkes Kota Tangerang", "kota:DINKES"),
    ("Bappeda Kab. Serang", "kab:BAPPEDA"),
    ("Dinas Kesehatan (Prov. Banten)", "prov:DINKES"),
    ("Dinas Pariwisata Kabupaten Serang", None),  # no such OPD there: the institution, as written
    ("Dinkes Kabupaten Lebak", None),  # a government outside this Kawal
]


def test_an_institution_written_with_its_government_links_that_governments_opd(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        forum = services.create_forum(province, **{**FGD, "title": "FGD PPT Kespro"})
        rows = [["Nama", "Instansi/Unit Kerja"]] + [[f"Peserta {i}", text] for i, (text, _) in enumerate(INSTITUTIONS)]
        table = attendance_import.read_table("daftar.xlsx", xlsx(rows), max_bytes=10**7, max_rows=100)
        checked = services.check_import(forum, table)
        assert all(row.ok for row in checked), [row.problems for row in checked]
        assert [row.values["opd_id"] for row in checked] == [tree.opds.get(key) for _, key in INSTITUTIONS]
        assert [row.values["institution"] for row in checked] == [text for text, _ in INSTITUTIONS]
        forum_id = forum.id
    client = app.test_client()
    login(client, tree.users["prov_secretariat"])
    page = client.post(
        f"/forums/{forum_id}/participants/import", data={"file": (io.BytesIO(xlsx(rows)), "daftar.xlsx")}
    ).get_data(as_text=True)
    assert "DINKES · Kab. Serang" in page and "DINKES · Kota Tangerang" in page and "BAPPEDA · Kab. Serang" in page
    assert "Dinas Pariwisata Kabupaten Serang" in page and "Dinkes Kabupaten Lebak" in page


def test_an_institution_several_governments_have_asks_for_its_government_in_the_same_cell(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        forum = services.create_forum(province, **{**FGD, "title": "FGD PPT Kespro"})
        table = attendance_import.read_table(
            "daftar.xlsx", xlsx([["Nama", "Instansi"], ["Andi", "Bappeda"]]), max_bytes=10**7, max_rows=100
        )
        [andi] = services.check_import(forum, table)
        assert not andi.ok and andi.values["opd_id"] is None
        assert re.search(r'\("Bappeda (Prov\. Banten|Kab\. Serang|Kota Tangerang)"\)', andi.problems[0])
        assert "Kab. Serang" in andi.problems[0] and "Prov. Banten" in andi.problems[0]


def test_the_preview_names_the_government_of_each_matched_opd(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        forum_id = services.create_forum(province, **{**FGD, "title": "FGD PPT Kespro"}).id
    client = app.test_client()
    login(client, tree.users["prov_secretariat"])
    data = xlsx([["Nama", "Kode OPD", "Pemerintah"], ["Andi", "DINKES", "KAB-SERANG"], ["Citra", "DINKES", ""]])
    page = client.post(f"/forums/{forum_id}/participants/import", data={"file": (io.BytesIO(data), "daftar.xlsx")})
    text = page.get_data(as_text=True)
    assert "DINKES · Kab. Serang" in text
    assert "beberapa pemerintah" in text or "several governments" in text


def test_a_series_is_edited_only_by_its_government_and_offers_its_buttons_to_them_alone(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        series_id = services.create_series(province, title="Penyusunan Dokumen PPT Kespro 2026").id
        forum = services.create_forum(province, **{**FGD, "title": "FGD PPT Kespro", "series_id": series_id})
        services.add_participants(
            province, forum.id, [participant(tree.world, name="Peserta", opd=None, opd_id=tree.opds["kab:DINKES"])]
        )
        kabupaten = as_user(tree.users["kab_secretariat"])
        with pytest.raises(Invalid):  # a kabupaten's forum does not join the province's process
            services.create_forum(kabupaten, **{**FGD, "title": "Lokakarya", "series_id": series_id})
    pages = {}
    for role in ("prov_secretariat", "kab_secretariat"):
        client = app.test_client()
        login(client, tree.users[role])
        pages[role] = client.get(f"/series/{series_id}")
        edit = client.get(f"/series/{series_id}/edit")
        assert edit.status_code == (200 if role == "prov_secretariat" else 403), role
    assert all(page.status_code == 200 for page in pages.values())
    assert f"/series/{series_id}/edit" in pages["prov_secretariat"].text
    assert f"/series/{series_id}/edit" not in pages["kab_secretariat"].text
