import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from core.calendar import CollectiveLeave
from core.extensions import db
from notifications import dispatcher
from notifications.models import MailStatus, OutboxMessage
from notifications.worker import build_scheduler
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import opd_values
from tests.notifications.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_delivery_log_shows_failures_and_requeues_them(make_app, world, client_as):
    app = make_app(MAIL_PORT=free_port())
    with app.app_context():
        assignment_id = dinkes_assignment(make_action(world, support=())).id
        row = db.session.scalar(sa.select(OutboxMessage))
        row.status, row.last_error = MailStatus.DEAD, "550 5.1.1 Kotak surat tidak ada"
        db.session.commit()
        row_id = row.id
    client = client_as("secretariat")
    page = client.get("/admin/delivery?status=dead").get_data(as_text=True)
    assert "550 5.1.1 Kotak surat tidak ada" in page and "Kirim ulang" in page
    assert client.post(f"/admin/delivery/{row_id}/requeue").status_code == 302
    with app.app_context():
        assert db.session.get(OutboxMessage, row_id).status == MailStatus.PENDING
    again = client.post(f"/admin/delivery/{row_id}/requeue", follow_redirects=True)
    assert "Hanya email yang gagal" in again.get_data(as_text=True)
    reminders = client.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert 'id="reminders"' in reminders and "Tugas baru" in reminders


def test_settings_form_happy_and_bad_paths(app, client_as):
    client = client_as("admin")
    assert "Pengaturan pengingat" in client.get("/admin/settings").get_data(as_text=True)
    good = {
        "send_time": "08:00",
        "unacknowledged_after_working_days": "3",
        "due_soon_days": "14, 7,1",
        "overdue_every_days": "7",
        "escalate_after_days": "10",
        "escalation_email": "Sekda@Example.org",
        "decree_expiry_days": "90,30",
        "link_valid_days": "14",
    }
    assert client.post("/admin/settings", data=good).status_code == 302
    with app.app_context():
        from notifications import policy

        current = policy.current()
        assert current.due_soon_days == (14, 7, 1) and current.escalation_email == "sekda@example.org"
    bad = client.post("/admin/settings", data={**good, "send_time": "25:99", "due_soon_days": "seminggu"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Gunakan JJ:MM" in page and 'value="seminggu"' in page


def test_collective_leave_and_test_email(app, client_as, smtp, make_app, world):
    client = client_as("admin")
    assert (
        client.post("/admin/settings/leave", data={"day": "2025-12-26", "name": "Cuti bersama Natal"}).status_code
        == 302
    )
    duplicate = client.post("/admin/settings/leave", data={"day": "2025-12-26", "name": "Lagi"})
    assert duplicate.status_code == 422 and "sudah ada dalam daftar" in duplicate.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(CollectiveLeave.name)) == "Cuti bersama Natal"
    assert client.post("/admin/settings/test-email", data={"address": "uji@example.org"}).status_code == 302
    with make_app(MAIL_PORT=smtp.port).app_context():
        assert dispatcher.dispatch().sent == 1
    assert smtp.messages[0]["To"] == "uji@example.org" and smtp.messages[0]["Subject"] == "[Kawal] Email uji"


def test_preview_page_lists_by_recipient(app, world, client_as):
    with app.app_context():
        make_action(world, support=("DISDUKCAPIL",), due_in=3)
    page = client_as("secretariat").get("/admin/reminders/preview").get_data(as_text=True)
    assert "opd.head@example.org" in page and "Tanpa kepala dan tanpa email resmi" in page


def test_the_worker_schedule(app):
    scheduler = build_scheduler(app)
    assert str(scheduler.timezone) == "Asia/Jakarta"
    assert scheduler._job_defaults["coalesce"] is True and scheduler._job_defaults["max_instances"] == 1
    assert type(scheduler._jobstores["default"]).__name__ == "MemoryJobStore"
    assert sorted(job.id for job in scheduler.get_jobs()) == ["plan", "send"]
    assert not scheduler.running


def test_create_app_never_starts_a_scheduler():
    code = (
        "import sys, threading\n"
        "from app import create_app\n"
        "from config import TestConfig\n"
        "app = create_app(TestConfig, {'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "app.test_client().get('/login')\n"
        "print('apscheduler' in sys.modules, threading.active_count())\n"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "1"]


def test_the_secretariat_is_told_which_opds_have_no_active_head(client_as):
    page = client_as("secretariat").get("/actions").get_data(as_text=True)
    assert 'id="headless-alert"' in page
    alert = page[page.index('id="headless-alert"') :]
    assert "BAPPEDA" in alert and "DISDUKCAPIL" in alert and "DINKES</a>" not in alert
    assert 'id="headless-alert"' not in client_as("viewer").get("/actions").get_data(as_text=True)


def _with_inbox(world, email="dinkes@example.org"):
    from accounts import services as accounts
    from core.permissions import SYSTEM

    opd = accounts.get_opd(world.opds["DINKES"])
    accounts.update_opd(
        SYSTEM, opd.id, **opd_values(opd, parent_id=None, email=email, head_id=opd.head_id, active=True)
    )


def test_a_head_refused_while_the_inbox_got_it_is_recorded_and_shown(make_app, world, smtp, client_as):
    smtp.refuse = {"opd.head@example.org"}  # 550 at RCPT for the head in To; the OPD inbox in Cc is accepted
    app = make_app(MAIL_PORT=smtp.port)
    with app.app_context():
        _with_inbox(world)
        assignment_id = dinkes_assignment(make_action(world, support=(), title="Layanan keswa")).id
        assert dispatcher.dispatch().sent == 1
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.status == MailStatus.SENT
        assert row.refused == [{"address": "opd.head@example.org", "code": 550, "reply": "5.1.1 Kotak surat tidak ada"}]
    [mail] = smtp.messages
    assert mail.envelope_recipients == ["dinkes@example.org"]
    secretariat = client_as("secretariat")
    note = "Tidak terkirim ke opd.head@example.org: 550 5.1.1 Kotak surat tidak ada"
    assert note in secretariat.get("/admin/delivery?refused=1").get_data(as_text=True)
    assert "Belum ada email." in secretariat.get("/admin/delivery?refused=1&kind=digest").get_data(as_text=True)
    assert note in secretariat.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    dashboard = secretariat.get("/dashboard").get_data(as_text=True)
    assert 'id="unreachable-alert"' in dashboard  # one section for every OPD Kawal cannot reach
    alert = dashboard[
        dashboard.index('id="unreachable-alert"') : dashboard.index(
            "</section>", dashboard.index('id="unreachable-alert"')
        )
    ]
    line = alert[alert.index(f'id="unreachable-{world.opds["DINKES"]}"') :]
    assert "DINKES" in line[:600] and "opd.head@example.org" in line[:600]
    assert alert.count("opd.head@example.org") == 1  # not again among the other refused addresses
    assert 'id="unreachable-alert"' not in client_as("viewer").get("/dashboard").get_data(as_text=True)


def test_a_row_sent_after_a_failure_shows_no_error(mail_app, world, smtp, client_as):
    smtp.replies = ["451 4.3.0 Coba lagi nanti"]
    clock = mail_app.extensions["kawal.clock"]
    with mail_app.app_context():
        make_action(world, support=(), title="Layanan keswa")
        assert dispatcher.dispatch().retried == 1
        assert db.session.scalar(sa.select(OutboxMessage.last_error)).startswith("451")
        clock.set(clock.now() + timedelta(hours=1))
        assert dispatcher.dispatch().sent == 1
        row = db.session.scalar(sa.select(OutboxMessage))
        assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 2, None)
    page = client_as("secretariat").get("/admin/delivery").get_data(as_text=True)
    assert "Coba lagi nanti" not in page and 'class="error"' not in page


def test_the_delivery_log_says_why_in_its_readers_language_with_the_servers_words_beneath(app, world, client_as):
    """The reason is a code: one row read by an Indonesian and by an English secretariat, each in their own
    language; the server's reply is shown as its own words, not translated."""
    from accounts.models import User
    from notifications.models import MailError

    with app.app_context():
        make_action(world, support=())
        row = db.session.scalar(sa.select(OutboxMessage))
        row.status, row.error_code, row.error_params = MailStatus.DEAD, MailError.NO_RECIPIENT, {"code": "DINKES"}
        other = OutboxMessage(**{c: getattr(row, c) for c in ("kind", "opd_id", "government_id", "local_date")})
        other.dedup_key, other.next_attempt_at, other.created_at = "other", row.next_attempt_at, row.created_at
        other.status, other.error_code = MailStatus.DEAD, MailError.RECIPIENTS_REFUSED
        other.last_error = "kepala@example.org: 550 5.1.1 user unknown"
        db.session.add(other)
        db.session.commit()
    client = client_as("secretariat")
    indonesian = client.get("/admin/delivery").get_data(as_text=True)
    assert "DINKES tidak memiliki kepala aktif maupun email resmi." in indonesian
    assert "Server surat menolak penerima." in indonesian
    assert "Jawaban server: kepala@example.org: 550 5.1.1 user unknown" in indonesian
    assert "has no active head" not in indonesian and "refused the recipient" not in indonesian
    with app.app_context():
        db.session.get(User, world.users["secretariat"].id).locale = "en"
        db.session.commit()
    english = client.get("/admin/delivery").get_data(as_text=True)
    assert "DINKES has no active head and no official email." in english
    assert "The mail server refused the recipient." in english
    assert "The server said: kepala@example.org: 550 5.1.1 user unknown" in english
    assert "tidak memiliki kepala" not in english
