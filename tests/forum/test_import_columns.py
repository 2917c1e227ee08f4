"""The attendance import as lists come: the template, header synonyms (Zoom, Google Forms), the mapping step for
unknown headers, and a preview with the problem rows first and every saved column shown."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from core import spreadsheets
from core.extensions import db
from forum import attendance_import
from forum.models import Participant
from tests.conftest import login
from tests.forum.helpers import make_forum
from tests.forum.test_import import _count, _payload, _setup, _upload, xlsx


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _sheet_token(page: str) -> str:
    return re.search(r'name="sheet" type="hidden" value="([^"]+)"', page).group(1)


def _people(app, forum_id) -> dict[str, Participant]:
    with app.app_context():
        people = {p.name: p for p in db.session.query(Participant).filter_by(forum_id=forum_id)}
        db.session.expunge_all()
        return people


# --- the template ------------------------------------------------------------------------------------------


def _template(client, forum_id):
    response = client.get(f"/forums/{forum_id}/participants/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data))


def test_the_template_has_the_headers_an_example_row_and_drop_downs_in_the_readers_language(app, world, client_as):
    forum_id = _setup(app, world)
    workbook = _template(client_as("secretariat"), forum_id)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == ["Nama", "Jabatan", "Instansi", "Unsur", "Peran", "Kehadiran", "Email", "No. HP"]
    example = [cell.value for cell in sheet[2]]
    assert example[0] and example[3:6] == ["OPD", "Peserta", "Hadir"]
    validations = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    assert set(validations) == {"D2", "E2", "F2"}  # unsur, peran, kehadiran
    lists = workbook[validations["F2"].formula1.split("!")[0].strip("'")]
    letter = validations["F2"].formula1.split("$")[1]
    attendance = [lists[f"{letter}{row}"].value for row in range(2, 6)]
    assert attendance == ["Hadir", "Izin", "Diwakilkan", "Tidak hadir"]
    assert all(v.type == "list" for v in validations.values())


def test_the_template_speaks_english_to_an_english_reader_and_reads_back(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    with app.app_context():
        from accounts.models import User

        db.session.get(User, world.users["secretariat"].id).locale = "en"
        db.session.commit()
    sheet = _template(client, forum_id).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == ["Name", "Position", "Institution", "Category", "Role", "Attendance", "Email", "Mobile number"]
    assert [cell.value for cell in sheet[2]][3:6] == ["OPD", "Participant", "Present"]
    rows = [header, ["Ani", "Staff", "DINKES", "Academia", "Chair (pimpinan)", "Absent", "", "0811"]]
    page = _upload(client, forum_id, "list.xlsx", xlsx(rows, title=False)).get_data(as_text=True)
    assert "1 row is ready to import." in page
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    ani = _people(app, forum_id)["Ani"]
    assert (ani.category, ani.role, ani.attendance, ani.phone) == ("akademisi", "pimpinan", "tidak_hadir", "0811")


def test_the_templates_example_row_left_in_is_not_imported(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    workbook = _template(client, forum_id)
    sheet = workbook.worksheets[0]
    sheet.append(["Budi Santoso", "Staf", "DINKES", "OPD", "Peserta", "Hadir", "", ""])  # filled below the example
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = _upload(client, forum_id, "daftar-hadir.xlsx", buffer.getvalue()).get_data(as_text=True)
    assert "1 baris siap diimpor." in page
    assert "Baris 2 adalah baris contoh templat: baris itu tidak ikut." in page
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    assert list(_people(app, forum_id)) == ["Budi Santoso"]


def test_a_filled_template_imports_with_labels_of_either_language_and_codes(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    sheet = _template(client, forum_id).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = [
        header,
        ["Dewi Lestari", "Perencana", "DINKES", "OPD", "Narasumber", "Hadir", "dewi@example.org", "0812"],
        ["Budi", "Anggota", "DPRD Kota", "DPRD", "Participant", "Excused", "", "0813"],
        ["Sari", "Ketua", "IDI", "profesi", "moderator", "tidak_hadir", "", ""],
        ["Tono", "", "Polres", "TNI/Polri", "Speaker (narasumber)", "Represented", "", ""],
    ]
    page = _upload(client, forum_id, "daftar.xlsx", xlsx(rows, title=False)).get_data(as_text=True)
    assert "4 baris siap diimpor." in page
    assert (
        client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)}).status_code
        == 302
    )
    people = _people(app, forum_id)
    assert (people["Dewi Lestari"].role, people["Dewi Lestari"].phone) == ("narasumber", "0812")
    assert (people["Budi"].category, people["Budi"].role, people["Budi"].attendance) == ("dprd", "peserta", "izin")
    assert (people["Sari"].category, people["Sari"].attendance) == ("profesi", "tidak_hadir")
    assert (people["Tono"].category, people["Tono"].role, people["Tono"].attendance) == (
        "tni_polri",
        "narasumber",
        "diwakilkan",
    )


# --- header synonyms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Instansi/Unit Kerja", "institution"),
        ("Asal Instansi", "institution"),
        ("Perangkat Daerah", "institution"),
        ("No. HP", "phone"),
        ("No. WA", "phone"),
        ("NO HP/WA", "phone"),
        ("WhatsApp", "phone"),
        ("Jabatan", "position"),
        ("Job title", "position"),
        ("E-mail", "email"),
        ("User Email", "email"),
        ("Alamat email", "email"),
        ("Name (Original Name)", "name"),
        ("  nama_lengkap ", "name"),
        ("Stempel waktu", spreadsheets.IGNORED),
        ("Join Time", spreadsheets.IGNORED),
        ("Duration (Minutes)", spreadsheets.IGNORED),
        ("Golongan darah", None),
    ],
)
def test_headers_are_read_as_people_write_them(header, column):
    assert attendance_import.LAYOUT.column_of(header) == column


def test_a_zoom_participants_report_imports_everyone_as_present(app, world, client_as):
    forum_id = _setup(app, world)
    data = _csv(
        [
            ["Meeting ID", "Topic", "Start Time", "End Time", "User Email", "Duration (Minutes)", "Participants"],
            ["812 3456 7890", "FGD PPT Kespro", "12/16/2025 09:00", "12/16/2025 12:00", "host@example.org", "180", "2"],
            [],
            ["Name (Original Name)", "User Email", "Join Time", "Leave Time", "Duration (Minutes)", "Guest"],
            ["Dewi Lestari (DINKES)", "dewi@example.org", "12/16/2025 09:01", "12/16/2025 12:00", "179", "Yes"],
            ["Budi Santoso", "budi@example.org", "12/16/2025 09:05", "12/16/2025 11:00", "115", "Yes"],
            ["Budi Santoso", "budi@example.org", "12/16/2025 11:10", "12/16/2025 12:00", "50", "Yes"],  # rejoined
        ]
    )
    client = client_as("secretariat")
    page = _upload(client, forum_id, "participants_81234567890.csv", data).get_data(as_text=True)
    assert 'id="columns"' not in page  # every header is known: no mapping step
    assert 'id="preview" tabindex="-1" autofocus' in page  # the focus goes to the preview
    assert "Tidak disimpan dari berkas: Join Time, Leave Time, Duration (Minutes), Guest." in page
    assert "Instansi belum diisi." in page  # a Zoom report names no institution: the preview says so per row
    assert "Laporan Zoom tidak mencantumkan instansi: tulis setiap nama sebagai" in page  # and how to give it
    assert "1 baris laporan Zoom mengulang orang yang bergabung lagi: setiap orang dicantumkan sekali." in page
    assert page.count('<td data-label="Nama"') == 2
    # With the institution added (the mapping of a column, or the file edited), everyone is saved as present.
    data = data.replace(b"Guest\r\n", b"Guest,Instansi\r\n").replace(b",Yes\r\n", b",Yes,DINKES\r\n")
    page = _upload(client, forum_id, "participants_81234567890.csv", data).get_data(as_text=True)
    assert "2 baris siap diimpor." in page
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    people = _people(app, forum_id)
    assert {p.attendance for p in people.values()} == {"hadir"} and len(people) == 2


def test_a_zoom_report_of_people_renamed_name_underscore_institution_imports_their_institutions(app, world, client_as):
    # "Rename yourself Nama_Instansi", as meetings ask; Zoom adds the original name in parentheses.
    forum_id = _setup(app, world)
    data = _csv(
        [
            ["Name (Original Name)", "User Email", "Join Time", "Leave Time", "Duration (Minutes)", "Guest"],
            [
                "Dewi Lestari_DINKES (Galaxy A51)",
                "dewi@example.org",
                "12/16/2025 09:01",
                "12/16/2025 10:00",
                "59",
                "Yes",
            ],
            ["Budi Santoso - Bappeda Provinsi Banten", "", "12/16/2025 09:05", "12/16/2025 12:00", "175", "Yes"],
            ["Dewi Lestari_DINKES", "dewi@example.org", "12/16/2025 10:05", "12/16/2025 12:00", "115", "Yes"],
        ]
    )
    client = client_as("secretariat")
    page = _upload(client, forum_id, "participants_81234567890.csv", data).get_data(as_text=True)
    assert "2 baris siap diimpor." in page and "Instansi belum diisi." not in page
    assert "1 baris laporan Zoom mengulang orang yang bergabung lagi" in page
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    people = _people(app, forum_id)
    assert people["Dewi Lestari"].opd_id == world.opds["DINKES"]
    assert (people["Budi Santoso"].opd_id, people["Budi Santoso"].institution) == (None, "Bappeda Provinsi Banten")


@pytest.mark.parametrize("header", ["NAMA / NIP", "Nama Peserta Rapat", "Nama Lengkap & Gelar", "Nama (wajib diisi)"])
def test_a_name_header_written_with_more_words_is_the_name_column(app, world, client_as, header):
    data = _csv([["No", header, "Instansi", "Tanda Tangan"], ["1", "Dewi Lestari", "DINKES", ""]])
    page = _upload(client_as("secretariat"), _setup(app, world), "daftar.csv", data).get_data(as_text=True)
    assert "1 baris siap diimpor." in page and "Dewi Lestari" in page


def test_a_header_naming_an_institution_is_not_taken_for_the_name(app, world, client_as):
    data = _csv([["No", "Nama OPD", "Jabatan"], ["1", "Dinas Kesehatan", "Kepala"]])
    response = _upload(client_as("secretariat"), _setup(app, world), "daftar.csv", data)
    assert response.status_code == 422
    assert "Tidak ditemukan baris judul dengan kolom" in response.get_data(as_text=True)


def test_a_google_forms_export_is_read_with_its_timestamp_ignored(app, world, client_as):
    forum_id = _setup(app, world)
    data = _csv(
        [
            ["Stempel waktu", "Alamat email", "Nama Lengkap", "Jabatan", "Instansi/Unit Kerja", "No. HP/WA"],
            ["16/12/2025 9:02:11", "dewi@example.org", "Dewi Lestari", "Perencana", "DINKES", "0812 1111"],
            ["16/12/2025 9:03:40", "lina@example.org", "Lina Marlina", "Staf", "BPJS Kesehatan", "0813 2222"],
        ]
    )
    client = client_as("secretariat")
    page = _upload(client, forum_id, "Daftar Hadir (Jawaban).csv", data).get_data(as_text=True)
    assert "2 baris siap diimpor." in page and "Stempel waktu" in page
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    people = _people(app, forum_id)
    assert people["Dewi Lestari"].opd_id == world.opds["DINKES"]
    assert (people["Lina Marlina"].institution, people["Lina Marlina"].phone) == ("BPJS Kesehatan", "0813 2222")
    assert people["Lina Marlina"].email == "lina@example.org"


# --- the mapping step --------------------------------------------------------------------------------------

UNKNOWN = [
    ["Nama", "Nama Instansi Pengirim", "Golongan darah", "Catatan"],
    ["Dewi Lestari", "DINKES", "A", ""],
    ["Lina Marlina", "BPJS Kesehatan", "B", ""],
]


def test_an_unknown_header_with_data_asks_what_it_holds_instead_of_dropping_it(app, world, client_as):
    forum_id = _setup(app, world)
    page = _upload(client_as("secretariat"), forum_id, "daftar.xlsx", xlsx(UNKNOWN)).get_data(as_text=True)
    assert 'id="columns"' in page and 'id="preview"' not in page
    # a new page: the focus goes to the mapping step, named by its heading
    assert '<section class="card" id="columns" tabindex="-1" autofocus aria-labelledby="columns-title">' in page
    assert "Nama Instansi Pengirim" in page and "Golongan darah" in page
    assert "Contoh: DINKES · BPJS Kesehatan" in page  # the column's values, to tell what it is
    assert "Catatan" not in page.split('id="columns"')[1]  # an empty unknown column is not asked about
    assert _count(app, forum_id) == 0


def test_the_mapping_step_guesses_from_the_headers_words_for_the_user_to_confirm(app, world, client_as):
    forum_id = _setup(app, world)
    page = _upload(client_as("secretariat"), forum_id, "daftar.xlsx", xlsx(UNKNOWN)).get_data(as_text=True)
    assert re.findall(r'<select[^>]*\bid="(column_\d)"', page) == ["column_0", "column_1"]
    first, second = re.findall(r'<select[^>]*\bid="column_\d".*?</select>', page, re.S)
    assert '<option selected value="institution">' in first  # "Nama Instansi Pengirim" holds "nama instansi"
    assert '<option selected value="">' in second  # "Golongan darah" says nothing Kawal knows
    assert 'id="preview"' not in page  # a guess is shown, never applied unconfirmed


def _choose(client, forum_id, page, choices: dict[int, str]):
    data = {"sheet": _sheet_token(page)} | {f"column_{i}": value for i, value in choices.items()}
    return client.post(f"/forums/{forum_id}/participants/import/columns", data=data)


def test_the_chosen_columns_reach_the_preview_and_the_saved_participants(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    page = _upload(client, forum_id, "daftar.xlsx", xlsx(UNKNOWN)).get_data(as_text=True)
    chosen = _choose(client, forum_id, page, {0: "institution", 1: "-", 2: "-"})
    assert chosen.status_code == 200
    preview = chosen.get_data(as_text=True)
    assert "2 baris siap diimpor." in preview
    assert "Tidak disimpan dari berkas: Golongan darah, Catatan." in preview
    assert 'selected value="institution"' in preview or 'value="institution" selected' in preview  # to change
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(preview)})
    people = _people(app, forum_id)
    assert people["Dewi Lestari"].opd_id == world.opds["DINKES"]
    assert people["Lina Marlina"].institution == "BPJS Kesehatan"


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({0: "", 1: "-", 2: "-"}, "Pilih isi kolom ini, atau abaikan."),
        ({0: "name", 1: "-", 2: "-"}, "Kolom &#34;Nama&#34; sudah memberi nama."),
        ({0: "phone", 1: "phone", 2: "-"}, "sudah dibaca sebagai"),
        ({0: "<script>", 1: "-", 2: "-"}, "Pilih isi kolom ini, atau abaikan."),
    ],
)
def test_a_bad_choice_is_shown_beside_its_column_and_keeps_the_file(app, world, client_as, choices, message):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    page = _upload(client, forum_id, "daftar.xlsx", xlsx(UNKNOWN)).get_data(as_text=True)
    wrong = _choose(client, forum_id, page, choices)
    assert wrong.status_code == 422
    again = wrong.get_data(as_text=True)
    assert message in again.replace("&#39;", "'").replace("&quot;", "&#34;")
    assert 'id="preview"' not in again
    # The file is still there: choosing again needs no new upload.
    fixed = _choose(client, forum_id, again, {0: "institution", 1: "-", 2: "-"})
    assert fixed.status_code == 200 and "2 baris siap diimpor." in fixed.get_data(as_text=True)


def test_a_forged_or_foreign_sheet_token_is_refused_with_a_message(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    page = _upload(client, forum_id, "daftar.xlsx", xlsx(UNKNOWN)).get_data(as_text=True)
    with app.app_context():
        other = make_forum(world, title="Forum lain").id
    for target, token in ((forum_id, "bukan-token"), (other, _sheet_token(page)), (forum_id, "")):
        response = client.post(
            f"/forums/{target}/participants/import/columns", data={"sheet": token}, follow_redirects=True
        )
        assert response.status_code == 200
        assert "Pratinjau sudah kedaluwarsa atau diubah" in response.get_data(as_text=True)


# --- the preview -------------------------------------------------------------------------------------------


def test_the_preview_lists_the_problem_rows_first_with_each_problem_beside_its_cell(app, world, client_as):
    forum_id = _setup(app, world)
    rows = [
        ["Nama", "Jabatan", "Instansi", "Unsur", "Kehadiran", "Email", "No. HP"],
        ["Ani", "Staf", "DINKES", "", "Hadir", "ani@example.org", "0811"],
        ["Budi", "Staf", "IDI", "", "kabur", "", "0812"],
        ["Citra", "Kabid", "DINKES", "", "Hadir", "bukan-email", ""],
    ]
    page = _upload(client_as("secretariat"), forum_id, "daftar.xlsx", xlsx(rows)).get_data(as_text=True)
    body = page.split("<tbody>")[1]
    assert body.index("Budi") < body.index("Citra") < body.index("Ani")  # problems first, in the file's order
    kabur = re.search(r'<td data-label="Kehadiran" class="has-error">kabur<p class="error">([^<]+)</p></td>', body)
    assert kabur and "kabur" in kabur.group(1)
    assert re.search(r'<td data-label="Email" class="has-error">bukan-email<p class="error">', body)
    # Every column that will be saved is shown.
    head = page.split("<thead>")[1].split("</thead>")[0]
    for heading in ("Nama", "Jabatan", "Instansi", "Unsur", "Peran", "Kehadiran", "Email", "No. HP"):
        assert f"<th>{heading}</th>" in head
    assert "0811" in body and "Staf" in body and "Peserta" in body


def test_problems_first_keeps_the_files_order_within_each_group():
    rows = [attendance_import.ImportRow(line=n, values={}) for n in range(2, 7)]
    rows[1].problem("name", "x")
    rows[3].problem("email", "y")
    assert [row.line for row in attendance_import.problems_first(rows)] == [3, 5, 2, 4, 6]


# --- hostile files never 500 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        _csv([["Nama", "Nama", "Nama"], ["a", "b", "c"]]),  # a known header twice: the second is asked about
        _csv([["Nama", "%(x)s", "{{ 7*7 }}", "<b>x</b>"], ["a", "b", "c", "d"]]),
        _csv([["Nama"] + [f"Kolom {i}" for i in range(200)], ["a"] + ["x"] * 200]),
        _csv([["Nama", "Unsur", "Peran", "Kehadiran"], ["a", "%s %(value)s", "{0}", "\x00"]]),
    ],
)
def test_hostile_headers_and_cells_never_answer_500(app, world, client_as, data):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    response = _upload(client, forum_id, "hostile.csv", data)
    assert response.status_code in (200, 422)
    page = response.get_data(as_text=True)
    assert "<b>x</b>" not in page  # a header is text, shown escaped
    if "{{ 7*7 }}" in data.decode():
        assert "{{ 7*7 }}" in page  # and never run as a template
    if 'name="sheet"' in page:
        fields = re.findall(r'name="(column_\d+)"', page)
        chosen = client.post(
            f"/forums/{forum_id}/participants/import/columns",
            data={"sheet": _sheet_token(page)} | {name: "-" for name in fields},
        )
        assert chosen.status_code == 200


def test_the_template_and_the_mapping_step_are_the_editors_only(app, world, client_as):
    forum_id = _setup(app, world)
    for role in ("viewer", "opd_head"):
        client = client_as(role)
        assert client.get(f"/forums/{forum_id}/participants/import/template.xlsx").status_code == 403
        assert client.post(f"/forums/{forum_id}/participants/import/columns", data={"sheet": "x"}).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"/forums/{forum_id}/participants/import/template.xlsx").status_code == 302
    login(anonymous, world.users["secretariat"].id)
    assert anonymous.get(f"/forums/{forum_id + 999}/participants/import/template.xlsx").status_code == 404
