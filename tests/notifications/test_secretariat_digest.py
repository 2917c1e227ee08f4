"""The secretariat's own daily digest (issue 14, point 2): work to verify, requests for "cannot follow up",
escalations and the OPDs mail does not reach, each with a link to act; its government's alone; only when there is
something to say."""

import re
from datetime import date

import sqlalchemy as sa

from actions import services as actions
from core.extensions import db
from notifications import content, dispatcher, planner, secretariat
from notifications.models import MailKind, MailStatus, OutboxMessage
from tests.actions.helpers import dinkes_assignment, link_report, make_action
from tests.conftest import as_user, login
from tests.notifications.helpers import at
from tests.notifications.test_governments import _task


def _rows():
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == MailKind.SECRETARIAT_DIGEST)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def _own(smtp):
    return [m for m in smtp.messages if m["Subject"].startswith("[Kawal] Sekretariat:")]


def _submitted(world, title="Sarana visum tersedia"):
    head = as_user(world.users["opd_head"].id)
    assignment = dinkes_assignment(make_action(world, support=(), due_in=30, title=title))
    actions.acknowledge(head, assignment.id)
    link_report(world, assignment.id)
    actions.submit(head, assignment.id)
    return assignment.id


def _four_sections(world):
    """One task of each section: submitted (DINKES), asked to be released (DP3AP2KB), 16 days late on 2 January
    (DINKES), and one given to DISDUKCAPIL, which has no head and no official email."""
    submitted = _submitted(world)
    cannot = make_action(world, lead="DP3AP2KB", support=(), title="Rumah aman").assignments[0]
    other = as_user(world.users["other_head"].id)
    actions.acknowledge(other, cannot.id)
    actions.request_cannot(other, cannot.id, category="budget", reason="Anggaran 2026 belum tersedia")
    late = dinkes_assignment(make_action(world, support=(), due_in=1, title="Layanan keswa di Puskesmas"))
    actions.acknowledge(as_user(world.users["opd_head"].id), late.id)
    make_action(world, lead="DISDUKCAPIL", support=(), due_in=30, title="Data kependudukan korban")
    return submitted, cannot.id, late.id


def test_the_secretariat_digest_lists_four_sections_with_links_that_work(mail_app, world, smtp):
    with mail_app.app_context():
        submitted, cannot, late = _four_sections(world)
        dispatcher.dispatch()  # the new-task emails
        smtp.messages.clear()
        at(mail_app, 2026, 1, 2, 8, 0)  # Friday 2 January: the DINKES task is 16 days late
        first = planner.plan()
        assert first.secretariat == 1
        planner.plan()
        [row] = _rows()  # a second run adds nothing
        assert row.dedup_key == f"secretariat:{world.users['secretariat'].id}:2026-01-02"
        assert row.recipient == "secretariat@example.org"
        dispatcher.dispatch()
        disdukcapil = world.opds["DISDUKCAPIL"]
    [mail] = _own(smtp)
    assert mail["To"] == "secretariat@example.org" and mail["Cc"] is None
    assert mail["Subject"] == (
        '[Kawal] Sekretariat: 1 menunggu verifikasi, 1 permohonan "tidak dapat ditindaklanjuti", '
        "1 dieskalasi, 1 OPD tidak terjangkau"
    )
    text = mail.get_body(("plain",)).get_content()
    order = [
        "== Dilaporkan selesai, menunggu verifikasi ==",
        '== Permohonan "tidak dapat ditindaklanjuti" ==',
        "== Dieskalasi: terlambat melewati batas kebijakan ==",
        "== OPD yang tidak terjangkau email Kawal ==",
    ]
    assert [text.index(header) for header in order] == sorted(text.index(header) for header in order)
    assert "DINKES: Sarana visum tersedia" in text and "DP3AP2KB: Rumah aman" in text
    assert "Anggaran 2026 belum tersedia" in text and "terlambat 16 hari" in text
    assert "DISDUKCAPIL: Dinas Kependudukan dan Pencatatan Sipil" in text
    assert "Tidak ada kepala aktif dan tidak ada email resmi." in text
    links = re.findall(r"http://kawal\.test(/\S+)", text)
    assert f"/assignments/{submitted}#verify" in links
    assert f"/assignments/{cannot}#cannot-decision" in links
    assert f"/assignments/{late}" in links
    assert f"/reports/opds/{disdukcapil}" in links
    verifier = mail_app.test_client()
    login(verifier, world.users["secretariat"].id)
    page = verifier.get(f"/assignments/{submitted}")
    assert page.status_code == 200 and 'id="verify"' in page.get_data(as_text=True)
    # Every link opens for the officer it was written to (the OPD's admin form would refuse them).
    assert all(verifier.get(link.split("#")[0]).status_code == 200 for link in links)
    silent = verifier.get(f"/reports/opds/{disdukcapil}").get_data(as_text=True)
    assert 'id="silent-opd"' in silent
    admin = mail_app.test_client()
    login(admin, world.users["admin"].id)
    assert f'href="/admin/opds/{disdukcapil}"' in admin.get(f"/reports/opds/{disdukcapil}").get_data(as_text=True)


def test_each_government_s_secretariat_hears_of_its_own_tasks_only(app, tree, clock, smtp):
    app.config.update(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2, KAWAL_BASE_URL="http://kawal.test")
    world = tree.world
    with app.app_context():
        _submitted(world, title="Tugas milik Kota")  # the kota's forum, the kota's Dinkes
        given = _task(tree, "kab", "kab:DINKES", title="Tugas milik Kabupaten")
        head = as_user(tree.users["kab_head"])
        actions.acknowledge(head, given.id)
        actions.request_cannot(head, given.id, category="authority", reason="Bukan kewenangan kabupaten")
        dispatcher.dispatch()
        smtp.messages.clear()
        at(app, 2025, 12, 17, 8, 0)
        planner.plan()
        assert sorted(row.recipient for row in _rows()) == ["secretariat.kab@example.org", "secretariat@example.org"]
        # Their parent's secretariat gave neither task: it has nothing to act on.
        province = as_user(tree.users["prov_secretariat"])
        assert secretariat.sections(province, date(2025, 12, 17), content.book()) == []
        dispatcher.dispatch()
    mails = {m["To"]: m.get_body(("plain",)).get_content() for m in _own(smtp)}
    assert set(mails) == {"secretariat.kab@example.org", "secretariat@example.org"}
    assert "Tugas milik Kota" in mails["secretariat@example.org"]
    assert "Tugas milik Kabupaten" not in mails["secretariat@example.org"]
    assert "Tugas milik Kabupaten" in mails["secretariat.kab@example.org"]
    assert "Tugas milik Kota" not in mails["secretariat.kab@example.org"]


def test_nothing_to_say_plans_nothing_and_a_task_settled_before_sending_cancels_it(mail_app, world, smtp):
    with mail_app.app_context():
        make_action(world, support=(), due_in=30)  # DINKES and its head: nothing waits on the secretariat
        at(mail_app, 2025, 12, 17, 8, 0)
        assert planner.plan().secretariat == 0 and _rows() == []
        submitted = _submitted(world)
        at(mail_app, 2025, 12, 18, 8, 0)
        planner.plan()
        [row_id] = [row.id for row in _rows()]
        actions.verify(as_user(world.users["secretariat"].id), submitted, accept=True)
        dispatcher.dispatch()
        row = db.session.get(OutboxMessage, row_id)
        assert (row.status, row.cancel_reason) == (MailStatus.CANCELLED, "nothing_to_say")
    assert _own(smtp) == []


def test_a_day_the_sender_missed_gives_one_secretariat_digest(mail_app, world, smtp):
    with mail_app.app_context():
        _submitted(world)
        at(mail_app, 2025, 12, 17, 8, 0)
        planner.plan()  # Wednesday's, then the sender is down until Thursday
        at(mail_app, 2025, 12, 18, 8, 0)
        planner.plan()
        wednesday, thursday = _rows()
        assert (wednesday.status, wednesday.cancel_reason) == (MailStatus.CANCELLED, "superseded")
        thursday_id = thursday.id
        dispatcher.dispatch()
        assert db.session.get(OutboxMessage, thursday_id).status == MailStatus.SENT
    [mail] = _own(smtp)
    assert "Sarana visum tersedia" in mail.get_body(("plain",)).get_content()


def test_an_officer_who_reads_english_gets_it_in_english(mail_app, world, smtp):
    """Every word of it: the section titles and notes too, which are made before the email is rendered."""
    from accounts import services as accounts

    with mail_app.app_context():
        accounts.set_locale(as_user(world.users["secretariat"].id), "en")
        submitted = _four_sections(world)[0]
        dispatcher.dispatch()
        smtp.messages.clear()
        at(mail_app, 2026, 1, 2, 8, 0)
        planner.plan()
        dispatcher.dispatch()
    [mail] = [m for m in smtp.messages if m["Subject"].startswith("[Kawal] Secretariat:")]
    assert mail["Subject"] == (
        '[Kawal] Secretariat: 1 awaiting verification, 1 request for "cannot be followed up", 1 escalated, '
        "1 OPD not reached"
    )
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Dear Test secretariat,")
    for title in [
        "Reported as done, awaiting verification",
        'Requests for "cannot be followed up"',
        "Escalated: overdue past the policy's threshold",
        "OPDs that Kawal's mail does not reach",
    ]:
        assert f"== {title} ==" in text
    assert "No active head and no official email." in text
    assert "Dilaporkan selesai" not in text and "Tidak ada kepala aktif" not in text
    html = mail.get_body(("html",)).get_content()
    assert f'href="http://kawal.test/assignments/{submitted}#verify"' in html and "<script" not in html


def test_a_section_keeps_only_what_it_lists_and_counts_the_rest(app, world, monkeypatch):
    """waiting_on keeps the first LISTED_PER_DIGEST of a section and counts all of them (a province has thousands
    of escalated tasks), and the digest's section says the count of all."""
    monkeypatch.setattr(secretariat, "LISTED_PER_DIGEST", 2)
    with app.app_context():
        for n in range(3):
            _submitted(world, title=f"Sarana visum {n}")
        officer = db.session.get(secretariat.User, world.users["secretariat"].id)
        today = date(2025, 12, 17)
        verify = secretariat.waiting_on({officer.government_id: today}, content.book().policy)[officer.government_id]
        assert verify["verify"].total == 3 and len(verify["verify"]) == 2 and verify["verify"]
        assert not verify["cannot"]
        [section] = secretariat.sections(officer, today, content.book())
    assert section.key == "verify" and section.count == 3 and len(section.lines) == 2
    assert [line.title for line in section.lines] == [f"Sarana visum {n}" for n in range(2)]


def test_the_planners_question_stops_at_the_first_thing_waiting_and_answers_as_the_digest_would(app, world):
    """The planner asks only whether something waits (waiting_on(whether=True)): it stops reading at the first,
    and each government is busy exactly when the full reading finds something for it."""
    with app.app_context():
        for n in range(3):
            _submitted(world, title=f"Sarana visum {n}")
        officer = db.session.get(secretariat.User, world.users["secretariat"].id)
        today_of = {officer.government_id: date(2025, 12, 17)}
        policy = content.book().policy
        asked = secretariat.waiting_on(today_of, policy, whether=True)[officer.government_id]
        full = secretariat.waiting_on(today_of, policy)[officer.government_id]
    assert asked["verify"].total == 1 and full["verify"].total == 3
    assert any(asked.values()) and any(full.values())


def test_the_planners_question_still_finds_an_opd_that_mail_does_not_reach(app, world):
    """With nothing else waiting, an OPD without a head or an inbox that has an open task is still something
    waiting on the secretariat, found by the planner's question as by the digest."""
    with app.app_context():
        make_action(world, lead="DISDUKCAPIL", support=(), due_in=30, title="Data kependudukan korban")
        officer = db.session.get(secretariat.User, world.users["secretariat"].id)
        today_of = {officer.government_id: date(2025, 12, 17)}
        policy = content.book().policy
        asked = secretariat.waiting_on(today_of, policy, whether=True)[officer.government_id]
        full = secretariat.waiting_on(today_of, policy)[officer.government_id]
    assert [m.opd.code for m in asked["unreachable"]] == [m.opd.code for m in full["unreachable"]] == ["DISDUKCAPIL"]
