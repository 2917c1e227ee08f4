"""Onboarding by spreadsheet: governments, OPDs and users with their heads, previewed row by row, saved all or
nothing, and the same file again changes nothing."""

import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from accounts import onboarding
from accounts.models import Government, Opd, User
from core.audit import AuditEvent
from core.errors import Invalid
from core.extensions import db
from notifications.models import MailKind, OutboxMessage
from tests.conftest import QueryCounter, as_user, login

HEADER = ["Baris", "Kode pemerintah", "Kode OPD", "Induk", "Nama", "Jenis", "Zona waktu", "Email", "Jabatan", "Peran"]


def xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Daftar OPD dan pejabat"])  # a title above the header, as real sheets have
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_cp1252(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows(row + [""] * (len(header) - len(row)) for row in rows)  # Excel writes every column
    return buffer.getvalue().encode("cp1252")


PANDEGLANG = [
    ["pemerintah", "KAB-PANDEGLANG", "", "BANTEN", "Pemerintah Kabupaten Pandeglang", "kabupaten", "WIB"],
    ["opd", "KAB-PANDEGLANG", "DINKES", "", "Dinas Kesehatan", "dinas", "", "dinkes@pandeglang.example"],
    ["opd", "KAB-PANDEGLANG", "PKM-LABUAN", "DINKES", "UPTD Puskesmas Labuan", "uptd"],
    [
        "pengguna",
        "KAB-PANDEGLANG",
        "DINKES",
        "",
        "dr. Rina",
        "",
        "",
        "rina@pandeglang.example",
        "Kepala Dinas",
        "kepala",
    ],
    [
        "pengguna",
        "KAB-PANDEGLANG",
        "",
        "",
        "Sekretariat Bappeda",
        "",
        "",
        "bappeda@pandeglang.example",
        "",
        "sekretariat",
    ],
]


def preview(client, data: bytes, name="onboarding.xlsx"):
    return client.post("/admin/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def confirm(client, page: str):
    token = re.search(r'name="payload" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/admin/import/confirm", data={"payload": token})


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Government, Opd, User))


def test_the_template_is_a_workbook_with_the_header_and_examples(app, tree, instance_admin):
    client = app.test_client()
    login(client, instance_admin)
    response = client.get("/admin/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Baris" and "Peran" in rows[0]
    assert {row[0] for row in rows[1:]} == {"pemerintah", "opd", "pengguna"}


def test_the_instance_admin_imports_a_government_with_its_opds_and_heads_and_again_changes_nothing(
    app, tree, instance_admin
):
    client = app.test_client()
    login(client, instance_admin)
    before = counts(app)
    page = preview(client, xlsx(PANDEGLANG)).get_data(as_text=True)
    assert "5 baris siap diimpor" in page or "5 rows are ready to import" in page
    assert confirm(client, page).status_code == 302
    assert counts(app) == (before[0] + 1, before[1] + 2, before[2] + 2)
    with app.app_context():
        government = db.session.query(Government).filter_by(code="KAB-PANDEGLANG").one()
        assert government.parent_id == tree.govs["prov"] and government.short_name == "Kab. Pandeglang"
        dinkes = db.session.query(Opd).filter_by(government_id=government.id, code="DINKES").one()
        puskesmas = db.session.query(Opd).filter_by(government_id=government.id, code="PKM-LABUAN").one()
        rina = db.session.query(User).filter_by(email="rina@pandeglang.example").one()
        assert (
            puskesmas.parent_id == dinkes.id
            and dinkes.head_id == rina.id
            and dinkes.email == "dinkes@pandeglang.example"
        )
        assert rina.government_id == government.id and rina.password_hash is None
        secretariat = db.session.query(User).filter_by(email="bappeda@pandeglang.example").one()
        assert secretariat.government_id == government.id and secretariat.opd_id is None
        welcome = db.session.query(OutboxMessage).filter_by(kind=MailKind.WELCOME).all()
        assert {row.recipient for row in welcome} == {"rina@pandeglang.example", "bappeda@pandeglang.example"}
        events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    # The same file again: the preview says so, and saving creates and changes nothing (and sends no new link).
    again = preview(client, xlsx(PANDEGLANG)).get_data(as_text=True)
    assert again.count("Tidak berubah") + again.count("Unchanged") >= 5
    assert confirm(client, again).status_code == 302
    assert counts(app) == (before[0] + 1, before[1] + 2, before[2] + 2)
    with app.app_context():
        assert db.session.query(OutboxMessage).filter_by(kind=MailKind.WELCOME).count() == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events


def test_a_changed_file_updates_what_changed(app, tree, instance_admin):
    client = app.test_client()
    login(client, instance_admin)
    confirm(client, preview(client, xlsx(PANDEGLANG)).get_data(as_text=True))
    changed = [list(row) for row in PANDEGLANG]
    changed[1][4] = "Dinas Kesehatan Kabupaten Pandeglang"  # and a cp1252 letter below
    changed[2][4] = "UPTD Puskesmas Labuan – Pantai"
    changed[3][8] = "Plt. Kepala Dinas"
    before = counts(app)
    page = preview(client, csv_cp1252(changed), "onboarding.csv").get_data(as_text=True)
    assert page.count("Berubah") + page.count("Changed") >= 2
    confirm(client, page)
    assert counts(app) == before
    with app.app_context():
        assert db.session.query(Opd).filter_by(name="Dinas Kesehatan Kabupaten Pandeglang").count() == 1
        assert db.session.query(Opd).filter_by(name="UPTD Puskesmas Labuan – Pantai").count() == 1
        assert db.session.query(User).filter_by(email="rina@pandeglang.example").one().position == "Plt. Kepala Dinas"


def test_the_same_file_again_keeps_a_plt_post_the_admin_gave_and_ends_it_with_the_own_post(app, tree, instance_admin):
    """dr. Rina heads Dinkes and, named by the admin, the Puskesmas as Plt.: importing the file again (which names her
    head of Dinkes only) keeps the Plt. post; a file that makes her Dinkes's staff ends both."""
    client = app.test_client()
    login(client, instance_admin)
    confirm(client, preview(client, xlsx(PANDEGLANG)).get_data(as_text=True))
    with app.app_context():
        rina = db.session.query(User).filter_by(email="rina@pandeglang.example").one().id
        db.session.execute(sa.update(Opd).where(Opd.code == "PKM-LABUAN").values(head_id=rina))
        db.session.commit()
    confirm(client, preview(client, xlsx(PANDEGLANG)).get_data(as_text=True))
    with app.app_context():
        assert db.session.query(Opd).filter_by(code="PKM-LABUAN").one().head_id == rina
    staff = [list(row) for row in PANDEGLANG]
    staff[3][9] = "staf"
    confirm(client, preview(client, xlsx(staff)).get_data(as_text=True))
    with app.app_context():
        heads = {opd.code: opd.head_id for opd in db.session.query(Opd).filter(Opd.code.in_(["DINKES", "PKM-LABUAN"]))}
        assert rina not in heads.values()


def test_a_preview_with_problems_shows_them_beside_the_cells_and_saves_nothing(app, tree, instance_admin):
    client = app.test_client()
    login(client, instance_admin)
    client.post("/language", data={"locale": "en"})
    rows = [
        ["pemerintah", "KAB-X", "", "NOWHERE", "Pemerintah Kabupaten X", "kabupaten", "WIBB"],
        ["opd", "KAB-X", "DINKES", "BAPPEDA", "Dinas Kesehatan", "dinass"],
        ["pengguna", "KAB-X", "DISHUB", "", "Andi", "", "", "bukan-email", "", "kepala"],
        ["pengguna", "KAB-X", "", "", "Budi", "", "", "budi@x.example", "", "raja"],
        ["pengguna", "KAB-X", "DINKES", "", "Citra", "", "", "budi@x.example", "", "staf"],
        ["apa", "KAB-X"],
    ]
    before = counts(app)
    response = preview(client, xlsx(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for english in (
        "Unknown government NOWHERE.",
        "Choose WIB, WITA or WIT.",
        "No OPD BAPPEDA in this government.",
        "Unknown kind dinass.",
        "No OPD DISHUB in this government.",
        "bukan-email is not a valid email address.",
        "Unknown role raja",
        "budi@x.example is in the file twice.",
        "Unknown row type apa",
    ):
        assert english in page, english
    assert 'name="payload"' not in page  # nothing to confirm
    assert counts(app) == before


def test_a_government_admin_imports_only_into_its_own_government(app, tree):
    client = app.test_client()
    login(client, tree.users["kab_admin"])
    rows = [
        ["pemerintah", "KAB-Y", "", "", "Pemerintah Kabupaten Y", "kabupaten"],
        ["opd", "KOTA-X", "DINKES", "", "Dinas Kesehatan"],
        ["opd", "", "DISHUB", "", "Dinas Perhubungan"],  # the admin's own government, left empty
        ["pengguna", "", "", "", "Kepala Dinkes Kota", "", "", "opd.head@example.org", "", "kepala"],
    ]
    with app.app_context():
        kota_code = db.session.get(Government, tree.govs["kota"]).code
    rows[1][1] = kota_code
    page = preview(client, xlsx(rows)).get_data(as_text=True)
    assert 'name="payload"' not in page
    with app.app_context():
        table = onboarding.read_table("x.xlsx", xlsx(rows))
        checked = onboarding.check_rows(as_user(tree.users["kab_admin"]), table)
    assert [bool(row.problems) for row in checked] == [True, True, False, True]
    assert checked[0].problems_of("type") and checked[1].problems_of("government") and checked[3].problems_of("email")
    # The rows of its own government alone go in.
    page = preview(client, xlsx([rows[2]])).get_data(as_text=True)
    assert confirm(client, page).status_code == 302
    with app.app_context():
        assert db.session.query(Opd).filter_by(code="DISHUB").one().government_id == tree.govs["kab"]


def test_a_token_is_for_the_admin_who_previewed_and_is_checked_again(app, tree, instance_admin):
    with app.app_context():
        admin = as_user(instance_admin)
        table = onboarding.read_table("x.xlsx", xlsx(PANDEGLANG))
        token = onboarding.seal(admin, table)
        with pytest.raises(Invalid):
            onboarding.save(as_user(tree.users["prov_admin"]), token)
        with pytest.raises(Invalid):
            onboarding.save(admin, token[:-3] + "abc")
        # Between preview and save, the parent government went away from the file's reach: refused, nothing saved.
        bad = onboarding.seal(admin, [(3, {**table[0][1], "parent": "GONE"})] + table[1:])
        with pytest.raises(Invalid):
            onboarding.save(admin, bad)
        assert db.session.query(Government).filter_by(code="KAB-PANDEGLANG").count() == 0


def test_350_opds_and_heads_import_in_a_bounded_number_of_queries(app, tree, instance_admin):
    def rows(n):
        result = [["pemerintah", "PROV-BIG", "", "", "Pemerintah Provinsi Besar", "provinsi", "WITA"]]
        for i in range(n):
            result.append(["opd", "PROV-BIG", f"OPD{i:03d}", "", f"Dinas {i}", "dinas"])
            result.append(
                [
                    "pengguna",
                    "PROV-BIG",
                    f"OPD{i:03d}",
                    "",
                    f"Kepala {i}",
                    "",
                    "",
                    f"kepala{i}@big.example",
                    "",
                    "kepala",
                ]
            )
        return result

    queries = {}
    with app.app_context():
        admin = as_user(instance_admin)
        for n in (10, 175):
            code = f"PROV-BIG{n}"
            table = [
                (line, {**raw, "government": code, "email": raw.get("email", "").replace("@", f"{n}@")})
                for line, raw in onboarding.read_table("x.xlsx", xlsx(rows(n)))
            ]
            token = onboarding.seal(admin, table)
            with QueryCounter(db.engine) as counter:
                result = onboarding.save(admin, token)
            assert result.created == {"government": 1, "opd": n, "user": n}
            queries[n] = counter.count
        heads = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Opd)
            .join(Government)
            .where(Government.code == "PROV-BIG175", Opd.head_id.is_not(None))
        )
        assert heads == 175
    # 350 rows cost no more queries than 20 do, give or take the batching of inserts.
    assert queries[175] <= queries[10] + 25, queries
