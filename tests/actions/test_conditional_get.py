"""Conditional GET on the task lists (core/conditional.py): an unchanged page answers 304 with no body, and any
change to what it shows (a task, the language, the day, a pending message, the filters, the user) gives it anew."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts import services as accounts
from accounts.models import User
from actions import services
from actions.models import Action
from core.extensions import db
from core.permissions import SYSTEM, Role
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import PASSWORD, QueryCounter, as_user, login

PAGES = [("/actions", "secretariat"), ("/tasks", "opd_head")]


@pytest.fixture
def task(app, world):
    with app.app_context():
        action = make_action(world, title="Layanan keswa tersedia")
        return dinkes_assignment(action).id, action.id


def _again(client, url, first):
    return client.get(url, headers={"If-None-Match": first.headers["ETag"]})


@pytest.mark.parametrize("url, role", PAGES)
def test_an_unchanged_list_answers_304_without_a_body_and_asks_to_be_revalidated(app, task, client_as, url, role):
    client = client_as(role)
    first = client.get(url)
    assert first.status_code == 200 and "Layanan keswa tersedia" in first.get_data(as_text=True)
    assert first.headers["ETag"] and first.headers["Cache-Control"] == "private, no-cache"
    with app.app_context(), QueryCounter(db.engine) as counted:
        second = _again(client, url, first)
    assert second.status_code == 304 and second.data == b""
    assert second.headers["ETag"] == first.headers["ETag"]
    # The user's row, the government tree (today in the user's zone) and the data's version: neither the list's
    # queries nor its template ran.
    assert counted.count <= 3


@pytest.mark.parametrize("url, role", PAGES)
def test_a_changed_task_gives_the_list_anew(app, world, task, client_as, clock, url, role):
    _, action_id = task
    client = client_as(role)
    first = client.get(url)
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        due = db.session.get(Action, action_id).due_date
        services.update_action(
            secretariat, action_id, title="Judul baru", description=None, due_date=due, reason="Diperjelas"
        )
    second = _again(client, url, first)
    assert second.status_code == 200 and "Judul baru" in second.get_data(as_text=True)
    assert second.headers["ETag"] != first.headers["ETag"]
    with app.app_context():
        # A task changed without an audit row (as a job might) changes the list's version too.
        clock.set(clock.now() + timedelta(minutes=1))
        db.session.execute(sa.text("UPDATE assignments SET updated_at = :at"), {"at": clock.now()})
        db.session.commit()
    assert _again(client, url, second).status_code == 200


@pytest.mark.parametrize("url, role", PAGES)
def test_another_language_or_the_next_day_gives_the_list_anew(app, world, task, client_as, clock, url, role):
    client = client_as(role)
    first = client.get(url)
    with app.app_context():  # not through the service, which also writes the audit trail
        db.session.execute(sa.update(User).where(User.id == world.users[role].id).values(locale="en"))
        db.session.commit()
    english = _again(client, url, first)
    assert english.status_code == 200 and english.headers["ETag"] != first.headers["ETag"]
    assert _again(client, url, english).status_code == 304
    clock.set(clock.now() + timedelta(days=1))
    next_day = _again(client, url, english)
    assert next_day.status_code == 200 and next_day.headers["ETag"] != english.headers["ETag"]


def test_other_filters_a_pending_message_or_another_user_never_get_the_304(app, world, task, client_as):
    client = client_as("secretariat")
    first = client.get("/actions")
    assert _again(client, "/actions?overdue=1", first).status_code == 200
    assert _again(client, "/actions?page=2", first).status_code == 200
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Tersimpan.")]
    shown = _again(client, "/actions", first)
    assert shown.status_code == 200 and "Tersimpan." in shown.get_data(as_text=True)
    assert _again(client, "/actions", shown).status_code == 304  # the message was shown once
    # Another secretariat of the same government, who sees the very same rows, with this user's ETag.
    with app.app_context():
        other = accounts.create_user(
            SYSTEM,
            password=PASSWORD,
            email="secretariat.two@example.org",
            name="Test secretariat two",
            role=Role.SECRETARIAT,
            opd_id=world.opds["BAPPEDA"],
        ).id
    other_client = client_as(None)
    login(other_client, other)
    assert _again(other_client, "/actions", shown).status_code == 200


def test_a_new_session_of_the_same_user_gets_its_own_etag(app, task, client_as):
    first = client_as("secretariat").get("/actions")
    again = _again(client_as("secretariat"), "/actions", first)  # another browser: another CSRF token
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]


def test_the_list_remembers_its_results_and_choices_until_the_data_changes(app, world, task, client_as):
    client = client_as("secretariat")
    client.get("/actions")
    statements = []
    with app.app_context():
        listen = sa.event.listens_for(db.engine, "before_cursor_execute")(
            lambda _conn, _cursor, statement, *_: statements.append(" ".join(statement.split()))
        )
        page = client.get("/actions").get_data(as_text=True)
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    # Only the data's version reads the tasks: no count, no page of rows, no OPDs, series or themes to filter by.
    assert [s for s in statements if "assignments" in s] == [
        s for s in statements if "max(assignments.updated_at)" in s
    ]
    assert not [s for s in statements if "ORDER BY opds.code" in s or "FROM series" in s or "FROM themes" in s]
    assert "2 tugas" in page and "Layanan keswa tersedia" in page
    with app.app_context():
        accounts.create_opd(SYSTEM, code="DISHUB", name="Dinas Perhubungan", kind="dinas")
        make_action(world, title="Tugas kedua", lead="DISDUKCAPIL", support=())
    page = client.get("/actions").get_data(as_text=True)
    assert "3 tugas" in page and "Tugas kedua" in page and ">DISHUB</option>" in page
    # Another language is rendered for itself.
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == world.users["secretariat"].id).values(locale="en"))
        db.session.commit()
    assert "3 tasks" in client.get("/actions").get_data(as_text=True)


@pytest.mark.parametrize("url, role", PAGES)
def test_a_copy_from_before_a_restart_is_not_confirmed(app, make_app, task, client_as, url, role):
    # A new release (other templates) or a database made anew (its version starts again at 1, its ids too) comes
    # with a restart: the browser's copy from before it must not be confirmed by the data's version alone.
    client = client_as(role)
    first = client.get(url)
    restarted = make_app().test_client()
    restarted.set_cookie("session", client.get_cookie("session").value)
    again = restarted.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    assert restarted.get(url, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304


def test_the_lists_filter_form_is_kept_with_its_results_and_marks_each_addresss_choice(app, world, task, client_as):
    counted = []
    select_options = app.jinja_env.globals["select_options"]

    def counting(*args, **kwargs):
        counted.append(args)
        return select_options(*args, **kwargs)

    app.jinja_env.globals["select_options"] = counting
    try:
        client = client_as("secretariat")
        client.get("/actions")
        drawn = len(counted)
        kept = client.get("/actions").get_data(as_text=True)
        assert drawn and len(counted) == drawn  # the form came with the kept results: no choice drawn again
        opd = world.opds["DINKES"]
        filtered = client.get(f"/actions?opd={opd}").get_data(as_text=True)
    finally:
        app.jinja_env.globals["select_options"] = select_options
    assert f'<option value="{opd}" selected' in filtered and f'<option value="{opd}" selected' not in kept


@pytest.mark.parametrize("url, role", PAGES)
def test_the_etag_is_digested_again_only_when_rendering_changed_the_session(
    app, task, client_as, url, role, monkeypatch
):
    from core import conditional

    digested = []
    page_etag = conditional.page_etag
    monkeypatch.setattr(conditional, "page_etag", lambda version: digested.append(version) or page_etag(version))
    client = client_as(role)
    with client.session_transaction() as session:
        session.pop("csrf_token", None)
    first = client.get(url)  # the page's forms make the session's CSRF token: tagged with it
    assert len(digested) == 2
    again = client.get(url)
    assert len(digested) == 3 and again.headers["ETag"] == first.headers["ETag"]
    assert _again(client, url, again).status_code == 304
