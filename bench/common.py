"""An app on an emptied, migrated benchmark database; `python -m bench.common URL` creates a missing PostgreSQL
database (make serve and make bench need one on a new machine)."""

import sys

import sqlalchemy as sa

from app import create_app
from config import TestConfig, normalize_database_url
from core.extensions import db
from core.migrations import upgrade


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database that `url` names, if it does not exist yet."""
    url = sa.make_url(normalize_database_url(url))
    if url.get_backend_name() != "postgresql":
        return
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()


def fresh_app(url: str, *, empty: bool = True):
    """An app on `url`, migrated to the head; with empty=True the schema is dropped and migrated again first."""
    ensure_database(url)
    url = normalize_database_url(url)
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    if not empty:
        with app.app_context():
            upgrade()  # data kept from an earlier run (NATIONAL_GENERATE=0) meet today's schema
    if empty:
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as connection:
                    connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                    connection.exec_driver_sql("CREATE SCHEMA public")
            else:
                db.drop_all()
                with db.engine.begin() as connection:
                    connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            upgrade()
    return app


def empty_outbox() -> None:
    """Forget every planned reminder, so that planning starts as on the first day. TRUNCATE on PostgreSQL: after
    DELETE the dead rows and index entries of the previous run would slow the next one."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("TRUNCATE outbox_items, outbox"))
    else:
        db.session.execute(sa.text("DELETE FROM outbox_items"))
        db.session.execute(sa.text("DELETE FROM outbox"))
    db.session.commit()


if __name__ == "__main__":
    ensure_database(sys.argv[1])
