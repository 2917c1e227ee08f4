""" "Tugas saya" puts the tasks the secretariat sent back for fixing first and counts them; the task page shows the
secretariat's note above its forms while the fix is awaited (issue 14, point 4)."""

import re
from datetime import timedelta

import sqlalchemy as sa

from accounts.models import Opd
from actions import queries, services
from actions.models import CannotReason, Status
from core.extensions import db
from tests.actions.helpers import dinkes_assignment, link_report, make_action
from tests.actions.test_loads import reads_until_commit
from tests.conftest import QueryCounter, as_user

TITLES = re.compile(r'<h2><a href="/assignments/\d+">([^<]+)</a></h2>')


def _returned(world, title, note="Lampirkan SK penetapan tim.", due_in=20):
    """A DINKES task reported done and sent back by the secretariat with a note; its id."""
    head, secretariat = as_user(world.users["opd_head"].id), as_user(world.users["secretariat"].id)
    assignment = dinkes_assignment(make_action(world, title=title, due_in=due_in))
    services.acknowledge(head, assignment.id)
    link_report(world, assignment.id, percent=100)
    services.submit(head, assignment.id)
    services.verify(secretariat, assignment.id, accept=False, note=note)
    return assignment.id


def _badges(page: str) -> str:
    return re.search(r'<p class="task-counts" id="task-counts">(.*?)</p>', page, re.S).group(1)


def test_returned_tasks_come_first_and_are_counted_until_handed_in_again(app, world, client_as, clock):
    with app.app_context():
        head = as_user(world.users["opd_head"].id)
        late = dinkes_assignment(make_action(world, title="Terlambat", due_in=1))
        services.acknowledge(head, late.id)
        dinkes_assignment(make_action(world, title="Belum dikonfirmasi", due_in=3))
        returned_id = _returned(world, "Dikembalikan")
        worked_on = _returned(world, "Dikembalikan lalu dikerjakan", due_in=25)
        link_report(world, worked_on, percent=60)  # back "in progress", still awaiting the fix
        assert queries.get_assignment(head, worked_on).status == Status.IN_PROGRESS
    clock.set(clock.now() + timedelta(days=3))
    client = client_as("opd_head")
    page = client.get("/tasks").get_data(as_text=True)
    assert TITLES.findall(page) == ["Dikembalikan", "Dikembalikan lalu dikerjakan", "Terlambat", "Belum dikonfirmasi"]
    assert "2 perlu perbaikan" in _badges(page) and "1 terlambat" in _badges(page)

    with app.app_context():
        services.submit(as_user(world.users["opd_head"].id), returned_id)
    page = client.get("/tasks").get_data(as_text=True)
    assert TITLES.findall(page)[0] == "Dikembalikan lalu dikerjakan"
    assert "1 perlu perbaikan" in _badges(page)
    with app.app_context():
        services.submit(as_user(world.users["opd_head"].id), worked_on)
    assert 'id="badge-returned"' not in client.get("/tasks").get_data(as_text=True)


def test_a_refused_cannot_follow_up_request_is_sent_back_too(app, world, client_as):
    with app.app_context():
        head, secretariat = as_user(world.users["opd_head"].id), as_user(world.users["secretariat"].id)
        dinkes_assignment(make_action(world, title="Biasa", due_in=2))
        asked = dinkes_assignment(make_action(world, title="Ditolak", due_in=30))
        services.acknowledge(head, asked.id)
        services.request_cannot(head, asked.id, category=CannotReason.BUDGET, reason="Tidak ada anggaran")
        services.decide_cannot(secretariat, asked.id, approve=False, note="Gunakan dana BOK.")
        asked_id = asked.id
    page = client_as("opd_head").get("/tasks").get_data(as_text=True)
    assert TITLES.findall(page) == ["Ditolak", "Biasa"] and "1 perlu perbaikan" in _badges(page)
    task = client_as("opd_head").get(f"/assignments/{asked_id}").get_data(as_text=True)
    assert "Gunakan dana BOK." in task[task.index('id="return-note"') :][:800]


def test_the_return_note_is_at_the_top_above_the_forms_while_the_fix_is_awaited(app, world, client_as):
    with app.app_context():
        assignment_id = _returned(world, "Dikembalikan", note="Lampirkan SK penetapan tim.")
    client = client_as("opd_head")
    page = client.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    main = page[page.index("<main") :]
    assert 'id="return-note"' in main
    assert main.index('id="return-note"') < main.index("<form")  # above every form of the task
    note = main[main.index('id="return-note"') : main.index("</aside>")]
    assert "Perlu perbaikan: catatan dari Sekretariat" in note and "Lampirkan SK penetapan tim." in note
    assert "Test secretariat" in note

    with app.app_context():
        services.submit(as_user(world.users["opd_head"].id), assignment_id)
    assert 'id="return-note"' not in client.get(f"/assignments/{assignment_id}").get_data(as_text=True)


def test_no_return_note_on_a_task_never_returned(app, world, client_as):
    with app.app_context():
        assignment_id = dinkes_assignment(make_action(world)).id
    assert 'id="return-note"' not in client_as("opd_head").get(f"/assignments/{assignment_id}").get_data(as_text=True)


def test_a_plt_head_finds_the_other_opds_returned_task_first_among_my_tasks(app, world, client_as):
    """The DINKES head is also Plt. head of DP3AP2KB: its digest and one-click links cover both OPDs, and so does
    "Tugas saya", each task of the other OPD named so; the staff of DINKES see only DINKES's."""
    with app.app_context():
        db.session.execute(
            sa.update(Opd).where(Opd.id == world.opds["DP3AP2KB"]).values(head_id=world.users["opd_head"].id)
        )
        db.session.commit()
        head, secretariat = as_user(world.users["opd_head"].id), as_user(world.users["secretariat"].id)
        make_action(world, title="Tugas DINKES", support=(), due_in=3)
        other = make_action(world, lead="DP3AP2KB", support=(), title="Rumah aman korban kekerasan", due_in=20)
        services.acknowledge(head, other.assignments[0].id)
        link_report(world, other.assignments[0].id, percent=100)
        services.submit(head, other.assignments[0].id)
        services.verify(secretariat, other.assignments[0].id, accept=False, note="Lampirkan foto.")
    page = client_as("opd_head").get("/tasks").get_data(as_text=True)
    assert TITLES.findall(page) == ["Rumah aman korban kekerasan", "Tugas DINKES"]
    assert "1 perlu perbaikan" in _badges(page) and "2 masih berjalan" in _badges(page)
    assert "DP3AP2KB (Plt.)" in page
    assert TITLES.findall(client_as("opd_staff").get("/tasks").get_data(as_text=True)) == ["Tugas DINKES"]


def test_each_task_counted_as_needing_rework_says_so_on_its_card(app, world, client_as):
    """A returned task the OPD has reported progress on since is "in progress", and still awaits its fix: it is
    counted under "Perlu perbaikan", so its card says "Perlu perbaikan" too, once; the others' cards do not."""
    with app.app_context():
        make_action(world, title="Biasa", support=(), due_in=2)
        _returned(world, "Dikembalikan")
        worked_on = _returned(world, "Dikembalikan lalu dikerjakan", due_in=25)
        link_report(world, worked_on, percent=60)
    page = client_as("opd_head").get("/tasks").get_data(as_text=True)
    assert "2 perlu perbaikan" in _badges(page)
    cards = dict(
        (title, card)
        for card in re.findall(r'<li class="card task.*?</li>', page, re.S)
        for title in TITLES.findall(card)
    )
    assert [title for title, card in cards.items() if "Perlu perbaikan" in card] == [
        "Dikembalikan",
        "Dikembalikan lalu dikerjakan",
    ]
    assert cards["Dikembalikan lalu dikerjakan"].count("Perlu perbaikan") == 1
    assert "Sedang ditindaklanjuti" in cards["Dikembalikan lalu dikerjakan"]


def test_my_tasks_reads_its_cards_and_what_was_sent_back_in_one_statement(app, world, client_as):
    """The counts and the page are the two statements on assignments: the cards, with their action, forum and OPD
    and whether each was sent back, come as rows of one query (no statement of their own, no lazy loads)."""
    with app.app_context():
        make_action(world, title="Biasa", support=(), due_in=2)
        _returned(world, "Dikembalikan")
    client = client_as("opd_head")
    client.get("/tasks")
    with app.app_context(), QueryCounter(db.engine) as counter, reads_until_commit(app) as reads:
        page = client.get("/tasks?page=1").get_data(as_text=True)  # another address: rendered, not the kept page
    assert TITLES.findall(page) == ["Dikembalikan", "Biasa"]
    assert len(reads) == 2, reads
    # The user with its OPD and the data's version (the ETag) in one statement, the OPDs the user heads, and those
    # two: the governments are the worker's, read by the first request.
    assert counter.count == 4
