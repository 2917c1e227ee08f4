"""Sending through a real SMTP server on loopback: content, retries, failures, and the state at send time.

The runs that count which email a failed server stopped at use one connection (MAIL_CONNECTIONS=1): with several,
each connection claims and tries its own rows at once, and on PostgreSQL two claims can split the rows between them.
Those runs are tests/notifications/test_parallel_sending.py's."""

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts import services as accounts
from actions import services as actions
from core.extensions import db
from core.permissions import SYSTEM
from notifications import content, dispatcher, outbox, planner
from notifications.mailer import SmtpSession, message_id
from notifications.models import MailError, MailStatus, OutboxMessage
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user, opd_values
from tests.notifications.conftest import TEST_CERT, free_port
from tests.notifications.helpers import at, digests, items_of

ROOT = Path(__file__).resolve().parents[2]


def _late_and_soon(world):
    """DINKES: one task 3 days late (acknowledged), one due in 2 days, one unacknowledged for a week."""
    head = as_user(world.users["opd_head"].id)
    late = dinkes_assignment(make_action(world, support=(), due_in=1, title="Layanan keswa di Puskesmas"))
    actions.acknowledge(head, late.id)
    soon = dinkes_assignment(make_action(world, support=(), due_in=9, title="Sarana visum"))
    actions.acknowledge(head, soon.id)
    dinkes_assignment(make_action(world, support=(), due_in=30, title="Sosialisasi PPT Kespro"))
    return late, soon


def test_new_task_mail_goes_out_at_once_to_the_head_and_the_inbox(mail_app, world, smtp):
    with mail_app.app_context():
        opd = accounts.get_opd(world.opds["DINKES"])
        accounts.update_opd(
            SYSTEM,
            opd.id,
            **opd_values(opd, parent_id=None, email="dinkes@example.org", head_id=opd.head_id, active=True),
        )
        make_action(world, support=(), title="Layanan keswa tersedia di setiap Puskesmas")
        result = dispatcher.dispatch()
    assert result.sent == 1
    [mail] = smtp.messages
    assert mail["To"] == "opd.head@example.org" and mail["Cc"] == "dinkes@example.org"
    assert mail["Subject"] == "[Kawal] Tugas baru untuk DINKES: Layanan keswa tersedia di setiap Puskesmas"
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Yth. Kepala Dinas Kesehatan,")
    assert "Dengan hormat" in text and "Atas perhatian dan kerja samanya" in text
    assert "http://kawal.test/a/" in text  # the one-click link


def test_digest_groups_counts_and_language(mail_app, world, smtp):
    with mail_app.app_context():
        _late_and_soon(world)
        at(mail_app, 2025, 12, 22, 7, 30)  # Monday: 5 days late, 3 days left, unacknowledged for 4 working days
        planner.plan()
        dispatcher.dispatch()
    digest = next(m for m in smtp.messages if m["Subject"].startswith("[Kawal] DINKES:"))
    assert digest["Subject"] == "[Kawal] DINKES: 1 terlambat, 1 jatuh tempo minggu ini, 1 belum dikonfirmasi"
    assert digest.is_multipart()
    text = digest.get_body(("plain",)).get_content()
    assert (
        text.index("== Terlambat ==") < text.index("== Segera jatuh tempo ==") < text.index("== Belum dikonfirmasi ==")
    )
    assert "terlambat 5 hari" in text
    html = digest.get_body(("html",)).get_content()
    assert "Konfirmasi" in html or "Terima tugas ini" in html
    assert "<img" not in html and "<script" not in html and "http://kawal.test/assignments/" in html


def test_english_for_a_head_who_reads_english(mail_app, world, smtp):
    with mail_app.app_context():
        accounts.set_locale(as_user(world.users["opd_head"].id), "en")
        make_action(world, support=(), title="Layanan keswa")
        dispatcher.dispatch()
    [mail] = smtp.messages
    assert mail["Subject"] == "[Kawal] New task for DINKES: Layanan keswa"
    assert mail.get_body(("plain",)).get_content().startswith("Dear Head of Dinas Kesehatan,")


def test_outbox_first_smtp_later_and_the_message_id_survives_retries(make_app, world, smtp):
    down = make_app(MAIL_PORT=free_port(), MAIL_TIMEOUT=1)  # nothing listens there: connection refused
    with down.app_context():
        make_action(world, support=(), title="Layanan keswa")
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.status == MailStatus.PENDING  # planned and committed with SMTP down
        result = dispatcher.dispatch()
        assert (result.sent, result.retried) == (0, 1)
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.status == MailStatus.PENDING and row.attempts == 1 and "Refused" in row.last_error
        assert row.error_code == MailError.CONNECTION_REFUSED  # the code; the socket's words are data beside it
        first_retry = row.next_attempt_at - down.extensions["kawal.clock"].now()
        assert timedelta(seconds=30) <= first_retry <= timedelta(seconds=90)
        key = row.dedup_key
    up = make_app(MAIL_PORT=smtp.port)
    up.extensions["kawal.clock"].set(down.extensions["kawal.clock"].now() + timedelta(minutes=5))
    with up.app_context():
        assert dispatcher.dispatch().sent == 1
        expected = message_id(key)
        assert db.session.scalar(sa.select(OutboxMessage)).message_id == expected
    assert smtp.messages[0]["Message-ID"] == expected


def _new_task_with_inbox(world):
    """A DINKES task, whose email goes to the head with the OPD's inbox in Cc."""
    opd = accounts.get_opd(world.opds["DINKES"])
    values = opd_values(opd, parent_id=None, email="dinkes@example.org", head_id=opd.head_id, active=True)
    accounts.update_opd(SYSTEM, opd.id, **values)
    make_action(world, support=(), title="Layanan keswa")


def test_a_head_put_off_by_the_server_gets_the_email_later_and_the_inbox_once(mail_app, world, smtp):
    smtp.put_off.add("opd.head@example.org")  # the inbox is accepted, the head's mailbox is full
    clock = mail_app.extensions["kawal.clock"]
    with mail_app.app_context():
        _new_task_with_inbox(world)
        assert dispatcher.dispatch().retried == 1
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.status == MailStatus.PENDING and row.error_code == MailError.RECIPIENTS_REFUSED
        assert row.last_error == "opd.head@example.org: 452 4.2.2 Kotak surat penuh"
        smtp.put_off.clear()
        clock.set(clock.now() + timedelta(hours=1))
        assert dispatcher.dispatch().sent == 1
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.status == MailStatus.SENT and row.refused is None and row.error_code is None
        assert dispatcher.dispatch().sent == 0
    first, again = smtp.messages
    assert first.envelope_recipients == ["dinkes@example.org"]
    assert again.envelope_recipients == ["opd.head@example.org"]  # the inbox is not sent it twice
    assert again["To"] == "opd.head@example.org" and again["Cc"] == "dinkes@example.org"
    assert again["Message-ID"] == first["Message-ID"]


def test_a_head_put_off_then_refused_for_good_leaves_the_email_sent_to_the_inbox(mail_app, world, smtp):
    smtp.put_off.add("opd.head@example.org")
    clock = mail_app.extensions["kawal.clock"]
    with mail_app.app_context():
        _new_task_with_inbox(world)
        assert dispatcher.dispatch().retried == 1
        smtp.put_off.clear()
        smtp.refuse.add("opd.head@example.org")
        clock.set(clock.now() + timedelta(hours=1))
        assert dispatcher.dispatch().sent == 1
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.status == MailStatus.SENT
        assert row.refused == [{"address": "opd.head@example.org", "code": 550, "reply": "5.1.1 Kotak surat tidak ada"}]
    assert [mail.envelope_recipients for mail in smtp.messages] == [["dinkes@example.org"]]


def test_temporary_failure_retries_then_a_permanent_one_is_dead(mail_app, world, smtp):
    smtp.replies = ["451 4.3.0 Coba lagi nanti", "550 5.1.1 Kotak surat tidak ada"]
    clock = mail_app.extensions["kawal.clock"]
    with mail_app.app_context():
        make_action(world, support=(), title="Layanan keswa")
        assert dispatcher.dispatch().retried == 1
        clock.set(clock.now() + timedelta(hours=1))
        assert dispatcher.dispatch().dead == 1
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.status == MailStatus.DEAD and row.last_error == "550 5.1.1 Kotak surat tidak ada"
        assert row.error_code == MailError.SERVER_REFUSED and row.error_params is None
    assert smtp.messages == []


def test_an_outage_of_six_hours_loses_nothing_and_then_each_email_goes_once(make_app, world, smtp):
    up = make_app(MAIL_PORT=smtp.port)
    with up.app_context():
        _late_and_soon(world)
        dispatcher.dispatch()  # the three new-task mails, before the outage
    smtp.messages.clear()
    down = make_app(MAIL_PORT=free_port(), MAIL_TIMEOUT=1)  # nothing listens: connection refused all night
    with down.app_context():
        start = at(down, 2025, 12, 22, 7, 30)
        planner.plan()
        make_action(world, support=(), title="Tugas baru saat server mati")
        moment = start
        while moment < start + timedelta(hours=6):
            dispatcher.dispatch(moment)
            moment += timedelta(minutes=10)
        rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status != MailStatus.SENT)).all()
        assert sorted(row.kind for row in rows) == ["digest", "new_task"]
        # Well past the old limit of 8 attempts, and still waiting, not dead.
        assert all(row.status == MailStatus.PENDING and row.attempts > 8 for row in rows)
        assert all("Refused" in row.last_error for row in rows)
    back = moment + timedelta(hours=2)  # the server is back; the longest backoff has passed
    up.extensions["kawal.clock"].set(back)
    with up.app_context():
        assert dispatcher.dispatch(back).sent == 2
        assert dispatcher.dispatch(back + timedelta(hours=3)).sent == 0
        rows = db.session.scalars(sa.select(OutboxMessage)).all()
        assert {row.status for row in rows} == {MailStatus.SENT}
        assert all(row.last_error is None for row in rows)  # a sent row shows no old error
    assert sorted(m["Subject"].split(":")[0] for m in smtp.messages) == [
        "[Kawal] DINKES",
        "[Kawal] Tugas baru untuk DINKES",
    ]


def test_a_new_task_mail_is_given_up_after_its_window_but_a_digest_keeps_trying(make_app, world):
    app = make_app(MAIL_PORT=free_port(), MAIL_TIMEOUT=1, MAIL_GIVE_UP_AFTER_HOURS=72, MAIL_CONNECTIONS=1)
    clock = app.extensions["kawal.clock"]
    with app.app_context():
        make_action(world, support=(), due_in=1, title="Layanan keswa")  # the new-task mail, queued on the 16th
        assert dispatcher.dispatch().retried == 1
        later = at(app, 2025, 12, 22, 7, 30)  # six days on: the digest says it is late and unacknowledged
        planner.plan()
        result = dispatcher.dispatch(later)
        # The new-task mail, tried first, is too old; the server being down, the digest is given back untried.
        assert (result.retried, result.cancelled, result.dead, result.put_back) == (0, 1, 0, 1)
        new_task, digest = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert (new_task.status, new_task.cancel_reason) == (MailStatus.CANCELLED, "too_old")
        assert digest.status == MailStatus.PENDING
        clock.set(later + timedelta(days=2))
        dispatcher.dispatch()
        assert db.session.get(OutboxMessage, digest.id).status == MailStatus.PENDING


def test_a_server_that_is_down_stops_the_run_at_the_first_email_and_gives_the_rest_back(make_app, world):
    """Each email would wait its own MAIL_TIMEOUT on a server that is down: a morning's thousand digests would hold
    the worker for hours. The first failure of the server itself ends the run; the rest wait, their attempt not
    counted, and all go once it is back."""
    port = free_port()
    app = make_app(MAIL_PORT=port, MAIL_TIMEOUT=1, MAIL_CONNECTIONS=1)
    with app.app_context():
        for title in ("Layanan keswa", "Sarana visum", "Tim SK"):
            make_action(world, support=(), title=title)
        result = dispatcher.dispatch()
        assert (result.retried, result.put_back, result.stopped) == (1, 2, MailError.CONNECTION_REFUSED)
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(row.status, row.attempts) for row in rows] == [(MailStatus.PENDING, 1), *[(MailStatus.PENDING, 0)] * 2]


def test_a_refused_login_waits_for_the_operator_instead_of_killing_every_email(make_app, world, smtp, monkeypatch):
    """A wrong MAIL_PASSWORD (535) is Kawal's settings, not the emails' fault: they wait, and the run stops."""
    import smtplib

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials")

    monkeypatch.setattr(smtplib.SMTP, "login", refuse)
    app = make_app(MAIL_PORT=smtp.port, MAIL_USERNAME="kawal", MAIL_PASSWORD="salah", MAIL_CONNECTIONS=1)
    with app.app_context():
        make_action(world, support=(), title="Layanan keswa")
        make_action(world, support=(), title="Sarana visum")
        result = dispatcher.dispatch()
        assert (result.dead, result.retried, result.put_back) == (0, 1, 1)
        assert result.stopped == MailError.AUTHENTICATION
        monkeypatch.undo()
        app.config["MAIL_USERNAME"] = app.config["MAIL_PASSWORD"] = None  # the operator fixes the settings
        app.extensions["kawal.clock"].set(app.extensions["kawal.clock"].now() + timedelta(hours=2))
        assert dispatcher.dispatch().sent == 2
    assert len(smtp.messages) == 2


def test_an_email_that_cannot_be_made_does_not_hold_up_the_others(mail_app, world, smtp, monkeypatch):
    """An error of ours in one row's content (a bug, a template) is logged and the row waits its backoff; the rows
    behind it go. Claims take the oldest first, so one such row used to block every run."""
    from notifications import content

    real = content.prepare
    with mail_app.app_context():
        first = dinkes_assignment(make_action(world, support=(), title="Layanan keswa"))
        make_action(world, support=(), title="Sarana visum")

        def broken(row, now, book):
            if any(item.assignment_id == first.id for item in row.items):
                raise KeyError("a template's missing value")
            return real(row, now, book)

        monkeypatch.setattr(content, "prepare", broken)
        result = dispatcher.dispatch()
        assert (result.sent, result.retried) == (1, 1)
        poisoned = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
        assert (poisoned.status, poisoned.error_code) == (MailStatus.PENDING, MailError.OTHER)
        assert poisoned.next_attempt_at > mail_app.extensions["kawal.clock"].now()
    assert [m["Subject"].endswith("Sarana visum") for m in smtp.messages] == [True]


def test_a_server_that_never_answers_cannot_hang_the_worker(make_app, world, silent_server):
    app = make_app(MAIL_PORT=silent_server, MAIL_TIMEOUT=0.5)
    with app.app_context():
        make_action(world, support=(), title="Layanan keswa")
        result = dispatcher.dispatch()
        assert result.retried == 1
        assert db.session.scalar(sa.select(OutboxMessage.error_code)) == MailError.TIMEOUT
    assert "timed out" in result.errors[0].lower() or "timeout" in result.errors[0].lower()


def test_a_failed_quit_after_acceptance_still_counts_as_sent(make_app, world, smtp_drop_on_quit):
    app = make_app(MAIL_PORT=smtp_drop_on_quit.port)
    with app.app_context():
        make_action(world, support=(), title="Layanan keswa")
        assert dispatcher.dispatch().sent == 1
        assert db.session.scalar(sa.select(OutboxMessage)).status == MailStatus.SENT
    assert len(smtp_drop_on_quit.messages) == 1


def test_a_task_settled_before_dispatch_drops_out_and_an_empty_row_is_cancelled(mail_app, world, smtp):
    with mail_app.app_context():
        late, soon = _late_and_soon(world)
        settle = [late.id, soon.id]
        dispatcher.dispatch()  # the three new-task mails
        sent_before = len(smtp.messages)
        at(mail_app, 2025, 12, 22, 7, 30)
        planner.plan()
        # Before the digest goes, the unacknowledged task is acknowledged and the others are cancelled.
        secretariat = as_user(world.users["secretariat"].id)
        for assignment_id in settle:
            actions.cancel_assignment(secretariat, assignment_id, "Tidak relevan")
        third = next(d for d in digests())
        for item in third.items:
            if item.assignment and item.assignment.status == "assigned":
                actions.acknowledge(as_user(world.users["opd_head"].id), item.assignment_id)
        result = dispatcher.dispatch()
        assert result.cancelled == 1 and result.sent == 2  # the two cancellations are said, the digest is not
        digest = digests()[0]
        assert digest.status == MailStatus.CANCELLED and all(item.dropped for item in digest.items)
    assert [m["Subject"].split(":")[0] for m in smtp.messages[sent_before:]] == ["[Kawal] Tugas dibatalkan"] * 2


def test_mail_follows_the_head_at_send_time_and_skips_deactivated_users(mail_app, world, smtp):
    with mail_app.app_context():
        make_action(world, support=(), title="Layanan keswa")  # queued for the DINKES head
        accounts.set_user_active(SYSTEM, world.users["opd_head"].id, False)
        opd = accounts.get_opd(world.opds["DINKES"])
        accounts.update_opd(
            SYSTEM, opd.id, **opd_values(opd, parent_id=None, email="dinkes@example.org", head_id=None, active=True)
        )
        dispatcher.dispatch()
        make_action(world, lead="DISDUKCAPIL", support=(), title="Tanpa kepala, tanpa email")
        result = dispatcher.dispatch()
        assert result.dead == 1
        dead = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.status == MailStatus.DEAD))
        # A code and the OPD it concerns, not a sentence in the language of whoever was acting at the time.
        assert (dead.error_code, dead.error_params, dead.last_error) == (
            MailError.NO_RECIPIENT,
            {"code": "DISDUKCAPIL"},
            None,
        )
    [mail] = smtp.messages
    assert mail["To"] == "dinkes@example.org" and "opd.head@example.org" not in str(mail)
    assert mail.get_body(("plain",)).get_content().startswith("Yth. Dinas Kesehatan,")


def test_escalation_copies_the_secretariat_and_the_escalation_address(mail_app, world, smtp):
    from notifications import services as notifications

    with mail_app.app_context():
        admin = as_user(world.users["admin"].id)
        values = {n: getattr(notifications.get_settings(admin), n) for n in notifications.SETTINGS_FIELDS}
        notifications.update_settings(admin, **{**values, "escalation_email": "sekda@example.org"})
        assignment = dinkes_assignment(make_action(world, support=(), due_in=1))
        actions.acknowledge(as_user(world.users["opd_head"].id), assignment.id)
        dispatcher.dispatch()
        at(mail_app, 2026, 1, 2, 8, 0)  # 16 days late
        planner.plan()
        dispatcher.dispatch()
    # The secretariat's own digest lists the escalation too; the OPD's is the one copied.
    digest = next(m for m in smtp.messages if m["Subject"].startswith("[Kawal] DINKES:"))
    assert set(digest["Cc"].split(", ")) == {"secretariat@example.org", "sekda@example.org"}
    assert "Terlambat lebih dari 14 hari (dieskalasi)" in digest.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("setting", "server"), [("MAIL_USE_TLS", "starttls_smtp"), ("MAIL_USE_SSL", "implicit_tls_smtp")]
)
def test_tls_to_a_server_whose_certificate_is_not_trusted_sends_nothing(make_app, world, request, setting, server):
    """Someone between Kawal and the mail server could otherwise read the login and every one-click link."""
    smtp = request.getfixturevalue(server)
    app = make_app(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2, **{setting: True})
    with app.app_context():
        make_action(world, support=(), title="Layanan keswa")
        assert dispatcher.dispatch().retried == 1
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.status == MailStatus.PENDING and row.error_code == MailError.TLS
        assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert smtp.messages == []


def test_starttls_to_a_server_trusted_through_ssl_cert_file_sends(make_app, world, starttls_smtp, monkeypatch):
    """A Pemda's own certificate authority is trusted the standard way: SSL_CERT_FILE names its certificate."""
    monkeypatch.setenv("SSL_CERT_FILE", str(TEST_CERT))
    app = make_app(MAIL_PORT=starttls_smtp.port, MAIL_USE_TLS=True, MAIL_TIMEOUT=2)
    with app.app_context():
        make_action(world, support=(), title="Layanan keswa")
        assert dispatcher.dispatch().sent == 1
    assert len(starttls_smtp.messages) == 1


def test_tls_and_ssl_together_are_refused_at_start_up(make_app):
    with pytest.raises(RuntimeError, match="MAIL_USE_TLS and MAIL_USE_SSL"):
        make_app(MAIL_USE_TLS=True, MAIL_USE_SSL=True)


@pytest.mark.parametrize("sender", ["Bappeda Kota Tangerang, Sekretariat <kawal@tangerang.go.id>", "kawal", ""])
def test_a_from_that_is_not_one_address_is_refused_at_start_up(make_app, sender):
    with pytest.raises(RuntimeError, match="MAIL_DEFAULT_SENDER must be one address"):
        make_app(MAIL_DEFAULT_SENDER=sender)


def test_a_quoted_non_ascii_name_with_a_comma_is_one_sender(make_app, world, smtp):
    sender = '"Bappéda Kota Tangerang, Sekretariat" <kawal@tangerang.go.id>'
    app = make_app(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2, MAIL_DEFAULT_SENDER=sender)
    with app.app_context():
        dinkes_assignment(make_action(world, support=(), title="Sarana visum"))
        assert dispatcher.dispatch().sent == 1
    [mail] = smtp.messages
    [address] = mail["From"].addresses
    assert (address.display_name, address.addr_spec) == ("Bappéda Kota Tangerang, Sekretariat", "kawal@tangerang.go.id")


DRAIN = """
import sys
from app import create_app
from config import TestConfig
from notifications import dispatcher
app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": sys.argv[1], "MAIL_PORT": int(sys.argv[2])})
with app.app_context():
    total = 0
    while True:
        result = dispatcher.dispatch(batch=7)
        total += result.sent
        if not (result.sent or result.retried):
            break
print(total)
"""


def test_three_dispatchers_deliver_every_row_exactly_once(mail_app, world, smtp, backend):
    from core import clock
    from notifications.models import MailKind

    with mail_app.app_context():
        now = clock.now()
        db.session.add_all(
            [
                OutboxMessage(
                    **outbox.new_row(f"test:{i}", MailKind.TEST, f"u{i}@example.org", now=now, local_date=now.date())
                )
                for i in range(200)
            ]
        )
        db.session.commit()
        url = db.engine.url.render_as_string(hide_password=False)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", DRAIN, url, str(smtp.port)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    totals = [int(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in processes]
    assert sum(totals) == 200
    assert len(smtp.messages) == 200
    assert len({m["Message-ID"] for m in smtp.messages}) == 200
    with mail_app.app_context():
        statuses = db.session.scalars(sa.select(OutboxMessage.status)).all()
        assert set(statuses) == {MailStatus.SENT}


def test_a_long_digest_lists_the_most_urgent_and_counts_the_rest(mail_app, world, smtp, monkeypatch):
    from notifications import content

    monkeypatch.setattr(content, "LISTED_PER_DIGEST", 2)
    with mail_app.app_context():
        late, _soon = _late_and_soon(world)
        at(mail_app, 2025, 12, 22, 7, 30)
        planner.plan()
        dispatcher.dispatch()
        [digest_row] = digests()
        states = [item.state for item in items_of(digest_row)]
    digest = next(m for m in smtp.messages if m["Subject"].startswith("[Kawal] DINKES:"))
    # The subject still counts all three; the body lists the two most urgent and points to the rest.
    assert digest["Subject"] == "[Kawal] DINKES: 1 terlambat, 1 jatuh tempo minggu ini, 1 belum dikonfirmasi"
    text = digest.get_body(("plain",)).get_content()
    assert "Layanan keswa di Puskesmas" in text and "Sarana visum" in text
    assert "Sosialisasi PPT Kespro" not in text
    assert "Dan 1 tugas lainnya. Lihat semuanya di Kawal: http://kawal.test/tasks" in text
    assert "Dan 1 tugas lainnya." in digest.get_body(("html",)).get_content()
    # What was true at send time is kept for every item, listed or not.
    assert all(state.get("title") for state in states) and len(states) == 3


def test_planned_on_tuesday_and_sent_on_friday_gives_one_digest_per_opd(mail_app, world, smtp):
    from actions.models import Assignment

    with mail_app.app_context():
        make_action(world, support=("DP3AP2KB",), due_in=3, title="Sarana visum")  # due Friday 19 December
        heads = {world.opds["DINKES"]: world.users["opd_head"].id, world.opds["DP3AP2KB"]: world.users["other_head"].id}
        for assignment in db.session.scalars(sa.select(Assignment)).all():
            actions.acknowledge(as_user(heads[assignment.opd_id]), assignment.id)
        dispatcher.dispatch()  # the new-task mails
        smtp.messages.clear()
        # The worker's sender is down from Tuesday; its planner runs every day: 3 days left, then 1, then 0.
        for day in (16, 17, 18, 19):
            at(mail_app, 2025, 12, day, 8, 0)
            planner.plan()
        dispatcher.dispatch()
        rows = digests()
        stale = [row for row in rows if row.local_date < date(2025, 12, 19)]
        assert stale and all((r.status, r.cancel_reason) == ("cancelled", "superseded") for r in stale)
        assert all(items_of(r) == [] for r in stale)  # carried into Friday's, not left behind
        assert sorted(len(items_of(r)) for r in rows if r.status == MailStatus.SENT) == [3, 3]
    assert sorted(m["To"] for m in smtp.messages) == ["opd.head@example.org", "other.head@example.org"]
    for mail in smtp.messages:
        text = mail.get_body(("plain",)).get_content()
        assert text.count("Sarana visum") == 1, text  # said once, as due today, not three times
        assert mail["Subject"].endswith(": 1 jatuh tempo minggu ini")


def test_a_run_moves_its_rows_with_core_statements_and_keeps_only_the_callers_objects(
    mail_app, world, smtp, monkeypatch
):
    """The outbox moves (claim, renewal, each answer) are Core statements on the table, not the ORM's bulk path,
    what a claim alone loaded is expunged before its emails go, so the commit of each answer expires nothing;
    the caller's own objects stay in its session (with one connection the run is in it)."""
    updates, in_session, savepoints = [], [], []

    def spy(state):
        if state.is_update and state.statement.table.name == "outbox":
            updates.append(state.is_orm_statement)

    def cursor_spy(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SAVEPOINT"):
            savepoints.append(statement)

    send = SmtpSession.send

    def counting(session, message):
        in_session.append([instance for instance in db.session.identity_map.values() if instance is not held])
        return send(session, message)

    monkeypatch.setattr(SmtpSession, "send", counting)
    with mail_app.app_context():
        _late_and_soon(world)
        at(mail_app, 2025, 12, 22, 7, 30)
        planner.plan()
        held = db.session.get(OutboxMessage, db.session.scalar(sa.select(sa.func.min(OutboxMessage.id))))
        sa.event.listen(Session, "do_orm_execute", spy)
        sa.event.listen(db.engine, "before_cursor_execute", cursor_spy)
        result = dispatcher.dispatch()
        sa.event.remove(Session, "do_orm_execute", spy)
        sa.event.remove(db.engine, "before_cursor_execute", cursor_spy)
        assert result.sent == 4 and held in db.session and held.status == MailStatus.SENT  # 3 new tasks, 1 digest
    assert len(updates) >= 6 and not any(updates)  # claim, renewal, four answers: none of them the ORM's
    assert in_session == [[]] * 4
    # Making an email that writes nothing but its row's columns needs no SAVEPOINT of its own: only the claim's
    # one statement for its rows has one.
    assert len(savepoints) == 1


def test_a_claims_rows_are_written_in_one_statement_and_one_that_cannot_be_is_tried_again(
    mail_app, world, smtp, monkeypatch
):
    """What making the emails writes on their rows (recipient, subject, Message-ID) is one statement for the
    claim, not one per email; a row whose values its columns refuse waits its backoff, and the others go."""
    writes = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE outbox SET recipient"):
            writes.append(len(parameters) if executemany else 1)

    with mail_app.app_context():
        _late_and_soon(world)
        at(mail_app, 2025, 12, 22, 7, 30)
        planner.plan()
        first = db.session.scalar(sa.select(sa.func.min(OutboxMessage.id)))
        prepare = content.prepare

        def refused(row, now, book):
            prepared = prepare(row, now, book)
            if row.id == first:
                row.recipient_user_id = 987654321  # no such user: the foreign key refuses it
            return prepared

        monkeypatch.setattr(content, "prepare", refused)
        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", spy)
        result = dispatcher.dispatch()
        sa.event.remove(engine, "before_cursor_execute", spy)
        rows = {row.id: row for row in db.session.scalars(sa.select(OutboxMessage))}
    assert result.sent == 3 and result.retried == 1
    assert writes[0] == 4 and writes[1:] == [1, 1, 1, 1]  # the claim's statement, then row by row once it failed
    assert rows[first].status == MailStatus.PENDING and rows[first].error_code == MailError.OTHER
    others = [row for row in rows.values() if row.id != first]
    assert all(row.status == MailStatus.SENT and row.message_id and row.subject for row in others)
