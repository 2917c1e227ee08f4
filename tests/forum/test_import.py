"""Importing a daftar hadir: good files, bad rows, wrong type, empty, oversize, and the all-or-nothing save."""

import io
import re
import threading
import time
import zipfile

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer
from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from accounts import services as accounts
from core.errors import Invalid, InvalidTransition, NotAllowed
from core.extensions import db
from forum import attendance_import, services
from forum.models import Participant
from tests.conftest import as_user, login, opd_values
from tests.forum.helpers import make_forum


def xlsx(rows, title=True) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append(["DAFTAR HADIR FGD PPT KESPRO"])  # a title row above the header, as real lists have
        sheet.append([])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADER = ["No", "Nama", "Jabatan", "Instansi", "Kode OPD", "Unsur", "Kehadiran", "Email"]
GOOD_ROWS = [
    HEADER,
    [
        1,
        "Lelih Herawati, S.KM, M.Kes",
        "Perencana Ahli Muda",
        "Bappeda Provinsi Banten",
        "",
        "pemerintah_provinsi",
        "Hadir",
        "",
    ],
    [2, "Dewi Lestari", "Perencana", "", "DINKES", "", "hadir", "dewi@example.org"],
    [3, "Fitri Handayani", "Kabid KB", "Dinas Pemberdayaan Perempuan dan Perlindungan Anak", "", "", "Diwakilkan", ""],
    [4, "Andi Saputra", "", "DISDUKCAPIL", "", "", "Tidak Hadir", ""],
]


def _setup(app, world):
    with app.app_context():
        return make_forum(world).id


def _upload(client, forum_id, name, data):
    return client.post(
        f"/forums/{forum_id}/participants/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _payload(page: str) -> str:
    return re.search(r'name="payload" type="hidden" value="([^"]+)"', page).group(1)


def _count(app, forum_id):
    with app.app_context():
        return db.session.query(Participant).filter_by(forum_id=forum_id).count()


def test_a_good_workbook_previews_then_saves_every_row(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    preview = _upload(client, forum_id, "daftar-hadir.xlsx", xlsx(GOOD_ROWS))
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "4 baris siap diimpor." in page
    assert _count(app, forum_id) == 0  # nothing is saved by the preview
    saved = client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    assert saved.status_code == 302
    with app.app_context():
        people = {p.name: p for p in db.session.query(Participant).filter_by(forum_id=forum_id)}
        assert people["Dewi Lestari"].opd_id == world.opds["DINKES"]
        assert people["Fitri Handayani"].opd_id == world.opds["DP3AP2KB"]  # matched by the OPD's full name
        assert people["Fitri Handayani"].attendance == "diwakilkan"
        assert people["Andi Saputra"].opd_id == world.opds["DISDUKCAPIL"]  # an OPD code in the Instansi column
        assert people["Andi Saputra"].attendance == "tidak_hadir"
        assert people["Lelih Herawati, S.KM, M.Kes"].category == "pemerintah_provinsi"
        assert people["Lelih Herawati, S.KM, M.Kes"].institution == "Bappeda Provinsi Banten"


def test_confirming_the_same_preview_twice_imports_it_once(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    payload = _payload(_upload(client, forum_id, "daftar-hadir.xlsx", xlsx(GOOD_ROWS)).get_data(as_text=True))
    first = client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": payload})
    assert first.status_code == 302 and _count(app, forum_id) == 4
    again = client.post(
        f"/forums/{forum_id}/participants/import/confirm", data={"payload": payload}, follow_redirects=True
    )
    page = again.get_data(as_text=True)
    assert "Daftar ini sudah diimpor, atau peserta sudah berubah sejak pratinjau." in page
    assert "4 peserta diimpor" not in page
    assert _count(app, forum_id) == 4


def test_a_semicolon_csv_from_indonesian_excel_is_read(app, world, client_as):
    forum_id = _setup(app, world)
    data = "Nama;Instansi;Kehadiran\nDewi Lestari;DINKES;Hadir\nLina Marlina;BPJS Kesehatan;Izin\n".encode("utf-8-sig")
    page = _upload(client_as("secretariat"), forum_id, "hadir.csv", data).get_data(as_text=True)
    assert "2 baris siap diimpor." in page


def test_bad_rows_are_shown_and_nothing_can_be_saved(app, world, client_as):
    forum_id = _setup(app, world)
    rows = [
        HEADER,
        [1, "", "x", "DPRD", "", "", "", ""],
        [2, "Budi", "", "", "XYZ", "", "", ""],
        [3, "Sari", "", "IDI", "", "", "", "bukan-email"],
        [4, "Tono", "", "IDI", "", "alien", "kabur", ""],
    ]
    response = _upload(client_as("secretariat"), forum_id, "daftar.xlsx", xlsx(rows))
    page = response.get_data(as_text=True)
    assert "4 baris bermasalah" in page
    assert "Nama belum diisi." in page
    assert "Kode OPD tidak dikenal: XYZ." in page
    assert "bukan-email bukan alamat email yang sah." in page
    assert "Unsur tidak dikenal: alien." in page
    assert "Kehadiran tidak dikenal: kabur." in page
    assert 'name="payload"' not in page


def test_confirming_is_all_or_nothing_even_with_a_forged_payload(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    page = _upload(client, forum_id, "daftar.xlsx", xlsx(GOOD_ROWS)).get_data(as_text=True)
    payload = _payload(page)
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    response = client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": forged})
    assert response.status_code == 302
    assert _count(app, forum_id) == 0
    other_forum = _setup(app, world)
    client.post(f"/forums/{other_forum}/participants/import/confirm", data={"payload": payload})
    assert _count(app, other_forum) == 0  # a preview is bound to its forum


def test_an_opd_deactivated_after_the_preview_stops_the_whole_import(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    payload = _payload(_upload(client, forum_id, "daftar.xlsx", xlsx(GOOD_ROWS)).get_data(as_text=True))
    with app.app_context():
        opd = accounts.get_opd(world.opds["DISDUKCAPIL"])
        accounts.update_opd(
            as_user(world.users["admin"].id),
            opd.id,
            **opd_values(opd, parent_id=None, email=None, head_id=None, active=False),
        )
    response = client.post(
        f"/forums/{forum_id}/participants/import/confirm", data={"payload": payload}, follow_redirects=True
    )
    assert "Beberapa baris bermasalah" in response.get_data(as_text=True)
    assert _count(app, forum_id) == 0


def test_wrong_types_are_refused_with_a_message(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    for name, data, message in [
        ("daftar.pdf", b"%PDF-1.4", "Unggah daftar hadir sebagai berkas .xlsx atau .csv."),
        ("daftar.xls", b"\xd0\xcf\x11\xe0", "Berkas Excel lama (.xls) tidak dapat dibaca."),
        ("daftar.xlsx", b"Nama,Instansi\nA,B", "Berkas ini bukan berkas Excel .xlsx yang sah."),
        ("daftar.xlsx", b"PK\x03\x04rusak", "Berkas Excel tidak dapat dibaca"),
        ("daftar.csv", b"Nama\x00\x01\x02", "Berkas ini bukan berkas teks CSV."),
        ("daftar.csv", b"Judul,Lain\n1,2\n", "Tidak ditemukan baris judul dengan kolom"),
    ]:
        response = _upload(client, forum_id, name, data)
        assert response.status_code == 422, name
        assert message in response.get_data(as_text=True), name


def test_empty_files_are_refused(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    for name, data in [
        ("kosong.csv", b""),
        ("kosong.xlsx", xlsx([], title=False)),
        ("judul.csv", b"Nama,Instansi\n,\n"),
    ]:
        response = _upload(client, forum_id, name, data)
        assert response.status_code == 422, name
        expected = "tidak ada peserta" if name == "judul.csv" else "Berkas kosong."
        assert expected in response.get_data(as_text=True), name


def test_oversized_files_are_refused(make_app, world, client_as):
    app = make_app(IMPORT_MAX_BYTES=1024)
    forum_id = _setup(app, world)

    client = app.test_client()
    login(client, world.users["secretariat"].id)
    response = _upload(client, forum_id, "besar.csv", b"Nama\n" + b"A" * 2000)
    assert response.status_code == 422
    assert "Ukuran berkas melebihi" in response.get_data(as_text=True)
    huge = make_app(MAX_CONTENT_LENGTH=4096)
    client = huge.test_client()
    login(client, world.users["secretariat"].id)
    response = _upload(client, forum_id, "raksasa.csv", b"Nama\n" + b"A" * 10000)
    assert response.status_code == 413
    assert "Berkas unggahan terlalu besar." in response.get_data(as_text=True)


def test_a_csv_that_is_neither_utf8_nor_windows_text_is_refused_with_a_message(app, world, client_as):
    forum_id = _setup(app, world)
    # 0x81 is undefined in cp1252, the encoding Excel uses for "CSV" on Indonesian Windows.
    response = _upload(client_as("secretariat"), forum_id, "hadir.csv", b"Nama,Instansi\n\x81Dewi,DINKES\n")
    assert response.status_code == 422
    assert "Teks berkas tidak dapat dibaca." in response.get_data(as_text=True)


def test_a_windows_csv_is_still_read(app, world, client_as):
    forum_id = _setup(app, world)
    data = "Nama;Instansi\nAndré Wijaya;DINKES\n".encode("cp1252")
    page = _upload(client_as("secretariat"), forum_id, "hadir.csv", data).get_data(as_text=True)
    assert "1 baris siap diimpor." in page and "André Wijaya" in page


def test_overlong_fields_are_row_problems_in_the_preview(app, world, client_as):
    forum_id = _setup(app, world)
    rows = [
        HEADER,
        [1, "N" * 300, "J" * 201, "I" * 201, "", "", "", ""],
        [2, "Dewi Lestari", "", "DINKES", "", "", "", ""],
    ]
    response = _upload(client_as("secretariat"), forum_id, "daftar.xlsx", xlsx(rows))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 baris bermasalah" in page
    assert "Nama lebih dari 200 karakter." in page
    assert "Jabatan lebih dari 200 karakter." in page
    assert "Instansi lebih dari 200 karakter." in page
    assert 'name="payload"' not in page  # nothing can be confirmed, so nothing reaches the database


def test_the_import_limits_are_the_columns_lengths(appctx, world):
    long = {"name": "N" * 201, "position": "", "institution": "IDI", "email": "", "phone": "0812" * 11}
    [row] = attendance_import.check_rows([(2, long)])
    assert row.problems == ["Nama lebih dari 200 karakter.", "Telepon lebih dari 40 karakter."]
    [row] = attendance_import.check_rows([(2, {**long, "name": "N" * 200, "phone": "0812"})])
    assert row.ok


def _cells(*texts: str) -> bytes:
    """One sheet row of inline strings, as the XML of an .xlsx holds it."""
    return b"<row>" + b"".join(f'<c t="inlineStr"><is><t>{t}</t></is></c>'.encode() for t in texts) + b"</row>"


ONE_ROW = _cells("Peserta", "IDI")


def _sheet_with(rows_xml, repeat: int, dimension: bytes = b"") -> bytes:
    """An .xlsx whose sheet holds the header and then `rows_xml` `repeat` times: a million identical rows
    compress to a few dozen kilobytes, as in the report of issue 10."""

    source = zipfile.ZipFile(io.BytesIO(xlsx([["Nama"]], title=False)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item))
                continue
            with target.open("xl/worksheets/sheet1.xml", "w") as sheet:
                sheet.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    + dimension
                    + b"<sheetData>"
                    + _cells("Nama", "Instansi")
                )
                for start in range(0, repeat, 10_000):
                    sheet.write(rows_xml * min(10_000, repeat - start))
                sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def _count_rows_read(monkeypatch) -> list[int]:
    """Counts the rows openpyxl hands out, gaps included."""

    counted = [0]
    original = ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            counted[0] += 1
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    return counted


def test_a_million_row_workbook_is_refused_after_reading_past_the_limit_only(app, world, client_as, monkeypatch):
    data = _sheet_with(ONE_ROW, 1_000_000)
    assert len(data) < app.config["IMPORT_MAX_BYTES"]
    forum_id = _setup(app, world)
    rows_read = _count_rows_read(monkeypatch)
    response = _upload(client_as("secretariat"), forum_id, "sejuta.xlsx", data)
    assert response.status_code == 422
    assert "Berkas berisi lebih dari 1000 baris." in response.get_data(as_text=True)
    assert rows_read[0] <= app.config["IMPORT_MAX_ROWS"] + 2  # the header, the limit, and the one past it


def test_a_workbook_is_read_to_its_last_row_whatever_size_it_declares(app, world, client_as):
    forum_id = _setup(app, world)
    for dimension in (b'<dimension ref="A1:A1"/>', b'<dimension ref="A1:XFD1048576"/>'):
        # three people: rows that name one person again are left out (test_a_list_imported_again_adds_nobody_twice)
        data = _sheet_with(_cells("Ani", "IDI") + _cells("Budi", "IDI") + _cells("Cici", "IDI"), 1, dimension)
        page = _upload(client_as("secretariat"), forum_id, "daftar.xlsx", data).get_data(as_text=True)
        assert "3 baris siap diimpor." in page, dimension


def test_a_workbook_of_empty_rows_or_one_far_row_is_refused_just_as_soon(app, world, client_as, monkeypatch):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    limit = app.config["IMPORT_MAX_ROWS"]
    far_row = ONE_ROW + _cells("Jauh", "IDI").replace(b"<row>", b'<row r="1000000">')
    for data in (_sheet_with(b"<row/>", 1_000_000), _sheet_with(far_row, 1)):
        rows_read = _count_rows_read(monkeypatch)
        response = client.post(
            f"/forums/{forum_id}/participants/import",
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(data), "kosong.xlsx")},
        )
        assert response.status_code == 422
        assert "Berkas berisi lebih dari 1000 baris." in response.get_data(as_text=True)
        assert rows_read[0] <= 2 * limit + 2


def test_a_workbook_whose_shared_strings_unpack_to_too_much_is_refused(app, world, client_as):
    source = zipfile.ZipFile(io.BytesIO(xlsx(GOOD_ROWS)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml."
                    b'sharedStrings+xml"/></Types>',
                )
            target.writestr(item, content)
        with target.open("xl/sharedStrings.xml", "w") as strings:  # openpyxl would read all of them at once
            strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for _ in range(200):
                strings.write(b"<si><t>x</t></si>" * 10_000)
            strings.write(b"</sst>")
    assert len(buffer.getvalue()) < app.config["IMPORT_MAX_BYTES"]
    response = _upload(client_as("secretariat"), _setup(app, world), "daftar.xlsx", buffer.getvalue())
    assert response.status_code == 422
    assert "Buku kerja terlalu besar setelah dibuka." in response.get_data(as_text=True)


def test_a_csv_with_a_cell_past_the_readers_limit_is_refused_with_a_message(app, world, client_as):
    forum_id = _setup(app, world)
    data = b'Nama,Instansi\n"' + b"x" * 1_500_000 + b'",DINKES\n'  # within IMPORT_MAX_BYTES, past csv's 131,072
    response = _upload(client_as("secretariat"), forum_id, "hadir.csv", data)
    assert response.status_code == 422
    assert "Berkas CSV ini tidak dapat dibaca" in response.get_data(as_text=True)


def test_a_csv_with_old_mac_line_ends_is_read(app, world, client_as):
    forum_id = _setup(app, world)
    page = _upload(client_as("secretariat"), forum_id, "hadir.csv", b"Nama,Instansi\rDewi Lestari,DINKES\r")
    assert "1 baris siap diimpor." in page.get_data(as_text=True)


def test_control_characters_in_an_imported_name_are_dropped(app, world, client_as):
    forum_id = _setup(app, world)
    page = _upload(client_as("secretariat"), forum_id, "hadir.csv", b"Nama,Instansi\nBu\x0bdi\x1b,DINKES\n")
    text = page.get_data(as_text=True)
    assert "1 baris siap diimpor." in text and "Budi" in text and "\x0b" not in text


def _workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _put(sheet, row: int, values: list) -> None:
    for column, value in enumerate(values, start=1):
        if value is not None:
            sheet.cell(row=row, column=column, value=value)


def test_an_institution_merged_down_beside_its_people_is_each_ones(app, world, client_as):
    # A daftar hadir as typed in Excel: the title merged, the header merged over two rows, one institution cell
    # merged down beside the three people who came from it.
    workbook = Workbook()
    sheet = workbook.active
    _put(sheet, 1, ["DAFTAR HADIR FGD PPT KESPRO"])
    sheet.merge_cells("A1:D2")
    _put(sheet, 3, ["No", "Nama", "Jabatan", "Instansi"])
    for column in "ABCD":
        sheet.merge_cells(f"{column}3:{column}4")
    _put(sheet, 5, [1, "Dewi Lestari", "Perencana", "DINKES"])
    _put(sheet, 6, [2, "Budi Santoso", "Staf"])
    _put(sheet, 7, [3, "Rina Wati", "Kabid"])
    sheet.merge_cells("D5:D7")
    _put(sheet, 8, [4, "Andi Saputra", "Staf", "DISDUKCAPIL"])
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    page = _upload(client, forum_id, "daftar-hadir.xlsx", _workbook_bytes(workbook)).get_data(as_text=True)
    assert "4 baris siap diimpor." in page and "Instansi belum diisi." not in page
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    with app.app_context():
        people = {p.name: p.opd_id for p in db.session.query(Participant).filter_by(forum_id=forum_id)}
    assert people == {
        "Dewi Lestari": world.opds["DINKES"],
        "Budi Santoso": world.opds["DINKES"],
        "Rina Wati": world.opds["DINKES"],
        "Andi Saputra": world.opds["DISDUKCAPIL"],
    }


def test_a_two_line_header_with_sub_headers_is_no_person(appctx):
    workbook = Workbook()
    sheet = workbook.active
    _put(sheet, 1, ["No", "Nama", "Instansi", "Jenis Kelamin"])
    _put(sheet, 2, [None, None, None, "L/P"])
    for column in "ABC":
        sheet.merge_cells(f"{column}1:{column}2")
    _put(sheet, 3, [1, "Dewi Lestari", "DINKES", "P"])
    read = attendance_import.read_sheet("daftar.xlsx", _workbook_bytes(workbook), max_bytes=10**7, max_rows=1000)
    assert [(line, row["name"], row["institution"]) for line, row in read.rows] == [(3, "Dewi Lestari", "DINKES")]


def test_an_institution_merged_far_past_the_last_person_adds_no_empty_rows(appctx):
    workbook = Workbook()
    sheet = workbook.active
    _put(sheet, 1, ["No", "Nama", "Instansi"])
    _put(sheet, 2, [1, "Dewi Lestari", "DINKES"])
    _put(sheet, 3, [2, "Budi Santoso"])
    for row in range(4, 41):
        _put(sheet, row, [row - 1])  # a numbered form with room for more people
    sheet.merge_cells("C2:C40")
    read = attendance_import.read_sheet("daftar.xlsx", _workbook_bytes(workbook), max_bytes=10**7, max_rows=1000)
    assert [(row["name"], row["institution"]) for _, row in read.rows] == [
        ("Dewi Lestari", "DINKES"),
        ("Budi Santoso", "DINKES"),
    ]


def test_a_header_repeated_on_a_printed_lists_next_page_is_no_person(app, world, client_as):
    data = xlsx([["Nama", "Instansi"], ["Dewi Lestari", "DINKES"], ["Nama", "Instansi"], ["Budi Santoso", "DINKES"]])
    page = _upload(client_as("secretariat"), _setup(app, world), "daftar.xlsx", data).get_data(as_text=True)
    assert "2 baris siap diimpor." in page


def test_a_hidden_first_sheet_is_passed_over_for_the_list_its_user_sees(app, world, client_as):
    workbook = Workbook()
    lists = workbook.active
    lists.title = "Pilihan"
    lists.append(["Hadir", "Izin"])
    lists.sheet_state = "hidden"
    sheet = workbook.create_sheet("Daftar Hadir")
    sheet.append(["Nama", "Instansi"])
    sheet.append(["Dewi Lestari", "DINKES"])
    workbook.active = 1
    page = _upload(client_as("secretariat"), _setup(app, world), "daftar.xlsx", _workbook_bytes(workbook))
    assert "1 baris siap diimpor." in page.get_data(as_text=True)


def test_a_list_imported_again_adds_nobody_twice(app, world, client_as):
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    data = xlsx(GOOD_ROWS)
    page = _upload(client, forum_id, "daftar-hadir.xlsx", data).get_data(as_text=True)
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    assert _count(app, forum_id) == 4
    # The same file again (a second try, the list sent by two colleagues): everyone is already there.
    page = _upload(client, forum_id, "daftar-hadir.xlsx", data).get_data(as_text=True)
    assert (
        "4 baris menyebut orang yang sudah ada di daftar peserta, atau di baris di atasnya: baris itu tidak ikut."
        in page
    )
    assert "/participants/import/confirm" not in page
    assert "0 baris siap diimpor." not in page and "<table" not in page  # nothing to show but why
    # A second list of the same meeting: only who is new is imported; a namesake of another OPD is someone else.
    more = [
        HEADER,
        [1, "DEWI LESTARI", "", "", "DINKES", "", "", "Dewi@Example.org"],
        [2, "Andi Saputra", "", "BAPPEDA"],
    ]
    page = _upload(client, forum_id, "susulan.xlsx", xlsx(more)).get_data(as_text=True)
    assert "1 baris siap diimpor." in page and "1 baris menyebut orang yang sudah ada" in page
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    assert _count(app, forum_id) == 5


def test_a_google_form_sent_twice_by_one_person_imports_them_once(app, world, client_as):
    data = (
        b"Timestamp,Nama Lengkap,Instansi/Unit Kerja,Email Address\n"
        b"16/12/2025 9:02,Dewi Lestari,DINKES,dewi@example.org\n"
        b"16/12/2025 9:04,Dewi Lestari,DINKES,dewi@example.org\n"
        b"16/12/2025 9:05,Budi Santoso,DINKES,\n"
    )
    forum_id = _setup(app, world)
    client = client_as("secretariat")
    page = _upload(client, forum_id, "Daftar Hadir (Responses).csv", data).get_data(as_text=True)
    assert "2 baris siap diimpor." in page and "1 baris menyebut orang yang sudah ada" in page
    client.post(f"/forums/{forum_id}/participants/import/confirm", data={"payload": _payload(page)})
    assert _count(app, forum_id) == 2


# --- the service, called directly ------------------------------------------------------------------------


def _sealed(forum_id: int, data: bytes, name: str = "daftar.xlsx") -> str:
    """The token the preview puts in its page for this file."""

    table = attendance_import.read_table(name, data, max_bytes=10**7, max_rows=1000)
    return attendance_import.seal(forum_id, table, attendance_import.check_rows(table))


def test_the_service_saves_a_previewed_token_in_one_go(appctx, world):
    forum = make_forum(world)
    saved = services.import_participants(
        as_user(world.users["secretariat"].id), forum.id, _sealed(forum.id, xlsx(GOOD_ROWS))
    )
    assert sorted(p.name for p in saved) == sorted(row[1] for row in GOOD_ROWS[1:])
    assert {p.name: p.opd_id for p in saved}["Andi Saputra"] == world.opds["DISDUKCAPIL"]
    assert _count(appctx, forum.id) == 4


def test_the_service_refuses_a_tampered_token_or_one_for_another_forum(appctx, world):
    secretariat = as_user(world.users["secretariat"].id)
    forum, other = make_forum(world), make_forum(world)
    token = _sealed(forum.id, xlsx(GOOD_ROWS))
    for forum_id, bad in [
        (forum.id, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")),
        (forum.id, ""),
        (other.id, token),
    ]:
        with pytest.raises(Invalid, match="Pratinjau sudah kedaluwarsa atau diubah"):
            services.import_participants(secretariat, forum_id, bad)
    assert _count(appctx, forum.id) == _count(appctx, other.id) == 0


def test_the_service_refuses_a_preview_whose_participant_list_changed(appctx, world):
    secretariat = as_user(world.users["secretariat"].id)
    forum = make_forum(world)
    token = _sealed(forum.id, xlsx(GOOD_ROWS))
    services.import_participants(secretariat, forum.id, token)
    with pytest.raises(Invalid, match="Daftar ini sudah diimpor"):
        services.import_participants(secretariat, forum.id, token)  # a replay, or a double click
    token = _sealed(forum.id, xlsx(GOOD_ROWS[:2]))
    services.add_participant(secretariat, forum.id, name="Ditambah sesudah pratinjau", institution="IDI")
    with pytest.raises(Invalid, match="peserta sudah berubah sejak pratinjau"):
        services.import_participants(secretariat, forum.id, token)
    assert _count(appctx, forum.id) == 5


def test_a_preview_sealed_before_it_carried_the_participant_list_is_refused_as_expired(appctx, world):
    forum = make_forum(world)
    old = attendance_import._serializer().dumps({"forum": forum.id, "rows": [], "opds": []})
    with pytest.raises(Invalid, match="Pratinjau sudah kedaluwarsa atau diubah"):
        services.import_participants(as_user(world.users["secretariat"].id), forum.id, old)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_confirmations_at_once_import_once(app, world):
    """Two sessions confirm one preview together: the forum row's lock makes the second see the first's rows."""

    with app.app_context():
        forum_id = make_forum(world).id
        token = _sealed(forum_id, xlsx(GOOD_ROWS))
    results = []

    def confirm():
        with app.app_context():
            try:
                services.import_participants(as_user(world.users["secretariat"].id), forum_id, token)
                results.append("imported")
            except Invalid:
                results.append("refused")
            finally:
                db.session.remove()

    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as holder:
            # Hold the forum's row so that both confirmations are under way before either may finish.
            holder.execute(sa.text("SELECT id FROM forums WHERE id = :id FOR UPDATE"), {"id": forum_id})
            threads = [threading.Thread(target=confirm) for _ in range(2)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                waiting = holder.execute(sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
                if waiting >= 2:
                    break
                time.sleep(0.05)
            holder.rollback()
        for thread in threads:
            thread.join(30)
    finally:
        engine.dispose()
    assert sorted(results) == ["imported", "refused"]
    assert _count(app, forum_id) == 4


def test_a_preview_made_before_the_raw_rows_were_sealed_is_refused_as_expired(appctx, world):
    forum = make_forum(world)
    row = {"name": "Dewi Lestari", "opd_id": world.opds["DINKES"], "institution": None, "category": "opd"}
    old = URLSafeTimedSerializer(appctx.config["SECRET_KEY"], salt="attendance-import")
    with pytest.raises(Invalid, match="Pratinjau sudah kedaluwarsa atau diubah"):
        services.import_participants(
            as_user(world.users["secretariat"].id), forum.id, old.dumps({"forum": forum.id, "rows": [row]})
        )
    assert _count(appctx, forum.id) == 0


def test_the_service_refuses_an_expired_token(appctx, world, monkeypatch):
    forum = make_forum(world)
    token = _sealed(forum.id, xlsx(GOOD_ROWS))
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Invalid, match="Pratinjau sudah kedaluwarsa atau diubah"):
        services.import_participants(as_user(world.users["secretariat"].id), forum.id, token)
    assert _count(appctx, forum.id) == 0


def test_the_service_checks_the_rows_again_against_the_opds_of_now(appctx, world):
    forum = make_forum(world)
    for column in ("Kode OPD", "Instansi"):  # an OPD named by its code, or written as the institution
        header = ["Nama", column]
        token = _sealed(forum.id, xlsx([header, ["Andi Saputra", "DISDUKCAPIL"]]))
        opd = accounts.get_opd(world.opds["DISDUKCAPIL"])
        admin = as_user(world.users["admin"].id)
        accounts.update_opd(admin, opd.id, **opd_values(opd, parent_id=None, email=None, head_id=None, active=False))
        with pytest.raises(Invalid, match="Beberapa baris bermasalah"):
            services.import_participants(as_user(world.users["secretariat"].id), forum.id, token)
        accounts.update_opd(admin, opd.id, **opd_values(opd, parent_id=None, email=None, head_id=None, active=True))
    assert _count(appctx, forum.id) == 0


def test_the_service_refuses_who_may_not_edit_and_a_closed_forum(appctx, world):
    forum = make_forum(world)
    token = _sealed(forum.id, xlsx(GOOD_ROWS))
    for name in ("viewer", "opd_head"):
        with pytest.raises(NotAllowed):
            services.import_participants(as_user(world.users[name].id), forum.id, token)
    secretariat = as_user(world.users["secretariat"].id)
    services.change_status(secretariat, forum.id, "held")
    services.change_status(secretariat, forum.id, "closed")
    with pytest.raises(InvalidTransition):
        services.import_participants(secretariat, forum.id, token)
    assert _count(appctx, forum.id) == 0


def test_the_service_looks_the_opds_up_once_whatever_the_number_of_rows(appctx, world):
    opd_queries = []

    def on_opds(conn, cursor, statement, *args):
        if statement.lstrip().startswith("SELECT opds."):  # a read of OPDs, not a forum read's subquery on them
            opd_queries.append(statement)

    codes = ["BAPPEDA", "DINKES", "DP3AP2KB", "DISDUKCAPIL"]
    for size, opds in ((2, 1), (30, 4)):  # more rows, and more OPDs among them
        forum = make_forum(world)
        rows = [["Nama", "Kode OPD"]] + [[f"Peserta {i}", codes[i % opds]] for i in range(size)]
        token = _sealed(forum.id, xlsx(rows))
        db.session.expunge_all()  # nothing known before the call: every OPD must be loaded by it
        secretariat = as_user(world.users["secretariat"].id)
        opd_queries.clear()
        sa.event.listen(db.engine, "before_cursor_execute", on_opds)
        try:
            services.import_participants(secretariat, forum.id, token)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", on_opds)
        assert len(opd_queries) == 2, "\n\n".join(opd_queries)  # the active ones, and whether those named exist
