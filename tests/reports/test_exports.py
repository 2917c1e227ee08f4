"""Excel opened with openpyxl, PDFs read back with pypdf, the calendar parsed with icalendar."""

import importlib
import io
from datetime import date

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts import services as accounts
from actions import services as actions
from forum import services as forums
from reports import services as reports
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user
from tests.forum.helpers import make_forum, participant


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_followup_matrix_honours_the_filters(app, world, client_as, clock):
    with app.app_context():
        late = dinkes_assignment(make_action(world, support=(), due_in=1, title="Layanan keswa"))
        actions.acknowledge(as_user(world.users["opd_head"].id), late.id)
        actions.report_progress(
            as_user(world.users["opd_head"].id),
            late.id,
            percent=40,
            note="Pelatihan",
            links=["https://example.org/bukti"],
        )
        make_action(world, lead="DP3AP2KB", support=(), due_in=30, title="Belum jatuh tempo")
    clock.set(clock.now().replace(day=20))
    response = client_as("viewer").get("/reports/followups.xlsx?overdue=1")
    assert response.status_code == 200
    assert 'filename="tindak-lanjut-2025-12-20-terlambat.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Forum", "Tanggal forum", "No.", "Rekomendasi", "Tindak lanjut"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Tindak lanjut"] == "Layanan keswa" and row["OPD"] == "DINKES"
    assert row["Status"] == "Sedang ditindaklanjuti" and row["Kategori BPK"] == "Belum sesuai"
    assert row["Tenggat"].date() == date(2025, 12, 17) and row["Hari terlambat"] == 3
    assert row["Kemajuan terakhir"] == "40% Pelatihan" and row["Bukti dukung"] == 1
    due_cell = sheet.cell(row=2, column=header.index("Tenggat") + 1)
    assert due_cell.number_format == "dd/mm/yyyy"
    assert sheet.column_dimensions["D"].width == 50 and sheet[1][0].font.bold


def test_compliance_export(app, world, client_as, clock):
    with app.app_context():
        make_action(world, support=("DP3AP2KB",))
    clock.set(clock.now().replace(day=31))  # past the due date: the follow-up rate is 0 %, not empty
    sheet = load_workbook(io.BytesIO(client_as("viewer").get("/reports/compliance.xlsx").data)).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(codes) == ["DINKES", "DP3AP2KB"]
    assert sheet.cell(row=2, column=10).number_format == "0.0%"


def _forum_with_people(app, world):
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        forum = make_forum(world, chair="Kepala Bappeda", minute_taker="Siti Rahmawati")
        forums.add_participants(
            secretariat,
            forum.id,
            [
                participant(
                    world,
                    name="Lelih Herawati, S.KM, M.Kes",
                    opd=None,
                    institution="Bappeda Provinsi Banten",
                    category="pemerintah_provinsi",
                ),
                participant(world, name="Zulkarnaén Ṣāliḥ", opd="DINKES"),
                participant(world, name="Andi", opd="DISDUKCAPIL", attendance="izin"),
            ],
        )
        forums.add_recommendation(secretariat, forum.id, text="PPT Kespro masih perlu lebih disosialisasikan.")
        forums.add_recommendation(secretariat, forum.id, text="Pembentukan tim melalui SK dibahas kembali.")
        forums.set_minutes(secretariat, forum.id, "**Paparan** Bappeda Provinsi Banten")
        return forum.id


def test_berita_acara_has_the_heading_date_conclusions_and_attendance(app, world, client_as):
    forum_id = _forum_with_people(app, world)
    response = client_as("viewer").get(f"/forums/{forum_id}/berita-acara.pdf")
    assert response.mimetype == "application/pdf"
    assert "berita-acara-2025-12-16-fgd-pembahasan-ppt-kespro.pdf" in response.headers["Content-Disposition"]
    text = _pdf_text(response.data)
    assert "BERITA ACARA" in text
    assert "Pada hari Selasa tanggal 16 Desember 2025 pukul 09.00 WIB" in " ".join(text.split())
    assert "1. PPT Kespro masih perlu lebih disosialisasikan." in text
    assert "dihadiri oleh 2 peserta" in " ".join(text.split())
    assert "Zulkarnaén Ṣāliḥ" in text and "Lampiran: daftar hadir" in text
    assert "Halaman 1 dari 2" in text


def test_notulen_daftar_hadir_and_rekapitulasi(app, world, client_as):
    forum_id = _forum_with_people(app, world)
    client = client_as("opd_staff")
    notulen = _pdf_text(client.get(f"/forums/{forum_id}/notulen.pdf").data)
    assert "NOTULEN" in notulen and "Paparan Bappeda Provinsi Banten" in notulen and "**" not in notulen
    hadir = _pdf_text(client.get(f"/forums/{forum_id}/daftar-hadir.pdf").data)
    assert "DAFTAR HADIR" in hadir and "Izin" in hadir
    with app.app_context():
        make_action(world, forum=forums.get_forum(as_user(world.users["viewer"].id), forum_id), support=("DP3AP2KB",))
    rekap = " ".join(_pdf_text(client.get(f"/reports/rekapitulasi.pdf?forum={forum_id}").data).split())
    assert "REKAPITULASI TINDAK LANJUT" in rekap and "Belum ditindaklanjuti 2" in rekap


def test_calendar_feed_is_secret_revocable_and_parses(app, world, client_as):
    with app.app_context():
        make_action(world, support=(), due_in=5, title="Layanan keswa")
        make_action(world, lead="DP3AP2KB", support=(), title="Milik OPD lain")
        token = accounts.calendar_token(as_user(world.users["opd_head"].id))
    anonymous = app.test_client()
    feed = anonymous.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = Calendar.from_ical(feed.data)
    summaries = [str(e.get("summary")) for e in calendar.walk("VEVENT")]
    assert "[DINKES] Layanan keswa" in summaries
    assert not any("Milik OPD lain" in s for s in summaries)  # an OPD's feed shows its own deadlines
    deadline = next(e for e in calendar.walk("VEVENT") if str(e.get("summary")) == "[DINKES] Layanan keswa")
    assert deadline.decoded("dtstart") == date(2025, 12, 21)
    assert "/assignments/" in str(deadline.get("url"))
    assert any(str(e.get("summary")) == "FGD Pembahasan PPT Kespro" for e in calendar.walk("VEVENT"))
    client_as("opd_head").post("/account/calendar")  # make a new address
    assert anonymous.get(f"/calendar/{token}.ics").status_code == 404


def test_a_plt_heads_calendar_lists_the_deadlines_of_both_opds(app, world):
    with app.app_context():
        make_action(world, support=(), due_in=5, title="Layanan keswa")
        make_action(world, lead="DP3AP2KB", support=(), title="Rumah aman")
        make_action(world, lead="DISDUKCAPIL", support=(), title="Milik OPD lain")
        accounts.update_opd(
            as_user(world.users["admin"].id),
            world.opds["DP3AP2KB"],
            code="DP3AP2KB",
            name="Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
            kind="dinas",
            head_id=world.users["opd_head"].id,
        )
        deadlines, _ = reports.calendar_events(as_user(world.users["opd_head"].id))
        assert sorted(a.action.title for a in deadlines) == ["Layanan keswa", "Rumah aman"]
        deadlines, _ = reports.calendar_events(as_user(world.users["opd_staff"].id))
        assert [a.action.title for a in deadlines] == ["Layanan keswa"]  # the staff act for their own OPD only


HYPERLINK = '=HYPERLINK("http://evil.example","Lihat bukti")'
FORMULAS = [HYPERLINK, "+SUM(1,2)", "-2+3", "@SUM(A1)"]  # the forms trim a leading tab or carriage return


def _text_cells(sheet):
    return {cell.value: cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}


def test_text_that_looks_like_a_formula_is_written_as_text(app, world, client_as):
    """Issue 10, defect 18: OWASP's CSV-injection advice, for every text cell of the follow-up matrix."""
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        for number, formula in enumerate(FORMULAS):
            forum = make_forum(world, title=f"{formula} forum")
            recommendation = forums.add_recommendation(secretariat, forum.id, text=formula)
            action = actions.create_action(
                secretariat,
                recommendation.id,
                kind="task",
                title=formula,
                due_date=date(2026, 1, 5 + number),
                lead_opd_id=world.opds["DINKES"],
                support_opd_ids=[],
            )
            assignment = dinkes_assignment(action)
            actions.acknowledge(as_user(world.users["opd_head"].id), assignment.id)
    response = client_as("viewer").get("/reports/followups.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    cells = _text_cells(workbook.active)
    for formula in FORMULAS:
        for text in (formula, f"{formula} forum"):
            assert text in cells, text
            assert cells[text].data_type == "s", text
            assert cells[text].quotePrefix, text
    assert not [c for c in cells.values() if c.data_type == "f"]
    assert cells["Forum"].data_type == "s" and not cells["Forum"].quotePrefix  # ordinary text is left alone


def test_opd_names_that_look_like_formulas_stay_text_in_the_compliance_sheet(app, world, client_as):
    from core.permissions import SYSTEM

    with app.app_context():
        accounts.update_opd(SYSTEM, world.opds["DINKES"], code="DINKES", name=HYPERLINK, kind="dinas")
        make_action(world, support=())
    sheet = load_workbook(io.BytesIO(client_as("viewer").get("/reports/compliance.xlsx").data)).active
    cell = _text_cells(sheet)[HYPERLINK]
    assert cell.data_type == "s" and cell.quotePrefix


def test_every_string_cell_of_a_sheet_goes_through_the_one_guard(app):
    from reports.exports import _sheet

    texts = [*FORMULAS, "\t=1+1", "\r=1+1"]
    with app.test_request_context():
        data = _sheet("Uji", ["=header", "plain"], [[text, "plain"] for text in texts], [10, 10])
    cells = _text_cells(load_workbook(io.BytesIO(data)).active)
    for text in [*texts, "=header"]:
        cell = cells[text.replace("\r", "\n")]  # XML reads a bare carriage return back as a newline
        assert cell.data_type == "s" and cell.quotePrefix, repr(text)
    assert not cells["plain"].quotePrefix


def test_a_control_character_stored_in_a_title_does_not_break_the_export(app, world, client_as):
    """Stored before input was cleaned: openpyxl refuses such characters, and one title made the file a 500."""
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        forum = make_forum(world, title="Forum\x1b kontrol")
        recommendation = forums.add_recommendation(secretariat, forum.id, text="Rekomendasi\x0b satu")
        actions.create_action(
            secretariat,
            recommendation.id,
            kind="task",
            title="Judul\x0b\x1bkontrol",
            due_date=date(2026, 1, 5),
            lead_opd_id=world.opds["DINKES"],
            support_opd_ids=[],
        )
    response = client_as("viewer").get("/reports/followups.xlsx")
    assert response.status_code == 200
    cells = _text_cells(load_workbook(io.BytesIO(response.data)).active)
    assert "Judulkontrol" in cells and "Forum kontrol" in cells


def _raw_codes() -> set[str]:
    """The code of every `*_LABELS` mapping of every package: none may show in a workbook."""
    codes = set()
    for name in ("accounts.models", "actions.models", "forum.models", "notifications.models", "core.permissions"):
        module = importlib.import_module(name)
        for attribute, labels in vars(module).items():
            if attribute.endswith("_LABELS") and isinstance(labels, dict):
                codes.update(str(code) for code in labels)
    return codes


@pytest.mark.parametrize(
    ("locale", "lead", "support", "decree"),
    [("id", "Penanggung jawab", "Pendukung", "SK Tim"), ("en", "Lead", "Support", "Team decree (SK)")],
)
def test_every_workbook_shows_labels_in_the_readers_language_never_a_code(
    app, world, client_as, locale, lead, support, decree
):
    """Issue 13, point 7: `lead` is "Penanggung jawab" (or "Lead"), in every cell of every workbook."""
    with app.app_context():
        make_action(world, support=("DP3AP2KB",))
        make_action(world, kind="decree", support=(), title="SK Tim PPT Kespro")
    client = client_as("viewer")
    client.post("/language", data={"locale": locale})
    codes = _raw_codes()
    assert {"lead", "support", "task", "decree", "assigned", "belum_ditindaklanjuti"} <= codes
    seen = set()
    for url in ("/reports/followups.xlsx", "/reports/compliance.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        sheet = load_workbook(io.BytesIO(response.data)).active
        values = {cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)}
        assert values & codes == set(), url
        seen |= values
    assert {lead, support, decree} <= seen


def test_a_deadline_on_the_calendars_last_day_keeps_the_feed_working(app, world):
    """A due date of 9999-12-31 is accepted (the API's due-date move, or the page's form); the feed's all-day
    event ended the next day, which no date holds (OverflowError, a 500 for every reader of that feed)."""
    with app.app_context():
        assignment_id = dinkes_assignment(make_action(world, support=(), title="Tanpa batas")).id
        actions.change_due_date(as_user(world.users["secretariat"].id), assignment_id, date.max, "Uji batas")
        token = accounts.calendar_token(as_user(world.users["opd_head"].id))
    feed = app.test_client().get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    event = next(e for e in Calendar.from_ical(feed.data).walk("VEVENT") if "Tanpa batas" in str(e.get("summary")))
    assert event.decoded("dtstart") == date.max
