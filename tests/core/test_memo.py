"""core.memo: a result is remembered while the data's version holds, forgotten when it moves, and bounded."""

from core import memo


def test_a_result_is_remembered_for_its_version_and_key_and_forgotten_when_the_version_moves(app):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with app.app_context():
        assert memo.remembered((1,), "count", compute) == 1
        assert memo.remembered((1,), "count", compute) == 1
        assert memo.remembered((1,), "other", compute) == 2  # another key is computed on its own
        assert memo.remembered((2,), "count", compute) == 3  # the data moved on
        assert memo.remembered((1,), "count", compute) == 4  # and the old version's entries are gone


def test_the_memo_holds_a_bounded_number_of_entries(app, monkeypatch):
    monkeypatch.setattr(memo, "MAX_ENTRIES", 3)
    with app.app_context():
        for key in range(10):
            memo.remembered((1,), key, lambda: object())
        assert len(app.extensions["kawal.memo"].entries) <= 3


def test_each_app_keeps_its_own(make_app):
    first, second = make_app(), make_app()
    with first.app_context():
        assert memo.remembered((1,), "k", lambda: "first") == "first"
    with second.app_context():
        assert memo.remembered((1,), "k", lambda: "second") == "second"


def test_the_version_moves_with_an_audited_change(app, world):
    from accounts import services as accounts
    from core.permissions import SYSTEM

    with app.app_context():
        before = memo.data_version("test_version")
        accounts.create_opd(SYSTEM, code="DISHUB", name="Dinas Perhubungan", kind="dinas")
        assert memo.data_version("test_version") != before


def test_a_change_that_commits_after_a_later_one_still_moves_the_version(app, backend):
    """An audit id is taken at insert, before commit: the earlier id's commit must move the version too."""
    import pytest
    import sqlalchemy as sa

    from core.extensions import db

    if backend.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    insert = sa.text("INSERT INTO audit_events (at, verb, entity_type, changes) VALUES (now(), 'update', 'x', '{}')")
    with app.app_context():
        with db.engine.connect() as slow, db.engine.connect() as quick:
            slow.execute(insert)  # takes the lower id, and stays open
            quick.execute(insert)
            quick.commit()
            while_open = memo.data_version("test_version")
            db.session.rollback()
            slow.commit()
        assert memo.data_version("test_version") != while_open
