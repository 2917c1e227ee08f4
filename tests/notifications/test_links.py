"""One-click acknowledgement: GET shows, POST acknowledges, nobody is logged in, bad tokens get a clear page."""

import logging
from datetime import timedelta

import pytest

from accounts import services as accounts
from actions.models import Assignment, Status
from core.extensions import db
from core.permissions import SYSTEM
from notifications import links
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import opd_values


@pytest.fixture
def task(app, world):
    with app.app_context():
        assignment = dinkes_assignment(make_action(world, support=()))
        return assignment.id, links.acknowledge_token(assignment.id, world.users["opd_head"].id, assignment.opd_id)


def _status(app, assignment_id):
    with app.app_context():
        return db.session.get(Assignment, assignment_id).status


def test_get_and_head_only_show_the_task(app, client, task):
    assignment_id, token = task
    page = client.get(f"/a/{token}")
    assert page.status_code == 200
    assert "Terima tugas" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert client.head(f"/a/{token}").status_code == 200
    assert _status(app, assignment_id) == Status.ASSIGNED  # mail scanners prefetch links: nothing happened


def test_post_acknowledges_once_and_logs_nobody_in(app, client, task):
    assignment_id, token = task
    done = client.post(f"/a/{token}", data={"pic_name": "dr. Maya"})
    assert done.status_code == 200 and "Tugas diterima." in done.get_data(as_text=True)
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        assert (assignment.status, assignment.pic_name) == (Status.ACKNOWLEDGED, "dr. Maya")
    again = client.post(f"/a/{token}", data={})
    assert "sudah diterima sebelumnya" in again.get_data(as_text=True)
    assert client.get("/tasks").status_code == 302  # still anonymous


@pytest.mark.parametrize("mangle", ["tamper", "other_purpose", "garbage"])
def test_bad_tokens_get_a_clear_page(app, client, task, mangle):
    assignment_id, token = task
    if mangle == "tamper":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif mangle == "other_purpose":
        with app.app_context():
            from forum.attendance_import import _serializer

            token = _serializer().dumps({"a": assignment_id, "u": 3})
    else:
        token = "%%%"
    for method in ("get", "post"):
        response = getattr(client, method)(f"/a/{token}")
        assert response.status_code == 410
        assert "Tautan ini tidak sah atau sudah kedaluwarsa" in response.get_data(as_text=True)
    assert _status(app, assignment_id) == Status.ASSIGNED


def test_links_expire_by_the_clock(app, client, task, clock):
    assignment_id, token = task
    clock.set(clock.now() + timedelta(days=14, minutes=1))
    assert client.post(f"/a/{token}").status_code == 410
    assert _status(app, assignment_id) == Status.ASSIGNED


def test_a_token_for_one_task_cannot_acknowledge_another(app, client, world, task):
    _, token = task
    with app.app_context():
        other = dinkes_assignment(make_action(world, support=(), title="Lain"))
        other_id = other.id
    client.post(f"/a/{token}")
    assert _status(app, other_id) == Status.ASSIGNED


def test_a_head_replaced_since_the_email_cannot_use_it(app, client, world, task):
    assignment_id, token = task
    with app.app_context():
        opd = accounts.get_opd(world.opds["DINKES"])
        accounts.update_opd(SYSTEM, opd.id, **opd_values(opd, parent_id=None, email=None, head_id=None, active=True))
    response = client.post(f"/a/{token}")
    assert response.status_code == 410 and "bukan lagi kepalanya" in response.get_data(as_text=True)
    assert _status(app, assignment_id) == Status.ASSIGNED


@pytest.mark.parametrize("names_its_opd", [True, False], ids=["link", "link-made-before-links-named-the-opd"])
def test_a_task_moved_to_another_opd_says_so(app, client, world, task, names_its_opd):
    assignment_id, token = task
    with app.app_context():
        from actions import services as actions

        if not names_its_opd:
            token = links.acknowledge_token(assignment_id, world.users["opd_head"].id)
        actions.reassign(SYSTEM, assignment_id, world.opds["DISDUKCAPIL"], "Kewenangan Disdukcapil")
    for method in ("get", "post"):
        response = getattr(client, method)(f"/a/{token}")
        text = response.get_data(as_text=True)
        assert response.status_code == 410 and "dipindahkan ke OPD lain (DISDUKCAPIL)" in text
        assert "kepala DISDUKCAPIL" not in text  # the link was never sent to that OPD's head
    assert _status(app, assignment_id) == Status.ASSIGNED


@pytest.mark.parametrize(
    "data",
    [{"a": 2**63, "u": 1}, {"a": 1, "u": 10**30}, {"a": 1, "u": 1, "o": 2**31}, {"a": 0, "u": 1}, {"a": True, "u": 1}],
)
def test_a_signed_token_with_an_impossible_id_is_a_bad_link(app, client, task, data):
    with app.app_context():
        token = links._serializer(links.ACKNOWLEDGE_SALT).dumps(data)
    for method in ("get", "post"):
        response = getattr(client, method)(f"/a/{token}")
        assert response.status_code == 410
        assert "Tautan ini tidak sah atau sudah kedaluwarsa" in response.get_data(as_text=True)


def test_a_cancelled_task_says_so(app, client, world, task):
    assignment_id, token = task
    with app.app_context():
        from actions import services as actions

        actions.cancel_assignment(SYSTEM, assignment_id, "Tidak relevan")
    response = client.get(f"/a/{token}")
    assert response.status_code == 410 and "sudah dibatalkan" in response.get_data(as_text=True)


def test_tokens_never_reach_the_access_log(caplog, client, task):
    _, token = task
    caplog.set_level(logging.INFO)
    logging.getLogger("werkzeug").info('127.0.0.1 - - "%s %s %s" %s -', "GET", f"/a/{token}", "HTTP/1.1", "200")
    assert token not in caplog.text and "/a/[token]" in caplog.text
    logging.getLogger("gunicorn.access").info("%(r)s", {"r": f"GET /a/{token} HTTP/1.1"})
    assert token not in caplog.text and caplog.text.count("/a/[token]") == 2


def test_a_link_that_loses_a_race_says_so_and_saves_nothing(app, client, world, task, monkeypatch):
    """Another request changes the task between the link's check and its commit: a 409 page, not a 500."""
    from actions import services as actions
    from notifications import policy, services

    assignment_id, token = task
    with app.app_context():  # the settings row exists (on SQLite, a request that wrote it would hold the lock)
        policy.current()
        db.session.commit()
    real = services.check_link

    def another_request_after_the_check(token):
        check = real(token)
        with app.app_context():  # the secretariat cancels meanwhile, in its own session
            actions.cancel_assignment(SYSTEM, assignment_id, "Tidak relevan")
            db.session.remove()
        return check

    monkeypatch.setattr(services, "check_link", another_request_after_the_check)
    response = client.post(f"/a/{token}", data={"pic_name": "dr. Maya"})
    assert response.status_code == 409 and response.headers["Cache-Control"] == "no-store"
    assert "pada saat yang sama" in response.get_data(as_text=True)
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        assert (assignment.status, assignment.pic_name) == (Status.CANCELLED, None)


@pytest.mark.parametrize("second_browser", [False, True])
def test_a_stale_post_on_an_emailed_link_shows_the_links_page_as_it_stands(make_app, world, second_browser):
    """A second POST on a used one-click link or set-password link, from another browser (no session, so no CSRF
    token that matches), is no "form expired" error page: it shows the link's page as it is now, in Indonesian."""
    import re
    from urllib.parse import urlsplit

    from tests.actions.helpers import dinkes_assignment, make_action
    from tests.conftest import as_user

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        assignment = dinkes_assignment(make_action(world, support=()))
        acknowledge = urlsplit(links.acknowledge_url(assignment.id, world.users["opd_head"].id)).path
        user = accounts.create_user(SYSTEM, password=None, email="nadia@example.org", name="Nadia", role="viewer")
        set_password = f"/account/set-password/{accounts.password_link_token(as_user(user.id))}"
    client = app.test_client()
    answers = []
    for url, data in (
        (acknowledge, {}),
        (set_password, {"password": "panjang-sekali-1", "confirm": "panjang-sekali-1"}),
    ):
        page = client.get(url).get_data(as_text=True)
        data["csrf_token"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
        assert client.post(url, data=data).status_code in (200, 302)
        again = (app.test_client() if second_browser else client).post(url, data=data, follow_redirects=True)
        answers.append((again.status_code, again.get_data(as_text=True)))
    (ack_status, ack_page), (set_status, set_page) = answers
    assert ack_status == 200 and "Tugas ini sudah diterima" in ack_page
    assert set_status == 410 and "sudah kedaluwarsa atau sudah dipakai" in set_page
    if second_browser:
        assert "Halaman ini sudah kedaluwarsa" in ack_page and "Formulir sudah kedaluwarsa" not in ack_page
