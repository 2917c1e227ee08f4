"""The migrations are the schema: upgrading an empty database gives exactly the models, and they go back down."""

import os
import subprocess
import sys
from pathlib import Path

from core.migrations import downgrade, upgrade


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


def _pages(app, world, urls):
    """The bodies of these pages as each of two roles sees them, without the per-session CSRF tokens."""
    import re

    from tests.conftest import login

    bodies = {}
    for role in ("admin", "secretariat", "opd_head"):
        client = app.test_client()
        login(client, world.users[role].id)
        for url in urls:
            response = client.get(url)
            bodies[role, url] = (response.status_code, re.sub(r'name="csrf_token"[^>]*', "", response.text))
    return bodies


def test_an_upgrade_from_the_previous_head_keeps_every_row_and_gives_the_same_pages(app, world):
    """A database at the head before governments (e5c3f2a1b432), with its data, goes to one government made from
    KAWAL_PEMDA_NAME; every OPD, user, forum, setting and cuti bersama day lands in it and the pages do not change."""
    from datetime import date

    import sqlalchemy as sa

    from accounts.models import Government, Opd, User
    from core.calendar import CollectiveLeave
    from core.extensions import db
    from core.permissions import SYSTEM
    from forum.models import Forum
    from notifications import services as notifications
    from notifications.models import ReminderSettings
    from tests.actions.helpers import make_action

    with app.app_context():
        action = make_action(world)
        forum_id, action_id = action.recommendation.forum_id, action.id
        assignment_id = action.assignments[0].id
        notifications.update_settings(SYSTEM, **_settings(send_time="08:15", escalation_email="sekda@example.org"))
        notifications.add_collective_leave(SYSTEM, date(2025, 12, 26), "Cuti bersama Natal")
        # The upgrade makes every admin the instance admin: so is this one before it, for the pages to compare.
        db.session.get(User, world.users["admin"].id).manages_instance = True
        db.session.commit()
        db.session.remove()
    urls = [
        "/forums",
        f"/forums/{forum_id}",
        f"/actions/{action_id}",
        f"/assignments/{assignment_id}",
        "/actions",
        "/tasks",
        "/dashboard",
        "/reports/compliance",
        "/admin/opds",
    ]
    before = _pages(app, world, urls)
    with app.app_context():
        downgrade(revision="e5c3f2a1b432")
        assert not sa.inspect(db.engine).has_table("governments")
        upgrade()
        db.session.remove()
    with app.app_context():
        (government,) = db.session.scalars(sa.select(Government)).all()
        assert (government.name, government.short_name, government.time_zone) == (
            app.config["KAWAL_PEMDA_NAME"],
            "Kota Tangerang",
            app.config["KAWAL_TIMEZONE"],
        )
        for model in (Opd, User, Forum, ReminderSettings, CollectiveLeave):
            assert set(db.session.scalars(sa.select(model.government_id))) == {government.id}, model
        assert db.session.scalar(sa.select(ReminderSettings.send_time)) == "08:15"
        assert db.session.scalar(sa.select(CollectiveLeave.name)) == "Cuti bersama Natal"
        admins = db.session.scalars(sa.select(User.manages_instance).where(User.role == "admin")).all()
        assert admins == [True]  # whoever administered the one government may add the others
        db.session.remove()
    after = _pages(app, world, urls)
    refused = {key for key, (status, _) in before.items() if status != 200}
    assert refused == {("secretariat", "/admin/opds"), ("opd_head", "/admin/opds")}
    changed = [key for key in before if before[key] != after[key]]
    assert changed == []


def _settings(**changes):
    from notifications import policy
    from notifications.services import SETTINGS_FIELDS

    row = policy.settings_row()
    return {field: getattr(row, field) for field in SETTINGS_FIELDS} | changes


def test_the_outboxs_old_reasons_become_codes_said_in_the_readers_language(app, world):
    """d4e5f6a7b8c9: a reason stored as a sentence (in Indonesian, in English) or as the server's reply becomes a
    code with its parameters, the server's words kept beside it; a reason it cannot read stays as it was."""
    import sqlalchemy as sa

    from core.extensions import db
    from notifications.models import MailError, MailStatus, OutboxMessage
    from tests.actions.helpers import make_action

    old = {
        "DINKES tidak memiliki kepala aktif maupun email resmi.": (MailError.NO_RECIPIENT, {"code": "DINKES"}, None),
        "BAPPEDA has no active head and no official email.": (MailError.NO_RECIPIENT, {"code": "BAPPEDA"}, None),
        "no recipient": (MailError.NO_RECIPIENT, None, None),
        "550 5.1.1 Kotak surat tidak ada": (MailError.SERVER_REFUSED, None, "550 5.1.1 Kotak surat tidak ada"),
        "535 5.7.8 Authentication failed": (MailError.AUTHENTICATION, None, "535 5.7.8 Authentication failed"),
        "{'a@example.org': (550, b'5.1.1 unknown')}": (
            MailError.RECIPIENTS_REFUSED,
            None,
            "{'a@example.org': (550, b'5.1.1 unknown')}",
        ),
        "ConnectionRefusedError: [Errno 111] Connection refused": (
            MailError.CONNECTION_REFUSED,
            None,
            "ConnectionRefusedError: [Errno 111] Connection refused",
        ),
        "TimeoutError: timed out": (MailError.TIMEOUT, None, "TimeoutError: timed out"),
        "Sesuatu yang lain": (None, None, "Sesuatu yang lain"),
    }
    with app.app_context():
        make_action(world, support=())
        template = db.session.scalar(sa.select(OutboxMessage))
        for n, text in enumerate(old):
            row = OutboxMessage(
                **{c: getattr(template, c) for c in ("kind", "opd_id", "government_id", "local_date")},
                dedup_key=f"old:{n}",
                next_attempt_at=template.next_attempt_at,
                created_at=template.created_at,
                status=MailStatus.DEAD,
            )
            row.last_error = text
            db.session.add(row)
        db.session.commit()
        db.session.remove()
        downgrade(revision="c3d4e5f6a7b8")
        upgrade()
        rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedup_key.like("old:%"))).all()
        found = {row.dedup_key: (row.error_code, row.error_params, row.last_error) for row in rows}
    assert found == {f"old:{n}": expected for n, expected in enumerate(old.values())}


def test_a_meetings_decision_in_a_tasks_history_becomes_data_said_in_the_readers_language(app, world):
    """d4e5f6a7b8c9: a history note a carry-over wrote ("Ditutup pada FGD II.") becomes the meeting's title and the
    outcome; a person's own note stays."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from actions.models import AssignmentEvent, HistoryKind
    from core.extensions import db
    from tests.actions.helpers import dinkes_assignment, make_action

    notes = {
        "Ditutup pada FGD II.": ({"carried_over": {"outcome": "closed", "forum": "FGD II"}}, None),
        "Decided at FGD III.": ({"carried_over": {"outcome": "decided_task", "forum": "FGD III"}}, None),
        "Sudah dibahas pada rapat.": ({}, "Sudah dibahas pada rapat."),
    }
    with app.app_context():
        assignment_id = dinkes_assignment(make_action(world, support=())).id
        for note in notes:
            db.session.add(
                AssignmentEvent(
                    assignment_id=assignment_id,
                    at=datetime(2025, 12, 20, 3, 0, tzinfo=UTC),
                    kind=HistoryKind.EDIT,
                    note=note,
                    data={},
                )
            )
        db.session.commit()
        db.session.remove()
        downgrade(revision="c3d4e5f6a7b8")
        upgrade()
        rows = db.session.scalars(
            sa.select(AssignmentEvent).where(AssignmentEvent.kind == HistoryKind.EDIT).order_by(AssignmentEvent.id)
        ).all()
        found = [(row.data, row.note) for row in rows][-3:]
    assert found == list(notes.values())


def test_the_web_app_loads_alembic_only_when_asked_to_migrate(tmp_path):
    # A web worker serves its pages, and the migrations are bound by `flask db …` alone (core/migrations.py).
    code = (
        "import sys, wsgi\n"
        "assert wsgi.app.test_client().get('/health').status_code == 200\n"
        "print(*sorted({'flask_migrate', 'alembic', 'mako'} & set(sys.modules)))\n"
        "from core.migrations import bind; bind(wsgi.app)\n"
        "print(*sorted({'flask_migrate', 'alembic', 'mako'} & set(sys.modules)))\n"
    )
    env = {**os.environ, "KAWAL_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'kawal.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).parents[1], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["", "alembic flask_migrate mako"]
