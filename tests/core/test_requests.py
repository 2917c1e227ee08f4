"""core/requests.py: NUL characters never reach a view, so PostgreSQL never refuses a text with one (a 500)."""

import sqlalchemy as sa

from core.extensions import db
from forum.models import Forum
from tests.forum.test_views import NEW_FORUM

NUL = "\x00"


def test_nul_in_a_query_string_is_dropped_before_the_view(client_as):
    client = client_as("secretariat")
    for url in [
        "/actions?theme=%00kesehatan&status=%00",
        "/forums?q=%00rapat",
        "/admin/delivery?q=%00a",
        "/dashboard?theme=a%00b",
    ]:
        assert client.get(url).status_code == 200, url


def test_nul_in_a_form_is_dropped_and_the_rest_is_kept(app, client_as):
    client = client_as("secretariat")
    response = client.post("/forums/new", data={**NEW_FORUM, "title": f"FGD{NUL} PPT{NUL}", "venue": NUL})
    assert response.status_code == 302
    with app.app_context():
        forum = db.session.scalar(sa.select(Forum))
        assert (forum.title, forum.venue) == ("FGD PPT", None)


def test_other_control_characters_in_a_form_are_dropped_but_line_breaks_and_tabs_stay(app, client_as):
    client = client_as("secretariat")
    data = {**NEW_FORUM, "title": "Judul\x0b\x1bkontrol\x01", "agenda": "Satu\r\nDua\tTiga"}
    assert client.post("/forums/new", data=data).status_code == 302
    with app.app_context():
        forum = db.session.scalar(sa.select(Forum))
        assert forum.title == "Judulkontrol"
        assert forum.agenda.replace("\r\n", "\n") == "Satu\nDua\tTiga"
