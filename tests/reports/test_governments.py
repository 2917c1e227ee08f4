"""Reports by government on the `tree` fixture: the kabupaten's figures, exports and feed hold nothing of its
sibling kota, the province sees both in a roll-up per government with drill-down, and PDFs carry the owner's
letterhead."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from accounts import governments
from accounts import services as accounts
from actions.models import Action, Assignment, Status
from core.attachments import Attachment
from core.extensions import db
from core.permissions import SYSTEM
from forum import services as forums
from reports import services
from tests.conftest import QueryCounter, as_user, login

TODAY = date(2025, 12, 16)  # the fixed clock's local date
ASSIGNED = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
FGD, RENSTRA, PIP = "FGD PPT Kespro", "Forum Renstra Kota Tangerang", "Lokakarya PIP Kabupaten Serang"


def _forum(government_id: int, title: str, attending=()) -> tuple[int, object]:
    forum = forums.create_forum(
        SYSTEM, government_id=government_id, kind="fgd", title=title, starts_at=datetime(2025, 12, 16, 2, tzinfo=UTC)
    )
    for opd_id in attending:
        forums.add_participant(SYSTEM, forum.id, name=f"Peserta {opd_id}", opd_id=opd_id, attendance="hadir")
    return forum.id, forums.add_recommendation(SYSTEM, forum.id, text="Sampaikan kepada pimpinan OPD")


def _task(recommendation, opd_id: int, title: str, status: Status, due_in: int, completed_after_due=None) -> None:
    due = TODAY + timedelta(days=due_in)
    action = Action(recommendation_id=recommendation.id, title=title, due_date=due)
    assignment = Assignment(action=action, opd_id=opd_id, status=status, due_date=due, assigned_at=ASSIGNED)
    if completed_after_due is not None:
        assignment.completed_at = datetime.combine(due + timedelta(days=completed_after_due), datetime.min.time(), UTC)
    db.session.add(assignment)


@pytest.fixture
def work(app, tree):
    """The province's FGD with a task for an OPD of each government; the kota's Renstra forum, the kabupaten's
    Lokakarya PIP, each with tasks for its own OPDs. Returns the forum ids by title."""
    o = tree.opds
    with app.app_context():
        fgd, rec = _forum(tree.govs["prov"], FGD, [o["prov:DINKES"], o["kab:DINKES"], o["kota:BAPPEDA"]])
        _task(rec, o["prov:DINKES"], "Informasikan (provinsi)", Status.ASSIGNED, -5)
        _task(rec, o["kab:DINKES"], "Informasikan (kabupaten)", Status.IN_PROGRESS, -10)
        _task(rec, o["kota:BAPPEDA"], "Informasikan (kota)", Status.DONE, -20, completed_after_due=2)
        renstra, rec = _forum(tree.govs["kota"], RENSTRA)
        _task(rec, o["kota:DINKES"], "Renstra Dinkes terlambat", Status.ASSIGNED, -30)
        _task(rec, o["kota:DP3AP2KB"], "Renstra DP3AP2KB", Status.ASSIGNED, 3)
        pip, rec = _forum(tree.govs["kab"], PIP)
        _task(rec, o["kab:BAPPEDA"], "PIP Bappeda", Status.IN_PROGRESS, -3)
        _task(rec, o["kab:DINKES"], "PIP Dinkes", Status.DONE, -1, completed_after_due=-1)
        db.session.commit()
        db.session.remove()
    return {FGD: fgd, RENSTRA: renstra, PIP: pip}


def _client(app, user_id):
    client = app.test_client()
    login(client, user_id)
    return client


def _kota_traces(text: str) -> list[str]:
    """What of the kota's own work a page of the kabupaten must not show."""
    return [trace for trace in (RENSTRA, "Renstra Dinkes", "DP3AP2KB", "Kota Tangerang") if trace in text]


def test_the_kabupatens_figures_hold_nothing_of_its_sibling(app, tree, work):
    with app.app_context():
        kab = as_user(tree.users["kab_secretariat"])
        d = services.dashboard(kab, services.ReportFilters())
        assert (d.tiles.open, d.tiles.overdue) == (2, 2)  # its two open tasks, from the FGD and its own Lokakarya
        assert sorted(title for _id, title, _done, _total in d.per_forum) == [FGD, PIP]
        assert [total for _id, title, _done, total in d.per_forum if title == FGD] == [1]  # its own task only
        assert {label for label, _open, _late in d.per_opd} == {"DINKES", "BAPPEDA"}
        assert {a.opd_id for a in d.most_overdue} == {tree.opds["kab:DINKES"], tree.opds["kab:BAPPEDA"]}
        assert d.rollup == []  # a kabupaten has nothing below it
        assert {opd.government_id for opd in d.headless} == {tree.govs["kab"]}
        rows = services.compliance(kab, services.ReportFilters())
        assert {r.opd_id: r.total for r in rows} == {tree.opds["kab:DINKES"]: 2, tree.opds["kab:BAPPEDA"]: 1}
        kota = as_user(tree.world.users["secretariat"].id)
        rows = services.compliance(kota, services.ReportFilters())
        assert {r.opd_id for r in rows} == {tree.opds[k] for k in ("kota:BAPPEDA", "kota:DINKES", "kota:DP3AP2KB")}


@pytest.mark.parametrize("who", ["kab_secretariat", "kab_head", "kab_viewer", "kab_admin"])
@pytest.mark.parametrize(
    "path", ["/dashboard", "/reports/compliance", "/reports/followups.xlsx", "/reports/rekapitulasi.pdf"]
)
def test_no_page_or_download_of_the_kabupaten_shows_the_kota(app, tree, work, who, path):
    response = _client(app, tree.users[who]).get(path)
    assert response.status_code == 200
    if path.endswith(".xlsx"):
        sheet = load_workbook(io.BytesIO(response.data)).active
        text = " ".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)
    elif path.endswith(".pdf"):
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    else:
        text = response.get_data(as_text=True)
    assert _kota_traces(text) == []
    assert "Informasikan (kota)" not in text and "Informasikan (provinsi)" not in text


def test_the_kabupaten_cannot_open_the_kotas_opd_page_or_forum_pdfs(app, tree, work):
    client = _client(app, tree.users["kab_secretariat"])
    assert client.get(f"/reports/opds/{tree.opds['kota:DINKES']}").status_code == 404
    assert client.get(f"/reports/opds/{tree.opds['prov:DINKES']}").status_code == 404  # never upwards
    assert client.get(f"/forums/{work[RENSTRA]}/berita-acara.pdf").status_code == 404
    assert client.get(f"/reports/rekapitulasi.pdf?forum={work[RENSTRA]}").status_code == 404
    page = _client(app, tree.users["prov_secretariat"]).get(f"/reports/opds/{tree.opds['kab:DINKES']}")
    assert page.status_code == 200 and "Pemerintah Kabupaten Serang" in page.get_data(as_text=True)


def test_the_calendar_feed_holds_only_what_its_owner_may_see(app, tree, work):
    with app.app_context():
        head = accounts.calendar_token(as_user(tree.users["kab_head"]))
        secretariat = accounts.calendar_token(as_user(tree.users["kab_secretariat"]))
        db.session.remove()
    anonymous = app.test_client()
    for token, deadlines in [(head, ["Informasikan (kabupaten)"]), (secretariat, None)]:
        feed = anonymous.get(f"/calendar/{token}.ics")
        assert feed.status_code == 200
        summaries = [str(e.get("summary")) for e in Calendar.from_ical(feed.data).walk("VEVENT")]
        assert _kota_traces(" ".join(summaries)) == []
        assert FGD in summaries and PIP in summaries
        if deadlines:  # the head's own OPD's open deadlines; the secretariat's feed names the kabupaten's OPDs
            assert [s for s in summaries if s.startswith("[")] == [f"[DINKES] {t}" for t in deadlines]
        else:
            assert "[BAPPEDA] PIP Bappeda" in summaries and "Kab. Serang" not in " ".join(summaries)


def test_the_provinces_rollup_shows_each_government_with_its_figures(app, tree, work):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        rollup = services.dashboard(province, services.ReportFilters()).rollup
        rows = {(r.name, r.depth): r for r in rollup}
        assert list(rows) == [("Prov. Banten", 0), ("Kab. Serang", 1), ("Kota Tangerang", 1)]
        prov, kab, kota = rows.values()
        assert (prov.total, prov.overdue, prov.median_late_days, prov.rate) == (1, 1, 5, 0)
        assert (kab.total, kab.overdue, kab.median_late_days) == (3, 2, 6.5)  # 10 and 3 days late
        assert kab.rate == pytest.approx(1 / 3)  # three past their deadline, one done
        assert (kota.total, kota.overdue, kota.median_late_days, kota.rate) == (3, 1, 16, 0.5)  # 30 and 2 days
    page = _client(app, tree.users["prov_secretariat"]).get("/dashboard").get_data(as_text=True)
    assert 'id="rollup"' in page and "Kab. Serang" in page and "Kota Tangerang" in page
    assert f"/reports/compliance?government={tree.govs['kab']}" in page


def test_the_drill_down_is_the_compliance_table_of_one_government(app, tree, work):
    client = _client(app, tree.users["prov_secretariat"])
    page = client.get(f"/reports/compliance?government={tree.govs['kab']}").get_data(as_text=True)
    assert "DINKES · Kab. Serang" in page and "BAPPEDA · Kab. Serang" in page
    assert "Kota Tangerang" not in page.split('id="compliance"')[1]
    assert f'<option value="{tree.govs["kab"]}" selected>' in page
    with app.app_context():
        rows = services.compliance(
            as_user(tree.users["prov_secretariat"]), services.ReportFilters(government_id=tree.govs["kota"])
        )
        assert {r.opd_id for r in rows} == {tree.opds[k] for k in ("kota:BAPPEDA", "kota:DINKES", "kota:DP3AP2KB")}
    sheet = load_workbook(io.BytesIO(client.get("/reports/compliance.xlsx").data)).active
    labels = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert "DINKES" in labels and "DINKES · Kab. Serang" in labels and "DP3AP2KB · Kota Tangerang" in labels


@pytest.mark.parametrize("government", ["kota", "prov", "missing", "junk"])
def test_a_foreign_or_bad_government_in_the_query_string_shows_only_ones_own(app, tree, work, government):
    value = {"missing": "999999", "junk": "x'1"}.get(government) or tree.govs[government]
    client = _client(app, tree.users["kab_secretariat"])
    for path in ("/dashboard", "/reports/compliance", "/reports/compliance.xlsx"):
        response = client.get(f"{path}?government={value}")
        assert response.status_code == 200, path
    page = client.get(f"/dashboard?government={value}").get_data(as_text=True)
    assert _kota_traces(page) == [] and re.search(r'id="tile-open"[^>]*><strong>2<', page)
    if government in ("kota", "prov", "missing"):
        assert "Pemerintah itu bukan" in page  # said, in Indonesian, not silently ignored
    fresh = _client(app, tree.users["kab_secretariat"])
    assert fresh.get(f"/reports/compliance.xlsx?government={value}").status_code == 200
    assert "Pemerintah itu bukan" not in fresh.get("/dashboard").get_data(as_text=True)  # no message left waiting


def test_the_government_filter_is_offered_only_to_who_sees_several(app, tree, work, client_as):
    province = _client(app, tree.users["prov_secretariat"]).get("/dashboard").get_data(as_text=True)
    assert 'name="government"' in province and province.count("<option value=") >= 3
    kabupaten = _client(app, tree.users["kab_secretariat"]).get("/dashboard").get_data(as_text=True)
    assert 'name="government"' not in kabupaten


def test_one_government_shows_no_government_filter_or_rollup(app, world, client_as):
    page = client_as("admin").get("/dashboard").get_data(as_text=True)  # the admin sees every government: one
    assert 'name="government"' not in page and 'id="rollup"' not in page
    assert "Pemerintah Kota Tangerang" in page  # the header names the only government, as the setting does


def test_the_header_names_the_users_government(app, tree, work):
    page = _client(app, tree.users["kab_secretariat"]).get("/dashboard").get_data(as_text=True)
    assert "Pemerintah Kabupaten Serang" in page
    assert "Pemerintah Kota Tangerang" not in page


def _children(app, tree, count: int) -> None:
    """`count` more kabupaten under the province, each with an OPD and two tasks from the province's forum."""
    with app.app_context():
        _id, rec = _forum(tree.govs["prov"], f"Rakontek {count}")
        for i in range(count):
            child = accounts.create_government(
                SYSTEM,
                code=f"KAB-{count}-{i}",
                name=f"Pemerintah Kabupaten Uji {count} {i}",
                kind="kabupaten",
                parent_id=tree.govs["prov"],
            )
            governments.forget()
            opd = accounts.create_opd(
                SYSTEM, government_id=child.id, code="DINKES", name="Dinas Kesehatan", kind="dinas"
            )
            _task(rec, opd.id, f"Tugas {i}", Status.ASSIGNED, -2)
            _task(rec, opd.id, f"Tugas {i} selesai", Status.DONE, -4, completed_after_due=1)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("url", ["/dashboard", "/reports/compliance"])
def test_the_rollup_runs_a_fixed_number_of_queries_whatever_the_number_of_governments(app, tree, work, url):
    client = _client(app, tree.users["prov_secretariat"])

    def queries():
        with app.app_context(), QueryCounter(db.engine) as counter:
            response = client.get(url)
            assert response.status_code == 200
        return counter.count, response.get_data(as_text=True)

    _children(app, tree, 2)
    few, _page = queries()
    _children(app, tree, 10)
    many, page = queries()
    assert many == few
    if url == "/dashboard":
        rollup = page.split('id="rollup"')[1].split("</section>")[0]
        assert rollup.count("Kab. Uji 10 ") == 10 and rollup.count("Kab. Uji 2 ") == 2  # every child is a row


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _logo(app) -> str:
    """A PNG stored the way an upload is, as the government admin's logo field refers to it."""
    with app.app_context():
        buffer = io.BytesIO()
        Image.new("RGB", (40, 40), (11, 93, 86)).save(buffer, "PNG")
        attachment = Attachment(
            stored_name="ab" + "0" * 30 + ".png",
            original_name="logo.png",
            content_type="image/png",
            size=len(buffer.getvalue()),
            sha256="0" * 64,
        )
        attachment.path.parent.mkdir(parents=True, exist_ok=True)
        attachment.path.write_bytes(buffer.getvalue())
        db.session.add(attachment)
        db.session.commit()
        stored = attachment.stored_name
        db.session.remove()
    return stored


def test_pdfs_carry_the_owning_governments_letterhead(app, tree, work):
    logo = _logo(app)
    with app.app_context():
        current = accounts.get_government(tree.govs["kab"])
        values = {name: getattr(current, name) for name in accounts.GOVERNMENT_FIELDS}
        accounts.update_government(
            SYSTEM, tree.govs["kab"], **(values | {"letterhead_address": "Jl. Veteran No. 1, Serang"})
        )
        accounts.get_government(tree.govs["kab"]).logo = logo  # as the government admin's upload sets it
        db.session.commit()
        db.session.remove()
    kabupaten = _client(app, tree.users["kab_secretariat"])
    own = kabupaten.get(f"/forums/{work[PIP]}/berita-acara.pdf")
    text = _pdf_text(own.data)
    assert "PEMERINTAH KABUPATEN SERANG" in text and "Jl. Veteran No. 1, Serang" in text
    assert len(PdfReader(io.BytesIO(own.data)).pages[0].images) == 1
    attended = _pdf_text(kabupaten.get(f"/forums/{work[FGD]}/daftar-hadir.pdf").data)
    assert "PEMERINTAH PROVINSI BANTEN" in attended and "KABUPATEN SERANG" not in attended  # the owner's, not ours
    summary = _pdf_text(kabupaten.get("/reports/rekapitulasi.pdf").data)
    assert "PEMERINTAH KABUPATEN SERANG" in summary
    province = _pdf_text(_client(app, tree.users["prov_secretariat"]).get("/reports/rekapitulasi.pdf").data)
    assert "PEMERINTAH PROVINSI BANTEN" in province and "DINKES · Kab. Serang" in province


def test_a_single_governments_pdf_prints_the_setting_as_before(app, world, client_as):
    from tests.forum.helpers import make_forum

    with app.app_context():
        forum_id = make_forum(world).id
    data = client_as("viewer").get(f"/forums/{forum_id}/notulen.pdf").data
    reader = PdfReader(io.BytesIO(data))
    first_line = reader.pages[0].extract_text().splitlines()[0]
    assert first_line == "PEMERINTAH KOTA TANGERANG" and not reader.pages[0].images


def test_a_forum_summary_carries_the_owners_letterhead_only_for_those_who_see_all_of_it(app, tree, work):
    """The kabupaten sees only its own task of the province's FGD: its summary is its own, under its letterhead,
    not a partial list printed as the province's document."""
    kabupaten = _pdf_text(
        _client(app, tree.users["kab_secretariat"]).get(f"/reports/rekapitulasi.pdf?forum={work[FGD]}").data
    )
    assert "PEMERINTAH KABUPATEN SERANG" in kabupaten and "PEMERINTAH PROVINSI BANTEN" not in kabupaten
    assert "Informasikan (kabupaten)" in kabupaten and "Informasikan (provinsi)" not in kabupaten
    province = _client(app, tree.users["prov_secretariat"])
    own = _pdf_text(province.get(f"/reports/rekapitulasi.pdf?forum={work[FGD]}").data)
    assert "PEMERINTAH PROVINSI BANTEN" in own and "Informasikan (kota)" in own  # the owner sees every task
    below = _pdf_text(province.get(f"/reports/rekapitulasi.pdf?forum={work[PIP]}").data)
    assert "PEMERINTAH KABUPATEN SERANG" in below  # a parent sees all of its kabupaten's forum: the owner's
