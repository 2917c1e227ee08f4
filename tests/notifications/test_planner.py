"""The planner selects by state: the right occasions, once, on working days only."""

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from actions import decrees
from actions import services as actions
from actions.models import Assignment
from core import clock
from core.extensions import db
from notifications import planner
from notifications import services as notifications
from notifications.models import OutboxItem, OutboxMessage, Reason
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user
from tests.notifications.helpers import at, digests, items_of


def _reasons(message):
    return sorted((item.occasion.split(":")[0], item.reason) for item in items_of(message))


def test_due_soon_thresholds_fire_once_each(app, appctx, world):
    make_action(world, support=(), due_in=14)  # due Tuesday 30 December
    assert db.session.scalar(sa.select(Assignment)).due_date == date(2025, 12, 30)
    seen = []
    for day in (22, 23, 24, 26, 29, 30):  # working days around Christmas (25th is a holiday)
        at(app, 2025, 12, day)
        result = planner.plan()
        seen.append(result.items)
    occasions = sorted(i.occasion for i in db.session.scalars(sa.select(OutboxItem)) if i.reason == Reason.DUE_SOON)
    # The 3-day reminder fell on Saturday 27th; on Monday the 1-day one supersedes it rather than both going out.
    assert occasions == ["due:2025-12-30:0", "due:2025-12-30:1", "due:2025-12-30:7"]
    # Also: still unacknowledged on the 22nd (first reminder) and on the 26th (a week later).
    assert seen == [1, 1, 0, 1, 1, 1]


def test_a_second_run_plans_nothing_and_two_planners_write_one_row(app, appctx, world):
    make_action(world, support=("DP3AP2KB",), due_in=3)
    first = planner.plan()
    assert (first.messages, first.items) == (2, 2)
    assert planner.plan().items == 0
    db.session.remove()
    errors = []

    def run():
        with app.app_context():
            try:
                planner.plan(clock.now() + timedelta(days=3))  # Friday: the due-today reminder
            except Exception as error:  # a lost race must be harmless, never an exception
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    friday = [m for m in digests() if m.local_date == date(2025, 12, 19)]
    assert len(friday) == 2  # one per OPD, whichever planner won
    # Due today, still unacknowledged, and Tuesday's "due in 3 days", carried over from the digest it supersedes.
    assert all(len(items_of(m)) == 3 for m in friday)
    tuesday = [m for m in digests() if m.local_date == date(2025, 12, 16)]
    assert [(m.status, m.cancel_reason) for m in tuesday] == [("cancelled", "superseded")] * 2
    keys = db.session.execute(sa.select(OutboxItem.subject_key, OutboxItem.occasion)).all()
    assert len(keys) == len(set(keys))


def test_three_days_of_downtime_give_one_digest_holding_everything(app, appctx, world):
    make_action(world, support=(), due_in=3, title="Jatuh tempo")  # due Fri 19 Dec
    make_action(world, support=(), due_in=30, title="Belum dikonfirmasi")
    make_action(world, support=(), due_in=1, title="Terlambat")  # due Wed 17 Dec
    # The worker is down from Wednesday to Friday; it runs again on Monday 22 December.
    at(app, 2025, 12, 22, 8, 0)
    result = planner.plan()
    assert result.messages == 1
    [digest] = digests()
    assert digest.local_date == date(2025, 12, 22)
    assert _reasons(digest) == [
        ("overdue", Reason.OVERDUE),
        ("overdue", Reason.OVERDUE),
        ("unack", Reason.UNACKNOWLEDGED),
        ("unack", Reason.UNACKNOWLEDGED),
        ("unack", Reason.UNACKNOWLEDGED),
    ]


@pytest.mark.parametrize(
    "moment, why",
    [
        ((2025, 12, 20), "Saturday"),
        ((2025, 12, 25), "Christmas, a public holiday"),
        ((2025, 12, 26), "cuti bersama"),
        ((2025, 12, 22, 7, 0), "before the send time"),
    ],
)
def test_no_reminders_on_days_off_or_before_the_send_time(app, appctx, world, moment, why):
    notifications.add_collective_leave(as_user(world.users["admin"].id), date(2025, 12, 26), "Cuti bersama Natal")
    make_action(world, support=(), due_in=1)
    at(app, *moment)
    result = planner.plan()
    assert result.items == 0, why
    assert digests() == []


def test_unacknowledged_waits_two_working_days_over_a_weekend(app, appctx, world):
    at(app, 2025, 12, 19)  # Friday
    make_action(world, support=(), due_in=30)
    for day, expected in ((22, 0), (23, 1), (24, 0)):  # Monday: one working day; Tuesday: two
        at(app, 2025, 12, day)
        assert planner.plan().items == expected, day


def test_escalation_after_fourteen_days_overdue(app, appctx, world):
    assignment = dinkes_assignment(make_action(world, support=(), due_in=1))  # due 17 Dec
    actions.acknowledge(as_user(world.users["opd_head"].id), assignment.id)
    at(app, 2025, 12, 30)  # 13 days late
    planner.plan()
    at(app, 2025, 12, 31)  # 14 days late: escalated
    planner.plan()
    reasons = [item.reason for item in db.session.scalars(sa.select(OutboxItem).order_by(OutboxItem.id))]
    assert reasons[-2:] == [Reason.OVERDUE, Reason.ESCALATION]


def test_overdue_reminds_once_a_week(app, appctx, world):
    make_action(world, support=(), due_in=1)
    assignment = db.session.scalar(sa.select(Assignment))
    actions.acknowledge(as_user(world.users["opd_head"].id), assignment.id)
    planned_days = []
    day = date(2025, 12, 18)
    while day <= date(2026, 1, 9):
        if day.weekday() < 5 and day not in (date(2025, 12, 25), date(2026, 1, 1)):
            at(app, day.year, day.month, day.day)
            if planner.plan().items:
                planned_days.append(day)
        day += timedelta(days=1)
    # Weeks of lateness start on days 1, 8, 15 and 22; the 25th and 1 January are holidays, so the reminder waits a
    # day. Day 14 (the 31st) is the escalation, an occasion of its own.
    assert planned_days == [
        date(2025, 12, 18),
        date(2025, 12, 26),
        date(2025, 12, 31),
        date(2026, 1, 2),
        date(2026, 1, 8),
    ]


def test_decree_expiry_reminds_60_and_30_days_before(app, appctx, world):
    import io

    from werkzeug.datastructures import FileStorage

    action = make_action(world, kind="decree", lead="DINKES", support=())
    secretariat = as_user(world.users["secretariat"].id)
    decrees.update_decree(
        secretariat,
        action.id,
        subject="Tim PPT Kespro",
        number="800/1/2022",
        signed_on=date(2022, 1, 3),
        signer="Wali Kota",
        valid_from=date(2022, 1, 3),
        valid_until=date(2026, 3, 2),
        lead_opd_id=world.opds["DINKES"],
        document=FileStorage(io.BytesIO(b"%PDF-1.4\n"), filename="sk.pdf"),
    )
    decrees.set_decree_stage(secretariat, action.id, "drafted")
    decrees.set_decree_stage(secretariat, action.id, "signed")
    for day in (date(2025, 12, 31), date(2026, 1, 2), date(2026, 1, 30), date(2026, 2, 2)):
        at(app, day.year, day.month, day.day)
        planner.plan()
    found = sorted(
        i.occasion for i in db.session.scalars(sa.select(OutboxItem).where(OutboxItem.decree_id.is_not(None)))
    )
    assert found == ["decree:2026-03-02:30", "decree:2026-03-02:60"]


def test_due_dates_are_judged_at_local_midnight(app, appctx, world):
    make_action(world, support=(), due_in=1)  # due Wednesday 17 December
    assignment = db.session.scalar(sa.select(Assignment))
    at(app, 2025, 12, 17, 23, 59)  # 16.59 UTC: still the 17th in Jakarta
    assert assignment.days_late(clock.today_local()) == 0
    at(app, 2025, 12, 18, 0, 0)  # 17.00 UTC: already the 18th in Jakarta
    assert clock.now().hour == 17
    assert assignment.days_late(clock.today_local()) == 1
    result = planner.plan(clock.now() + timedelta(hours=8))  # the worker's run at 08.00 WIB on the 18th
    assert [c.reason for found in result.by_opd.values() for c in found if c.reason == Reason.OVERDUE] == ["overdue"]


def test_preview_lists_by_recipient_and_writes_nothing(app, appctx, world):
    make_action(world, support=("DISDUKCAPIL",), due_in=3)
    result, rows, next_run = notifications.preview(as_user(world.users["secretariat"].id))
    assert [(row.opd.code, row.recipient) for row in rows] == [
        ("DINKES", "opd.head@example.org"),
        ("DISDUKCAPIL", None),
    ]
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.kind == "digest")) == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite's single writer has no such window
def test_a_sender_never_claims_a_digest_the_planner_is_still_adding_to(app, appctx, world, monkeypatch):
    from notifications import dispatcher
    from notifications.models import MailStatus

    make_action(world, support=(), due_in=3, title="Jatuh tempo Jumat")
    db.session.execute(sa.delete(OutboxMessage))  # the new-task mails are not the subject here
    db.session.commit()
    assert planner.plan().items == 1  # today's digest, waiting, with one item
    make_action(world, support=(), due_in=0, title="Jatuh tempo hari ini")  # a second item for the same digest
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.kind == "new_task"))
    db.session.commit()
    seen = {}

    def claim_meanwhile():
        """A sender claims between the planner's choice of today's digest and its new items' INSERT."""
        with app.app_context():
            claimed = dispatcher.claim(clock.now(), "other:1", 10)
            seen["ids"] = claimed.ids
            seen["items"] = db.session.scalar(
                sa.select(sa.func.count(OutboxItem.id)).where(OutboxItem.message_id.in_(claimed.ids))
            )
            db.session.remove()

    insert = planner.bulk_insert_or_ignore

    def insert_after_a_claim(*args, **kwargs):
        thread = threading.Thread(target=claim_meanwhile)
        thread.start()
        thread.join(timeout=30)
        return insert(*args, **kwargs)

    monkeypatch.setattr(planner, "bulk_insert_or_ignore", insert_after_a_claim)
    assert planner.plan().items == 1
    [digest] = digests()
    if seen["ids"]:  # the sender got the row: then it must have had every item the row will ever have
        assert seen["items"] == len(items_of(digest)), "items were added to a digest already claimed"
    assert seen["ids"] == [] and digest.status == MailStatus.PENDING and len(items_of(digest)) == 2
