"""The government tree kept per web worker (accounts/governments.py:tree): read once while the data stays as it
is, a change of a government shown on the next page, and a request that adds one sees it before its commit."""

import sqlalchemy as sa

from accounts import governments
from accounts.models import Government, GovernmentKind
from core.extensions import db
from tests.conftest import QueryCounter, page_and_statements


def _tree_reads(app, client, url):
    page, statements = page_and_statements(app, client, url)
    return page, [s for s in statements if "FROM governments" in s and "time_zone" in s]


def test_the_tree_is_read_once_per_worker_until_a_government_changes(app, world, client_as):
    client = client_as("secretariat")
    client.get("/actions")
    page, reads = _tree_reads(app, client, "/actions")
    assert reads == []
    with app.app_context():  # behind the services' back: a write all the same, which moves the data version on
        db.session.execute(sa.update(Government).values(name="Pemerintah Kota Baru"))
        db.session.commit()
    page, reads = _tree_reads(app, client, "/actions")
    assert len(reads) == 1 and "Pemerintah Kota Baru" in page


def test_a_request_that_adds_a_government_sees_it_before_its_commit(app, world):
    with app.test_request_context("/"):
        known = set(governments.tree())
        added = Government(
            code="KAB-BARU", name="Pemerintah Kabupaten Baru", short_name="Kab. Baru",
            kind=GovernmentKind.KABUPATEN, time_zone="Asia/Jakarta",
        )  # fmt: skip
        db.session.add(added)
        db.session.flush()
        governments.forget()
        assert set(governments.tree()) == known | {added.id}
        db.session.rollback()
    with app.test_request_context("/"), QueryCounter(db.engine) as counter:
        assert set(governments.tree()) == known  # rolled back: the worker's copy is still the data's
        assert counter.count <= 2  # the data version, and the tree at most once
