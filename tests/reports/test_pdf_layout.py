"""Issue 13, point 6: the daftar hadir's columns and repeated header, the rekapitulasi grouped by recommendation
number with no header word broken, and every PDF looked at as an image (tests/reports/pdf_pages.py) for text that
leaves its cell."""

import io
import re
from datetime import date
from types import SimpleNamespace

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from actions import services as actions
from forum import services as forums
from tests.actions.helpers import make_action
from tests.conftest import as_user
from tests.forum.helpers import make_forum, participant
from tests.reports.pdf_pages import pages, pdf_overflows, table_borders

SIGN_IN_HEADERS = {
    "id": ["No.", "Nama", "Jabatan", "Instansi", "No. HP/Email", "Tanda Tangan"],
    "en": ["No.", "Name", "Position", "Institution", "Phone/Email", "Signature"],
}
SUMMARY_HEADERS = {
    "id": ["No.", "Tindak lanjut", "OPD", "Peran", "Status", "Kategori BPK", "Tenggat", "Hari terlambat"],
    "en": ["No.", "Follow-up", "OPD", "Role", "Status", "BPK category", "Due", "Days late"],
}
LONG_NAME = "Dr. Hj. Rr. Lelih Herawati Kusumaningtyas Wulandari Prameswari, S.KM, M.Kes, M.Sc"
LONG_INSTITUTION = "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana"


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _words(text: str) -> set[str]:
    return set(text.split())


def _big_forum(app, world, people: int = 34) -> int:
    """The FGD with a daftar hadir of long names, positions and institutions, two recommendations and follow-ups
    made out of their order."""
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        forum = make_forum(world, title="FGD Pembahasan PPT Kespro dan Integrasi Layanan Kesehatan Reproduksi")
        rows = [
            participant(
                world,
                name=f"{LONG_NAME} {n}",
                opd=None,
                position="Kepala Sub Bagian Perencanaan, Evaluasi dan Pelaporan Program",
                institution=LONG_INSTITUTION,
                category="pemerintah_provinsi",
                attendance="izin" if n % 9 == 0 else "hadir",
                phone="0812-3456-7890",
                email=f"lelih.herawati.{n}@bappeda.bantenprov.go.id",
            )
            for n in range(1, people + 1)
        ]
        forums.add_participants(secretariat, forum.id, rows)
        first = forums.add_recommendation(secretariat, forum.id, text="PPT Kespro masih perlu lebih disosialisasikan.")
        second = forums.add_recommendation(secretariat, forum.id, text="Pembentukan tim melalui SK dibahas kembali.")
        for recommendation, title in ((second, "Rancangan SK Tim PPT Kespro"), (first, "Sosialisasi PPT Kespro")):
            actions.create_action(
                secretariat,
                recommendation.id,
                kind="task",
                title=title,
                due_date=date(2026, 1, 5),
                lead_opd_id=world.opds["DINKES"],
                support_opd_ids=[world.opds["DP3AP2KB"]],
            )
        forums.set_minutes(secretariat, forum.id, "**Paparan** Bappeda Provinsi Banten\n\n" + LONG_INSTITUTION * 8)
        return forum.id


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_daftar_hadir_has_its_columns_and_repeats_the_header_on_every_page(app, world, client_as, locale):
    forum_id = _big_forum(app, world)
    client = client_as("viewer")
    client.post("/language", data={"locale": locale})
    pages = _pages(client.get(f"/forums/{forum_id}/daftar-hadir.pdf").data)
    assert len(pages) >= 3
    for text in pages:
        assert _words(" ".join(SIGN_IN_HEADERS[locale])) <= _words(text), text[:300]  # the header on every page
    whole = " ".join(" ".join(pages).split())
    assert "0812-3456-7890" in whole and "Kusumaningtyas" in whole
    assert "1. ....." in whole and "34. ....." in whole  # a numbered blank to sign
    assert ("(Izin)" if locale == "id" else "(Excused)") in whole  # who did not come has no blank
    assert not re.search(r"(?<![0-9])9\. \.", whole)  # the ninth was excused


def test_the_daftar_hadir_alternates_where_people_sign(app):
    from reports.exports import Signature

    with app.test_request_context():
        document = _document(app)
        document.table(["No.", "Tanda Tangan"], [["1", Signature(1)], ["2", Signature(2)]], [10, 60])
        spans = _text_positions(document.output_bytes())
    first = next(x for x, text in spans if text.startswith("1."))
    second = next(x for x, text in spans if text.startswith("2."))
    assert second > first + 20  # mm: the second signs to the right of the first


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_rekapitulasi_groups_follow_ups_under_their_recommendation_number(app, world, client_as, locale):
    forum_id = _big_forum(app, world)
    client = client_as("viewer")
    client.post("/language", data={"locale": locale})
    text = " ".join(" ".join(_pages(client.get(f"/reports/rekapitulasi.pdf?forum={forum_id}").data)).split())
    word = "Rekomendasi" if locale == "id" else "Recommendation"
    first = text.index(f"{word} 1: PPT Kespro masih perlu lebih disosialisasikan.")
    second = text.index(f"{word} 2: Pembentukan tim melalui SK dibahas kembali.")
    assert first < text.index("1.1 Sosialisasi PPT Kespro") < text.index("1.2 Sosialisasi PPT Kespro") < second
    assert second < text.index("2.1 Rancangan SK Tim PPT Kespro")
    lead, support = ("Penanggung jawab", "Pendukung") if locale == "id" else ("Lead", "Support")
    assert text.index(lead, first) < text.index(support, first) < second  # the lead OPD first
    assert _words(" ".join(SUMMARY_HEADERS[locale])) <= _words(text)  # no header word broken in two


@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_header_word_and_label_word_of_the_rekapitulasi_and_daftar_hadir_fits_its_column(app, locale):
    """fpdf's own measure: each header word at the header's largest size, and each word of a status, BPK category
    or role label at the body's size, is narrower than its column less the padding, so the table wraps at spaces
    and never inside a word."""
    from flask_babel import force_locale

    from actions.models import ASSIGNMENT_ROLE_LABELS, BPK_LABELS, STATUS_LABELS
    from reports import exports

    with app.test_request_context(), force_locale(locale):
        labels = {3: ASSIGNMENT_ROLE_LABELS, 4: STATUS_LABELS, 5: BPK_LABELS}  # the summary's columns
        cells = {column: " ".join(str(label) for label in mapping.values()) for column, mapping in labels.items()}
    for headers, widths, body in (
        (SUMMARY_HEADERS[locale], exports.SUMMARY_WIDTHS, cells),
        (SIGN_IN_HEADERS[locale], exports.SIGN_IN_WIDTHS, {}),
    ):
        assert sum(widths) == 297 - 2 * 20  # landscape A4: the widths are millimetres
        for column, (header, width) in enumerate(zip(headers, widths, strict=True)):
            room = width - 2 * exports.CELL_PADDING[1]
            for text, style, size in ((header, "B", exports.HEADER_SIZES[0]), (body.get(column, ""), "", 8.5)):
                measure = _measure(app, style, size)
                for word in text.split():
                    assert measure.get_string_width(word) < room, (word, width)


def test_the_header_check_can_fail_on_a_column_too_narrow_for_its_word(app):
    from reports import exports

    with app.test_request_context():
        document = _document(app)
        assert document.words_too_wide(["Kehadiran", "Nama"], [6, 164], exports.HEADER_SIZES[-1]) == ["Kehadiran"]
        document.table(["Kehadiran", "Nama"], [["Hadir", "Dewi"]], [6, 164])
        text = _pages(document.output_bytes())[0]
    assert "Kehadiran" not in _words(text)  # broken: what the PDF tests above would see


@pytest.mark.parametrize(
    ("url", "columns"),
    [
        ("/forums/{id}/daftar-hadir.pdf", 6),
        ("/forums/{id}/berita-acara.pdf", 6),  # the attendance annex
        ("/forums/{id}/notulen.pdf", 0),
        ("/reports/rekapitulasi.pdf?forum={id}", 8),
        ("/reports/rekapitulasi.pdf", 8),
    ],
)
def test_no_text_leaves_its_cell_on_any_page_of_any_pdf(app, world, client_as, url, columns):
    """Each page rendered by pdftoppm at 50 dpi: no ink beside a table's border nor in the side margins."""
    forum_id = _big_forum(app, world)
    with app.app_context():
        make_action(world, support=("DP3AP2KB",), title=LONG_INSTITUTION)  # a second forum for the whole summary
    response = client_as("secretariat").get(url.format(id=forum_id))
    assert response.status_code == 200
    assert pdf_overflows(response.data) == []
    # The check looked at the tables: it found their rows and each row's borders (one more than its columns).
    widest = max((len(borders) for page in pages(response.data) for _band, borders in table_borders(page)), default=1)
    assert widest - 1 == columns


@pytest.mark.parametrize(
    ("bad", "seen"),
    [("a column too narrow for its text", "touches the border"), ("a line wider than the page", "in the margin")],
)
def test_the_image_check_sees_text_that_leaves_its_cell(app, bad, seen):
    """The check can fail: fpdf's cell() does not wrap, so these overflow as a careless table would."""
    with app.test_request_context():
        document = _document(app)
        document.set_font("DejaVu", "", 8.5)
        if bad == "a column too narrow for its text":
            document.cell(25, 8, "Penanggung jawab", border=1)  # 25 mm where the words take about 27
            document.cell(145, 8, "DINKES", border=1, new_x="LMARGIN", new_y="NEXT")
            document.cell(25, 8, "Pendukung", border=1)
            document.cell(145, 8, "DP3AP2KB", border=1, new_x="LMARGIN", new_y="NEXT")
        else:
            document.cell(0, 8, LONG_INSTITUTION + " " + LONG_NAME, new_x="LMARGIN", new_y="NEXT")
        problems = pdf_overflows(document.output_bytes())
    assert any(seen in problem for problem in problems), (bad, problems)


def _document(app):
    from reports.exports import Document

    return Document("Uji", SimpleNamespace(name="PEMERINTAH PROVINSI BANTEN", address=None, logo=None))


def _measure(app, style: str, size: float) -> FPDF:
    from pathlib import Path

    pdf = FPDF(unit="mm")
    font = "DejaVuSans-Bold.ttf" if style == "B" else "DejaVuSans.ttf"
    pdf.add_font("DejaVu", style, str(Path(app.static_folder) / "fonts" / font))
    pdf.set_font("DejaVu", style, size)
    return pdf


def _text_positions(data: bytes) -> list[tuple[float, str]]:
    """(x in mm, text) of each piece of text on the first page."""
    spans = []

    def visit(text, _cm, tm, _font, _size):
        if text.strip():
            spans.append((tm[4] * 25.4 / 72, text.strip()))

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    return spans
