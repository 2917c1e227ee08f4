"""An app on an emptied, migrated benchmark database."""

from flask_migrate import upgrade

from app import create_app
from config import TestConfig, normalize_database_url
from core.extensions import db


def fresh_app(url: str, *, empty: bool = True):
    """An app on `url`; with empty=True the schema is dropped and migrated again first."""
    url = normalize_database_url(url)
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
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
