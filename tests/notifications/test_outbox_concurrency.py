"""Outbox concurrency on PostgreSQL with real processes: `flask reminders send` against a real, slow SMTP server
(0.2 s a message). Every row goes out exactly once, a sender killed mid-batch loses nothing, and a run longer than
the lease sends nothing twice. The senders use the real clock; the short lease is a setting, not a wait."""

import os
import re
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import clock
from core.extensions import db
from notifications import dispatcher, outbox
from notifications.models import MailKind, MailStatus, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
FLASK = ROOT / ".venv" / "bin" / "flask"

# Real processes need a real server database; in CI (TEST_DATABASE_URL set) these run, locally they may skip.
postgresql_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _queue(app, count: int) -> str:
    """`count` test emails due now by the real clock, which the senders use; returns the database URL."""
    with app.app_context():
        now = clock.SYSTEM_CLOCK.now()
        db.session.execute(
            sa.insert(OutboxMessage),
            [
                outbox.new_row(
                    f"test:{i}",
                    MailKind.TEST,
                    f"u{i}@example.org",
                    now=now,
                    local_date=now.date(),
                    next_attempt_at=now - timedelta(minutes=1),
                )
                for i in range(count)
            ],
        )
        db.session.commit()
        return db.engine.url.render_as_string(hide_password=False)


def _sender(url: str, port: int, *options: str, lease: float = 300) -> subprocess.Popen:
    env = {
        **os.environ,
        "KAWAL_ENV": "test",
        "FLASK_APP": "wsgi",
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_LEASE_SECONDS": str(lease),
        # One connection each: these are senders sharing the outbox, one process each. A run's own connections are
        # senders of the same kind in threads (tests/notifications/test_parallel_sending.py).
        "MAIL_CONNECTIONS": "1",
    }
    return subprocess.Popen(
        [str(FLASK), "reminders", "send", *options],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _report(process: subprocess.Popen) -> dict[str, int]:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    lost = re.search(r"taken over by another sender (\d+)", out)
    return {"sent": int(re.search(r"sent (\d+)", out).group(1)), "lost": int(lost.group(1)) if lost else 0}


def _delivered_once(app, smtp, count: int) -> None:
    recipients = [m["To"] for m in smtp.messages]
    assert sorted(recipients) == sorted(f"u{i}@example.org" for i in range(count))
    assert len({m["Message-ID"] for m in smtp.messages}) == count
    with app.app_context():
        assert set(db.session.scalars(sa.select(OutboxMessage.status))) == {MailStatus.SENT}


@postgresql_only
def test_three_sender_processes_share_the_outbox_and_deliver_each_row_once(app, slow_smtp):
    url = _queue(app, 200)
    senders = [_sender(url, slow_smtp.port) for _ in range(3)]  # batches of 50, 10 s each on this server
    reports = [_report(sender) for sender in senders]
    assert sum(r["sent"] for r in reports) == 200
    assert all(r["sent"] > 0 for r in reports), reports  # a claim takes its batch, not the whole outbox
    _delivered_once(app, slow_smtp, 200)


@postgresql_only
def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_at_most_its_message_in_flight(app, slow_smtp):
    url = _queue(app, 20)
    lease = 5
    victim = _sender(url, slow_smtp.port, lease=lease)
    assert slow_smtp.wait_for(5, timeout=30), victim.communicate(timeout=5)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    # The next sender runs as of a moment after the victim's lease ran out: no waiting for it.
    after_lease = (clock.SYSTEM_CLOCK.now() + timedelta(seconds=lease + 1)).isoformat()
    assert _report(_sender(url, slow_smtp.port, "--now", after_lease, lease=lease))["sent"] > 0
    recipients = [m["To"] for m in slow_smtp.messages]
    assert set(recipients) == {f"u{i}@example.org" for i in range(20)}
    assert len(recipients) <= 21, "more than the one message in flight was repeated"
    with app.app_context():
        assert set(db.session.scalars(sa.select(OutboxMessage.status))) == {MailStatus.SENT}


@postgresql_only
def test_a_run_longer_than_the_lease_sends_nothing_twice(app, slow_smtp):
    url = _queue(app, 50)
    # Two senders claim 25 rows each, which takes them 6 s and more against a 2 s lease. Once 16 messages are out
    # (8 each, over 2 s), the leases of the rows they have not reached have run out, and a third sender takes
    # those over while the first two are still at work.
    first = [_sender(url, slow_smtp.port, "--batch", "25", lease=2) for _ in range(2)]
    assert slow_smtp.wait_for(16, timeout=30)
    late = _sender(url, slow_smtp.port, lease=2)
    reports = [_report(sender) for sender in [*first, late]]
    assert sum(r["lost"] for r in reports[:2]) > 0 and reports[2]["sent"] > 0, reports  # the takeover happened
    assert sum(r["sent"] for r in reports) == 50
    _delivered_once(app, slow_smtp, 50)


def test_a_claim_takes_exactly_its_batch_under_a_token_of_its_own(app):
    _queue(app, 250)
    with app.app_context():
        now = clock.SYSTEM_CLOCK.now()
        first = dispatcher.claim(now, "host:1", 5)
        second = dispatcher.claim(now, "host:1", 5)  # same host and pid, as in a restarted container
        assert len(first.ids) == len(second.ids) == 5 and not set(first.ids) & set(second.ids)
        assert first.token != second.token
        sending = db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == MailStatus.SENDING)
        )
        assert sending == 10
