"""Every change of a follow-up's state sends its domain event once committed, and only then; status moves that
give a task afresh (reassigning, re-adding a cancelled OPD) go through the table with their history and audit."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from blinker import NamedSignal
from werkzeug.datastructures import FileStorage

from actions import carry_over, decrees, events, services
from actions.models import Assignment, AssignmentEvent, HistoryKind, Status
from core.audit import AuditEvent
from core.errors import Invalid
from core.extensions import db
from forum import services as forums
from tests.actions.helpers import TODAY, dinkes_assignment, link_report, make_action
from tests.conftest import as_user
from tests.forum.helpers import FGD, make_forum

SIGNALS = [value for value in vars(events).values() if isinstance(value, NamedSignal)]


@pytest.fixture
def sent(app):
    """Every domain event sent by this app, as (signal name, its keyword arguments without the actor)."""
    seen = []

    def handler(sender, signal, **kwargs):
        kwargs.pop("actor_id")
        seen.append((signal, kwargs))

    handlers = [(signal, lambda sender, name=signal.name, **kw: handler(sender, name, **kw)) for signal in SIGNALS]
    for signal, receiver in handlers:
        signal.connect(receiver, sender=app)
    yield seen
    for signal, receiver in handlers:
        signal.disconnect(receiver, sender=app)


def _user(world, role):
    return as_user(world.users[role].id)


def test_every_signal_is_listened_to_here():
    assert {s.name for s in SIGNALS} >= {
        "assignment-created",
        "assignment-cancelled",
        "due-date-changed",
        "decree-stage-changed",
        "decree-changed",
        "carry-over-recorded",
    }


def test_the_lifecycle_sends_one_event_per_move(appctx, world, sent):
    action = make_action(world)
    ids = sorted(a.id for a in action.assignments)
    assert sent == [("assignment-created", {"assignment_id": i}) for i in ids]
    assignment = dinkes_assignment(action)
    head, secretariat = _user(world, "opd_head"), _user(world, "secretariat")
    a = {"assignment_id": assignment.id}

    sent.clear()
    services.acknowledge(head, assignment.id)
    link_report(world, assignment.id)
    services.submit(head, assignment.id)
    services.verify(secretariat, assignment.id, accept=False, note="Lampirkan jadwal")
    services.request_cannot(head, assignment.id, category="budget", reason="Tidak ada anggaran")
    services.decide_cannot(secretariat, assignment.id, approve=False, note="Gunakan dana BOK")
    services.submit(head, assignment.id)
    services.verify(secretariat, assignment.id, accept=True)
    assert sent == [
        ("assignment-acknowledged", a),
        ("assignment-started", a),
        ("assignment-submitted", a),
        ("assignment-returned", a),
        ("assignment-submitted", a),
        ("assignment-returned", a),  # a rejected "cannot" request goes back to work
        ("assignment-submitted", a),
        ("assignment-verified", a),
    ]


def test_secretariat_changes_send_their_events(appctx, world, sent):
    action = make_action(world)
    secretariat = _user(world, "secretariat")
    dinkes, dp3 = dinkes_assignment(action), next(a for a in action.assignments if a.opd.code == "DP3AP2KB")
    sent.clear()
    services.change_due_date(secretariat, dinkes.id, TODAY + timedelta(days=40), "Menunggu anggaran")
    services.update_action(
        secretariat,
        action.id,
        title=action.title,
        description=None,
        due_date=TODAY + timedelta(days=50),
        reason="Jadwal RKPD",
    )
    services.reassign(secretariat, dp3.id, world.opds["DISDUKCAPIL"], "Salah OPD")
    services.cancel_assignment(secretariat, dp3.id, "Tidak relevan")
    services.add_opd(secretariat, action.id, world.opds["DISDUKCAPIL"], "support", "Ternyata relevan")
    added = services.add_opd(secretariat, action.id, world.opds["BAPPEDA"], "support", "Perencanaan")
    services.cancel_action(secretariat, action.id, "Rekomendasi dicabut")
    assert sent == [
        ("due-date-changed", {"assignment_id": dinkes.id}),
        ("due-date-changed", {"assignment_id": dp3.id}),  # dinkes has its own date now
        ("assignment-created", {"assignment_id": dp3.id}),  # reassigned: the new OPD is given it
        ("assignment-cancelled", {"assignment_id": dp3.id}),
        ("assignment-created", {"assignment_id": dp3.id}),  # re-added
        ("assignment-created", {"assignment_id": added.id}),
        *[("assignment-cancelled", {"assignment_id": i}) for i in (dinkes.id, dp3.id, added.id)],
    ]


def test_reassigning_and_re_adding_leave_history_and_audit(appctx, world):
    action = make_action(world, support=("DP3AP2KB",))
    secretariat = _user(world, "secretariat")
    task = next(a for a in action.assignments if a.opd.code == "DP3AP2KB")
    services.reassign(secretariat, task.id, world.opds["DISDUKCAPIL"], "Salah OPD")
    services.cancel_assignment(secretariat, task.id, "Tidak relevan")
    services.add_opd(secretariat, action.id, world.opds["DISDUKCAPIL"], "lead", "Ternyata relevan")

    history = db.session.scalars(
        sa.select(AssignmentEvent).where(AssignmentEvent.assignment_id == task.id).order_by(AssignmentEvent.id)
    ).all()
    moves = [(e.kind, e.from_status, e.to_status, e.note) for e in history]
    assert moves == [
        (HistoryKind.STATUS, None, Status.ASSIGNED, None),
        (HistoryKind.REASSIGN, Status.ASSIGNED, Status.ASSIGNED, "Salah OPD"),
        (HistoryKind.STATUS, Status.ASSIGNED, Status.CANCELLED, "Tidak relevan"),
        (HistoryKind.STATUS, Status.CANCELLED, Status.ASSIGNED, "Ternyata relevan"),
    ]
    assert history[1].data == {
        "from": "DP3AP2KB",
        "to": "DISDUKCAPIL",
        "from_opd_id": world.opds["DP3AP2KB"],
        "to_opd_id": world.opds["DISDUKCAPIL"],
    }
    audits = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "assignment", AuditEvent.entity_id == task.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.verb, e.changes.get("status")) for e in audits] == [
        ("reassign", ["assigned", "assigned"]),
        ("change_status", ["assigned", "cancelled"]),
        ("change_status", ["cancelled", "assigned"]),
    ]
    assert audits[0].changes["opd"] == ["DP3AP2KB", "DISDUKCAPIL"]
    again = db.session.get(Assignment, task.id)
    assert (again.status, again.role, again.acknowledged_at) == (Status.ASSIGNED, "lead", None)


def test_reassigning_work_in_progress_starts_it_afresh_with_history(appctx, world):
    action = make_action(world, support=())
    task = dinkes_assignment(action)
    services.acknowledge(_user(world, "opd_head"), task.id, pic_name="dr. Maya")
    link_report(world, task.id)
    services.reassign(_user(world, "secretariat"), task.id, world.opds["BAPPEDA"], "Kewenangan Bappeda")
    task = db.session.get(Assignment, task.id)
    assert (task.status, task.opd.code, task.acknowledged_at, task.pic_name) == (Status.ASSIGNED, "BAPPEDA", None, None)
    last = db.session.scalars(
        sa.select(AssignmentEvent).where(AssignmentEvent.assignment_id == task.id).order_by(AssignmentEvent.id.desc())
    ).first()
    assert (last.kind, last.from_status, last.to_status) == (HistoryKind.REASSIGN, Status.IN_PROGRESS, Status.ASSIGNED)


def test_carry_over_outcomes_send_their_events(appctx, world, sent):
    secretariat = _user(world, "secretariat")
    series = forums.create_series(secretariat, title="Penyusunan Dokumen PPT Kespro 2026")
    first = make_forum(world, series_id=series.id)
    second = make_forum(
        world, series_id=series.id, title="FGD kedua", starts_at=FGD["starts_at"] + timedelta(days=30), ends_at=None
    )
    decided = make_action(world, forum=first, kind="next_meeting", lead="BAPPEDA", support=(), title="SK tim")
    closed = make_action(world, forum=first, kind="next_meeting", lead="DINKES", support=("DP3AP2KB",), title="Tutup")
    sent.clear()
    carry_over.record_carry_over(
        secretariat, second.id, decided.id, outcome="decided_task", note=None, due_date=TODAY + timedelta(days=45)
    )
    carry_over.record_carry_over(secretariat, second.id, closed.id, outcome="closed", note=None)
    [bappeda] = decided.assignments
    assert sent == [
        ("due-date-changed", {"assignment_id": bappeda.id}),
        ("carry-over-recorded", {"forum_id": second.id, "action_id": decided.id, "outcome": "decided_task"}),
        *[("assignment-cancelled", {"assignment_id": a.id}) for a in closed.assignments],
        ("carry-over-recorded", {"forum_id": second.id, "action_id": closed.id, "outcome": "closed"}),
    ]


def test_decree_changes_send_their_events(appctx, world, sent):
    action = make_action(world, kind="decree", lead="BAPPEDA", support=(), title="SK Tim PPT Kespro")
    secretariat = _user(world, "secretariat")
    decree = decrees.get_decree(secretariat, action.id)
    d = {"decree_id": decree.id, "action_id": action.id}
    details = dict(
        subject="SK Tim",
        number="800/1/2026",
        signed_on=TODAY,
        signer="Wali Kota",
        valid_from=TODAY,
        valid_until=None,
        lead_opd_id=None,
    )
    sent.clear()
    decrees.set_decree_stage(secretariat, action.id, "drafted")
    decrees.update_decree(
        secretariat, action.id, document=FileStorage(io.BytesIO(b"%PDF-1.4\n"), filename="sk.pdf"), **details
    )
    decrees.set_decree_stage(secretariat, action.id, "signed")
    member = decrees.add_decree_member(
        secretariat, action.id, name="Kepala Bappeda", opd_id=None, position=None, team_role="penanggung_jawab"
    )
    decrees.remove_decree_member(secretariat, action.id, member.id)
    assert sent == [
        ("decree-stage-changed", d),
        ("decree-changed", d),
        ("decree-stage-changed", d),
        ("decree-changed", d),
        ("decree-changed", d),
    ]


def test_nothing_is_sent_for_what_was_not_committed(appctx, world, sent):
    action = make_action(world, support=())
    task = dinkes_assignment(action)
    sent.clear()
    services.acknowledge(_user(world, "opd_head"), task.id)
    with pytest.raises(Invalid):  # refused: nothing moved
        services.report_progress(_user(world, "opd_head"), task.id, percent=150, note="x")
    secretariat = _user(world, "secretariat")
    services.transition(secretariat, db.session.get(Assignment, task.id), Status.CANCELLED)
    db.session.rollback()
    events.commit()  # the rolled-back cancellation is forgotten
    assert sent == [("assignment-acknowledged", {"assignment_id": task.id})]
