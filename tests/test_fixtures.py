"""The suite's own shortcuts (tests/conftest.py): a fixture's rows copied in are the database its services write,
and are copied only onto the state they were written on."""

import sqlalchemy as sa

from accounts import services as accounts
from core.extensions import db
from core.permissions import SYSTEM
from tests import conftest


def _rows() -> dict[str, list[tuple]]:
    """Every table's rows, in the order of their primary keys."""
    tables = db.metadata.sorted_tables
    return {t.name: [tuple(row) for row in db.session.execute(t.select().order_by(*t.primary_key))] for t in tables}


def _fresh_app(make_app, backend, directory, **settings):
    """Another app on a fresh database: a new SQLite file, or the worker's PostgreSQL database emptied again."""
    directory.mkdir()
    return make_app(SQLALCHEMY_DATABASE_URI=conftest._fresh_database_url(backend, directory), **settings)


def test_a_world_copied_in_is_the_database_the_services_wrote(backend, make_app, tmp_path):
    app = make_app()
    with app.app_context():
        with db.engine.connect() as connection:
            fresh = conftest._state(connection)
        world = conftest._build_world()
        db.session.remove()
        with db.engine.connect() as connection:
            snapshot = conftest._take(connection, fresh, world)
            built = conftest._state(connection)
        written = _rows()
        db.session.remove()
    again = _fresh_app(make_app, backend, tmp_path / "again")
    with again.app_context():
        with db.engine.begin() as connection:
            assert conftest._state(connection) == fresh
            conftest._restore(connection, snapshot)
        with db.engine.connect() as connection:
            assert conftest._state(connection) == built
        assert _rows() == written
        # The ids go on from the world's (PostgreSQL's sequences are set too), and the heads of the OPDs hold.
        opd = accounts.create_opd(SYSTEM, code="BARU", name="OPD Baru", kind="dinas")
        assert opd.id == max(world.opds.values()) + 1
        dinkes = accounts.get_opd(world.opds["DINKES"])
        assert dinkes.head_id == world.users["opd_head"].id
        db.session.remove()


def test_rows_are_copied_only_onto_the_state_they_were_written_on(backend, make_app, tmp_path):
    builds = []

    def build():
        builds.append(1)
        accounts.create_opd(SYSTEM, code=f"PROBE{len(builds)}", name="Probe", kind="dinas")
        return {"builds": len(builds)}

    app = make_app()
    with app.app_context():
        assert conftest.built_once(app, "probe", build) == {"builds": 1}
        # The database now holds the probe's OPD: not the state the rows were written on, so the services run.
        assert conftest.built_once(app, "probe", build) == {"builds": 2}
        db.session.remove()
    again = _fresh_app(make_app, backend, tmp_path / "again")
    with again.app_context():
        assert conftest.built_once(again, "probe", build) == {"builds": 1}  # the first one's rows, copied
        assert len(builds) == 2
        codes = db.session.scalars(sa.select(sa.text("code")).select_from(sa.table("opds")))
        assert list(codes) == ["PROBE1"]
        db.session.remove()
    # Other settings are another key: their services may write other rows.
    other = _fresh_app(make_app, backend, tmp_path / "other", BABEL_DEFAULT_LOCALE="en")
    with other.app_context():
        assert conftest.built_once(other, "probe", build) == {"builds": 3}
        db.session.remove()
