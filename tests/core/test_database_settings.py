"""Settings every PostgreSQL connection of the app gets."""

import sqlalchemy as sa

from core.extensions import db


def test_postgresql_connections_run_without_jit(app, backend):
    """JIT compiled the task lists' statements on every request (tens of milliseconds each); app.py turns it off."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"] or (
                "options" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
            )
            return
        assert db.session.scalar(sa.text("SHOW jit")) == "off"
