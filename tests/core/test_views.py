"""core/views.py: addresses that carry the query string over (issue 10, defect 1), the page-number helpers, and
id_url (one url_for for a list's rows)."""

import pytest
import sqlalchemy as sa
from flask import Flask, url_for

from core.extensions import db
from core.views import id_url, url_with
from tests.conftest import login


def test_url_with_keeps_the_path_changes_the_query_and_drops_reserved_names():
    app = Flask(__name__)
    app.add_url_rule("/forums/<int:forum_id>", "forum", lambda forum_id: "")
    app.add_url_rule("/export", "export", lambda: "")
    query = "/forums/5?forum_id=6&page=3&status=held&opd=1&opd=2&endpoint=x&_external=1&_scheme=x&_anchor=a&_method=x"
    with app.test_request_context(query):
        assert url_with(page=4) == "/forums/5?page=4&status=held&opd=1&opd=2"
        assert url_with(page=None, status="closed") == "/forums/5?status=closed&opd=1&opd=2"
        assert url_with("export", {"page": "2", "endpoint": "x", "q": "a b"}, page=None) == "/export?q=a+b"


@pytest.fixture
def demo(make_app):
    from accounts.models import User
    from demo import data

    app = make_app()
    with app.app_context():
        data.load()
        users = dict(db.session.execute(sa.select(User.email, User.id)).all())
        db.session.remove()
    return app, users


@pytest.mark.parametrize("email", ["sekretariat@example.org", "kepala.dinkes@example.org", "viewer@example.org"])
def test_the_follow_ups_pager_and_reserved_names_answer_for_every_role(demo, email):
    """Defect 1: the list's own pager link to ?page=2 answered 500, and so did ?endpoint=x."""
    app, users = demo
    client = app.test_client()
    login(client, users[email])
    first = client.get("/actions").get_data(as_text=True)
    assert 'href="/actions?page=2" rel="next"' in first
    second = client.get("/actions?page=2&status=")
    assert second.status_code == 200
    page = second.get_data(as_text=True)
    assert 'href="/reports/followups.xlsx?status="' in page
    assert 'href="/actions?page=1&amp;status=" rel="prev"' in page
    for url in [
        "/actions?endpoint=x",
        "/actions?page=2&endpoint=x&_external=1&_scheme=x&_anchor=x&_method=x",
        "/dashboard?endpoint=x&_scheme=x",
        "/reports/compliance?endpoint=x&sort=name",
    ]:
        assert client.get(url).status_code == 200, url
    assert 'href="/reports/followups.xlsx"' in client.get("/actions?endpoint=x").get_data(as_text=True)


def test_requeue_with_reserved_names_in_the_query_returns_to_the_log(demo):
    """Defect 1: POST /admin/delivery/<id>/requeue?endpoint=x answered 500, and the log's button carried it."""
    from notifications.models import MailStatus, OutboxMessage
    from notifications.services import queue_test_email
    from tests.conftest import as_user

    app, users = demo
    with app.app_context():
        row = queue_test_email(as_user(users["admin@example.org"]), "tidak-ada@example.org")
        row.status = MailStatus.DEAD  # as the dispatcher leaves a refused message
        db.session.commit()
        row_id = row.id
    client = app.test_client()
    login(client, users["sekretariat@example.org"])
    log = client.get("/admin/delivery?status=dead&endpoint=x").get_data(as_text=True)
    assert f'action="/admin/delivery/{row_id}/requeue?status=dead"' in log
    response = client.post(f"/admin/delivery/{row_id}/requeue?status=dead&endpoint=x&_scheme=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/delivery?status=dead"
    with app.app_context():
        assert db.session.get(OutboxMessage, row_id).status == MailStatus.PENDING


def test_an_id_url_gives_each_row_the_address_url_for_builds(app):
    with app.test_request_context("/", base_url="http://kawal.local/prefix"):
        task_url = id_url("actions.assignment_view", "assignment_id")
        for assignment_id in (1, 42, 2**31 - 1):
            assert task_url(assignment_id) == url_for("actions.assignment_view", assignment_id=assignment_id)
        assert task_url(7) == "/prefix/assignments/7"
        forum_url = id_url("forum.forum_view", "forum_id", tab="minutes")
        assert forum_url(3) == url_for("forum.forum_view", forum_id=3, tab="minutes") == "/prefix/forums/3?tab=minutes"


def test_select_options_marks_the_chosen_one_in_options_built_before():
    """The follow-ups list keeps its choices as built <option>s and marks the chosen one per request; the mark must
    be markup, not text (Markup.replace escapes a plain str)."""
    from core.views import options_html, select_options

    built = options_html([(2, "Prov. Banten"), (3, "Kab. <Serang>")])
    assert select_options(built, 3) == (
        '<option value="2">Prov. Banten</option><option value="3" selected>Kab. &lt;Serang&gt;</option>'
    )
    assert select_options([(2, "Prov. Banten")], "2") == '<option value="2" selected>Prov. Banten</option>'
