"""The forum page kept rendered below its title (forum/views.py:forum_view): a write shows at once, every reader
gets the page of what it sees and may do, in its language and on its day, with its own session's CSRF token, and
whether it may see the forum is asked on every request."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from forum import services
from tests.actions.helpers import make_action
from tests.conftest import as_user, login
from tests.forum.helpers import participant
from tests.reports.test_cache import versioned  # noqa: F401 (a fixture)

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)  # the forms carry real tokens


@pytest.fixture
def forum_id(app, world, versioned):  # noqa: F811
    with app.app_context():
        action = make_action(world, lead="DINKES", support=(), due_in=2)
        secretariat = as_user(world.users["secretariat"].id)
        services.add_participant(secretariat, action.recommendation.forum_id, **participant(world))
        return action.recommendation.forum_id


def _page(client, forum_id: int) -> str:
    response = client.get(f"/forums/{forum_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _statements(app, client, forum_id: int) -> list[str]:
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            _page(client, forum_id)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
    return statements


def test_the_page_is_kept_until_a_write_and_a_write_shows_at_once(app, world, client_as, forum_id):
    client = client_as("secretariat")
    assert "Dewi Lestari" in _page(client, forum_id)
    # Kept: the forum is read (whether it may be seen), its participants and follow-ups are not; and a forum of
    # the reader's own government is seen without the visibility's subqueries.
    statements = _statements(app, client, forum_id)
    tables = [re.search(r"\bFROM (\w+)", statement).group(1) for statement in statements]
    assert "forums" in tables and "data_version" in tables
    assert not {"participants", "recommendations", "actions", "assignments"} & set(tables), tables
    (forum,) = [statement for statement in statements if re.search(r"\bFROM forums\b", statement)]
    assert "participants" not in forum and "assignments" not in forum
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        services.add_participant(secretariat, forum_id, **participant(world, name="Budi Santoso"))
    page = _page(client, forum_id)
    assert "Budi Santoso" in page and "Dewi Lestari" in page


def test_each_session_gets_its_own_csrf_token_in_the_kept_page(app, world, client_as, forum_id):
    first, second = client_as("secretariat"), client_as("secretariat")  # two sessions of one reader
    tokens = []
    for client in (first, second):
        page = _page(client, forum_id)
        found = {a or b for a, b in TOKEN.findall(page)}
        assert len(found) == 1 and "csrf-token" not in page
        tokens.append(found.pop())
    assert tokens[0] != tokens[1]
    response = second.post(f"/forums/{forum_id}/status", data={"csrf_token": tokens[1], "status": "held"})
    assert response.status_code == 302  # the token put into the kept page is the session's own, and valid
    assert "badge-held" in _page(second, forum_id)


def test_readers_who_may_do_otherwise_or_read_another_language_get_their_own_page(app, world, client_as, forum_id):
    with app.app_context():
        colleague = as_user(world.users["secretariat"].id).__class__(
            email="sekretariat.en@example.org", name="Colleague", role="secretariat", locale="en"
        )
        colleague.government_id = as_user(world.users["secretariat"].id).government_id
        db.session.add(colleague)
        db.session.commit()
        colleague_id = colleague.id
    owner, viewer, english = client_as("secretariat"), client_as("viewer"), app.test_client()
    login(english, colleague_id)
    assert "Tambah peserta" in _page(owner, forum_id)
    assert "Tambah peserta" not in _page(viewer, forum_id)  # same government, a role that may not edit
    assert "Tambah peserta" in _page(owner, forum_id)
    page = _page(english, forum_id)  # the same reach and role, in English
    assert "Add participant" in page and "Tambah peserta" not in page


@pytest.mark.usefixtures("versioned")
def test_another_governments_reader_gets_its_own_page_and_one_that_may_not_see_the_forum_none(app, tree, client_as):
    world = tree.world
    with app.app_context():
        forum_id = make_action(world, lead="DINKES", support=()).recommendation.forum_id
    owner = client_as("secretariat")
    assert "Tambah peserta" in _page(owner, forum_id)
    province, sibling = app.test_client(), app.test_client()
    login(province, tree.users["prov_secretariat"])
    login(sibling, tree.users["kab_secretariat"])
    page = _page(province, forum_id)  # the province sees below it, and does not act there
    assert "Tambah peserta" not in page and "DINKES · " in page
    assert sibling.get(f"/forums/{forum_id}").status_code == 404  # asked each time, never read from the kept page


def test_the_kept_page_follows_the_day(app, world, client_as, forum_id, clock):
    client = client_as("secretariat")
    assert "terlambat" not in _page(client, forum_id)
    clock.set(clock.now() + timedelta(days=5))
    assert "terlambat 3 hari" in _page(client, forum_id)


def test_text_holding_the_old_slots_characters_never_gets_the_readers_token(app, world, client_as, forum_id):
    # Forms and the API strip NUL, and PostgreSQL refuses it; SQLite keeps what a command or an older release wrote.
    # Whatever a name holds, the reader's CSRF token goes only where the page's forms put it.
    slot = "\x00csrf-token\x00"
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(sa.exc.DataError):
                services.add_participant(secretariat, forum_id, **participant(world, name=f"Budi {slot} Santoso"))
            return
        services.add_participant(secretariat, forum_id, **participant(world, name=f"Budi {slot} Santoso"))
    client = client_as("secretariat")
    for _ in range(2):  # rendered, then kept
        page = _page(client, forum_id)
        (token,) = {a or b for a, b in TOKEN.findall(page)}
        assert f"Budi {token} Santoso" not in page and "Budi \x00csrf-token\x00 Santoso" in page
