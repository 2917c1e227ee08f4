"""Pasting a decree's team from a spreadsheet: header rows in either language, OPDs and team roles matched, a
preview that flags what it cannot match, saving all or nothing and once; who may; hostile input never a 500."""

import pytest
import sqlalchemy as sa

from actions import decrees
from actions.models import DecreeMember
from core.audit import AuditEvent
from core.errors import Invalid, InvalidItems, NotAllowed
from core.extensions import db
from forum import services as forums
from tests.actions.helpers import make_action, participant
from tests.conftest import as_user, login

TEAM = (
    "No\tNama\tOPD/Instansi\tJabatan\tKedudukan dalam Tim\n"
    "1\tWali Kota Tangerang\t\tWali Kota\tPengarah\n"
    "2\tKepala Bappeda\tBAPPEDA\tKepala Badan\tKetua\n"
    "3\tdr. Ani\tDinas Kesehatan\tKepala Dinas\tsekretaris\n"
    "4\tBudi\tDP3AP2KB – Dinas Pemberdayaan Perempuan dan Perlindungan Anak\tKabid\t\n"
)


def _decree_action(app, world):
    with app.app_context():
        return make_action(world, kind="decree", lead="BAPPEDA", support=("DINKES",), title="SK Tim PPT Kespro").id


def _members(app, action_id):
    with app.app_context():
        rows = db.session.execute(
            sa.select(DecreeMember.name, DecreeMember.opd_id, DecreeMember.position, DecreeMember.team_role)
            .join(DecreeMember.decree)
            .where(sa.literal_column("decrees.action_id") == action_id)
            .order_by(DecreeMember.id)
        )
        return [tuple(row) for row in rows]


def _url(action_id):
    return f"/actions/{action_id}/decree/members/paste"


def _seen(page: str) -> str:
    return page.split('name="seen" type="hidden" value="')[1].split('"')[0]


def test_the_decree_page_offers_the_paste_to_its_editors(app, world, client_as):
    action_id = _decree_action(app, world)
    assert _url(action_id) in client_as("secretariat").get(f"/actions/{action_id}/decree").text
    assert _url(action_id) not in client_as("viewer").get(f"/actions/{action_id}/decree").text


def test_pasted_rows_preview_and_save_every_member(app, world, client_as):
    action_id = _decree_action(app, world)
    client = client_as("secretariat")
    response = client.post(_url(action_id), data={"text": TEAM, "preview": "1"})
    assert response.status_code == 200
    page = response.text
    assert "4 anggota siap ditambahkan." in page
    # a new page: the focus goes to the preview, named by its heading
    assert '<section class="card" id="preview" tabindex="-1" autofocus aria-labelledby="preview-title">' in page
    assert "DINKES – Dinas Kesehatan" in page and ">Sekretaris<" in page
    assert _members(app, action_id) == []  # a preview saves nothing
    response = client.post(_url(action_id), data={"text": TEAM, "seen": _seen(page), "save": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/actions/{action_id}/decree#members")
    assert _members(app, action_id) == [
        ("Wali Kota Tangerang", None, "Wali Kota", "pengarah"),
        ("Kepala Bappeda", world.opds["BAPPEDA"], "Kepala Badan", "ketua"),
        ("dr. Ani", world.opds["DINKES"], "Kepala Dinas", "sekretaris"),
        ("Budi", world.opds["DP3AP2KB"], "Kabid", "anggota"),  # an empty role is a member
    ]
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.verb == "add_member"))
        assert [e.changes["member"][1] for e in events] == [m[0] for m in _members(app, action_id)]
    assert "4 anggota ditambahkan." in client.get(f"/actions/{action_id}/decree").text


def test_the_preview_flags_what_it_cannot_match_and_saves_nothing(app, world, client_as):
    action_id = _decree_action(app, world)
    client = client_as("secretariat")
    pasted = "Ani;DINKES;Kadis;Ketua\nBudi;DINSOS;Staf;Anggota\nCici;BAPPEDA;Staf;Wakil Ketua\n;BAPPEDA;;\n"
    response = client.post(_url(action_id), data={"text": pasted, "preview": "1"})
    assert response.status_code == 422
    page = response.text
    assert "3 baris tidak dapat dicocokkan" in page
    assert "Tidak ada OPD DINSOS di antara pemerintah forum ini." in page
    assert "Kedudukan dalam tim Wakil Ketua tidak dikenal" in page
    assert "Nama belum diisi." in page
    assert 'name="save"' not in page  # nothing to save until the text is corrected
    assert "Budi;DINSOS;Staf;Anggota" in page  # what was pasted stays
    # a crafted save of the same rows is refused by the service too
    with app.app_context():
        seen = decrees.members_fingerprint(decrees.get_decree(as_user(world.users["secretariat"].id), action_id))
    response = client.post(_url(action_id), data={"text": pasted, "seen": seen, "save": "1"})
    assert response.status_code == 422
    assert "tidak ada yang disimpan" in response.text
    assert _members(app, action_id) == []


def test_a_person_already_on_the_team_or_named_twice_is_flagged_and_nothing_saved(app, world, client_as):
    action_id = _decree_action(app, world)
    client = client_as("secretariat")
    page = client.post(_url(action_id), data={"text": "dr. Ani\tDINKES\tKadis\tKetua", "preview": "1"}).text
    client.post(_url(action_id), data={"text": "dr. Ani\tDINKES\tKadis\tKetua", "seen": _seen(page), "save": "1"})
    assert len(_members(app, action_id)) == 1
    # The whole team pasted again after the first row was saved, with one row copied twice.
    pasted = "dr. ani\tDinas Kesehatan\tKadis\tKetua\nBudi\tBAPPEDA\nCici\tBAPPEDA\nBudi\tBAPPEDA\nBudi\tDINKES\n"
    response = client.post(_url(action_id), data={"text": pasted, "preview": "1"})
    assert response.status_code == 422
    assert "2 baris tidak dapat dicocokkan" in response.text
    assert "dr. ani sudah ada di tim." in response.text
    assert "Budi sudah ada di baris 2." in response.text  # a namesake of another OPD is someone else
    with app.app_context():
        seen = decrees.members_fingerprint(decrees.get_decree(as_user(world.users["secretariat"].id), action_id))
    assert client.post(_url(action_id), data={"text": pasted, "seen": seen, "save": "1"}).status_code == 422
    assert len(_members(app, action_id)) == 1


def test_headers_written_with_more_words_as_a_decrees_annex_has_them_are_read(app, world, client_as):
    action_id = _decree_action(app, world)
    client = client_as("secretariat")
    pasted = "NO\tNAMA/NIP\tUNSUR / INSTANSI\tJABATAN\tKEDUDUKAN DALAM TIM\n1\tdr. Ani\tDINKES\tKadis\tKetua\n"
    page = client.post(_url(action_id), data={"text": pasted, "preview": "1"}).text
    assert "1 anggota siap ditambahkan." in page
    client.post(_url(action_id), data={"text": pasted, "seen": _seen(page), "save": "1"})
    assert _members(app, action_id) == [("dr. Ani", world.opds["DINKES"], "Kadis", "ketua")]


def test_english_headers_and_roles_in_english_are_read(app, world, client_as):
    action_id = _decree_action(app, world)
    client = client_as("secretariat")
    pasted = "Name | Agency | Position | Team role\n| Ani | dinkes | Head | Chair |\nBudi | BAPPEDA | Staff | Member"
    page = client.post(_url(action_id), data={"text": pasted, "preview": "1"}).text
    client.post(_url(action_id), data={"text": pasted, "seen": _seen(page), "save": "1"})
    assert [(m[0], m[3]) for m in _members(app, action_id)] == [("Ani", "ketua"), ("Budi", "anggota")]


def test_the_same_preview_saves_once(app, world, client_as):
    action_id = _decree_action(app, world)
    client = client_as("secretariat")
    page = client.post(_url(action_id), data={"text": "Ani\tDINKES", "preview": "1"}).text
    data = {"text": "Ani\tDINKES", "seen": _seen(page), "save": "1"}
    assert client.post(_url(action_id), data=data).status_code == 302
    again = client.post(_url(action_id), data=data)
    assert again.status_code == 422 and "berubah sejak pratinjau" in again.text
    assert len(_members(app, action_id)) == 1


def test_the_service_keeps_the_add_member_rules_and_refuses_a_head(appctx, world):
    action = make_action(world, kind="decree", lead="BAPPEDA", support=(), title="SK")
    secretariat = as_user(world.users["secretariat"].id)
    with pytest.raises(InvalidItems) as error:
        decrees.add_decree_members(secretariat, action.id, "Ani\tDINKES\n\tBAPPEDA\tStaf\tAnggota")
    assert list(error.value.problems) == [1]
    with pytest.raises(Invalid):
        decrees.add_decree_members(secretariat, action.id, " \n ")
    with pytest.raises(NotAllowed):
        decrees.add_decree_members(as_user(world.users["opd_head"].id), action.id, "Ani\tDINKES")
    assert db.session.scalar(sa.select(sa.func.count(DecreeMember.id))) == 0
    [member] = decrees.add_decree_members(secretariat, action.id, "Ani\tpkm-cibodas\tKapus\tpenanggungjawab")
    assert (member.opd.code, member.team_role) == ("PKM-CIBODAS", "penanggung_jawab")


def test_hostile_input_never_answers_500(app, world, client_as):
    action_id = _decree_action(app, world)
    client = client_as("secretariat")
    attempts = [
        {"text": "\x00\t\x00", "preview": "1"},
        {"text": "x" * 10000 + "\t" + "y" * 10000, "preview": "1"},
        {"text": "\n".join(f"Orang {n}\tDINKES" for n in range(500)), "preview": "1"},
        {"text": "\t" * 5000, "preview": "1"},
        {"text": "|" * 3000 + "\n---", "save": "1", "seen": "palsu"},
        {"text": "Ani\tDINKES · Negeri Antah\tx\tKetua · Anggota", "preview": "1"},
        {"text": "a" * 60000, "preview": "1"},
    ]
    for data in attempts:
        status = client.post(_url(action_id), data=data).status_code
        assert status in (200, 422), (data["text"][:20], status)
    assert _members(app, action_id) == []
    too_many = client.post(_url(action_id), data=attempts[2]).text
    assert "Teks berisi 500 baris; paling banyak 200" in too_many


def test_a_code_of_two_governments_is_the_forums_own_or_named_with_its_government(app, tree):
    with app.app_context():
        action = make_action(tree.world, kind="decree", lead="BAPPEDA", support=(), title="SK")
        action_id, forum_id = action.id, action.recommendation.forum_id
        # Kabupaten Serang's Dinkes attended: its OPDs are among those the decree may name.
        forums.add_participants(
            as_user(tree.world.users["secretariat"].id),
            forum_id,
            [participant(tree.world, name="Dr. Rina", opd=None, opd_id=tree.opds["kab:DINKES"])],
        )
    client = app.test_client()
    login(client, tree.world.users["secretariat"].id)
    pasted = "Ani\tDINKES\nRina\tDINKES · Kab. Serang\nSari\tDinas Kesehatan Kabupaten Serang"
    page = client.post(_url(action_id), data={"text": pasted, "preview": "1"}).text
    client.post(_url(action_id), data={"text": pasted, "seen": _seen(page), "save": "1"})
    assert [m[1] for m in _members(app, action_id)] == [
        tree.opds["kota:DINKES"],
        tree.opds["kab:DINKES"],
        tree.opds["kab:DINKES"],
    ]


def test_another_governments_secretariat_gets_404_and_a_head_403(app, tree):
    with app.app_context():
        action_id = make_action(tree.world, kind="decree", lead="BAPPEDA", support=(), title="SK").id
    for user_id, statuses in [
        (tree.users["kab_secretariat"], {404}),  # a sibling
        (tree.users["prov_secretariat"], {403}),  # the parent reads, never changes
        (tree.world.users["opd_head"].id, {403}),
    ]:
        client = app.test_client()
        login(client, user_id)
        assert client.get(_url(action_id)).status_code in statuses
        assert client.post(_url(action_id), data={"text": "Ani\tDINKES", "save": "1"}).status_code in statuses
    assert _members(app, action_id) == []


def test_an_english_reader_reads_the_preview_and_its_problems_in_english(app, world, client_as):
    action_id = _decree_action(app, world)
    client = client_as("secretariat")
    client.post("/language", data={"locale": "en"})
    page = client.post(_url(action_id), data={"text": "Ani\tDINSOS\t\tWakil Ketua", "preview": "1"}).text
    assert "1 row cannot be matched." in page
    assert "No OPD DINSOS among the governments of this forum." in page
    assert "Unknown team role Wakil Ketua: use one of Steering (pengarah)" in page
