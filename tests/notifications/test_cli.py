"""`flask reminders …` for operators: the outbox's status for cron and health checks, `send --now`, and the
worker's intervals from the environment."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.extensions import db
from notifications import outbox
from notifications.models import MailError, MailKind, MailStatus, OutboxMessage
from notifications.worker import build_scheduler
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]


def _row(key: str, status: MailStatus, *, waited: timedelta, due_in: timedelta = timedelta(0), **values) -> int:
    row = OutboxMessage(
        **outbox.new_row(
            key, MailKind.NEW_TASK, "kepala@example.org", now=NOW - waited, local_date=NOW.date(), **values
        )
    )
    row.status = status
    row.next_attempt_at = NOW + due_in
    db.session.add(row)
    db.session.commit()
    return row.id


def _status(app, *args):
    return app.test_cli_runner().invoke(args=["reminders", "status", *args])


def test_an_empty_outbox_lists_every_status_at_zero_and_is_healthy(app):
    result = _status(app, "--max-pending-minutes", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "pending: 0",
        "sending: 0",
        "sent: 0",
        "dead: 0",
        "cancelled: 0",
        "oldest pending: none",
    ]


@pytest.fixture
def filled(app):
    """A sent and a dead email; one planned five hours ago for a send time an hour ahead (not late); one tried
    twice over three hours that waits for its retry (late); one new-task email due now for ten minutes."""
    with app.app_context():
        _row("sent", MailStatus.SENT, waited=timedelta(days=1))
        _row("dead", MailStatus.DEAD, waited=timedelta(days=1))
        ahead = _row("ahead", MailStatus.PENDING, waited=timedelta(hours=5), due_in=timedelta(hours=1))
        retried = _row(
            "retried",
            MailStatus.PENDING,
            waited=timedelta(hours=3),
            due_in=timedelta(minutes=20),
            attempts=2,
            error_code=MailError.CONNECTION_REFUSED,
            last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        )
        _row("fresh", MailStatus.PENDING, waited=timedelta(minutes=10))
    return ahead, retried


def test_status_counts_the_rows_and_names_the_oldest_pending_one_in_english(app, filled):
    ahead, retried = filled
    result = _status(app)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:5] == ["pending: 3", "sending: 0", "sent: 1", "dead: 1", "cancelled: 0"]
    assert lines[5] == (
        f"oldest pending: #{ahead} new_task, waiting 300 min, attempts 0, next attempt 2025-12-16 03:00 UTC (in 60 min)"
    )


def test_the_last_error_of_the_oldest_is_said_in_english_with_the_servers_words(app, filled):
    with app.app_context():
        db.session.get(OutboxMessage, filled[0]).status = MailStatus.CANCELLED
        db.session.commit()
    lines = _status(app).stdout.splitlines()
    assert lines[5].startswith(f"oldest pending: #{filled[1]} new_task, waiting 180 min, attempts 2,")
    assert lines[6] == (
        "last error: The mail server refused the connection. (ConnectionRefusedError: [Errno 111] Connection refused)"
    )


def test_the_health_check_fails_on_a_late_email_only(app, filled):
    ahead, retried = filled
    late = _status(app, "--max-pending-minutes", "120")
    assert late.exit_code == 1
    assert f"UNHEALTHY: email #{retried} has waited 180 min, more than 120." in late.stderr
    # The digest planned five hours ahead of its send time is older, and not late.
    assert _status(app, "--max-pending-minutes", "200").exit_code == 0
    assert _status(app, "--max-pending-minutes", "0").exit_code == 2  # click refuses it, saying why
    assert "--max-pending-minutes" in _status(app, "--max-pending-minutes", "soon").output


def test_status_covers_every_government(app, tree):
    with app.app_context():
        kab = _row("kab", MailStatus.PENDING, waited=timedelta(hours=2), government_id=tree.govs["kab"])
        _row("kota", MailStatus.PENDING, waited=timedelta(minutes=5), government_id=tree.govs["kota"])
        _row("prov", MailStatus.DEAD, waited=timedelta(days=1), government_id=tree.govs["prov"])
    result = _status(app, "--max-pending-minutes", "60")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:4] == ["pending: 2", "sending: 0", "sent: 0", "dead: 1"]
    assert f"oldest pending: #{kab} new_task, waiting 120 min," in result.stdout


def test_send_now_reads_a_local_time_without_a_zone_and_any_zone_given(app, monkeypatch):
    from notifications import dispatcher

    seen = []
    monkeypatch.setattr(dispatcher, "dispatch", lambda now, batch: seen.append(now) or dispatcher.DispatchResult())
    runner = app.test_cli_runner()
    for text in ("2025-12-22T07:30", "2025-12-22T07:30+08:00", "2025-12-22T00:30:00Z"):
        result = runner.invoke(args=["reminders", "send", "--now", text])
        assert result.exit_code == 0 and result.output.startswith("sent 0,"), result.output
    # Without a zone it is the Pemda's time (WIB, UTC+7).
    assert seen == [
        datetime(2025, 12, 22, 0, 30, tzinfo=UTC),
        datetime(2025, 12, 21, 23, 30, tzinfo=UTC),
        datetime(2025, 12, 22, 0, 30, tzinfo=UTC),
    ]
    bad = runner.invoke(args=["reminders", "send", "--now", "besok"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_a_moment_at_the_end_of_time_is_refused_not_a_traceback(app):
    runner = app.test_cli_runner()
    for command in ("send", "plan"):
        for text in ("9999-12-31T23:59-12:00", "0001-01-01T00:00"):
            result = runner.invoke(args=["reminders", command, "--now", text])
            assert result.exit_code == 2 and "out of range" in result.output, result.output


def test_the_worker_runs_at_the_configured_intervals(make_app):
    app = make_app(REMINDER_PLAN_EVERY_MINUTES=3, REMINDER_SEND_EVERY_SECONDS=7.5)
    jobs = {job.id: job for job in build_scheduler(app).get_jobs()}
    assert jobs["plan"].trigger.interval == timedelta(minutes=3)
    assert jobs["send"].trigger.interval == timedelta(seconds=7.5)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        *(("REMINDER_SEND_EVERY_SECONDS", value, "a number above zero") for value in ["abc", "0", "-5", "nan"]),
        ("MAIL_PORT", "smtp", "a port number from 1 to 65535"),
        ("MAIL_PORT", "70000", "a port number from 1 to 65535"),
        ("MAIL_GIVE_UP_AFTER_HOURS", "3 hari", "a number above zero"),
        ("MAIL_LEASE_SECONDS", "-1", "a number above zero"),
    ],
)
def test_a_bad_number_in_the_environment_is_refused_at_start_by_name(name, value, said):
    started = _import_config(name, value)
    assert started.returncode != 0
    assert f"{name} must be {said}, not {value!r}." in started.stderr


def _import_config(name: str, value: str, setting: str = "MAIL_USE_TLS") -> subprocess.CompletedProcess:
    """Import config.py in a process of its own, with `name` set to `value`; it prints `setting`."""
    env = {**os.environ, name: value, "KAWAL_ENV": "test"}
    return subprocess.run(
        [sys.executable, "-c", f"import config; print(config.Config.{setting})"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(("value", "read"), [("ya", None), ("enabled", None), (" Yes ", "True"), ("", "False")])
def test_a_flag_that_is_neither_yes_nor_no_is_refused_at_start_by_name(value, read):
    started = _import_config("MAIL_USE_TLS", value)
    if read is None:
        assert started.returncode != 0
        assert f"MAIL_USE_TLS must be one of 1, true, yes, on or 0, false, no, off, not {value!r}." in started.stderr
    else:
        assert started.returncode == 0 and started.stdout.strip() == read


@pytest.mark.parametrize(
    ("name", "default"), [("MAIL_SERVER", "127.0.0.1"), ("MAIL_DEFAULT_SENDER", "Kawal <kawal@localhost>")]
)
def test_an_empty_mail_setting_is_not_set(name, default):
    started = _import_config(name, "", setting=name)
    assert started.returncode == 0 and started.stdout.strip() == default


def test_intervals_come_from_the_environment(monkeypatch):
    import config

    monkeypatch.setenv("REMINDER_PLAN_EVERY_MINUTES", " 2.5 ")
    monkeypatch.delenv("REMINDER_SEND_EVERY_SECONDS", raising=False)
    assert config.env_positive("REMINDER_PLAN_EVERY_MINUTES", 10) == 2.5
    assert config.env_positive("REMINDER_SEND_EVERY_SECONDS", 15) == 15


def test_send_says_when_the_mail_server_stopped_the_run(app, monkeypatch):
    from notifications import dispatcher

    stopped = dispatcher.DispatchResult(retried=1, put_back=4, stopped=MailError.CONNECTION_REFUSED)
    monkeypatch.setattr(dispatcher, "dispatch", lambda now, batch: stopped)
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "retrying 1" in result.output
    assert "stopped: the mail server failed (connection_refused); 4 emails wait for the next run" in result.output


# What the reminder jobs never use, which would otherwise cost each of their processes its memory: Flask-Migrate
# with Alembic and Mako (only `flask db …` binds it, core/migrations.py); the libraries of the exports (only a
# download imports reports/exports.py); the JSON API's (jobs.py builds the app without it); `holidays`' 200-odd other
# countries (core/calendar.py loads Indonesia's module alone); Markdown's parser and sanitiser (only a page renders
# Markdown, core/markdown.py); and rich, which Flask-Limiter's plugin of the flask command imports (the jobs run
# without the flask command).
NOT_FOR_THE_JOBS = (
    "flask_migrate",
    "alembic",
    "mako",
    "openpyxl",
    "fpdf",
    "icalendar",
    "flask_smorest",
    "marshmallow",
    "apispec",
    "webargs",
    "yaml",
    "holidays.countries",
    "markdown_it",
    "nh3",
    "rich",
)

# `python -m jobs …` as the worker runs it, then the heavy modules it loaded.
JOBS_COMMAND = f"""
import sys
import jobs
try:
    jobs.main()
finally:
    print("loaded:", *sorted(name for name in {NOT_FOR_THE_JOBS!r} if name in sys.modules), file=sys.stderr)
"""


def test_the_reminder_jobs_load_nothing_they_never_use(app, world, smtp):
    from tests.actions.helpers import make_action

    with app.app_context():
        make_action(world, support=(), due_in=9)  # due on 25 December: a reminder on the 18th
        url = db.engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "KAWAL_ENV": "test",
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
    }
    for job in ("plan", "send"):
        done = subprocess.run(
            [sys.executable, "-c", JOBS_COMMAND, job, "--now", "2025-12-18T08:00"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.splitlines()[-1] == "loaded:", f"{job}: {done.stderr.splitlines()[-1]}"
    with app.app_context():  # the jobs did their work: the digest was planned and sent
        sent = db.session.scalars(sa.select(OutboxMessage.status).where(OutboxMessage.kind == MailKind.DIGEST))
        assert list(sent) == [MailStatus.SENT]


def test_the_jobs_app_has_every_page_of_the_web_app_and_no_api(make_app):
    from app import create_app
    from tests.conftest import TestConfig

    web = make_app()
    jobs = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": web.config["SQLALCHEMY_DATABASE_URI"]}, api=False)
    pages = {rule.endpoint for rule in web.url_map.iter_rules() if not rule.rule.startswith("/api/")}
    assert {rule.endpoint for rule in jobs.url_map.iter_rules()} == pages
    assert any(rule.rule.startswith("/api/v1/") for rule in web.url_map.iter_rules())
    assert "api" in web.cli.commands and "api" not in jobs.cli.commands
    with jobs.app_context():
        db.engine.dispose()
