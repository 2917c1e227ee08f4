import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from actions import services
from actions.models import Action, Assignment, Status
from core.extensions import db
from forum import services as forums
from tests.actions.helpers import TODAY, dinkes_assignment, link_report, make_action
from tests.conftest import QueryCounter, as_user
from tests.forum.helpers import make_forum, participant


def test_create_action_from_the_forum_page(app, world, client_as):
    with app.app_context():
        forum = make_forum(world)
        recommendation = forums.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Keswa")
        forum_id, recommendation_id = forum.id, recommendation.id
    client = client_as("secretariat")
    url = f"/forums/{forum_id}/recommendations/{recommendation_id}/actions/new"
    data = {
        "kind": "task",
        "title": "Layanan keswa di Puskesmas",
        "due_date": "2026-01-31",
        "lead_opd_id": world.opds["DINKES"],
        "support_opd_ids": [world.opds["DP3AP2KB"]],
    }
    assert client.post(url, data=data).status_code == 302
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "Layanan keswa di Puskesmas" in page
    assert "DINKES" in page and "DP3AP2KB" in page and "Menunggu konfirmasi" in page


def test_a_bad_action_form_keeps_the_input(app, world, client_as):
    with app.app_context():
        forum = make_forum(world)
        recommendation = forums.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Keswa")
        url = f"/forums/{forum.id}/recommendations/{recommendation.id}/actions/new"
    client = client_as("secretariat")
    data = {
        "kind": "task",
        "title": "Judul dipertahankan",
        "due_date": "2025-01-01",
        "lead_opd_id": world.opds["DINKES"],
    }
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Tenggat sudah lewat." in page and 'value="Judul dipertahankan"' in page
    response = client.post(url, data={**data, "due_date": "besok", "support_opd_ids": ["99999"]})
    assert response.status_code == 422
    response = client.post(url, data={**data, "due_date": "2026-02-01", "lead_opd_id": "", "all_present": "y"})
    assert "Tidak ada peserta dari OPD yang hadir di forum ini." in response.get_data(as_text=True)


def test_my_tasks_puts_overdue_first_then_unacknowledged_then_soonest(app, world, client_as, clock):
    with app.app_context():
        head = as_user(world.users["opd_head"].id)
        late_little = dinkes_assignment(make_action(world, title="Terlambat sedikit", due_in=2))
        late_much = dinkes_assignment(make_action(world, title="Terlambat lama", due_in=1))
        dinkes_assignment(make_action(world, title="Belum dikonfirmasi", due_in=30))  # left unacknowledged
        soon = dinkes_assignment(make_action(world, title="Segera", due_in=10))
        later = dinkes_assignment(make_action(world, title="Nanti", due_in=20))
        for assignment in (late_little, late_much, soon, later):
            services.acknowledge(head, assignment.id)
        other = make_action(world, lead="DP3AP2KB", support=(), title="Milik OPD lain")
        assert other
    clock.set(clock.now() + timedelta(days=5))  # the first two are now 3 and 4 days late
    page = client_as("opd_head").get("/tasks").get_data(as_text=True)
    titles = re.findall(r'<h2><a href="/assignments/\d+">([^<]+)</a></h2>', page)
    assert titles == ["Terlambat lama", "Terlambat sedikit", "Belum dikonfirmasi", "Segera", "Nanti"]
    assert "terlambat 4 hari" in page and "5 hari lagi" in page


def test_my_tasks_pages_by_urgency_and_counts_everything(app, world, client_as, clock):
    app.config["TASKS_PAGE_SIZE"] = 2
    with app.app_context():
        head = as_user(world.users["opd_head"].id)
        late = dinkes_assignment(make_action(world, title="Terlambat", due_in=1))
        services.acknowledge(head, late.id)
        dinkes_assignment(make_action(world, title="Belum dikonfirmasi", due_in=30))
        soon = dinkes_assignment(make_action(world, title="Segera", due_in=10))
        services.acknowledge(head, soon.id)
    clock.set(clock.now() + timedelta(days=3))
    head_client = client_as("opd_head")
    first = head_client.get("/tasks").get_data(as_text=True)
    second = head_client.get("/tasks?page=2").get_data(as_text=True)
    titles = lambda page: re.findall(r'<h2><a href="/assignments/\d+">([^<]+)</a></h2>', page)  # noqa: E731
    assert titles(first) == ["Terlambat", "Belum dikonfirmasi"] and titles(second) == ["Segera"]
    counts = re.search(r'<p class="task-counts" id="task-counts">(.*?)</p>', first, re.S).group(1)
    assert "1 terlambat" in counts and "1 belum dikonfirmasi" in counts and "3 masih berjalan" in counts
    assert "Halaman 1 dari 2" in first
    assert titles(head_client.get("/tasks?page=9").get_data(as_text=True)) == []  # past the end: empty, not 404


def test_the_head_acknowledges_reports_and_submits_through_the_page(app, world, client_as):
    with app.app_context():
        assignment_id = dinkes_assignment(make_action(world)).id
    head = client_as("opd_head")
    page = head.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert 'id="acknowledge"' in page
    response = head.post(
        f"/assignments/{assignment_id}/acknowledge", data={"pic_name": "dr. Maya"}, follow_redirects=True
    )
    assert "Tugas diterima." in response.get_data(as_text=True)
    again = head.post(f"/assignments/{assignment_id}/acknowledge", data={}, follow_redirects=True)
    assert "sudah diterima sebelumnya" in again.get_data(as_text=True)
    bad = head.post(f"/assignments/{assignment_id}/progress", data={"percent": "seratus", "note": "Catatan tetap"})
    assert bad.status_code == 422 and "Catatan tetap" in bad.get_data(as_text=True)
    assert head.post(f"/assignments/{assignment_id}/submit", data={}).status_code == 422  # no evidence yet
    head.post(f"/assignments/{assignment_id}/progress", data={"percent": "100", "links": "https://example.org/bukti"})
    assert head.post(f"/assignments/{assignment_id}/submit", data={}).status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).status == Status.SUBMITTED


def test_a_forbidden_transition_by_url_is_a_409_page(app, world, client_as):
    with app.app_context():
        assignment_id = dinkes_assignment(make_action(world)).id
    response = client_as("secretariat").post(f"/assignments/{assignment_id}/verify", data={"decision": "yes"})
    assert response.status_code == 409
    assert "tidak dapat menjadi" in response.get_data(as_text=True)


def _submitted(app, world) -> int:
    """A DINKES task acknowledged, reported with evidence and handed in for verification; its id."""
    with app.app_context():
        assignment = dinkes_assignment(make_action(world))
        head = as_user(world.users["opd_head"].id)
        services.acknowledge(head, assignment.id)
        link_report(world, assignment.id)
        services.submit(head, assignment.id)
        return assignment.id


def test_a_return_without_a_note_is_reshown(app, world, client_as):
    assignment_id = _submitted(app, world)
    response = client_as("secretariat").post(
        f"/assignments/{assignment_id}/verify", data={"decision": "no", "note": ""}
    )
    assert response.status_code == 422
    assert "Isi alasannya." in response.get_data(as_text=True)


def test_what_to_fix_is_written_as_a_list_and_shown_as_its_lines(app, world, client_as):
    """The return note is a labelled textarea, so the secretariat can list several points; the task page shows
    them escaped, on the lines they were typed on."""
    assignment_id = _submitted(app, world)
    secretariat = client_as("secretariat")
    page = secretariat.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    form = page[page.index('id="verify"') : page.index("</form>", page.index('id="verify"'))]
    assert re.search(r'<label for="verify-note">Catatan</label>\s*<textarea[^>]* id="verify-note"', form)
    assert 'aria-describedby="verify-note-hint"' in form and "satu poin per baris" in form
    note = "1. Lampirkan daftar hadir.\r\n2. Foto kegiatan <di Puskesmas>."
    refused = secretariat.post(f"/assignments/{assignment_id}/verify", data={"decision": "no", "note": "  "})
    assert refused.status_code == 422 and "Isi alasannya." in refused.get_data(as_text=True)
    response = secretariat.post(f"/assignments/{assignment_id}/verify", data={"decision": "no", "note": note})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).status == Status.RETURNED
    page = client_as("opd_head").get(f"/assignments/{assignment_id}").get_data(as_text=True)
    aside = page[page.index('id="return-note"') : page.index("</aside>")]
    shown = re.search(r'<p class="prewrap note">(.*?)</p>', aside, re.S).group(1)
    assert shown.splitlines() == ["1. Lampirkan daftar hadir.", "2. Foto kegiatan &lt;di Puskesmas&gt;."]


def test_action_list_filters(app, world, client_as, clock):
    with app.app_context():
        make_action(world, title="Untuk Dinkes", support=(), due_in=1)
        make_action(world, lead="DP3AP2KB", support=(), title="Untuk DP3AP2KB", due_in=30)
    clock.set(clock.now() + timedelta(days=3))
    client = client_as("viewer")
    overdue = client.get("/actions?overdue=1").get_data(as_text=True)
    assert "Untuk Dinkes" in overdue and "Untuk DP3AP2KB" not in overdue
    by_opd = client.get(f"/actions?opd={world.opds['DP3AP2KB']}").get_data(as_text=True)
    assert "Untuk DP3AP2KB" in by_opd and "Untuk Dinkes" not in by_opd
    ranged = client.get("/actions?due_from=2026-01-01&due_to=2026-12-31").get_data(as_text=True)
    assert "Untuk DP3AP2KB" in ranged and "Untuk Dinkes" not in ranged
    assert client.get("/actions?due_from=kemarin&status=hilang&theme=x&series=abc").status_code == 200


def _bulk(world, forum_id, count):
    """Arrange many assignments directly: the pages, not the services, are under test here."""
    recommendation = forums.add_recommendation(as_user(world.users["secretariat"].id), forum_id, text="Banyak")
    for i in range(count):
        action = Action(recommendation=recommendation, title=f"Tugas {i}", due_date=TODAY + timedelta(days=i % 40 - 10))
        status = [Status.ASSIGNED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.DONE][i % 4]
        db.session.add(Assignment(action=action, opd_id=world.opds["DINKES"], due_date=action.due_date, status=status))
    db.session.commit()


@pytest.mark.parametrize("page", ["/tasks", "/actions", "/actions?overdue=1&opd={dinkes}", "/forums/{forum}"])
def test_pages_run_a_fixed_number_of_queries(app, world, client_as, page):
    with app.app_context():
        forum = make_forum(world)
        forums.add_participants(as_user(world.users["secretariat"].id), forum.id, [participant(world)])
        forum_id = forum.id
    url = page.format(forum=forum_id, dinkes=world.opds["DINKES"])
    client = client_as("opd_head")

    def queries():
        with app.app_context(), QueryCounter(db.engine) as counter:
            assert client.get(url).status_code == 200
        return counter.count

    with app.app_context():
        _bulk(world, forum_id, 5)
    few = queries()
    with app.app_context():
        _bulk(world, forum_id, 200)
    assert queries() == few


@pytest.mark.parametrize(
    "query",
    [
        "held_from=0001-01-01",
        "held_to=9999-12-31",
        "held_from=9999-12-31",
        "held_to=0001-01-01",
        "done_since=0001-01-01",
        "due_from=0001-01-01&due_to=9999-12-31",
    ],
)
@pytest.mark.parametrize("path", ["/actions", "/reports/followups.xlsx"])
def test_follow_up_filters_at_the_ends_of_the_calendar_answer(app, world, client_as, path, query):
    with app.app_context():
        dinkes_assignment(make_action(world, title="Layanan keswa"))
    response = client_as("secretariat").get(f"{path}?{query}")
    assert response.status_code == 200, query


def test_the_whole_calendar_as_a_meeting_filter_keeps_every_task(app, world, client_as):
    with app.app_context():
        dinkes_assignment(make_action(world, title="Layanan keswa"))
    page = client_as("secretariat").get("/actions?held_from=0001-01-01&held_to=9999-12-31").get_data(as_text=True)
    assert "Layanan keswa" in page
    assert 'value="0001-01-01"' in page and 'value="9999-12-31"' in page


def test_a_due_date_beyond_what_kawal_plans_is_refused_with_the_input_kept(app, world, client_as):
    with app.app_context():
        forum = make_forum(world)
        recommendation = forums.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Keswa")
        url = f"/forums/{forum.id}/recommendations/{recommendation.id}/actions/new"
    data = {
        "kind": "task",
        "title": "Judul dipertahankan",
        "due_date": "9999-12-31",
        "lead_opd_id": world.opds["DINKES"],
    }
    response = client_as("secretariat").post(url, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Masukkan tanggal antara tahun 1900 dan 2100." in page
    assert 'value="9999-12-31"' in page and 'value="Judul dipertahankan"' in page


def test_a_cancelled_follow_up_offers_no_edit_form(app, world, client_as):
    with app.app_context():
        action_id = make_action(world, support=()).id
        services.cancel_action(as_user(world.users["secretariat"].id), action_id, "Tidak relevan lagi")
    client = client_as("secretariat")
    response = client.get(f"/actions/{action_id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/actions/{action_id}")
    page = client.get(f"/actions/{action_id}").get_data(as_text=True)
    assert "Tindak lanjut ini sudah dibatalkan." in page


def test_a_kept_task_card_follows_its_title_its_status_the_day_and_the_language(app, world, client_as, clock):
    """ "My tasks" keeps each card rendered (actions/views.py:task_card), by all the card shows: a renamed task,
    an acknowledged one, the next day and the other language each show as they are now."""
    from accounts.models import User

    with app.app_context():
        assignment = dinkes_assignment(make_action(world, title="Judul lama", due_in=1))
        assignment_id, action_id = assignment.id, assignment.action_id
    client = client_as("opd_head")

    def card() -> str:
        page = client.get("/tasks").get_data(as_text=True)
        return re.search(
            rf'<li class="card task[^"]*">(?:(?!</li>).)*/assignments/{assignment_id}".*?</li>', page, re.S
        ).group(0)

    first = card()
    assert "Judul lama" in first and "Menunggu konfirmasi" in first and card() == first
    with app.app_context():
        db.session.execute(sa.update(Action).where(Action.id == action_id).values(title="Judul <b>baru</b>"))
        db.session.commit()
    assert "Judul &lt;b&gt;baru&lt;/b&gt;" in card()  # escaped: the kept card is the template's own output
    with app.app_context():
        services.acknowledge(as_user(world.users["opd_head"].id), assignment_id)
    assert "Diterima" in card() and "(1 hari lagi)" in card()
    clock.set(clock.now() + timedelta(days=1))
    assert "(tenggat hari ini)" in card()
    with app.app_context():
        db.session.get(User, world.users["opd_head"].id).locale = "en"
        db.session.commit()
    assert "(due today)" in card() and "Judul &lt;b&gt;baru" in card()
