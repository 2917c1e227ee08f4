"""`flask db …` and the schema's upgrade and downgrade, through Flask-Migrate, which imports Alembic (and with it Mako
and Pygments) as it loads: it is bound to the app only when something migrates, so that the web workers and the
reminder jobs, which never do, never load it."""

from pathlib import Path

import click
from flask import Flask, current_app

OPTIONS = {"compare_type": True, "render_as_batch": True}


def init_app(app: Flask) -> None:
    """Offer `flask db …`; Flask-Migrate is bound when one of its commands runs."""
    app.cli.add_command(MigrationCommands(app))


def bind(app: Flask) -> None:
    """Bind Flask-Migrate to `app`, once: what its commands, upgrade() and downgrade() read."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from core.extensions import db

    Migrate(app, db, directory=str(Path(app.root_path) / "migrations"), **OPTIONS)


def upgrade(revision: str = "head") -> None:
    """Upgrade the current app's database to `revision`."""
    import flask_migrate

    bind(current_app)
    flask_migrate.upgrade(revision=revision)


def downgrade(revision: str) -> None:
    """Downgrade the current app's database to `revision`."""
    import flask_migrate

    bind(current_app)
    flask_migrate.downgrade(revision=revision)


class MigrationCommands(click.Group):
    """Flask-Migrate's `db` group, its options and commands, imported when `flask db …` runs."""

    def __init__(self, app: Flask):
        super().__init__("db", help="Perform database migrations (Flask-Migrate).")
        self.app = app

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        from flask_migrate.cli import db

        bind(self.app)
        return db.make_context(info_name, args, parent, **extra)
