import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from actions import events, queries, services
from actions.models import Action, AssignmentEvent, AssignmentRole, HistoryKind, Status
from core.audit import AuditEvent
from core.errors import Invalid, InvalidTransition, NotAllowed
from core.extensions import db
from forum import services as forums
from tests.actions.helpers import TODAY, dinkes_assignment, link_report, make_action
from tests.conftest import NOW, as_user
from tests.forum.helpers import make_forum, participant


def _user(world, role):
    return as_user(world.users[role].id)


@pytest.fixture
def received(app):
    """Every domain event sent by this app, as (signal name, assignment id)."""
    seen = []
    handlers = []
    for signal in (
        events.assignment_created,
        events.assignment_acknowledged,
        events.assignment_submitted,
        events.assignment_verified,
        events.assignment_returned,
        events.assignment_cancelled,
        events.due_date_changed,
    ):

        def handler(sender, signal=signal, **kwargs):
            seen.append((signal.name, kwargs["assignment_id"]))

        signal.connect(handler, sender=app)
        handlers.append((signal, handler))
    yield seen
    for signal, handler in handlers:
        signal.disconnect(handler, sender=app)


def test_create_action_with_a_lead_and_supporters(appctx, world, received):
    action = make_action(world, support=("DP3AP2KB", "DISDUKCAPIL"))
    roles = {a.opd.code: a.role for a in action.assignments}
    assert roles == {
        "DINKES": AssignmentRole.LEAD,
        "DP3AP2KB": AssignmentRole.SUPPORT,
        "DISDUKCAPIL": AssignmentRole.SUPPORT,
    }
    assert all(a.status == Status.ASSIGNED and a.due_date == TODAY + timedelta(days=14) for a in action.assignments)
    assert sorted(name for name, _ in received) == ["assignment-created"] * 3
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_type == "action")).verb == "create"


def test_a_past_due_date_an_inactive_opd_or_no_opd_is_refused(appctx, world):
    with pytest.raises(Invalid) as error:
        make_action(world, due_in=-1)
    assert error.value.field == "due_date"
    make_action(world, due_in=0)  # today is fine
    from accounts import services as accounts

    opd = accounts.get_opd(world.opds["DISDUKCAPIL"])
    opd.active = False
    db.session.commit()
    with pytest.raises(Invalid, match="DISDUKCAPIL"):
        make_action(world, support=("DISDUKCAPIL",))
    with pytest.raises(Invalid):
        make_action(world, lead=None, support=())


def test_all_present_fans_out_to_every_attending_opd(appctx, world):
    secretariat = _user(world, "secretariat")
    forum = make_forum(world)
    forums.add_participants(
        secretariat,
        forum.id,
        [
            participant(world, name="A", opd="DINKES"),
            participant(world, name="B", opd="DINKES"),  # two people, one OPD: one task
            participant(world, name="C", opd="DP3AP2KB", attendance="diwakilkan"),
            participant(world, name="D", opd="DISDUKCAPIL", attendance="izin"),  # excused: not in the room
            participant(world, name="E", opd=None, institution="BPJS Kesehatan", category="bpjs"),
        ],
    )
    action = make_action(
        world, forum=forum, lead=None, support=(), all_present=True, title="Sampaikan hasil FGD kepada pimpinan OPD"
    )
    assert {a.opd.code: a.role for a in action.assignments} == {"DINKES": "lead", "DP3AP2KB": "lead"}
    with_lead = make_action(world, forum=forum, lead="BAPPEDA", support=(), all_present=True)
    assert {a.opd.code: a.role for a in with_lead.assignments} == {
        "BAPPEDA": "lead",
        "DINKES": "support",
        "DP3AP2KB": "support",
    }
    empty = make_forum(world, title="Tanpa peserta")
    with pytest.raises(Invalid):
        make_action(world, forum=empty, lead=None, support=(), all_present=True)


def test_acknowledge_records_who_when_and_pic_and_is_idempotent(appctx, world, clock, received):
    assignment = dinkes_assignment(make_action(world))
    head = _user(world, "opd_head")
    assert services.acknowledge(head, assignment.id, pic_name="dr. Maya", note="Siap") is True
    assert (assignment.status, assignment.acknowledged_by_id, assignment.pic_name) == (
        Status.ACKNOWLEDGED,
        head.id,
        "dr. Maya",
    )
    assert assignment.acknowledged_at == clock.now()
    clock.set(NOW + timedelta(hours=1))
    assert services.acknowledge(head, assignment.id) is False
    assert assignment.acknowledged_at == NOW
    assert [n for n, _ in received].count("assignment-acknowledged") == 1


def test_progress_needs_acknowledgement_then_moves_to_in_progress(appctx, world):
    assignment = dinkes_assignment(make_action(world))
    with pytest.raises(InvalidTransition):
        link_report(world, assignment.id, role="opd_staff")
    services.acknowledge(_user(world, "opd_head"), assignment.id)
    report = link_report(world, assignment.id, role="opd_staff", percent=50)
    assert assignment.status == Status.IN_PROGRESS and assignment.percent == 50
    assert [e.url for e in report.evidence] == ["https://example.org/bukti"]
    with pytest.raises(Invalid):
        services.report_progress(_user(world, "opd_staff"), assignment.id, percent=150, note="x")
    with pytest.raises(Invalid):
        services.report_progress(
            _user(world, "opd_staff"), assignment.id, percent=50, note="x", links=["javascript:alert(1)"]
        )


def test_submitting_needs_evidence_and_only_the_head_submits(appctx, world, received):
    assignment = dinkes_assignment(make_action(world))
    head = _user(world, "opd_head")
    services.acknowledge(head, assignment.id)
    services.report_progress(head, assignment.id, percent=90, note="Tanpa bukti")
    with pytest.raises(Invalid, match="bukti dukung"):
        services.submit(head, assignment.id)
    link_report(world, assignment.id)
    with pytest.raises(NotAllowed):
        services.submit(_user(world, "opd_staff"), assignment.id)
    services.submit(head, assignment.id, "Mohon diverifikasi")
    assert assignment.status == Status.SUBMITTED and assignment.submitted_at is not None
    assert ("assignment-submitted", assignment.id) in received


def _submitted(world):
    assignment = dinkes_assignment(make_action(world))
    head = _user(world, "opd_head")
    services.acknowledge(head, assignment.id)
    link_report(world, assignment.id)
    services.submit(head, assignment.id)
    return assignment


def test_return_needs_a_note_and_the_head_resubmits_then_it_is_accepted(appctx, world, received):
    assignment = _submitted(world)
    secretariat = _user(world, "secretariat")
    with pytest.raises(Invalid):
        services.verify(secretariat, assignment.id, accept=False, note=" ")
    services.verify(secretariat, assignment.id, accept=False, note="Lampirkan jadwal")
    assert assignment.status == Status.RETURNED
    services.submit(_user(world, "opd_head"), assignment.id)
    services.verify(secretariat, assignment.id, accept=True)
    assert assignment.status == Status.DONE
    assert assignment.verified_by_id == secretariat.id and assignment.percent == 100
    names = [n for n, _ in received]
    assert names.count("assignment-returned") == 1 and names.count("assignment-verified") == 1
    statuses = [e.to_status for e in queries.timeline(secretariat, assignment.id) if e.kind == HistoryKind.STATUS]
    assert statuses == [
        Status.ASSIGNED,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.SUBMITTED,
        Status.RETURNED,
        Status.SUBMITTED,
        Status.DONE,
    ]


def test_cannot_follow_up_needs_a_reason_and_the_secretariat_decides(appctx, world):
    assignment = dinkes_assignment(make_action(world))
    head, secretariat = _user(world, "opd_head"), _user(world, "secretariat")
    services.acknowledge(head, assignment.id)
    with pytest.raises(Invalid):
        services.request_cannot(head, assignment.id, category="budget", reason="")
    services.request_cannot(head, assignment.id, category="budget", reason="Tidak ada anggaran 2026")
    assert assignment.status == Status.CANNOT_REQUESTED
    with pytest.raises(Invalid):
        services.decide_cannot(secretariat, assignment.id, approve=False, note="")
    services.decide_cannot(secretariat, assignment.id, approve=False, note="Gunakan dana BOK")
    assert assignment.status == Status.IN_PROGRESS
    services.request_cannot(head, assignment.id, category="authority", reason="Kewenangan provinsi")
    services.decide_cannot(secretariat, assignment.id, approve=True)
    assert assignment.status == Status.CANNOT_FOLLOW_UP and assignment.cannot_reason == "Kewenangan provinsi"


def test_editing_an_action_moves_due_dates_except_overridden_ones_and_keeps_the_reason(appctx, world, received):
    action = make_action(world, support=("DP3AP2KB", "DISDUKCAPIL"))
    secretariat = _user(world, "secretariat")
    dp3 = next(a for a in action.assignments if a.opd.code == "DP3AP2KB")
    services.change_due_date(secretariat, dp3.id, TODAY + timedelta(days=60), "Menunggu anggaran perubahan")
    new_due = TODAY + timedelta(days=30)
    with pytest.raises(Invalid):
        services.update_action(
            secretariat, action.id, title=action.title, description=None, due_date=new_due, reason=""
        )
    services.update_action(
        secretariat,
        action.id,
        title=action.title,
        description=None,
        due_date=new_due,
        reason="Disesuaikan dengan jadwal RKPD",
    )
    dues = {a.opd.code: a.due_date for a in action.assignments}
    assert dues == {"DINKES": new_due, "DISDUKCAPIL": new_due, "DP3AP2KB": TODAY + timedelta(days=60)}
    edits = db.session.scalars(sa.select(AssignmentEvent).where(AssignmentEvent.kind == HistoryKind.EDIT)).all()
    assert len(edits) == 3 and {e.note for e in edits} == {"Disesuaikan dengan jadwal RKPD"}
    assert [n for n, _ in received].count("due-date-changed") == 3  # one override, two moved by the edit


def test_add_reassign_and_cancel_with_history(appctx, world):
    action = make_action(world, support=())
    secretariat = _user(world, "secretariat")
    added = services.add_opd(secretariat, action.id, world.opds["DP3AP2KB"], "support", "Terkait perlindungan anak")
    with pytest.raises(Invalid):
        services.add_opd(secretariat, action.id, world.opds["DP3AP2KB"], "support", "lagi")
    services.reassign(secretariat, added.id, world.opds["DISDUKCAPIL"], "Salah OPD")
    assert added.opd.code == "DISDUKCAPIL" and added.status == Status.ASSIGNED
    services.cancel_assignment(secretariat, added.id, "Tidak relevan")
    assert added.status == Status.CANCELLED
    # A removed OPD can be given the follow-up again.
    again = services.add_opd(secretariat, action.id, world.opds["DISDUKCAPIL"], "support", "Ternyata relevan")
    assert again.id == added.id and again.status == Status.ASSIGNED
    kinds = [e.kind for e in queries.timeline(secretariat, added.id)]
    assert HistoryKind.REASSIGN in kinds


def test_cancelling_an_action_cancels_its_open_tasks_only(appctx, world):
    action = make_action(world)
    assignment = _submitted(world)  # a task of another action, untouched
    finished = dinkes_assignment(action)
    services.acknowledge(_user(world, "opd_head"), finished.id)
    services.cancel_action(_user(world, "secretariat"), action.id, "Rekomendasi dicabut")
    assert {a.status for a in action.assignments} == {Status.CANCELLED}
    assert db.session.get(Action, action.id).cancel_reason == "Rekomendasi dicabut"
    assert assignment.status == Status.SUBMITTED


@pytest.mark.parametrize("role", ["other_head", "viewer"])
def test_no_one_acts_on_another_opds_task(appctx, world, role):
    assignment = dinkes_assignment(make_action(world))
    outsider = _user(world, role)
    attempts = [
        lambda: services.acknowledge(outsider, assignment.id),
        lambda: services.set_pic(outsider, assignment.id, "x"),
        lambda: services.report_progress(outsider, assignment.id, percent=10, note="x"),
        lambda: services.submit(outsider, assignment.id),
        lambda: services.request_cannot(outsider, assignment.id, category="other", reason="x"),
        lambda: services.verify(outsider, assignment.id, accept=True),
        lambda: services.cancel_assignment(outsider, assignment.id, "x"),
        lambda: services.change_due_date(outsider, assignment.id, TODAY, "x"),
        lambda: services.reassign(outsider, assignment.id, world.opds["BAPPEDA"], "x"),
    ]
    # What a page asks before it reads a form, and the services given the assignment already loaded.
    attempts += [lambda p=p: services.assignment_for(outsider, assignment.id, p) for p in services.OWN_OPD]
    attempts += [
        lambda: services.acknowledge(outsider, assignment),
        lambda: services.set_pic(outsider, assignment, "x"),
    ]
    for attempt in attempts:
        with pytest.raises((NotAllowed, InvalidTransition)):
            attempt()
        db.session.rollback()
    assert db.session.get(type(assignment), assignment.id).status == Status.ASSIGNED


def test_evidence_files_are_stored_under_random_names_with_their_hash(appctx, world):
    import hashlib

    assignment = dinkes_assignment(make_action(world))
    head = _user(world, "opd_head")
    services.acknowledge(head, assignment.id)
    pdf = b"%PDF-1.4\n% laporan\n"
    upload = FileStorage(io.BytesIO(pdf), filename="../../etc/Laporan Keswa.pdf")
    report = services.report_progress(head, assignment.id, percent=30, note="x", files=[upload])
    attachment = report.evidence[0].attachment
    assert attachment.original_name == "Laporan_Keswa.pdf"  # the path is dropped, the name made safe
    assert attachment.stored_name != attachment.original_name and attachment.stored_name.endswith(".pdf")
    assert attachment.sha256 == hashlib.sha256(pdf).hexdigest()
    assert attachment.path.read_bytes() == pdf
    from core.attachments import storage_root

    assert attachment.path.resolve().is_relative_to(storage_root().resolve())
