"""Nothing is undeliverable in silence: the follow-up forms mark the OPDs nobody would hear for, warn before saving
of those chosen, and the result names them, with a link to fix them for whoever may (issue 14, point 3). In
`world`, DINKES and DP3AP2KB have an active head; BAPPEDA, DISDUKCAPIL and PKM-CIBODAS have neither a head nor an
official email."""

import re

from accounts import services as accounts
from core.permissions import SYSTEM
from forum import services as forums
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user, opd_values
from tests.forum.helpers import make_forum

MARK = "(tidak ada penerima email)"


def _new_action_url(world) -> str:
    forum = make_forum(world)
    recommendation = forums.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Keswa")
    return f"/forums/{forum.id}/recommendations/{recommendation.id}/actions/new"


def _warned(page: str, warning_id: str = "reach-warning") -> list[int] | None:
    """The OPD ids the warning above the button names (those not hidden); None when the warning is hidden."""
    match = re.search(rf'<div class="notice reach-warning" id="{warning_id}"[^>]*>(.*?)</div>', page, re.S)
    assert match, "the warning block is on the page"
    if "hidden" in match.group(0)[: match.group(0).index(">")]:
        assert not re.findall(r'<li data-reach-opd="(\d+)">', match.group(1))
        return None
    return [int(opd_id) for opd_id in re.findall(r'<li data-reach-opd="(\d+)">', match.group(1))]


def _form(world, **changes) -> dict:
    return {
        "kind": "task",
        "title": "Layanan keswa di Puskesmas",
        "due_date": "2026-01-31",
        "lead_opd_id": world.opds["DINKES"],
        **changes,
    }


def test_the_new_follow_up_form_marks_the_opds_nobody_hears_for_and_warns_of_those_chosen(app, world, client_as):
    with app.app_context():
        url = _new_action_url(world)
    client = client_as("secretariat")
    page = client.get(url).get_data(as_text=True)
    assert f"DISDUKCAPIL – Dinas Kependudukan dan Pencatatan Sipil {MARK}" in page  # in the checklist
    assert f"BAPPEDA – Badan Perencanaan Pembangunan Daerah {MARK}" in page
    assert "DINKES – Dinas Kesehatan</label>" in page and f"DINKES – Dinas Kesehatan {MARK}" not in page
    assert _warned(page) is None  # nothing chosen yet
    assert page.index('id="reach-warning"') < page.index("Buat dan tugaskan")  # above the button

    chosen = _form(world, support_opd_ids=[world.opds["DISDUKCAPIL"], world.opds["DP3AP2KB"]], preview="1")
    page = client.post(url, data=chosen).get_data(as_text=True)
    assert _warned(page) == [world.opds["DISDUKCAPIL"]]
    assert "tidak memiliki kepala aktif maupun email resmi" in page

    reachable = _form(world, support_opd_ids=[world.opds["DP3AP2KB"]], preview="1")
    assert _warned(client.post(url, data=reachable).get_data(as_text=True)) is None


def test_the_paste_preview_marks_a_matched_opd_nobody_hears_for(app, world, client_as):
    with app.app_context():
        url = _new_action_url(world)
    page = (
        client_as("secretariat")
        .post(url, data=_form(world, support_paste="DISDUKCAPIL\nDP3AP2KB", preview="1"))
        .get_data(as_text=True)
    )
    lines = page[page.index('class="paste-lines"') :]
    lines = lines[: lines.index("</ul>")]
    disdukcapil, dp3 = lines.split("</li>")[:2]
    assert "DISDUKCAPIL" in disdukcapil and "tidak ada penerima email" in disdukcapil
    assert "DP3AP2KB" in dp3 and "tidak ada penerima email" not in dp3
    assert _warned(page) == [world.opds["DISDUKCAPIL"]]  # ticked by the paste, so named


def test_after_saving_the_secretariat_is_told_which_opds_get_no_email_and_who_can_fix_it(app, world, client_as):
    with app.app_context():
        url = _new_action_url(world)
    silent = [world.opds["BAPPEDA"], world.opds["DISDUKCAPIL"]]
    client = client_as("secretariat")
    data = _form(world, support_opd_ids=[*silent, world.opds["DP3AP2KB"]])
    page = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "Tindak lanjut dibuat dan diberikan kepada 4 OPD." in page
    assert "2 OPD tidak akan menerima email: BAPPEDA, DISDUKCAPIL." in page
    assert "Administrator pemerintahnya dapat menetapkan kepala aktif atau email resmi." in page
    assert "/admin/opds/" not in page  # the secretariat may not edit OPDs: no link

    page = client.post(url, data=_form(world, support_opd_ids=[world.opds["DP3AP2KB"]]), follow_redirects=True)
    page = page.get_data(as_text=True)
    assert "diberikan kepada 2 OPD." in page and "tidak akan menerima email" not in page


def test_the_admin_gets_a_link_to_each_opd_to_set_its_head(app, world, client_as):
    with app.app_context():
        url = _new_action_url(world)
    data = _form(world, support_opd_ids=[world.opds["DISDUKCAPIL"]])
    page = client_as("admin").post(url, data=data, follow_redirects=True).get_data(as_text=True)
    link = f'<a href="/admin/opds/{world.opds["DISDUKCAPIL"]}">DISDUKCAPIL</a>'
    assert f"1 OPD tidak akan menerima email: {link}." in page
    assert "/admin/opds/{}".format(world.opds["DINKES"]) not in page  # only those that cannot be told


def test_adding_an_opd_and_reassigning_warn_and_name_it(app, world, client_as):
    with app.app_context():
        action = make_action(world, support=())
        action_id, assignment_id = action.id, dinkes_assignment(action).id
    client = client_as("secretariat")
    page = client.get(f"/actions/{action_id}").get_data(as_text=True)
    assert f"DISDUKCAPIL – Dinas Kependudukan dan Pencatatan Sipil {MARK}</option>" in page
    assert _warned(page, "add-reach-warning") is None
    refused = client.post(f"/actions/{action_id}/opds", data={"opd_id": world.opds["DISDUKCAPIL"], "role": "support"})
    assert refused.status_code == 422  # no reason given: the page again, warning of the chosen OPD
    assert _warned(refused.get_data(as_text=True), "add-reach-warning") == [world.opds["DISDUKCAPIL"]]
    added = client.post(
        f"/actions/{action_id}/opds",
        data={"opd_id": world.opds["DISDUKCAPIL"], "role": "support", "reason": "Data kependudukan"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "1 OPD tidak akan menerima email: DISDUKCAPIL." in added

    page = client.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert _warned(page, "reassign-reach-warning") is None
    moved = client.post(
        f"/assignments/{assignment_id}/reassign",
        data={"opd_id": world.opds["BAPPEDA"], "reason": "Salah OPD"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "1 OPD tidak akan menerima email: BAPPEDA." in moved


def _flashes(page: str) -> list[str]:
    return re.findall(r'<div class="flash flash-(\w+)" role="status">', page)


def test_every_form_that_gives_a_task_says_it_was_done_before_warning_of_the_silent_opd(app, world, client_as):
    """Reassigning flashed its warning above "Tugas dipindahkan ke OPD lain."; it now comes after, as on the
    follow-up forms."""
    with app.app_context():
        action = make_action(world, support=())
        action_id, assignment_id = action.id, dinkes_assignment(action).id
    client = client_as("secretariat")
    added = client.post(
        f"/actions/{action_id}/opds",
        data={"opd_id": world.opds["DISDUKCAPIL"], "role": "support", "reason": "Data kependudukan"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert _flashes(added) == ["success", "warning"]
    assert added.index("DISDUKCAPIL sekarang mendapat tindak lanjut ini.") < added.index("tidak akan menerima email")
    moved = client.post(
        f"/assignments/{assignment_id}/reassign",
        data={"opd_id": world.opds["BAPPEDA"], "reason": "Salah OPD"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert _flashes(moved) == ["success", "warning"]
    assert moved.index("Tugas dipindahkan ke OPD lain.") < moved.index("1 OPD tidak akan menerima email: BAPPEDA.")


def test_an_opd_with_an_official_inbox_is_not_warned_of(app, world, client_as):
    with app.app_context():
        opd = accounts.get_opd(world.opds["DISDUKCAPIL"])
        accounts.update_opd(SYSTEM, opd.id, **opd_values(opd, email="disdukcapil@example.org"))
        url = _new_action_url(world)
    page = client_as("secretariat").get(url).get_data(as_text=True)
    assert f"DISDUKCAPIL – Dinas Kependudukan dan Pencatatan Sipil {MARK}" not in page
    assert f'data-reach-opd="{world.opds["DISDUKCAPIL"]}"' not in page
    assert f'data-reach-opd="{world.opds["BAPPEDA"]}"' in page


def test_the_warning_is_said_by_a_live_region_that_is_there_before_it_shows(app, world, client_as):
    """A screen reader announces a change inside a live region already on the page; one that appears out of
    display:none is often not heard. So the role="status" box is never hidden, and the warning shows inside it."""
    with app.app_context():
        url = _new_action_url(world)
    page = client_as("secretariat").get(url).get_data(as_text=True)
    live = re.search(r'<div role="status" id="reach-warning-live"([^>]*)>\s*<div class="notice reach-warning"', page)
    assert live and "hidden" not in live.group(1)
    assert _warned(page) is None  # the warning inside it is hidden until an OPD nobody hears for is chosen
