"""The migrations are the schema: upgrading an empty database gives exactly the models, and they go back down."""

from flask_migrate import downgrade, upgrade


def test_upgrade_on_an_empty_database_leaves_no_drift(app):
    # The session's database was built by `flask db upgrade` from empty; `flask db check` compares it to the models.
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output  # the next test shows that drift makes it non-zero


def test_a_model_change_without_a_migration_is_drift(app):
    import sqlalchemy as sa

    from core.extensions import db

    extra = sa.Table("not_migrated", db.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        result = app.test_cli_runner().invoke(args=["db", "check"])
        assert result.exit_code != 0
    finally:
        db.metadata.remove(extra)


def test_downgrade_to_base_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        upgrade()
    assert app.test_cli_runner().invoke(args=["db", "check"]).exit_code == 0
