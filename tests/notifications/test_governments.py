"""Reminders per government (issue 12, point 5): each OPD's digest at its own government's send time, in its time
zone, on its working days; escalation to the assigning government's secretariat; each government's settings and
mail for itself alone."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from accounts import governments
from accounts import services as accounts
from accounts.models import User
from actions import services as actions
from core.calendar import CollectiveLeave
from core.errors import NotAllowed, NotFound
from core.extensions import db
from core.permissions import SYSTEM
from forum import services as forums
from notifications import dispatcher, planner
from notifications import services as notifications
from notifications.models import MailKind, MailStatus, OutboxMessage
from tests.actions.helpers import TODAY
from tests.conftest import QueryCounter, as_user, login
from tests.forum.helpers import FGD


def _secretariat(tree, owner):
    return as_user(tree.world.users["secretariat"].id if owner == "kota" else tree.users[f"{owner}_secretariat"])


def _task(tree, owner, opd, *, due_in=3, title="Informasikan hasil FGD kepada kepala OPD"):
    """A forum of `owner`'s government with one follow-up for `opd` ("kab:DINKES"); call inside an app context."""
    secretariat = _secretariat(tree, owner)
    forum = forums.create_forum(secretariat, **{**FGD, "title": f"FGD {owner}"})
    recommendation = forums.add_recommendation(secretariat, forum.id, text="Informasikan kepada kepala OPD")
    action = actions.create_action(
        secretariat,
        recommendation.id,
        kind="task",
        title=title,
        due_date=TODAY + timedelta(days=due_in),
        lead_opd_id=tree.opds[opd],
    )
    return action.assignments[0]


def _zone(government_id, time_zone):
    current = accounts.get_government(government_id)
    values = {name: getattr(current, name) for name in accounts.GOVERNMENT_FIELDS}
    accounts.update_government(SYSTEM, government_id, **(values | {"time_zone": time_zone}))


def _digests():
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == MailKind.DIGEST).order_by(OutboxMessage.id)
    return list(db.session.scalars(query))


def _settings(actor, government_id, **changes):
    row = notifications.get_settings(actor, government_id)
    values = {name: getattr(row, name) for name in notifications.SETTINGS_FIELDS}
    return notifications.update_settings(actor, government_id, **(values | changes))


def test_a_wita_government_s_digest_goes_at_0730_wita_and_a_wib_one_an_hour_later(app, tree, clock, smtp):
    app.config.update(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2, KAWAL_BASE_URL="http://kawal.test")
    with app.app_context():
        _zone(tree.govs["kab"], "Asia/Makassar")
        _task(tree, "kab", "kab:DINKES")  # due Friday 19 December: three days left on the 16th
        _task(tree, "kota", "kota:DINKES")
        dispatcher.dispatch()  # the new-task emails
        sent = len(smtp.messages)
        # Wednesday 17 December, 07.29 WITA = 06.29 WIB = 23.29 UTC on the 16th: nobody's send time yet.
        clock.set(datetime(2025, 12, 16, 23, 29, tzinfo=UTC))
        assert planner.next_run_time(clock.now()) == datetime(2025, 12, 16, 23, 30, tzinfo=UTC)
        early = planner.plan()
        assert early.before_send_time and early.messages == 0
        clock.set(datetime(2025, 12, 16, 23, 30, tzinfo=UTC))  # 07.30 WITA
        result = planner.plan()
        assert result.planned == {tree.govs["kab"]} and result.messages == 1
        [digest] = _digests()
        assert (digest.opd_id, digest.government_id) == (tree.opds["kab:DINKES"], tree.govs["kab"])
        assert digest.local_date == date(2025, 12, 17)  # the WITA date: 16th still in no zone of the planner's
        assert digest.dedup_key == f"digest:{tree.govs['kab']}:user:{tree.users['kab_head']}:2025-12-17"
        assert digest.next_attempt_at == datetime(2025, 12, 16, 23, 30, tzinfo=UTC)
        assert planner.next_run_time(clock.now()) == datetime(2025, 12, 17, 0, 30, tzinfo=UTC)
        assert dispatcher.dispatch().sent == 1
        assert smtp.messages[sent]["To"] == "head.kab@example.org"
        clock.set(datetime(2025, 12, 17, 0, 30, tzinfo=UTC))  # 07.30 WIB
        assert planner.plan().planned == {tree.govs["kota"], tree.govs["prov"], tree.govs["kab"]}
        assert [(d.opd_id, d.local_date) for d in _digests()] == [
            (tree.opds["kab:DINKES"], date(2025, 12, 17)),
            (tree.opds["kota:DINKES"], date(2025, 12, 17)),
        ]


def test_each_government_plans_with_its_own_policy(appctx, tree, clock):
    kab_admin = as_user(tree.users["kab_admin"])
    _settings(kab_admin, None, send_time="09:00", due_soon_days="1")
    _task(tree, "kab", "kab:DINKES")
    _task(tree, "kota", "kota:DINKES")
    clock.set(datetime(2025, 12, 17, 1, 0, tzinfo=UTC))  # 08.00 WIB on the 17th: two days left for both
    result = planner.plan()
    assert result.planned == {tree.govs["kota"], tree.govs["prov"]}  # the kabupaten sends at 09.00
    clock.set(datetime(2025, 12, 17, 2, 0, tzinfo=UTC))
    assert tree.govs["kab"] in planner.plan().planned
    # The kota's policy reminds at 3 days left; the kabupaten's only at 1: its task has nothing due yet.
    assert [d.opd_id for d in _digests()] == [tree.opds["kota:DINKES"]]


def test_a_new_government_starts_from_the_instance_defaults(appctx, tree):
    _settings(as_user(tree.world.users["admin"].id), None, send_time="06:45")
    new = accounts.create_government(SYSTEM, code="KOTA-CLG", name="Pemerintah Kota Cilegon", kind="kota").id
    every = notifications.policies.every()
    assert every[new].send_time == time(7, 30) and every[tree.govs["kota"]].send_time == time(6, 45)


def test_one_government_s_cuti_bersama_does_not_stop_another_s_reminders(appctx, tree, clock):
    notifications.add_collective_leave(as_user(tree.users["kab_admin"]), date(2025, 12, 17), "Cuti bersama Serang")
    _task(tree, "kab", "kab:DINKES")
    _task(tree, "kota", "kota:DINKES")
    clock.set(datetime(2025, 12, 17, 1, 0, tzinfo=UTC))  # 08.00 WIB, Wednesday 17 December
    result = planner.plan()
    assert not result.days[tree.govs["kab"]].working_day and result.days[tree.govs["kota"]].working_day
    assert [d.opd_id for d in _digests()] == [tree.opds["kota:DINKES"]]
    clock.set(datetime(2025, 12, 18, 1, 0, tzinfo=UTC))  # the next day is a working day in Serang too
    planner.plan()
    assert {d.opd_id for d in _digests()} == {tree.opds["kota:DINKES"], tree.opds["kab:DINKES"]}


def test_escalation_copies_the_assigning_government_s_secretariat_and_the_opd_government_s_address(
    app, tree, clock, smtp
):
    app.config.update(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2, KAWAL_BASE_URL="http://kawal.test")
    with app.app_context():
        _settings(as_user(tree.users["kab_admin"]), None, escalation_email="sekda@serangkab.go.id")
        _settings(as_user(tree.users["prov_admin"]), None, escalation_email="sekda@bantenprov.go.id")
        _settings(as_user(tree.world.users["admin"].id), None, escalation_email="sekda@tangerangkota.go.id")
        assignment = _task(tree, "prov", "kab:DINKES", due_in=1)  # Provinsi Banten gives the task to Serang's Dinkes
        actions.acknowledge(as_user(tree.users["kab_head"]), assignment.id)
        dispatcher.dispatch()
        clock.set(datetime(2026, 1, 2, 1, 0, tzinfo=UTC))  # 16 days late
        planner.plan()
        # The head's digest, and the escalation in the digest of Banten's secretariat (which gave the task) alone.
        assert dispatcher.dispatch().sent == 2
    [digest] = [m for m in smtp.messages if m["Subject"].startswith("[Kawal] DINKES:")]
    [own] = [m for m in smtp.messages if m["Subject"].startswith("[Kawal] Sekretariat:")]
    assert own["To"] == "secretariat.prov@example.org"
    assert digest["To"] == "head.kab@example.org"
    # Banten assigned it: its secretariat, not Serang's nor the kota's; Serang's escalation address, not Banten's.
    assert set(digest["Cc"].split(", ")) == {"secretariat.prov@example.org", "sekda@serangkab.go.id"}


def test_a_new_task_is_signed_by_the_government_that_gave_it_and_a_digest_by_the_opd_s_own(app, tree, clock, smtp):
    app.config.update(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2, KAWAL_BASE_URL="http://kawal.test")
    with app.app_context():
        _task(tree, "prov", "kab:DINKES", due_in=1)  # Provinsi Banten writes to Serang's Dinkes
        assert dispatcher.dispatch().sent == 1
        clock.set(datetime(2025, 12, 17, 1, 0, tzinfo=UTC))  # the next morning: due tomorrow, in the digest
        planner.plan()
        assert dispatcher.dispatch().sent == 1
    new_task, digest = (message.get_body(("plain",)).get_content() for message in smtp.messages[-2:])
    assert "Pemerintah Provinsi Banten" in new_task and "Kota Tangerang" not in new_task
    assert "Pemerintah Kabupaten Serang" in digest and "Kota Tangerang" not in digest


def test_a_decision_is_signed_by_the_government_that_gave_the_task(app, tree, smtp):
    app.config.update(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2, KAWAL_BASE_URL="http://kawal.test")
    with app.app_context():
        assignment_id = _task(tree, "prov", "kab:DINKES").id  # Provinsi Banten gives Serang's Dinkes a task
        dispatcher.dispatch()
        actions.cancel_assignment(_secretariat(tree, "prov"), assignment_id, "Dicakup program nasional.")
        assert dispatcher.dispatch().sent == 1
    decision = smtp.messages[-1]
    assert decision["To"] == "head.kab@example.org" and decision["Subject"].startswith("[Kawal] Tugas dibatalkan:")
    text = decision.get_body(("plain",)).get_content()
    assert "Pemerintah Provinsi Banten" in text and "Kabupaten Serang" not in text and "Kota Tangerang" not in text


def test_the_kabupaten_admin_cannot_read_or_change_the_kota_s_settings(app, tree, client):
    kota = tree.govs["kota"]
    with app.app_context():
        kab_admin = as_user(tree.users["kab_admin"])
        for call in (
            lambda: notifications.get_settings(kab_admin, kota),
            lambda: _settings(kab_admin, kota, send_time="05:00"),
            lambda: notifications.collective_leave_days(kab_admin, kota),
            lambda: notifications.add_collective_leave(kab_admin, date(2025, 12, 24), "Cuti", kota),
        ):
            with pytest.raises(NotAllowed):
                call()
        leave = notifications.add_collective_leave(as_user(tree.world.users["admin"].id), date(2025, 12, 24), "Cuti")
        leave_id = leave.id
        with pytest.raises(NotFound):
            notifications.remove_collective_leave(kab_admin, leave_id)
        _settings(kab_admin, None, send_time="08:15")
        db.session.remove()
    login(client, tree.users["kab_admin"])
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="08:15"' in page and "Cuti" not in page and 'name="government"' not in page  # its own, no picker
    assert client.get(f"/admin/settings?government={kota}").status_code == 403
    assert client.post(f"/admin/settings?government={kota}", data={"send_time": "05:00"}).status_code in (400, 403)
    assert client.post(f"/admin/settings/leave/{leave_id}/delete", data={}).status_code in (302, 400, 404)
    with app.app_context():
        assert db.session.get(CollectiveLeave, leave_id) is not None
        assert notifications.policies.current(kota).send_time == time(7, 30)


def test_the_instance_admin_picks_the_government_whose_settings_it_edits(app, tree, client):
    with app.app_context():
        admin = db.session.get(User, tree.world.users["admin"].id)
        admin.manages_instance = True
        db.session.commit()
        _settings(admin, tree.govs["kab"], send_time="06:30")
        db.session.remove()
    login(client, tree.world.users["admin"].id)
    page = client.get(f"/admin/settings?government={tree.govs['kab']}").get_data(as_text=True)
    assert 'name="government"' in page and 'value="06:30"' in page
    assert "Pemerintah Kabupaten Serang" in page
    assert 'value="07:30"' in client.get("/admin/settings").get_data(as_text=True)  # its own government's


def test_the_kabupaten_secretariat_sees_none_of_the_kota_s_mail(app, tree, client):
    with app.app_context():
        kab = _task(tree, "kab", "kab:DINKES", title="Tugas Serang")
        kota = _task(tree, "kota", "kota:DINKES", title="Tugas Tangerang")
        kab_id, kota_id = kab.id, kota.id
        db.session.execute(sa.update(OutboxMessage).values(status=MailStatus.DEAD))  # both failed
        db.session.commit()
        kota_mail = db.session.scalar(
            sa.select(OutboxMessage.id).where(OutboxMessage.government_id == tree.govs["kota"])
        )
        kab_secretariat = as_user(tree.users["kab_secretariat"])
        log = notifications.delivery_log(kab_secretariat, notifications.DeliveryFilters()).items
        assert [m.recipient for m in log] == ["head.kab@example.org"]
        assert notifications.dead_count(kab_secretariat) == 1
        assert notifications.reminders_of(kab_secretariat, kota_id) == []
        assert len(notifications.reminders_of(kab_secretariat, kab_id)) == 1
        with pytest.raises(NotFound):
            notifications.requeue(kab_secretariat, kota_mail)
        # The province sees the mail of both governments under it.
        prov = as_user(tree.users["prov_secretariat"])
        assert notifications.dead_count(prov) == 2
        db.session.remove()
    login(client, tree.users["kab_secretariat"])
    page = client.get("/admin/delivery").get_data(as_text=True)
    assert "head.kab@example.org" in page and "opd.head@example.org" not in page
    assert client.post(f"/admin/delivery/{kota_mail}/requeue", data={}).status_code in (302, 400, 404)
    with app.app_context():
        assert db.session.get(OutboxMessage, kota_mail).status == MailStatus.DEAD


def test_the_preview_shows_only_the_opds_in_reach(app, tree, clock):
    with app.app_context():
        _task(tree, "kab", "kab:DINKES")
        _task(tree, "kota", "kota:DINKES")
        _, rows, _ = notifications.preview(as_user(tree.users["kab_secretariat"]))
        assert [row.opd.id for row in rows] == [tree.opds["kab:DINKES"]]
        _, rows, _ = notifications.preview(as_user(tree.users["prov_secretariat"]))
        assert {row.opd.id for row in rows} == {tree.opds["kab:DINKES"], tree.opds["kota:DINKES"]}


def test_the_planner_s_queries_do_not_grow_with_the_number_of_governments(appctx, tree, clock):
    _task(tree, "kab", "kab:DINKES")
    _task(tree, "kota", "kota:DINKES")

    def count(moment):
        db.session.rollback()
        governments.forget()
        with QueryCounter(db.engine) as counter:
            planner.plan(moment, dry_run=True)
            planner.next_run_time(moment)
        return counter.count

    first = count(datetime(2025, 12, 17, 1, 0, tzinfo=UTC))
    for number in range(5):
        government = accounts.create_government(
            SYSTEM,
            code=f"KAB-{number}",
            name=f"Pemerintah Kabupaten Uji {number}",
            kind="kabupaten",
            parent_id=tree.govs["prov"],
            time_zone="Asia/Jayapura",
        )
        opd = accounts.create_opd(
            SYSTEM, government_id=government.id, code="DINKES", name="Dinas Kesehatan", kind="dinas"
        )
        tree.opds[f"uji{number}:DINKES"] = opd.id
        _task(tree, "prov", f"uji{number}:DINKES")
    assert count(datetime(2025, 12, 17, 1, 0, tzinfo=UTC)) == first


def test_times_on_pages_are_in_the_viewer_s_government_s_zone(app, tree, clock):
    with app.app_context():
        _zone(tree.govs["kab"], "Asia/Makassar")
        clock.set(datetime(2025, 12, 16, 1, 0, tzinfo=UTC))  # 08.00 WIB = 09.00 WITA
        _task(tree, "kab", "kab:DINKES")
    pages = {}
    for who, user_id in (("kab", tree.users["kab_secretariat"]), ("prov", tree.users["prov_secretariat"])):
        client = app.test_client()
        login(client, user_id)
        pages[who] = client.get("/admin/delivery").get_data(as_text=True)
    assert "09.00 WITA" in pages["kab"] and "WIB" not in pages["kab"]
    assert "08.00 WIB" in pages["prov"]
    with app.app_context():  # outside a request: the installation's zone
        from core import clock as clocks

        assert clocks.local_zone().key == "Asia/Jakarta"
