"""What a task keeps and what it refuses after a move: the person in charge only on an open, acknowledged task
(with an audit row); a re-added or reassigned task starts fresh; a refused "cannot" request leaves no reason
behind; a cancelled follow-up is not edited; acknowledging a cancelled task says it is cancelled."""

import pytest
import sqlalchemy as sa

from actions import services
from actions.models import Action, Assignment, AssignmentEvent, HistoryKind, Status
from core.audit import AuditEvent
from core.errors import InvalidTransition
from core.extensions import db
from tests.actions.helpers import TODAY, dinkes_assignment, link_report, make_action
from tests.conftest import as_user


def _user(world, role):
    return as_user(world.users[role].id)


def _worked_on(world):
    """A DINKES task acknowledged with a PIC, 50 % reported, and a "cannot, no budget" request."""
    action = make_action(world, support=())
    task = dinkes_assignment(action)
    head = _user(world, "opd_head")
    services.acknowledge(head, task.id, pic_name="dr. Maya")
    link_report(world, task.id, percent=50)
    services.request_cannot(head, task.id, category="budget", reason="Tidak ada anggaran")
    return action, task.id


def _fresh(assignment):
    return (
        assignment.status,
        assignment.pic_name,
        assignment.percent,
        assignment.cannot_reason_category,
        assignment.cannot_reason,
        assignment.acknowledged_at,
        assignment.submitted_at,
        assignment.completed_at,
        assignment.verified_at,
        assignment.verified_by_id,
    )


FRESH = (Status.ASSIGNED, None, 0, None, None, None, None, None, None, None)


def test_a_re_added_task_starts_fresh_and_keeps_its_history(appctx, world):
    action, task_id = _worked_on(world)
    secretariat = _user(world, "secretariat")
    services.cancel_assignment(secretariat, task_id, "Salah sasaran")
    services.add_opd(secretariat, action.id, world.opds["DINKES"], "lead", "Ternyata relevan")
    assert _fresh(db.session.get(Assignment, task_id)) == FRESH
    kinds = db.session.scalars(
        sa.select(AssignmentEvent.kind).where(AssignmentEvent.assignment_id == task_id).order_by(AssignmentEvent.id)
    ).all()
    assert kinds.count(HistoryKind.PROGRESS) == 1 and kinds.count(HistoryKind.PIC) == 1  # the old round stays


def test_a_reassigned_task_starts_fresh(appctx, world):
    _, task_id = _worked_on(world)
    services.reassign(_user(world, "secretariat"), task_id, world.opds["DP3AP2KB"], "Kewenangan DP3AP2KB")
    assignment = db.session.get(Assignment, task_id)
    assert assignment.opd.code == "DP3AP2KB" and _fresh(assignment) == FRESH


def test_a_refused_cannot_request_leaves_no_reason_behind(appctx, world):
    _, task_id = _worked_on(world)
    services.decide_cannot(_user(world, "secretariat"), task_id, approve=False, note="Anggaran ada di APBD-P")
    assignment = db.session.get(Assignment, task_id)
    assert (assignment.status, assignment.cannot_reason_category, assignment.cannot_reason) == (
        Status.IN_PROGRESS,
        None,
        None,
    )
    assert assignment.percent == 50  # the work done stays


def _pic_audits(task_id):
    return db.session.scalars(
        sa.select(AuditEvent.changes).where(
            AuditEvent.entity_type == "assignment", AuditEvent.entity_id == task_id, AuditEvent.verb == "update"
        )
    ).all()


def test_naming_the_pic_writes_an_audit_row(appctx, world):
    task_id = dinkes_assignment(make_action(world, support=())).id
    head = _user(world, "opd_head")
    services.acknowledge(head, task_id, pic_name="dr. Maya")
    acknowledged = db.session.scalar(
        sa.select(AuditEvent.changes).where(AuditEvent.entity_id == task_id, AuditEvent.verb == "change_status")
    )
    assert acknowledged["pic_name"] == [None, "dr. Maya"]
    services.set_pic(head, task_id, "Dewi Lestari")
    assert _pic_audits(task_id) == [{"pic_name": ["dr. Maya", "Dewi Lestari"]}]


@pytest.mark.parametrize("state", ["unacknowledged", "done", "cancelled"])
def test_the_pic_is_named_only_on_an_open_acknowledged_task(app, world, client_as, state):
    with app.app_context():
        task_id = dinkes_assignment(make_action(world, support=())).id
        head, secretariat = _user(world, "opd_head"), _user(world, "secretariat")
        if state != "unacknowledged":
            services.acknowledge(head, task_id, pic_name="dr. Maya")
        if state == "done":
            link_report(world, task_id, percent=100)
            services.submit(head, task_id)
            services.verify(secretariat, task_id, accept=True)
        if state == "cancelled":
            services.cancel_assignment(secretariat, task_id, "Tidak relevan")
        assignment = db.session.get(Assignment, task_id)
        assert not services.may_set_pic(head, assignment)
        with pytest.raises(InvalidTransition):
            services.set_pic(head, assignment, "Dewi Lestari")
        db.session.rollback()
        before = db.session.get(Assignment, task_id).pic_name
        db.session.remove()
    response = client_as("opd_head").post(f"/assignments/{task_id}/pic", data={"pic_name": "Dewi Lestari"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Assignment, task_id).pic_name == before
        assert _pic_audits(task_id) == []


def test_a_cancelled_follow_up_cannot_be_edited(app, world, client_as):
    with app.app_context():
        action = make_action(world, support=())
        action_id, title = action.id, action.title
        services.cancel_action(_user(world, "secretariat"), action_id, "Rekomendasi dicabut")
        with pytest.raises(InvalidTransition):
            services.update_action(
                _user(world, "secretariat"),
                action_id,
                title="Judul baru",
                description=None,
                due_date=TODAY,
                reason="Ganti",
            )
        db.session.remove()
    response = client_as("secretariat").post(
        f"/actions/{action_id}/edit",
        data={"title": "Judul baru", "due_date": TODAY.isoformat(), "reason": "Ganti"},
        follow_redirects=True,
    )  # back to the follow-up's page, which says why
    assert response.request.path == f"/actions/{action_id}"
    assert "Tindak lanjut ini sudah dibatalkan." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Action, action_id).title == title


def test_acknowledging_a_cancelled_acknowledged_task_says_it_is_cancelled(app, world, client_as):
    with app.app_context():
        task_id = dinkes_assignment(make_action(world, support=())).id
        services.acknowledge(_user(world, "opd_head"), task_id)
        services.cancel_assignment(_user(world, "secretariat"), task_id, "Tidak relevan")
        db.session.remove()
    response = client_as("opd_head").post(f"/assignments/{task_id}/acknowledge", data={}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "Dibatalkan" in page and "sudah diterima sebelumnya" not in page
