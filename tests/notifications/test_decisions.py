"""Every decision on a task is mailed to its OPD at once, through a real SMTP server on loopback: what it says,
to whom, in which language, once per decision, never to the person who made it, and never undoing the decision."""

import re
from datetime import timedelta

import sqlalchemy as sa

from accounts import services as accounts
from actions import events
from actions import services as actions
from actions.models import Action, Assignment, Status
from core.extensions import db
from core.permissions import SYSTEM
from notifications import dispatcher, subscribers
from notifications.models import MailError, MailKind, MailStatus, OutboxMessage
from tests.actions.helpers import TODAY, dinkes_assignment, link_report, make_action
from tests.conftest import as_user, opd_values
from tests.notifications.conftest import free_port
from tests.notifications.test_digests import _heads

TITLE = "Layanan keswa tersedia di setiap Puskesmas"


def _decision_rows():
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == MailKind.DECISION).order_by(OutboxMessage.id)
        )
    )


def _submitted(world, **values):
    """A DINKES task (DINKES alone), acknowledged, reported with evidence and submitted; its new-task mail sent."""
    head = as_user(world.users["opd_head"].id)
    assignment_id = dinkes_assignment(make_action(world, support=(), title=TITLE, **values)).id
    actions.acknowledge(head, assignment_id)
    link_report(world, assignment_id)
    actions.submit(head, assignment_id)
    dispatcher.dispatch()
    return assignment_id


def _text(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _only_new_mail(smtp, before):
    [mail] = smtp.messages[before:]
    return mail, _text(mail), mail.get_body(("html",)).get_content()


def _secretariat(world):
    return as_user(world.users["secretariat"].id)


def test_a_returned_task_tells_the_head_what_to_fix_once(mail_app, world, smtp):
    note = "Lampirkan daftar hadir pelatihan.\nTambahkan foto kegiatan di Puskesmas Cibodas."
    with mail_app.app_context():
        assignment_id = _submitted(world)
        before = len(smtp.messages)
        actions.verify(_secretariat(world), assignment_id, accept=False, note=note)
        assert dispatcher.dispatch().sent == 1
        # Heard again (a repeated signal), and dispatched again: nothing more.
        events.assignment_returned.send(mail_app, assignment_id=assignment_id, actor_id=world.users["secretariat"].id)
        assert len(_decision_rows()) == 1
        assert dispatcher.dispatch().sent == 0
        [row] = _decision_rows()
        assert row.status == MailStatus.SENT and row.dedup_key.startswith(f"decision:{assignment_id}:")
    mail, text, html = _only_new_mail(smtp, before)
    assert mail["To"] == "opd.head@example.org"
    assert mail["Subject"] == f"[Kawal] Dikembalikan untuk perbaikan: {TITLE}"
    assert text.startswith("Yth. Kepala Dinas Kesehatan,")
    assert "Sekretariat telah mengembalikan laporan tugas ini untuk diperbaiki." in text
    assert f"Yang perlu diperbaiki:\n{note}\n" in text  # the note in full, its lines kept
    assert "laporkan kembali tugas ini sebagai selesai" in text
    assert f"http://kawal.test/assignments/{assignment_id}" in text and f"/assignments/{assignment_id}" in html
    # Each point on its own line in the HTML too, even where a mail client ignores white-space: pre-wrap.
    assert "Lampirkan daftar hadir pelatihan.<br>Tambahkan foto kegiatan di Puskesmas Cibodas." in html


def test_an_accepted_task_says_done_as_recommended(mail_app, world, smtp):
    with mail_app.app_context():
        assignment_id = _submitted(world)
        before = len(smtp.messages)
        actions.verify(_secretariat(world), assignment_id, accept=True, note="Bukti lengkap.")
        dispatcher.dispatch()  # the task is finished, and its decision is said all the same
    mail, text, _ = _only_new_mail(smtp, before)
    assert mail["Subject"] == f"[Kawal] Selesai — sesuai rekomendasi: {TITLE}"
    assert "tugas dinyatakan selesai, sesuai rekomendasi" in text
    assert "Catatan Sekretariat:\nBukti lengkap." in text


def test_cannot_follow_up_approved_and_refused_each_with_the_note(mail_app, world, smtp):
    with mail_app.app_context():
        head = as_user(world.users["opd_head"].id)
        approved = dinkes_assignment(make_action(world, support=(), title="Sarana visum")).id
        refused = dinkes_assignment(make_action(world, support=(), title="Tenaga psikolog")).id
        for assignment_id in (approved, refused):
            actions.acknowledge(head, assignment_id)
            actions.request_cannot(head, assignment_id, category="budget", reason="Anggaran 2026 belum tersedia.")
        dispatcher.dispatch()
        before = len(smtp.messages)
        actions.decide_cannot(_secretariat(world), approved, approve=True, note="Disetujui rapat pimpinan.")
        actions.decide_cannot(_secretariat(world), refused, approve=False, note="Gunakan dana BOK.")
        assert dispatcher.dispatch().sent == 2
        assert db.session.get(Assignment, refused).status == Status.IN_PROGRESS
    first, second = smtp.messages[before:]
    assert first["Subject"] == "[Kawal] Tidak dapat ditindaklanjuti — disetujui: Sarana visum"
    text = _text(first)
    assert "tugas ini tidak dapat ditindaklanjuti." in text and "Disetujui rapat pimpinan." in text
    assert second["Subject"] == "[Kawal] Permohonan “tidak dapat ditindaklanjuti” ditolak: Tenaga psikolog"
    text = _text(second)
    assert "tugas tetap dilaksanakan" in text and "Alasan:\nGunakan dana BOK." in text
    assert "Mohon lanjutkan pelaksanaan tugas ini" in text


def _move_due_date(world, smtp):
    """A DINKES task due on 30 December moved to 6 January; returns the email that says so."""
    assignment_id = dinkes_assignment(make_action(world, support=(), title=TITLE, due_in=14)).id
    dispatcher.dispatch()
    before = len(smtp.messages)
    actions.change_due_date(_secretariat(world), assignment_id, TODAY + timedelta(days=21), "Menunggu DPA.")
    dispatcher.dispatch()
    return _only_new_mail(smtp, before)


def test_a_moved_due_date_gives_the_old_and_new_date_and_the_reason(mail_app, world, smtp):
    with mail_app.app_context():
        mail, text, html = _move_due_date(world, smtp)
    assert mail["Subject"] == f"[Kawal] Tenggat diubah: {TITLE}"
    moved = "Tenggat tugas ini diubah dari Selasa, 30 Desember 2025 menjadi Selasa, 6 Januari 2026."
    assert moved in text and moved in html
    assert "Alasan:\nMenunggu DPA." in text


def test_a_due_date_moved_twice_before_sending_says_each_move_with_its_own_date(mail_app, world, smtp):
    """Moved to 6 January, then (a typo) to 7 January, before the dispatcher ran: each email's task box gives the
    date that move set, not the newest, which would contradict the sentence above it."""
    with mail_app.app_context():
        assignment_id = dinkes_assignment(make_action(world, support=(), title=TITLE, due_in=14)).id
        dispatcher.dispatch()
        before = len(smtp.messages)
        for days, reason in ((21, "Menunggu DPA."), (22, "Salah tanggal.")):
            actions.change_due_date(_secretariat(world), assignment_id, TODAY + timedelta(days=days), reason)
        assert dispatcher.dispatch().sent == 2
    first, second = (_text(mail) for mail in smtp.messages[before:])
    assert "diubah dari Selasa, 30 Desember 2025 menjadi Selasa, 6 Januari 2026." in first
    assert "Tenggat: Selasa, 6 Januari 2026\n" in first
    assert "diubah dari Selasa, 6 Januari 2026 menjadi Rabu, 7 Januari 2026." in second
    assert "Tenggat: Rabu, 7 Januari 2026\n" in second


def test_a_follow_ups_new_due_date_tells_each_opd_it_moved(mail_app, world, smtp):
    with mail_app.app_context():
        action_id = make_action(world, title=TITLE, due_in=14).id  # DINKES and DP3AP2KB
        dispatcher.dispatch()
        before = len(smtp.messages)
        actions.update_action(
            _secretariat(world),
            action_id,
            title=TITLE,
            description=None,
            due_date=TODAY + timedelta(days=21),
            reason="Hasil rapat koordinasi.",
        )
        dispatcher.dispatch()
    mails = smtp.messages[before:]
    assert sorted(m["To"] for m in mails) == ["opd.head@example.org", "other.head@example.org"]
    for mail in mails:
        text = _text(mail)
        assert "dari Selasa, 30 Desember 2025 menjadi Selasa, 6 Januari 2026" in text
        assert "Hasil rapat koordinasi." in text


def test_reassigning_gives_the_new_opd_a_new_task_and_tells_the_old_one_why(mail_app, world, smtp):
    with mail_app.app_context():
        assignment_id = dinkes_assignment(make_action(world, support=(), title=TITLE)).id
        dispatcher.dispatch()
        before = len(smtp.messages)
        actions.reassign(_secretariat(world), assignment_id, world.opds["DP3AP2KB"], "Urusan perlindungan anak.")
        assert dispatcher.dispatch().sent == 2
    by_recipient = {m["To"]: m for m in smtp.messages[before:]}
    old = by_recipient["opd.head@example.org"]
    assert old["Subject"] == f"[Kawal] Dialihkan ke OPD lain: {TITLE}"
    text = _text(old)
    assert "dialihkan kepada DP3AP2KB (Dinas Pemberdayaan Perempuan dan Perlindungan Anak)" in text
    assert "Alasan:\nUrusan perlindungan anak." in text
    assert text.startswith("Yth. Kepala Dinas Kesehatan,")
    assert by_recipient["other.head@example.org"]["Subject"] == f"[Kawal] Tugas baru untuk DP3AP2KB: {TITLE}"


def test_cancelling_a_follow_up_tells_each_opd_once_with_the_reason(mail_app, world, smtp):
    with mail_app.app_context():
        action_id = make_action(world, title=TITLE).id  # DINKES and DP3AP2KB: one task each (unique per follow-up)
        dispatcher.dispatch()
        before = len(smtp.messages)
        actions.cancel_action(_secretariat(world), action_id, "Sudah dicakup program provinsi.")
        assert [row.opd_id for row in _decision_rows()] == [world.opds["DINKES"], world.opds["DP3AP2KB"]]
        assert dispatcher.dispatch().sent == 2
    mails = smtp.messages[before:]
    assert sorted(m["To"] for m in mails) == ["opd.head@example.org", "other.head@example.org"]
    for mail in mails:
        assert mail["Subject"] == f"[Kawal] Tugas dibatalkan: {TITLE}"
        assert "Alasan:\nSudah dicakup program provinsi." in _text(mail)


def test_a_head_who_reads_english_gets_english(mail_app, world, smtp):
    with mail_app.app_context():
        accounts.set_locale(as_user(world.users["opd_head"].id), "en")
        mail, text, _ = _move_due_date(world, smtp)
    assert mail["Subject"] == f"[Kawal] Due date moved: {TITLE}"
    assert text.startswith("Dear Head of Dinas Kesehatan,")
    assert "moved from Tuesday, 30 December 2025 to Tuesday, 6 January 2026." in text
    assert "Reason:\nMenunggu DPA." in text


def test_no_mail_to_whoever_made_the_decision(mail_app, world, smtp):
    """BAPPEDA has no head and its official inbox is the secretariat officer's own address: the officer who
    cancels BAPPEDA's task is not told of it."""
    with mail_app.app_context():
        opd = accounts.get_opd(world.opds["BAPPEDA"])
        accounts.update_opd(
            SYSTEM, opd.id, **opd_values(opd, email="secretariat@example.org", head_id=None, active=True)
        )
        action_id = make_action(world, lead="BAPPEDA", support=("DINKES",), title=TITLE).id
        dispatcher.dispatch()
        before = len(smtp.messages)
        actions.cancel_action(_secretariat(world), action_id, "Tidak relevan lagi.")
        assert [row.opd_id for row in _decision_rows()] == [world.opds["DINKES"]]
        dispatcher.dispatch()
    assert [m["To"] for m in smtp.messages[before:]] == ["opd.head@example.org"]


def test_an_opd_nobody_hears_for_any_more_ends_dead_with_its_code(mail_app, world, smtp):
    with mail_app.app_context():
        action_id = make_action(world, support=(), title=TITLE).id
        assert dispatcher.dispatch().sent == 1  # DINKES heard of the task; then its head leaves, and no inbox
        accounts.set_user_active(SYSTEM, world.users["opd_head"].id, False)
        actions.cancel_action(_secretariat(world), action_id, "Tidak relevan lagi.")
        assert dispatcher.dispatch().dead == 1
        [row] = _decision_rows()
        assert (row.status, row.error_code, row.error_params) == (
            MailStatus.DEAD,
            MailError.NO_RECIPIENT,
            {"code": "DINKES"},
        )


def test_news_of_a_task_never_heard_of_is_not_sent(mail_app, world, smtp):
    """Given by mistake and cancelled (or moved to another OPD) before its new-task email went: the OPD hears
    nothing, neither the new task nor its end. The new OPD of the reassignment gets its new task."""
    with mail_app.app_context():
        cancelled = make_action(world, support=(), title="Salah input").id
        actions.cancel_action(_secretariat(world), cancelled, "Salah input.")
        moved = dinkes_assignment(make_action(world, support=(), title=TITLE)).id
        actions.reassign(_secretariat(world), moved, world.opds["DP3AP2KB"], "Salah OPD.")
        result = dispatcher.dispatch()
        assert len(_decision_rows()) == 2 and all(r.status == MailStatus.CANCELLED for r in _decision_rows())
    assert [m["To"] for m in smtp.messages] == ["other.head@example.org"]
    assert smtp.messages[0]["Subject"] == f"[Kawal] Tugas baru untuk DP3AP2KB: {TITLE}"
    assert result.sent == 1


def test_a_plt_head_who_worked_on_the_task_during_an_outage_hears_of_the_return(make_app, world, smtp):
    """The head of DP3AP2KB is acting head (Plt.) of DINKES too. The mail server is down when DINKES is given a
    task; the Plt. head finds it in "Tugas saya" and hands it in, and the secretariat returns it. When the server
    is back, the return is news to someone who worked on the task: it is sent, not cancelled as never heard of."""
    down = make_app(MAIL_PORT=free_port(), MAIL_TIMEOUT=1)  # nothing listens there: connection refused
    with down.app_context():
        _heads(world, "DINKES", "other_head")
        assignment_id = dinkes_assignment(make_action(world, support=(), title=TITLE)).id
        assert dispatcher.dispatch().retried == 1
        plt = as_user(world.users["other_head"].id)
        actions.acknowledge(plt, assignment_id)
        link_report(world, assignment_id, role="other_head")
        actions.submit(plt, assignment_id)
        actions.verify(_secretariat(world), assignment_id, accept=False, note="Lampirkan daftar hadir.")
    up = make_app(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with up.app_context():
        dispatcher.dispatch()
        [row] = _decision_rows()
        assert row.status == MailStatus.SENT
    assert [m["To"] for m in smtp.messages] == ["other.head@example.org"]
    assert smtp.messages[0]["Subject"] == f"[Kawal] Dikembalikan untuk perbaikan: {TITLE}"


def test_a_failing_subscriber_never_undoes_the_decision(mail_app, world, smtp, monkeypatch, caplog):
    with mail_app.app_context():
        assignment_id = _submitted(world)

        def broken(*args, **kwargs):
            raise RuntimeError("outbox unavailable")

        monkeypatch.setattr(subscribers, "_enqueue", broken)
        actions.verify(_secretariat(world), assignment_id, accept=False, note="Lampirkan daftar hadir.")
        db.session.remove()
        assert db.session.get(Assignment, assignment_id).status == Status.RETURNED
        assert _decision_rows() == []
    assert "Could not queue the decision email" in caplog.text


def test_a_decision_keeps_being_retried_past_the_new_task_window(make_app, world):
    app = make_app(MAIL_PORT=free_port(), MAIL_TIMEOUT=1, MAIL_GIVE_UP_AFTER_HOURS=72)
    clock = app.extensions["kawal.clock"]
    with app.app_context():
        action_id = make_action(world, support=(), title=TITLE).id
        assignment_id = dinkes_assignment(db.session.get(Action, action_id)).id
        actions.acknowledge(as_user(world.users["opd_head"].id), assignment_id)  # DINKES knows of it from its page
        actions.cancel_action(_secretariat(world), action_id, "Tidak relevan lagi.")
        make_action(world, support=(), title="Sarana visum")  # open: its new-task email is still worth saying
        clock.set(clock.now() + timedelta(days=5))  # the mail server was down all along
        for _ in range(2):  # each run stops at the first email the server fails; the rest wait for the next
            dispatcher.dispatch()
            clock.set(clock.now() + timedelta(hours=2))
        new_tasks = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == MailKind.NEW_TASK).order_by(OutboxMessage.id)
        ).all()
        [decision] = _decision_rows()
        # The cancelled task's new-task email has nothing left to say; the open one's is too old to be worth it.
        assert [(row.status, row.cancel_reason) for row in new_tasks] == [
            (MailStatus.CANCELLED, "nothing_to_say"),
            (MailStatus.CANCELLED, "too_old"),
        ]
        assert decision.status == MailStatus.PENDING and decision.attempts >= 1


def test_the_delivery_log_names_the_kind_in_both_languages(mail_app, world, smtp, client_as):
    with mail_app.app_context():
        action_id = make_action(world, support=(), title=TITLE).id
        dispatcher.dispatch()
        actions.cancel_action(_secretariat(world), action_id, "Tidak relevan lagi.")
        dispatcher.dispatch()
    client = client_as("secretariat")
    page = client.get("/admin/delivery?kind=decision").get_data(as_text=True)
    assert "Keputusan atas tugas" in page and f"[Kawal] Tugas dibatalkan: {TITLE}" in page
    assert "Tugas baru untuk" not in page
    with mail_app.app_context():
        accounts.set_locale(as_user(world.users["secretariat"].id), "en")
    assert "Decision on a task" in client.get("/admin/delivery?kind=decision").get_data(as_text=True)


def test_the_task_page_says_what_each_decision_email_said(mail_app, world, smtp, client_as):
    """ "Emails about this task" gives a decision's subject, as the delivery log does, so the reader sees what was
    decided and not only "Keputusan atas tugas"."""
    with mail_app.app_context():
        assignment_id = _submitted(world)
        actions.verify(_secretariat(world), assignment_id, accept=False, note="Lampirkan daftar hadir.")
        dispatcher.dispatch()
        head = as_user(world.users["opd_head"].id)
        actions.submit(head, assignment_id)
        actions.verify(_secretariat(world), assignment_id, accept=True)
        dispatcher.dispatch()
    page = client_as("opd_head").get(f"/assignments/{assignment_id}").get_data(as_text=True)
    section = page[page.index('id="reminders"') : page.index("</section>", page.index('id="reminders"'))]
    items = [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in section.split("<li>")[1:]]
    decisions = [item for item in items if item.startswith("Keputusan atas tugas")]
    assert len(decisions) == 2
    assert f"[Kawal] Dikembalikan untuk perbaikan: {TITLE}" in decisions[0]
    assert f"[Kawal] Selesai — sesuai rekomendasi: {TITLE}" in decisions[1]
    [new_task] = [item for item in items if item.startswith("Tugas baru")]
    assert f"[Kawal] Tugas baru untuk DINKES: {TITLE}" in new_task
    # A digest's subject counts the head's other tasks and OPDs: the task's page keeps it to itself.
    assert OutboxMessage(kind=MailKind.DIGEST, subject="[Kawal] DINKES, DP3AP2KB: 3 terlambat").task_subject is None
