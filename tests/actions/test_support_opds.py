"""The follow-up form's supporting OPDs: a checklist grouped by government, "every OPD of a government", and OPDs
pasted from a list or a spreadsheet with a preview that flags what it cannot match."""

import re
from datetime import timedelta

import sqlalchemy as sa

from accounts import governments
from accounts import services as accounts
from actions import opd_paste
from actions.models import Action, Assignment
from core.extensions import db
from core.permissions import SYSTEM
from forum import services as forums
from tests.actions.helpers import TODAY
from tests.actions.test_governments import _forum
from tests.conftest import as_user, login
from tests.forum.helpers import make_forum

NEW = "/forums/{}/recommendations/{}/actions/new"
TASK = {"kind": "task", "title": "Menginformasikan hasil FGD", "due_date": "2026-01-31"}


def _world_form(app, world):
    with app.app_context():
        forum = make_forum(world)
        recommendation = forums.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Keswa")
        return NEW.format(forum.id, recommendation.id)


def _assignments(app):
    """(code, government id, role) of every assignment made."""
    with app.app_context():
        rows = db.session.execute(sa.select(Assignment).join(Assignment.opd)).scalars()
        return sorted((a.opd.code, a.opd.government_id, a.role.value) for a in rows)


def _government(app) -> int:
    with app.app_context():
        return governments.default_government_id()


def _actions(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Action))


def _checked(page: str) -> set[str]:
    """The values of the ticked supporting-OPD boxes."""
    boxes = re.findall(r'<input type="checkbox" name="support_opd_ids" value="(\d+)"[^>]*>', page)
    ticked = re.findall(r'<input type="checkbox" name="support_opd_ids" value="(\d+)"[^>]* checked>', page)
    assert boxes, "no checklist"
    return set(ticked)


def test_the_checklist_replaces_the_multi_select_with_labelled_boxes(app, world, client_as):
    url = _world_form(app, world)
    page = client_as("secretariat").get(url).get_data(as_text=True)
    assert 'multiple name="support_opd_ids"' not in page and "Ctrl" not in page
    dinkes = world.opds["DINKES"]
    assert f'id="support-opd-{dinkes}"' in page
    assert f'<label for="support-opd-{dinkes}">DINKES – Dinas Kesehatan</label>' in page
    assert 'id="opd-search"' in page and 'for="opd-search"' in page  # the search box, shown by the script
    assert "<legend>Kota Tangerang</legend>" not in page  # one government: no government headings
    assert _checked(page) == set()


def test_the_checklist_is_grouped_by_government_with_one_whole_government_box_each(app, tree):
    with app.app_context():
        forum_id, rec = _forum(tree, "prov")
    client = app.test_client()
    login(client, tree.users["prov_secretariat"])
    page = client.get(NEW.format(forum_id, rec)).get_data(as_text=True)
    legends = re.findall(r"<legend>([^<]+)</legend>", page)
    assert legends[1:] == ["Prov. Banten", "Kota Tangerang", "Kab. Serang"]  # the owner first, then those below
    for key in ("prov", "kab", "kota"):
        assert f'name="support_government_ids" value="{tree.govs[key]}"' in page
    assert "Semua OPD Kab. Serang (2)" in page
    kab_page = app.test_client()
    login(kab_page, tree.users["kab_secretariat"])
    with app.app_context():
        kab_forum, kab_rec = _forum(tree, "kab")
    page = kab_page.get(NEW.format(kab_forum, kab_rec)).get_data(as_text=True)
    assert f'value="{tree.govs["kab"]}"' in page
    assert f'name="support_government_ids" value="{tree.govs["prov"]}"' not in page
    assert f'name="support_government_ids" value="{tree.govs["kota"]}"' not in page


def test_every_opd_of_a_government_becomes_a_supporter_and_the_lead_only_leads(app, tree):
    with app.app_context():
        forum_id, rec = _forum(tree, "prov")
    client = app.test_client()
    login(client, tree.users["prov_secretariat"])
    data = {
        **TASK,
        "lead_opd_id": tree.opds["kab:DINKES"],
        "support_government_ids": [tree.govs["kab"]],
        "support_opd_ids": [tree.opds["kab:DINKES"], tree.opds["prov:BAPPEDA"]],  # the lead ticked as well
    }
    response = client.post(NEW.format(forum_id, rec), data=data, follow_redirects=True)
    assert "diberikan kepada 3 OPD" in response.get_data(as_text=True)
    kab, prov = tree.govs["kab"], tree.govs["prov"]
    assert _assignments(app) == sorted(
        [("BAPPEDA", kab, "support"), ("BAPPEDA", prov, "support"), ("DINKES", kab, "lead")]
    )


def test_a_government_the_forum_may_not_assign_to_is_refused_with_a_message_and_the_input_kept(app, tree):
    with app.app_context():
        forum_id, rec = _forum(tree, "kab")
    client = app.test_client()
    login(client, tree.users["kab_secretariat"])
    url = NEW.format(forum_id, rec)
    base = {**TASK, "title": "Judul dipertahankan", "lead_opd_id": tree.opds["kab:DINKES"]}
    for tampered in (tree.govs["prov"], tree.govs["kota"], 10**30):
        response = client.post(url, data={**base, "support_government_ids": [tampered]})
        assert response.status_code == 422, tampered
        page = response.get_data(as_text=True)
        assert "Forum ini tidak dapat memberi tugas kepada semua OPD pemerintah itu" in page
        assert 'value="Judul dipertahankan"' in page
    response = client.post(url, data={**base, "support_government_ids": ["abc"]})
    assert response.status_code == 422
    assert _actions(app) == 0


def test_the_paste_preview_ticks_what_it_matches_flags_the_rest_and_saves_nothing(app, world, client_as):
    url = _world_form(app, world)
    pasted = "dinkes\nDinas Pemberdayaan Perempuan dan Perlindungan Anak\nDinas Pariwisata\n"
    data = {**TASK, "lead_opd_id": "", "support_paste": pasted, "preview": "Periksa dan centang"}
    response = client_as("secretariat").post(url, data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _checked(page) == {str(world.opds["DINKES"]), str(world.opds["DP3AP2KB"])}
    assert "2 baris cocok dan sudah dicentang di atas." in page
    problem = re.search(r'<li class="paste-problem">(.*?)</li>', page, re.S).group(1)
    assert "Baris 3" in problem and "Dinas Pariwisata" in problem
    assert "Tidak ada OPD dalam jangkauan forum ini dengan kode atau nama ini." in problem
    assert "Dinas Pariwisata\n</textarea>" in page  # the text is kept
    assert f'name="paste_checked" type="hidden" value="{opd_paste.digest(pasted)}"' in page
    assert _actions(app) == 0
    # the preview is a new page: the focus goes to its result, which is read out by its summary
    result = re.search(r'<div class="paste-result"[^>]*>', page).group(0)
    assert 'tabindex="-1"' in result and "autofocus" in result and 'aria-labelledby="paste-summary"' in result
    assert '<p id="paste-summary">2 baris cocok' in page


def test_creating_with_an_unchecked_paste_that_has_problems_shows_the_preview_then_confirming_saves(
    app, world, client_as
):
    url = _world_form(app, world)
    client = client_as("secretariat")
    pasted = "No\tNama\tInstansi\n1\tDewi\tDinas Kesehatan\n2\tBudi\tDinas Pariwisata"
    data = {**TASK, "lead_opd_id": world.opds["BAPPEDA"], "support_paste": pasted}
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Beberapa baris yang ditempel" in page and _checked(page) == {str(world.opds["DINKES"])}
    assert _actions(app) == 0
    # Sent again as the preview left it (DINKES ticked, the text marked as checked), the follow-up is made.
    confirmed = {**data, "support_opd_ids": [world.opds["DINKES"]], "paste_checked": opd_paste.digest(pasted)}
    assert client.post(url, data=confirmed).status_code == 302
    government = _government(app)
    assert _assignments(app) == [("BAPPEDA", government, "lead"), ("DINKES", government, "support")]


def test_a_paste_that_matches_entirely_is_applied_when_creating_directly(app, world, client_as):
    url = _world_form(app, world)
    data = {**TASK, "lead_opd_id": world.opds["DINKES"], "support_paste": "- DP3AP2KB\n- Dinas Kesehatan\n"}
    assert client_as("secretariat").post(url, data=data).status_code == 302
    government = _government(app)
    assert _assignments(app) == [("DINKES", government, "lead"), ("DP3AP2KB", government, "support")]


def test_a_pasted_opd_of_a_government_the_forum_may_not_assign_to_is_flagged(app, tree):
    with app.app_context():
        forum_id, rec = _forum(tree, "kab")
    client = app.test_client()
    login(client, tree.users["kab_secretariat"])
    data = {**TASK, "support_paste": "DISDUKCAPIL\nbappeda", "preview": "1"}
    page = client.post(NEW.format(forum_id, rec), data=data).get_data(as_text=True)
    assert "DISDUKCAPIL · Kota Tangerang milik pemerintah yang tidak dapat diberi tugas oleh forum ini." in page
    assert _checked(page) == {str(tree.opds["kab:BAPPEDA"])}


def test_a_pasted_code_prefers_the_forums_own_government_unless_the_line_names_another(app, tree):
    with app.app_context():
        forum_id, _ = _forum(tree, "prov")
        forum = forums.get_forum(SYSTEM, forum_id)
        actor = as_user(tree.users["prov_secretariat"])
        text = "DINKES\nDinas Kesehatan Kabupaten Serang\nDINKES · Kab. Serang\nDINKES – Dinas Kesehatan\n\nBappeda Kota Tangerang"
        lines = opd_paste.match_pasted_opds(actor, forum, text)
        assert [line.opd.id for line in lines] == [
            tree.opds["prov:DINKES"],
            tree.opds["kab:DINKES"],
            tree.opds["kab:DINKES"],
            tree.opds["prov:DINKES"],
            tree.opds["kota:BAPPEDA"],
        ]
        assert [line.number for line in lines] == [1, 2, 3, 4, 6]


def test_a_pasted_code_shared_by_two_governments_below_is_flagged_as_ambiguous(app, tree):
    with app.app_context():
        for key in ("kab", "kota"):
            accounts.create_opd(
                SYSTEM, government_id=tree.govs[key], code="DISKOMINFO", name="Dinas Kominfo", kind="dinas"
            )
        forum_id, _ = _forum(tree, "prov")
        forum = forums.get_forum(SYSTEM, forum_id)
        text = "diskominfo\nDiskominfo Kab. Serang\npkm cibodas"
        ambiguous, named, unique = opd_paste.match_pasted_opds(as_user(tree.users["prov_secretariat"]), forum, text)
        assert ambiguous.opd is None
        assert "DISKOMINFO · Kab. Serang" in ambiguous.problem and "DISKOMINFO · Kota Tangerang" in ambiguous.problem
        assert named.opd.government_id == tree.govs["kab"]
        assert unique.opd.id == tree.opds["kota:PKM-CIBODAS"]  # the only one: no government needed


def test_a_pasted_institution_with_its_government_is_read_and_one_outside_the_reach_flagged(app, tree):
    with app.app_context():
        forum_id, _ = _forum(tree, "kab")
        forum = forums.get_forum(SYSTEM, forum_id)
        text = "Dinas Kesehatan (Kab. Serang)\nDinkes Kota Tangerang\nDisdukcapil Kabupaten Serang\nBappeda"
        inside, sideways, missing, own = opd_paste.match_pasted_opds(
            as_user(tree.users["kab_secretariat"]), forum, text
        )
        assert inside.opd.id == tree.opds["kab:DINKES"]
        assert sideways.opd is None and "DINKES · Kota Tangerang" in sideways.problem
        assert missing.opd is None and "Tidak ada OPD dalam jangkauan forum ini" in missing.problem
        assert own.opd.id == tree.opds["kab:BAPPEDA"]


def test_a_paste_of_too_many_lines_is_refused_with_the_text_kept(app, world, client_as):
    url = _world_form(app, world)
    pasted = "\n".join(f"OPD {n}" for n in range(opd_paste.MAX_LINES + 1))
    response = client_as("secretariat").post(url, data={**TASK, "support_paste": pasted, "preview": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Tempel paling banyak {opd_paste.MAX_LINES} baris sekaligus." in page and "OPD 500</textarea>" in page
    assert 'class="paste-result"' not in page


def test_the_paste_preview_speaks_english_to_an_english_reader(app, world):
    from accounts.models import User

    url = _world_form(app, world)
    with app.app_context():
        db.session.get(User, world.users["secretariat"].id).locale = "en"
        db.session.commit()
    client = app.test_client()
    login(client, world.users["secretariat"].id)
    data = {**TASK, "support_paste": "DINKES\nDinas Pariwisata", "preview": "1"}
    page = client.post(url, data=data).get_data(as_text=True)
    assert "1 line matched and is ticked above." in page and "1 line could not be matched:" in page
    assert "No OPD of this forum&#39;s reach has this code or name." in page
    assert "Search OPDs" in page and "Every OPD of Kota Tangerang (5)" in page and "Cari OPD" not in page


def test_with_everyone_present_a_whole_government_adds_supporters_and_the_present_keep_their_own_task(app, tree):
    from actions import services

    with app.app_context():
        _, rec = _forum(tree, "prov", attending=("kab:DINKES",))
        action = services.create_action(
            as_user(tree.users["prov_secretariat"]),
            rec,
            kind="task",
            title="Menginformasikan hasil FGD",
            due_date=TODAY + timedelta(days=14),
            lead_opd_id=None,
            support_government_ids=[tree.govs["kab"]],
            all_present=True,
        )
        roles = sorted((a.opd.code, a.opd.government_id, a.role.value) for a in action.assignments)
    kab = tree.govs["kab"]
    assert roles == [("BAPPEDA", kab, "support"), ("DINKES", kab, "lead")]
