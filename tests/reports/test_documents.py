"""Documents a Bappeda would sign: the Berita Acara and the Notulen with the organiser, the mode and the signers;
the Laporan Hasil Rapat that an attending government sends its own leadership, holding only its own part."""

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from actions.models import Action, Assignment, Status
from core.extensions import db
from core.permissions import SYSTEM
from forum import numbering
from forum import services as forums
from forum.models import Forum
from tests.conftest import as_user, login, update_government
from tests.forum.helpers import make_forum, participant

SIGNERS = dict(
    chair="Dr. Ahmad Syarifudin, M.Si",
    chair_position="Kepala Bidang Sosial Budaya",
    chair_nip="19750817 200212 1 003",
    minute_taker="Siti Rahmawati, S.E.",
    minute_taker_position="Analis Perencanaan",
    minute_taker_nip="19900101 201503 2 001",
)


def _text(data: bytes) -> str:
    return " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _client(app, user_id):
    client = app.test_client()
    login(client, user_id)
    return client


@pytest.fixture
def online_forum(app, world):
    """The FGD held on Zoom by the kota's Bappeda, numbered, with its signers and the head of Bappeda set."""
    with app.app_context():
        from accounts import governments

        update_government(
            governments.default_government_id(),
            numbering_format="000.1.5/{seq:03}/BA-Bappeda/{roman_month}/{year}",
            signer_name="Ir. Budi Santoso, M.T.",
            signer_nip="19680510 199403 1 004",
        )
        forum = make_forum(world, mode="daring", venue=None, online_link="https://us02web.zoom.us/j/8123", **SIGNERS)
        forums.add_participant(as_user(world.users["secretariat"].id), forum.id, **participant(world))
        forums.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Layanan keswa di Puskesmas")
        numbering.give_number(SYSTEM, forum.id)
        return forum.id


def test_the_berita_acara_prints_its_number_organiser_mode_and_signers(app, world, online_forum, client_as):
    text = _text(client_as("viewer").get(f"/forums/{online_forum}/berita-acara.pdf").data)
    assert "Nomor: 000.1.5/001/BA-Bappeda/XII/2025" in text
    assert "secara daring melalui Zoom Meeting" in text
    assert "diselenggarakan oleh Badan Perencanaan Pembangunan Daerah Kota Tangerang" in text
    assert "dihadiri oleh 1 peserta" in text
    assert "Tangerang, 16 Desember 2025" in text
    for printed in (
        "Pimpinan Rapat,",
        "Kepala Bidang Sosial Budaya",
        "Dr. Ahmad Syarifudin, M.Si",
        "NIP. 19750817 200212 1 003",
        "Notulis,",
        "Siti Rahmawati, S.E.",
        "NIP. 19900101 201503 2 001",
    ):
        assert printed in text, printed
    assert "Mengetahui, Kepala Bappeda Kota Tangerang" in text
    assert "Ir. Budi Santoso, M.T. NIP. 19680510 199403 1 004" in text


def test_the_notulen_prints_the_facts_and_the_signers(app, world, online_forum, client_as):
    text = _text(client_as("opd_staff").get(f"/forums/{online_forum}/notulen.pdf").data)
    assert "Tempat : secara daring melalui Zoom Meeting" in text
    assert "Penyelenggara : Badan Perencanaan Pembangunan Daerah Kota Tangerang" in text
    assert "Waktu : 09.00 WIB – 12.00 WIB" in text
    assert "Dr. Ahmad Syarifudin, M.Si" in text and "NIP. 19900101 201503 2 001" in text


@pytest.mark.parametrize(
    ("mode", "venue", "platform", "sentence"),
    [
        ("luring", "Aula Bappeda", None, "secara luring di Aula Bappeda"),
        ("hybrid", "Aula Bappeda", "Google Meet", "secara hybrid di Aula Bappeda dan melalui Google Meet"),
        ("daring", None, None, "secara daring, diselenggarakan"),
    ],
)
def test_the_mode_sentence_follows_what_the_forum_stores(app, world, client_as, mode, venue, platform, sentence):
    with app.app_context():
        forum_id = make_forum(world, mode=mode, venue=venue, platform=platform).id
    assert sentence in _text(client_as("viewer").get(f"/forums/{forum_id}/berita-acara.pdf").data)


def test_a_forum_without_a_number_prints_dots_never_its_id(app, world, client_as):
    with app.app_context():
        for _ in range(6):
            forum_id = make_forum(world).id
    text = _text(client_as("viewer").get(f"/forums/{forum_id}/berita-acara.pdf").data)
    assert "Nomor: ...................." in text
    assert f"{forum_id:03d}" not in text and "/BA/" not in text
    assert "Mengetahui, Kepala Bappeda Kota Tangerang" in text  # the default from the government's name
    assert "(.................................)" in text  # no name of the head yet: room to write it


def test_an_english_reader_gets_english_labels(app, world, online_forum):
    with app.app_context():
        as_user(world.users["viewer"].id).locale = "en"
        db.session.commit()
    text = _text(_client(app, world.users["viewer"].id).get(f"/forums/{online_forum}/berita-acara.pdf").data)
    assert "OFFICIAL RECORD" in text and "online via Zoom Meeting" in text and "Acknowledged by," in text


# --- the Laporan Hasil Rapat -----------------------------------------------------------------------------------

PROVINCE_FGD = "FGD Penyusunan PPT Kespro Provinsi Banten"


@pytest.fixture
def province_fgd(app, tree):
    """The province's FGD, organised by its Bappeda, attended by the kabupaten's and the kota's Dinkes, with a
    task for each of the three governments."""
    o = tree.opds
    with app.app_context():
        forum = forums.create_forum(
            SYSTEM,
            government_id=tree.govs["prov"],
            kind="fgd",
            title=PROVINCE_FGD,
            starts_at=datetime(2025, 12, 16, 2, tzinfo=UTC),
            mode="hybrid",
            venue="Aula Bappeda Provinsi Banten",
            online_link="https://meet.google.com/abc-defg-hij",
            organiser_opd_id=o["prov:BAPPEDA"],
        )
        for name, opd in [("dr. Rina (kab)", "kab:DINKES"), ("dr. Sari (kota)", "kota:DINKES")]:
            forums.add_participant(
                SYSTEM, forum.id, name=name, position="Kepala Seksi", opd_id=o[opd], attendance="hadir"
            )
        first = forums.add_recommendation(SYSTEM, forum.id, text="Keswa masuk RKPD kabupaten/kota")
        forums.add_recommendation(SYSTEM, forum.id, text="Provinsi menyusun pedoman")
        for title, opd in [
            ("Usulkan keswa di RKPD Serang", "kab:DINKES"),
            ("Usulkan keswa di RKPD Tangerang", "kota:DINKES"),
        ]:
            action = Action(recommendation_id=first.id, title=title, due_date=date(2026, 1, 31))
            db.session.add(Assignment(action=action, opd_id=o[opd], status=Status.ASSIGNED, due_date=action.due_date))
        db.session.commit()
        update_government(tree.govs["kab"], signer_name="H. Yusuf, S.T.", signer_nip="19700101 199503 1 001")
        forum_id = forum.id
        db.session.remove()
    return forum_id


def test_the_attending_government_is_offered_the_laporan_and_the_owner_the_berita_acara(app, tree, province_fgd):
    kabupaten = _client(app, tree.users["kab_secretariat"]).get(f"/forums/{province_fgd}").get_data(as_text=True)
    assert "laporan-hasil-rapat.pdf" in kabupaten and "berita-acara.pdf" not in kabupaten
    owner = _client(app, tree.users["prov_secretariat"]).get(f"/forums/{province_fgd}").get_data(as_text=True)
    assert "berita-acara.pdf" in owner and "laporan-hasil-rapat.pdf" not in owner
    redirect = _client(app, tree.users["prov_secretariat"]).get(f"/forums/{province_fgd}/laporan-hasil-rapat.pdf")
    assert redirect.status_code == 302 and redirect.headers["Location"].endswith("/berita-acara.pdf")


def test_the_laporan_holds_this_governments_part_only(app, tree, province_fgd):
    response = _client(app, tree.users["kab_head"]).get(f"/forums/{province_fgd}/laporan-hasil-rapat.pdf")
    assert response.status_code == 200 and "laporan-hasil-rapat-2025-12-16" in response.headers["Content-Disposition"]
    text = _text(response.data)
    assert "PEMERINTAH KABUPATEN SERANG" in text and "NOTA DINAS" in text  # the reader's letterhead, a memo
    assert "Kepada Yth. : Bupati Serang" in text and "Dari : Bappeda Kabupaten Serang" in text
    assert f"Perihal : Laporan Hasil {PROVINCE_FGD}" in text  # the title says FGD: not "FGD) FGD Penyusunan"
    assert "kami laporkan hasil Focus Group Discussion (FGD) yang kami hadiri" in text
    assert "secara hybrid di Aula Bappeda Provinsi Banten dan melalui Google Meet" in text
    assert "Penyelenggara : Bappeda Provinsi Banten" in text
    assert "dr. Rina (kab), Kepala Seksi (Dinas Kesehatan)" in text
    assert "1. Keswa masuk RKPD kabupaten/kota" in text and "Provinsi menyusun pedoman" not in text
    assert "Usulkan keswa di RKPD Serang" in text and "31 Jan 2026" in text
    assert "Serang, 16 Desember 2025" in text and "Kepala Bappeda Kabupaten Serang" in text
    assert "H. Yusuf, S.T." in text and "NIP. 19700101 199503 1 001" in text
    for sibling in ("dr. Sari", "RKPD Tangerang", "Kota Tangerang"):
        assert sibling not in text, sibling


def test_a_government_that_neither_attended_nor_got_a_task_gets_no_laporan(app, tree, province_fgd):
    with app.app_context():
        forum = forums.get_forum(SYSTEM, province_fgd)
        kab_forum = forums.create_forum(
            SYSTEM, government_id=tree.govs["kab"], kind="rakor", title="Rakor kabupaten", starts_at=forum.starts_at
        ).id
    # The province sees its kabupaten's meeting, which it did not attend: the owner's Berita Acara, no report.
    province = _client(app, tree.users["prov_secretariat"])
    assert province.get(f"/forums/{kab_forum}/laporan-hasil-rapat.pdf").status_code == 404
    assert "berita-acara.pdf" in province.get(f"/forums/{kab_forum}").get_data(as_text=True)


def test_the_signature_blocks_stay_together_on_one_page(app, world, client_as):
    with app.app_context():
        forum = make_forum(world, **SIGNERS)
        for number in range(1, 15):
            forums.add_recommendation(SYSTEM, forum.id, text=f"Kesimpulan nomor {number} " + "yang panjang " * 12)
        forum_id = forum.id
    pages = PdfReader(io.BytesIO(client_as("viewer").get(f"/forums/{forum_id}/berita-acara.pdf").data)).pages
    [signed] = [page.extract_text() for page in pages if "Pimpinan Rapat," in page.extract_text()]
    assert (
        "Mengetahui," in signed and "NIP. 19900101 201503 2 001" in signed and "Tangerang, 16 Desember 2025" in signed
    )


def test_the_daftar_hadir_says_how_the_meeting_is_held_not_a_venue_it_does_not_use(app, world, online_forum, client_as):
    with app.app_context():
        db.session.get(Forum, online_forum).venue = "Ruang Rapat Bappeda"  # typed once, before it moved to Zoom
        db.session.commit()
    text = _text(client_as("viewer").get(f"/forums/{online_forum}/daftar-hadir.pdf").data)
    assert "pukul 09.00 WIB, secara daring melalui Zoom Meeting." in text
    assert "bertempat di" not in text and "Ruang Rapat Bappeda" not in text


def test_a_daftar_hadir_printed_before_anyone_is_listed_has_rows_to_sign(app, world, client_as):
    with app.app_context():
        forum_id = make_forum(world).id
    text = _text(client_as("viewer").get(f"/forums/{forum_id}/daftar-hadir.pdf").data)
    assert "1. ....." in text and "20. ....." in text and "21. ....." not in text


def test_a_forum_of_no_kind_is_a_rapat_in_every_sentence(app, tree, province_fgd):
    with app.app_context():
        forum = db.session.get(Forum, province_fgd)
        forum.kind, forum.title = "other", "Pembahasan Pedoman Keswa"
        db.session.commit()
    report = _text(
        _client(app, tree.users["kab_secretariat"]).get(f"/forums/{province_fgd}/laporan-hasil-rapat.pdf").data
    )
    assert "Perihal : Laporan Hasil Rapat Pembahasan Pedoman Keswa" in report
    assert "kami laporkan hasil rapat yang kami hadiri" in report and "Lainnya" not in report
    record = _text(_client(app, tree.users["prov_secretariat"]).get(f"/forums/{province_fgd}/berita-acara.pdf").data)
    assert "telah dilaksanakan rapat secara hybrid" in record and "Lainnya" not in record


def test_the_notulen_joins_a_list_items_wrapped_lines_and_has_no_empty_conclusions(app, world, client_as):
    minutes = (
        "1. Paparan Bappeda: rasio kematian ibu di\r\n   Provinsi Banten menurun pada 2023–2024.\r\n"
        "   - sub butir tetap barisnya\r\n2. Diskusi"
    )
    with app.app_context():
        forum = make_forum(world)
        forums.set_minutes(as_user(world.users["secretariat"].id), forum.id, minutes)
        forum_id = forum.id
    data = client_as("viewer").get(f"/forums/{forum_id}/notulen.pdf").data
    lines = PdfReader(io.BytesIO(data)).pages[0].extract_text().splitlines()
    assert "1. Paparan Bappeda: rasio kematian ibu di Provinsi Banten menurun pada 2023–2024." in lines
    assert "- sub butir tetap barisnya" in [line.strip() for line in lines]
    assert "Kesimpulan" not in lines  # no recommendation yet: no heading over nothing


LONG_POSITION = (
    "Kepala Badan Perencanaan Pembangunan, Penelitian dan Pengembangan Daerah Kota Tangerang selaku Ketua Tim "
    "Koordinasi Penyusunan Dokumen Perencanaan"
)


@pytest.mark.parametrize("document", ["berita-acara", "notulen"])
def test_signature_blocks_of_long_positions_stay_together_wherever_the_text_ends(app, world, client_as, document):
    """Positions of four lines make the blocks taller than a guess: measured, they move to the next page whole
    instead of leaving a name or the 'Mengetahui' block on a page of their own."""
    with app.app_context():
        forum = make_forum(
            world,
            **(SIGNERS | {"chair_position": LONG_POSITION, "minute_taker_position": LONG_POSITION}),
        )
        forum_id = forum.id
    viewer = client_as("viewer")
    for number in range(1, 24):
        with app.app_context():
            forums.add_recommendation(SYSTEM, forum_id, text=f"Kesimpulan nomor {number} yang cukup panjang.")
        if number < 10:
            continue
        pages = [
            p.extract_text() for p in PdfReader(io.BytesIO(viewer.get(f"/forums/{forum_id}/{document}.pdf").data)).pages
        ]
        [signed] = [page for page in pages if "Pimpinan Rapat," in page]
        assert "NIP. 19750817 200212 1 003" in signed and "NIP. 19900101 201503 2 001" in signed, number
        if document == "berita-acara":
            assert "Mengetahui," in signed and "(......" in signed.split("Mengetahui,")[1], number  # and its name
