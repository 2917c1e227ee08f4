"""The dashboard's cached figures (core.data_version): a write shows at once, a government never gets another's
figures from the cache, and a page read again from the cache runs fewer queries."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from actions.models import Assignment, Status
from core import data_version
from core.data_version import DataVersion
from core.extensions import db
from core.permissions import SYSTEM
from core.views import options_html
from forum import services as forums
from notifications.models import OutboxItem
from reports import services
from tests.conftest import QueryCounter, as_user, login
from tests.reports.test_governments import FGD, PIP, work  # noqa: F401 (a fixture)


@pytest.fixture
def versioned(app):
    """The version's row, which the PostgreSQL tests' emptying of every table removes."""
    with app.app_context():
        if db.session.get(DataVersion, 1) is None:
            db.session.add(DataVersion(id=1, version=1))
            db.session.commit()
        db.session.remove()


def _open_tasks(user_id: int) -> int:
    return services.dashboard(as_user(user_id), services.ReportFilters()).tiles.open


def test_a_commit_that_writes_moves_the_version_on_and_a_read_does_not(app, tree, versioned):
    with app.app_context():
        before = data_version.current()
        forums.all_series(SYSTEM)
        db.session.commit()
        assert data_version.current() == before
        forums.create_forum(
            SYSTEM,
            government_id=tree.govs["kab"],
            kind="fgd",
            title="Rapat",
            starts_at=datetime(2025, 12, 1, tzinfo=UTC),
        )
        assert data_version.current() == before + 1


def test_a_savepoint_rolled_back_keeps_the_writes_before_it(app, tree, versioned):
    # As the dispatcher makes each email in a savepoint, rolled back when it cannot be made.
    with app.app_context():
        before = data_version.current()
        db.session.execute(sa.update(Assignment).values(status=Status.ASSIGNED))
        db.session.begin_nested().rollback()
        db.session.commit()
        assert data_version.current() == before + 1


def test_writing_only_mail_leaves_the_version(app, tree, versioned):
    with app.app_context():
        before = data_version.current()
        db.session.execute(sa.delete(OutboxItem))
        db.session.commit()
        assert data_version.current() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE outbox_items SET dropped = dropped WHERE id = 0",  # as notifications.content writes items' states
        '  update "outbox_items" AS item SET dropped = dropped WHERE item.id = 0',
        "DELETE FROM audit_events WHERE id = 0",
    ],
)
def test_raw_sql_writing_only_mail_leaves_the_version(app, tree, versioned, statement):
    # Every digest sent on PostgreSQL writes its items' states in one raw UPDATE: moving the version for it
    # emptied every worker's caches, and changed every list's ETag, for each email of a run.
    with app.app_context():
        before = data_version.current()
        db.session.execute(sa.text(statement))
        db.session.commit()
        assert data_version.current() == before


@pytest.mark.parametrize(
    "statement",
    [
        "WITH late AS (SELECT id FROM assignments) UPDATE assignments SET id = id",
        "EXPLAIN ANALYZE UPDATE assignments SET id = id",
        "EXPLAIN (ANALYZE, BUFFERS) UPDATE assignments SET id = id",
        "SELECT 1; UPDATE assignments SET id = id",
    ],
)
def test_raw_sql_that_writes_behind_a_read_moves_the_version_on(app, tree, versioned, statement):
    with app.app_context():
        if db.engine.dialect.name == "sqlite" and not statement.startswith("WITH"):
            # SQLite runs one statement at a time and has no EXPLAIN ANALYZE: the same text is judged a write.
            assert data_version._may_write_cached(statement)
            return
        before = data_version.current()
        db.session.execute(sa.text(statement))
        db.session.commit()
        assert data_version.current() == before + 1


def test_a_change_of_a_task_shows_on_the_next_dashboard(app, tree, work, versioned):  # noqa: F811
    kab = tree.users["kab_secretariat"]
    with app.app_context():
        assert _open_tasks(kab) == 2
        with QueryCounter(db.engine) as cached:
            assert _open_tasks(kab) == 2
        assert cached.count < 5  # the version, the headless OPDs: the aggregates come from the cache
        assignment = next(a for a in services.dashboard(as_user(kab), services.ReportFilters()).most_overdue)
        db.session.get(Assignment, assignment.id).status = Status.DONE
        db.session.commit()
        assert _open_tasks(kab) == 1


def test_a_bulk_update_shows_on_the_next_dashboard(app, tree, work, versioned):  # noqa: F811
    kab = tree.users["kab_secretariat"]
    with app.app_context():
        assert _open_tasks(kab) == 2
        db.session.execute(sa.update(Assignment).values(status=Status.DONE))
        db.session.commit()
        assert _open_tasks(kab) == 0


def test_a_government_never_gets_anothers_figures_from_the_cache(app, tree, work, versioned):  # noqa: F811
    with app.app_context():
        province = services.dashboard(as_user(tree.users["prov_secretariat"]), services.ReportFilters())
        kab = services.dashboard(as_user(tree.users["kab_secretariat"]), services.ReportFilters())
        kota = services.dashboard(as_user(tree.world.users["secretariat"].id), services.ReportFilters())
        again = services.dashboard(as_user(tree.users["prov_secretariat"]), services.ReportFilters())
    assert province.tiles.open == again.tiles.open == 5
    assert (kab.tiles.open, kota.tiles.open) == (2, 2)
    assert sorted(title for _id, title, _done, _total in kab.per_forum) == [FGD, PIP]
    assert province.rollup and not kab.rollup


def test_the_cached_dashboard_names_the_opds_for_each_reader(app, tree, work, versioned):  # noqa: F811
    """The province and the kabupaten share no entry: the kabupaten reads its own OPDs bare, the province with
    their government's name."""
    for who, shown in (("prov_secretariat", "DINKES · Kab. Serang"), ("kab_secretariat", ">DINKES<")):
        client = app.test_client()
        login(client, tree.users[who])
        assert shown in client.get("/dashboard").get_data(as_text=True)


def test_the_dashboards_html_is_kept_per_language_and_drawn_again_after_a_write(app, tree, work, versioned):  # noqa: F811
    client = app.test_client()
    login(client, tree.users["kab_secretariat"])
    tile = re.compile(r'id="tile-open"[^>]*><strong>(\d+)<')
    first = client.get("/dashboard").get_data(as_text=True)
    assert tile.search(first)[1] == "2" and "Done this month" not in first
    client.post("/language", data={"locale": "en"})
    english = client.get("/dashboard").get_data(as_text=True)
    assert "Done this month" in english
    with app.app_context():
        db.session.execute(sa.update(Assignment).values(status=Status.DONE))
        db.session.commit()
    assert tile.search(client.get("/dashboard").get_data(as_text=True))[1] == "0"


def test_the_kept_series_and_theme_choices_take_a_new_one_at_once_and_stay_per_reach(app, tree, work, versioned):  # noqa: F811
    with app.app_context():
        kab, kota = as_user(tree.users["kab_secretariat"]), as_user(tree.world.users["secretariat"].id)
        assert [s.title for s in forums.all_series(kab)] == []
        assert "jiwa" not in forums.theme_names()
        forums.create_series(kab, title="Rapat Evaluasi Kabupaten")
        recommendation = forums.add_recommendation(SYSTEM, work[PIP], text="Keswa", themes=["jiwa"])
        assert recommendation.id
        assert [s.title for s in forums.all_series(kab)] == ["Rapat Evaluasi Kabupaten"]
        assert "Rapat Evaluasi Kabupaten" not in [s.title for s in forums.all_series(kota)]
        assert "jiwa" in forums.theme_names()


def test_the_dashboards_filter_options_are_built_once_until_a_write_and_per_reach(app, tree, versioned, monkeypatch):
    from reports import views

    built = []
    monkeypatch.setattr(views, "options_html", lambda rows: built.append(1) or options_html(rows))
    kab, kota = app.test_client(), app.test_client()
    login(kab, tree.users["kab_secretariat"])
    login(kota, tree.world.users["secretariat"].id)
    with app.app_context():
        forums.create_series(as_user(tree.users["kab_secretariat"]), title="Rapat Evaluasi Kabupaten")
    assert "Rapat Evaluasi Kabupaten" in kab.get("/dashboard").get_data(as_text=True)
    first = len(built)
    assert "Rapat Evaluasi Kabupaten" in kab.get("/dashboard").get_data(as_text=True)
    assert len(built) == first  # kept, not built again
    assert "Rapat Evaluasi Kabupaten" not in kota.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        forums.create_series(as_user(tree.users["kab_secretariat"]), title="Musrenbang Kabupaten")
    page = kab.get("/dashboard?series=1").get_data(as_text=True)
    assert "Musrenbang Kabupaten" in page and 'value="1" selected' in page


def test_nothing_is_kept_of_a_transactions_writes_before_they_are_committed(app, world, versioned):
    # A request that wrote, then rendered a kept piece, then rolled back (a service that flushed and raised, a view
    # that shows the form again) must leave no piece of what never was: the version did not move.
    from accounts.models import Opd

    def name():
        return db.session.scalar(sa.select(Opd.name).where(Opd.id == world.opds["DINKES"]))

    with app.test_request_context():
        db.session.get(Opd, world.opds["DINKES"]).name = "Dinas yang tidak pernah ada"
        db.session.flush()
        assert data_version.cached("names", None, name) == "Dinas yang tidak pernah ada"
        db.session.rollback()
    with app.test_request_context():
        assert data_version.cached("names", None, name) == "Dinas Kesehatan"
