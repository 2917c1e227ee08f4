"""My tasks kept (actions/views.py:_tasks): the heading, counts, cards and pager are rendered once per user,
language, day and address while the data stays as it is; a write shows at once, and nobody gets another's page."""

from datetime import timedelta

import sqlalchemy as sa

from accounts.models import User
from actions import services
from actions.models import Action
from core.extensions import db
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user, page_and_statements


def test_my_tasks_is_kept_until_a_write_and_a_write_shows_at_once(app, world, client_as):
    with app.app_context():
        action_id = make_action(world, title="Layanan keswa tersedia", support=()).id
    client = client_as("opd_head")
    first = client.get("/tasks").get_data(as_text=True)
    again, statements = page_and_statements(app, client, "/tasks")
    assert again == first and "Layanan keswa tersedia" in again
    assert not [s for s in statements if "FROM assignments" in s or "FROM opds" in s], statements
    with app.app_context():
        due = db.session.get(Action, action_id).due_date
        services.update_action(
            as_user(world.users["secretariat"].id), action_id, title="Judul baru", description=None, due_date=due,
            reason="Diperjelas",
        )  # fmt: skip
    changed = client.get("/tasks").get_data(as_text=True)
    assert "Judul baru" in changed and "Layanan keswa tersedia" not in changed


def test_my_tasks_is_kept_per_user_language_day_and_address(app, world, client_as, clock):
    with app.app_context():
        make_action(world, title="Tugas Dinkes saja", support=(), due_in=1)
        make_action(world, title="Tugas bersama", lead="DP3AP2KB", support=("DINKES",), due_in=3)
    head = client_as("opd_head")
    assert "Tugas Dinkes saja" in head.get("/tasks").get_data(as_text=True)
    # Another OPD's head, right after: only its own tasks, never the page kept for DINKES.
    other = client_as("other_head").get("/tasks").get_data(as_text=True)
    assert "Tugas bersama" in other and "Tugas Dinkes saja" not in other
    # The next day, the task due tomorrow is due today: the kept page is not that day's.
    assert "(1 hari lagi)" in head.get("/tasks").get_data(as_text=True)
    clock.set(clock.now() + timedelta(days=1))
    assert "(tenggat hari ini)" in head.get("/tasks").get_data(as_text=True)
    # Another page of the list is its own address.
    assert "Tugas Dinkes saja" not in head.get("/tasks?page=2").get_data(as_text=True)
    # Another language, set behind the services' back: the user's row is data, so its change is a write.
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == world.users["opd_head"].id).values(locale="en"))
        db.session.commit()
    assert "My tasks" in head.get("/tasks").get_data(as_text=True)


def test_my_tasks_checks_the_permission_on_every_request(app, world, client_as):
    with app.app_context():
        make_action(world, title="Tugas Dinkes saja", support=())
    head = client_as("opd_head")
    assert head.get("/tasks").status_code == 200
    with app.app_context():  # deactivated: the session ends, the kept page is not shown
        db.session.execute(sa.update(User).where(User.id == world.users["opd_head"].id).values(active=False))
        db.session.commit()
    assert head.get("/tasks").status_code == 302


def test_a_task_finished_30_days_ago_stays_the_whole_day(app, world, client_as, clock):
    with app.app_context():
        task = dinkes_assignment(make_action(world, title="Tugas selesai", support=()))
        db.session.execute(
            sa.text("UPDATE assignments SET status = 'done', updated_at = :at WHERE id = :id"),
            {"at": clock.now(), "id": task.id},
        )
        db.session.commit()
    head = client_as("opd_head")
    clock.set(clock.now() + timedelta(days=30, minutes=1))  # 30 days and a minute: still within that day's list
    assert "Tugas selesai" in head.get("/tasks").get_data(as_text=True)
    clock.set(clock.now() + timedelta(days=1))
    assert "Tugas selesai" not in head.get("/tasks").get_data(as_text=True)
