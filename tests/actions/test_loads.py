"""Acknowledging loads the assignment once, on the page and by the one-click link: the check and the service
share the object instead of reading it again."""

import re
from contextlib import contextmanager

import sqlalchemy as sa

from actions.models import Assignment, Status
from core.extensions import db
from notifications import links
from tests.actions.helpers import dinkes_assignment, make_action

READS_ASSIGNMENTS = re.compile(r"\bFROM assignments\b", re.IGNORECASE)


@contextmanager
def reads_until_commit(app):
    """The SQL statements that read the assignments table, up to the first commit of the request."""
    with app.app_context():
        engine = db.engine
    seen, committed = [], []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if not committed and READS_ASSIGNMENTS.search(statement):
            seen.append(statement)

    def on_commit(conn):
        committed.append(True)

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    sa.event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        sa.event.remove(engine, "commit", on_commit)


def _task(app, world):
    with app.app_context():
        return dinkes_assignment(make_action(world, support=())).id


def _status(app, assignment_id):
    with app.app_context():
        return db.session.get(Assignment, assignment_id).status


def test_the_acknowledge_page_loads_the_assignment_once(app, world, client_as):
    assignment_id = _task(app, world)
    head = client_as("opd_head")
    with reads_until_commit(app) as reads:
        response = head.post(f"/assignments/{assignment_id}/acknowledge", data={"pic_name": "dr. Maya"})
    assert response.status_code == 302
    assert _status(app, assignment_id) == Status.ACKNOWLEDGED
    assert len(reads) == 1, reads


def test_the_one_click_link_loads_the_assignment_once(app, world, client):
    assignment_id = _task(app, world)
    with app.app_context():
        token = links.acknowledge_token(assignment_id, world.users["opd_head"].id)
    with reads_until_commit(app) as reads:
        response = client.post(f"/a/{token}", data={"pic_name": "dr. Maya"})
    assert response.status_code == 200
    assert _status(app, assignment_id) == Status.ACKNOWLEDGED
    assert len(reads) == 1, reads
