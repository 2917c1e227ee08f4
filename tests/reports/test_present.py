"""The review meeting's presentation (/dashboard/present): the ranking of the OPDs by how late they are, a slide
per OPD with its late tasks, and recording what an OPD said into the task's timeline and the meeting's minutes."""

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from actions import reviews
from actions import services as actions
from actions.models import Assignment, AssignmentEvent, HistoryKind
from core.extensions import db
from forum import services as forums
from forum.models import Forum
from tests.actions.helpers import make_action
from tests.conftest import as_user
from tests.forum.helpers import FGD, make_forum

REVIEW_DAY = datetime(2025, 12, 26, 2, 0, tzinfo=UTC)  # 09.00 WIB, Friday 26 December 2025


def _task(action, code: str) -> int:
    return next(a.id for a in action.assignments if a.opd.code == code)


@pytest.fixture
def late(app, world, clock):
    """On 26 December: PKM-CIBODAS has one task 9 days late; DINKES two, 4 and 3 days late (7 in all); DP3AP2KB
    two, 4 and 2 days late (6); DISDUKCAPIL one due in February. The review meeting is a rakor held that day."""
    with app.app_context():
        forum = make_forum(world, title="FGD Pembahasan PPT Kespro")
        pkm = make_action(world, forum=forum, lead="PKM-CIBODAS", support=(), due_in=1, title="Posyandu remaja")
        clock.set(clock.now() + timedelta(days=5))
        first = make_action(world, forum=forum, support=("DP3AP2KB",), due_in=6, title="Layanan keswa di Puskesmas")
        second = make_action(world, forum=forum, support=(), due_in=7, title="Sarana visum di RSUD")
        third = make_action(world, forum=forum, lead="DP3AP2KB", support=(), due_in=8, title="Tenaga psikolog")
        make_action(world, forum=forum, lead="DISDUKCAPIL", support=(), due_in=60, title="Masih lama")
        review = review_forum(world)
        ids = SimpleNamespace(
            forum=forum.id,
            review=review.id,
            pkm=_task(pkm, "PKM-CIBODAS"),
            keswa=_task(first, "DINKES"),
            keswa_dp3=_task(first, "DP3AP2KB"),
            visum=_task(second, "DINKES"),
            psikolog=_task(third, "DP3AP2KB"),
        )
        db.session.remove()
    clock.set(REVIEW_DAY)
    return ids


def review_forum(world):
    """The review meeting, a rakor of the world's government held on REVIEW_DAY; call inside an app context."""
    return make_forum(
        world,
        kind="rakor",
        title="Rapat Evaluasi Tindak Lanjut",
        starts_at=REVIEW_DAY,
        ends_at=REVIEW_DAY + timedelta(hours=2),
    )


def kabupaten_task(tree) -> tuple[int, int]:
    """A task of the kabupaten's own forum given to its own DINKES, due 17 December: (forum id, task id)."""
    kab = as_user(tree.users["kab_secretariat"])
    forum = forums.create_forum(kab, **{**FGD, "title": "FGD Kabupaten"})
    recommendation = forums.add_recommendation(kab, forum.id, text="Keswa kabupaten")
    action = actions.create_action(
        kab,
        recommendation.id,
        kind="task",
        title="Tugas kabupaten",
        due_date=date(2025, 12, 17),
        lead_opd_id=tree.opds["kab:DINKES"],
    )
    return forum.id, action.assignments[0].id


def _ranking(page: str) -> list[tuple[str, ...]]:
    [table] = re.findall(r'<table id="ranking">.*?</table>', page, flags=re.S)
    cells = r'<tr>\s*<td>(\d+)</td>\s*<td><a[^>]*>([^<]+)</a>.*?<td class="figure">(\d+)</td>\s*<td class="figure">(\d+)</td>'
    return re.findall(cells, table, flags=re.S)


def _slide(page: str, opd_id: int) -> str:
    [slide] = re.findall(rf'<section class="slide" id="opd-{opd_id}".*?</section>', page, flags=re.S)
    return slide


def test_the_ranking_orders_by_late_tasks_then_by_days_late(app, world, late, client_as):
    """Two late tasks come before one, however late; of two OPDs with two each, more days late comes first. An OPD
    with nothing late is not ranked."""
    page = client_as("secretariat").get("/dashboard/present").get_data(as_text=True)
    assert _ranking(page) == [("1", "DINKES", "2", "7"), ("2", "DP3AP2KB", "2", "6"), ("3", "PKM-CIBODAS", "1", "9")]
    assert "DISDUKCAPIL" not in page


def test_each_opd_slide_lists_its_late_tasks_with_days_due_date_recommendation_and_forum(app, world, late, client_as):
    page = client_as("viewer").get(f"/dashboard/present?opd={world.opds['DINKES']}").get_data(as_text=True)
    slide = _slide(page, world.opds["DINKES"])
    assert " hidden" not in slide.split(">", 1)[0]  # the slide asked for is the one shown
    assert re.search(r'id="slide-ranking"[^>]* hidden', page)
    tasks = re.findall(r'<li id="task-(\d+)">(.*?)</li>', slide, flags=re.S)
    assert [int(task_id) for task_id, _ in tasks] == [late.keswa, late.visum]  # the latest first
    keswa = tasks[0][1]
    assert "Layanan keswa di Puskesmas" in keswa and "terlambat 4 hari" in keswa
    assert "22/12/2025" in keswa or "22 Des" in keswa
    assert "Rekomendasi 2" in keswa and "Layanan keswa di setiap Puskesmas" in keswa
    assert "FGD Pembahasan PPT Kespro" in keswa
    assert "terlambat 3 hari" in tasks[1][1]
    assert "Masih lama" not in page and "Tenaga psikolog" not in slide


def test_every_slide_is_a_link_from_the_previous_one(app, world, late, client_as):
    """Without JavaScript the deck is walked by links: the ranking leads to the first OPD, each OPD to the next and
    back, all carrying the dashboard's filters."""
    client = client_as("viewer")
    page = client.get("/dashboard/present?kind=fgd").get_data(as_text=True)
    [first] = re.findall(r'<a rel="next" href="([^"]+)"', page.split('id="opd-')[0])
    assert f"opd={world.opds['DINKES']}" in first and "kind=fgd" in first
    slide = _slide(client.get(first.replace("&amp;", "&")).get_data(as_text=True), world.opds["DINKES"])
    assert re.search(rf'rel="next" href="[^"]*opd={world.opds["DP3AP2KB"]}', slide)
    dp3 = _slide(page, world.opds["DP3AP2KB"])
    assert re.search(rf'rel="prev" href="[^"]*opd={world.opds["DINKES"]}', dp3)


def test_nothing_late_shows_its_own_slide(app, world, client_as):
    with app.app_context():
        make_action(world, support=(), due_in=30)
    page = client_as("secretariat").get("/dashboard/present").get_data(as_text=True)
    assert 'id="nothing-late"' in page and 'id="ranking"' not in page


def test_another_governments_late_tasks_are_never_shown(app, tree, clock, client_as):
    """The kabupaten's own late task stays out of the kota's presentation, and the kota's out of the kabupaten's."""
    with app.app_context():
        kabupaten_task(tree)
        make_action(tree.world, support=(), due_in=1, title="Tugas kota")
        db.session.remove()
    clock.set(REVIEW_DAY)
    kota_page = client_as("secretariat").get("/dashboard/present").get_data(as_text=True)
    assert "Tugas kota" in kota_page and "Tugas kabupaten" not in kota_page and "Kab. Serang" not in kota_page
    from tests.conftest import login

    kab_client = app.test_client()
    login(kab_client, tree.users["kab_secretariat"])
    kab_page = kab_client.get("/dashboard/present").get_data(as_text=True)
    assert "Tugas kabupaten" in kab_page and "Tugas kota" not in kab_page
    foreign = kab_client.get(f"/dashboard/present?government={tree.govs['kota']}").get_data(as_text=True)
    assert "Tugas kota" not in foreign


@pytest.mark.parametrize(
    "query",
    [
        "opd=abc",
        "opd=-1",
        "opd=99999999999999999999",
        "forum=x",
        "forum=999999",
        "government=999",
        "from=2025-13-45",
        "opd=1&opd=2",
        "kind=nope&series=%00",
    ],
)
def test_bad_query_strings_answer_the_presentation(app, world, late, client_as, query):
    response = client_as("secretariat").get(f"/dashboard/present?{query}")
    assert response.status_code == 200, query
    assert 'id="ranking"' in response.get_data(as_text=True)


def _post(client, assignment_id, forum_id, said="", due="", **args):
    query = "&".join([f"forum={forum_id}", *(f"{k}={v}" for k, v in args.items())])
    prefix = f"t{assignment_id}"
    return client.post(
        f"/dashboard/present/tasks/{assignment_id}?{query}", data={f"{prefix}-said": said, f"{prefix}-due_date": due}
    )


def test_recording_writes_the_timeline_note_the_new_due_date_and_the_minutes_line(app, world, late, client_as):
    client = client_as("secretariat")
    response = _post(
        client, late.keswa, late.review, said="Psikolog sudah direkrut, menunggu SK", due="2026-01-31", kind="fgd"
    )
    assert response.status_code == 302
    assert f"opd={world.opds['DINKES']}" in response.headers["Location"]
    assert "kind=fgd" in response.headers["Location"] and f"forum={late.review}" in response.headers["Location"]
    with app.app_context():
        assignment = db.session.get(Assignment, late.keswa)
        assert assignment.due_date == date(2026, 1, 31)
        rows = db.session.scalars(
            sa.select(AssignmentEvent).where(AssignmentEvent.assignment_id == late.keswa).order_by(AssignmentEvent.id)
        ).all()
        review = next(row for row in rows if row.kind == HistoryKind.REVIEW)
        assert review.note == "Psikolog sudah direkrut, menunggu SK"
        assert review.data["forum"] == "Rapat Evaluasi Tindak Lanjut"
        moved = next(row for row in rows if row.kind == HistoryKind.DUE_DATE)
        assert moved.data == {"from": "2025-12-22", "to": "2026-01-31"}
        assert moved.note == "Psikolog sudah direkrut, menunggu SK"
        minutes = db.session.get(Forum, late.review).minutes
        assert minutes == (
            "- DINKES — Layanan keswa di Puskesmas: Psikolog sudah direkrut, menunggu SK; "
            "tenggat baru Sabtu, 31 Januari 2026"
        )
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dicatat dalam riwayat tugas" in after and f'id="task-{late.keswa}"' not in after  # not late any more
    page = client.get(f"/assignments/{late.keswa}").get_data(as_text=True)
    assert "Dibahas dalam rapat evaluasi Rapat Evaluasi Tindak Lanjut" in page


def test_a_second_note_adds_a_line_below_the_first_and_without_a_date_leaves_the_due_date(app, world, late, client_as):
    client = client_as("secretariat")
    assert _post(client, late.visum, late.review, said="Dalam proses pengadaan").status_code == 302
    assert _post(client, late.psikolog, late.review, said="Anggaran belum tersedia").status_code == 302
    with app.app_context():
        assert db.session.get(Forum, late.review).minutes.splitlines() == [
            "- DINKES — Sarana visum di RSUD: Dalam proses pengadaan",
            "- DP3AP2KB — Tenaga psikolog: Anggaran belum tersedia",
        ]
        assert db.session.get(Assignment, late.visum).due_date == date(2025, 12, 23)
        kinds = db.session.scalars(
            sa.select(AssignmentEvent.kind).where(AssignmentEvent.assignment_id == late.visum)
        ).all()
        assert HistoryKind.REVIEW in kinds and HistoryKind.DUE_DATE not in kinds


def test_the_meeting_held_today_is_chosen_and_its_forms_shown_only_to_who_may_write(app, world, late, client_as):
    page = client_as("secretariat").get("/dashboard/present").get_data(as_text=True)
    assert re.search(rf'<option value="{late.review}" selected>', page)
    assert f'action="/dashboard/present/tasks/{late.keswa}?forum={late.review}"' in page
    for role in ("viewer", "opd_head"):
        seen = client_as(role).get("/dashboard/present").get_data(as_text=True)
        assert 'id="ranking"' in seen and "/dashboard/present/tasks/" not in seen and 'name="forum"' not in seen, role


@pytest.mark.parametrize("role", ["viewer", "opd_head", "opd_staff"])
def test_who_may_not_change_the_task_is_refused(app, world, late, client_as, role):
    response = _post(client_as(role), late.keswa, late.review, said="Coba")
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Forum, late.review).minutes is None


@pytest.mark.parametrize(
    ("said", "due", "message", "kept"),
    [
        ("", "2026-01-31", "Isian ini wajib diisi.", 'value="2026-01-31"'),
        ("Sudah berjalan", "31-01-2026", "Bukan tanggal yang sah.", "Sudah berjalan"),
        ("Sudah berjalan", "2025-12-01", "Tenggat sudah lewat.", "Sudah berjalan"),
        ("   ", "", "Isian ini wajib diisi.", ""),
    ],
)
def test_bad_input_says_what_is_wrong_and_keeps_what_was_typed(app, world, late, client_as, said, due, message, kept):
    response = _post(client_as("secretariat"), late.keswa, late.review, said=said, due=due)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    slide = _slide(page, world.opds["DINKES"])
    assert message in slide and kept in slide
    assert re.search(r"<details class=\"record\" open>", slide)
    with app.app_context():
        assert db.session.get(Forum, late.review).minutes is None
        assert db.session.get(Assignment, late.keswa).due_date == date(2025, 12, 22)


def test_without_a_chosen_meeting_the_form_says_to_choose_one(app, world, late, client_as):
    client = client_as("secretariat")
    response = client.post(f"/dashboard/present/tasks/{late.keswa}", data={f"t{late.keswa}-said": "Sudah"})
    assert response.status_code == 422
    assert "Pilih rapat evaluasi yang sedang berlangsung" in response.get_data(as_text=True)


def test_a_task_or_a_meeting_of_another_government_is_not_found(app, tree, clock, client_as):
    with app.app_context():
        kab_forum_id, kab_task = kabupaten_task(tree)
        kota_forum = make_forum(tree.world)
        kota_task = make_action(tree.world, forum=kota_forum, support=(), due_in=1).assignments[0].id
        kota_forum_id = kota_forum.id
        db.session.remove()
    clock.set(REVIEW_DAY)
    client = client_as("secretariat")
    foreign_task = _post(client, kab_task, kota_forum_id, said="Coba")
    assert foreign_task.status_code == 404 and "Tugas tidak ditemukan." in foreign_task.get_data(as_text=True)
    foreign_forum = _post(client, kota_task, kab_forum_id, said="Coba")
    assert foreign_forum.status_code == 404 and "Forum tidak ditemukan." in foreign_forum.get_data(as_text=True)
    assert _post(client, kota_task, 99999999, said="Coba").status_code == 404
    with app.app_context():
        assert db.session.get(Forum, kab_forum_id).minutes is None
        assert db.session.get(Forum, kota_forum_id).minutes is None


def test_a_closed_meeting_takes_no_more_lines(app, world, late, clock):
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        forums.change_status(secretariat, late.review, "held")
        forums.change_status(secretariat, late.review, "closed")
        from core.errors import InvalidTransition

        with pytest.raises(InvalidTransition):
            reviews.record_review(secretariat, late.keswa, late.review, said="Terlambat", due_date=None)
        db.session.rollback()
        assert db.session.get(Forum, late.review).minutes is None
        assert forums.review_forums(secretariat) == [db.session.get(Forum, late.forum)]


def test_the_dashboard_links_to_the_presentation_with_its_filters(app, world, client_as):
    page = client_as("secretariat").get("/dashboard?kind=fgd").get_data(as_text=True)
    assert 'id="present-link" href="/dashboard/present?kind=fgd"' in page


def test_the_dashboards_filters_narrow_the_presentation(app, world, late, client_as):
    """The late tasks all come from an FGD: filtered to coordination meetings (rakor), nothing is late."""
    client = client_as("secretariat")
    assert [row[1] for row in _ranking(client.get("/dashboard/present?kind=fgd").get_data(as_text=True))] == [
        "DINKES",
        "DP3AP2KB",
        "PKM-CIBODAS",
    ]
    assert 'id="nothing-late"' in client.get("/dashboard/present?kind=rakor").get_data(as_text=True)


def test_the_presentation_runs_a_fixed_number_of_queries(app, world, late, clock, client_as):
    """However many OPDs are late and however many tasks each has, with the forms of who may record."""
    from tests.conftest import QueryCounter

    client = client_as("secretariat")

    def queries():
        with app.app_context(), QueryCounter(db.engine) as counter:
            assert client.get(f"/dashboard/present?opd={world.opds['DINKES']}").status_code == 200
        return counter.count

    queries()  # the first after a write reads the government tree too, which the web worker then keeps
    few = queries()
    clock.set(REVIEW_DAY - timedelta(days=10))
    with app.app_context():
        for number in range(6):
            make_action(world, lead="DISDUKCAPIL", support=("DP3AP2KB",), due_in=5, title=f"Tugas {number}")
        db.session.remove()
    clock.set(REVIEW_DAY)
    page = client.get("/dashboard/present").get_data(as_text=True)
    assert [row[1] for row in _ranking(page)] == ["DP3AP2KB", "DISDUKCAPIL", "DINKES", "PKM-CIBODAS"]
    assert queries() == few


def test_a_form_sent_twice_writes_one_note_and_one_line(app, world, late, client_as):
    """A double click, or the form sent again after the due date moved: the second answer says nothing changed."""
    client = client_as("secretariat")
    first = _post(client, late.keswa, late.review, said="Sudah SK", due="2026-01-31")
    again = _post(client, late.keswa, late.review, said="Sudah SK", due="2026-01-31")
    assert first.status_code == again.status_code == 302
    assert "Sudah dicatat; tidak ada yang berubah." in client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Forum, late.review).minutes.count("Sudah SK") == 1
        kinds = db.session.scalars(
            sa.select(AssignmentEvent.kind).where(AssignmentEvent.assignment_id == late.keswa)
        ).all()
        assert kinds.count(HistoryKind.REVIEW) == 1 and kinds.count(HistoryKind.DUE_DATE) == 1
    # other words, or the same words with another due date, are another decision
    assert _post(client, late.keswa, late.review, said="Sudah SK", due="2026-02-27").status_code == 302
    with app.app_context():
        assert db.session.get(Forum, late.review).minutes.count("Sudah SK") == 2


def test_a_meeting_closed_since_the_slide_was_shown_keeps_what_was_typed(app, world, late, client_as):
    client = client_as("secretariat")
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        forums.change_status(secretariat, late.review, "held")
        forums.change_status(secretariat, late.review, "closed")
    response = _post(client, late.keswa, late.review, said="Psikolog menunggu SK bupati", due="2026-01-31")
    assert response.status_code == 422
    slide = _slide(response.get_data(as_text=True), world.opds["DINKES"])
    assert "Forum ini sudah ditutup" in slide and "Psikolog menunggu SK bupati" in slide
    assert 'value="2026-01-31"' in slide


def test_a_task_no_longer_late_shows_its_refused_form_above_the_slides(app, world, late, client_as):
    """Another laptop moved the due date: the task left the slides, and its refused form is shown on its own."""
    client = client_as("secretariat")
    assert _post(client, late.keswa, late.review, said="Sudah SK", due="2026-01-31").status_code == 302
    response = _post(client, late.keswa, late.review, said="Kata lain dari laptop kedua", due="2025-12-01")
    assert response.status_code == 422
    [unsaved] = re.findall(rf'<section class="unsaved" id="unsaved-{late.keswa}".*?</section>', response.text, re.S)
    assert "Layanan keswa di Puskesmas" in unsaved and "Tenggat sudah lewat." in unsaved
    assert "Kata lain dari laptop kedua" in unsaved
