"""One change at a time: two requests that read the same assignment cannot both change it. The first to commit
wins; the other is refused like any other impossible move (Conflict, a 409), rolled back, with nothing saved. Two
app contexts are two sessions, as two requests are."""

import threading

import pytest
import sqlalchemy as sa

from actions import services
from actions.models import Assignment, AssignmentEvent, Status
from core.audit import AuditEvent
from core.errors import Conflict
from core.extensions import db
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user


@pytest.fixture
def task(app, world):
    """The DINKES task of a fresh follow-up, as an id."""
    with app.app_context():
        assignment_id = dinkes_assignment(make_action(world, support=())).id
        db.session.remove()
    return assignment_id


def _rows(assignment_id):
    history = db.session.scalar(
        sa.select(sa.func.count()).select_from(AssignmentEvent).where(AssignmentEvent.assignment_id == assignment_id)
    )
    audit_rows = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.scope == f"assignment:{assignment_id}")
    )
    return history, audit_rows


def _ack(world, assignment):
    return services.acknowledge(as_user(world.users["opd_head"].id), assignment, pic_name="Dewi")


def _cancel(world, assignment):
    return services.cancel_assignment(as_user(world.users["secretariat"].id), assignment, "Tidak relevan lagi")


MOVES = {"acknowledge": _ack, "cancel": _cancel}


@pytest.mark.parametrize(
    ("first", "second", "status"),
    [
        ("acknowledge", "acknowledge", Status.ACKNOWLEDGED),
        ("cancel", "acknowledge", Status.CANCELLED),
        ("acknowledge", "cancel", Status.ACKNOWLEDGED),
    ],
)
def test_of_two_requests_on_the_same_read_only_the_first_commit_counts(app, world, task, first, second, status):
    with app.app_context():
        read = db.session.get(Assignment, task)  # the second request has read the row, as it was
        read.status  # noqa: B018
        with app.app_context():  # the first request, in its own session, changes it and commits
            MOVES[first](world, task)
            before = _rows(task)
            db.session.remove()
        with pytest.raises(Conflict):
            MOVES[second](world, read)
        assert db.session.get(Assignment, task).status == status  # rolled back: this reads the row again
        assert _rows(task) == before  # no history row, no audit row of the refused move


def test_a_reassignment_and_the_old_heads_acknowledgement_do_not_mix(app, world, task):
    with app.app_context():
        read = db.session.get(Assignment, task)
        read.status  # noqa: B018
        with app.app_context():
            services.reassign(as_user(world.users["secretariat"].id), task, world.opds["DP3AP2KB"], "Salah OPD")
            before = _rows(task)
            db.session.remove()
        with pytest.raises(Conflict):
            _ack(world, read)
        fresh = db.session.get(Assignment, task)
        assert (fresh.opd.code, fresh.status, fresh.acknowledged_by_id) == ("DP3AP2KB", Status.ASSIGNED, None)
        assert _rows(task) == before


def test_acknowledging_and_then_reassigning_a_stale_read_is_refused(app, world, task):
    with app.app_context():
        read = db.session.get(Assignment, task)
        read.status  # noqa: B018
        with app.app_context():
            _ack(world, task)
            db.session.remove()
        with pytest.raises(Conflict):
            services.reassign(as_user(world.users["secretariat"].id), read, world.opds["DP3AP2KB"], "Salah OPD")
        fresh = db.session.get(Assignment, task)
        assert (fresh.opd.code, fresh.status) == ("DINKES", Status.ACKNOWLEDGED)


def test_a_lost_race_is_a_409_page_with_nothing_saved(app, world, task, client_as, monkeypatch):
    """Through the form: the page read the task, then another request changed it before this one committed."""
    client = client_as("opd_head")
    real = services.transition

    def another_request_first(actor, assignment, to, **kwargs):
        monkeypatch.setattr(services, "transition", real)
        with app.app_context():  # the secretariat cancels meanwhile, in its own session
            _cancel(world, assignment.id)
            db.session.remove()
        return real(actor, assignment, to, **kwargs)

    monkeypatch.setattr(services, "transition", another_request_first)
    response = client.post(f"/assignments/{task}/acknowledge", data={"pic_name": "Dewi"})
    assert response.status_code == 409
    assert "pada saat yang sama; tidak ada yang disimpan" in response.get_data(as_text=True)
    with app.app_context():
        fresh = db.session.get(Assignment, task)
        assert (fresh.status, fresh.pic_name, fresh.acknowledged_at) == (Status.CANCELLED, None, None)
        assert _rows(task) == (2, 1)  # created; cancelled (history) and its audit row


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_six_simultaneous_acknowledgements_write_one(app, world, task):
    """Real threads on PostgreSQL: all six read the task before any writes; one acknowledgement is saved."""
    ready = threading.Barrier(6)
    outcomes = []

    def request():
        with app.app_context():
            assignment = db.session.get(Assignment, task)
            assignment.status  # noqa: B018
            ready.wait(timeout=30)
            try:
                outcomes.append(_ack(world, assignment))
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(str, outcomes)) == ["True"] + ["conflict"] * 5
    with app.app_context():
        assert _rows(task) == (3, 1)  # created, acknowledged, PIC named; one audit row


def test_a_progress_note_on_a_task_cancelled_meanwhile_is_refused(app, world, task):
    """A note changes no column of the task; its history row still makes the write pass the version check."""
    staff = world.users["opd_staff"].id
    with app.app_context():
        _ack(world, task)
        services.report_progress(as_user(staff), task, percent=40, note="Mulai")  # now in progress
        db.session.remove()
    with app.app_context():
        read = db.session.get(Assignment, task)
        percent = read.percent  # the same again: the note alone changes no column of the task
        with app.app_context():
            _cancel(world, task)
            before = _rows(task)
            db.session.remove()
        with pytest.raises(Conflict):
            services.report_progress(as_user(staff), read, percent=percent, note="Rapat tim")
        assert db.session.get(Assignment, task).status == Status.CANCELLED
        assert _rows(task) == before


def test_two_requests_adding_the_same_opd_at_once_get_a_409_not_a_500(app, world, client_as, monkeypatch):
    """The second insert meets the unique constraint (action, OPD): it is refused like a lost race, nothing saved."""
    with app.app_context():
        action_id = make_action(world, support=()).id
        db.session.remove()
    client = client_as("secretariat")
    real = services.active_opd

    def another_request_first(opd_id, field="opd_id"):
        monkeypatch.setattr(services, "active_opd", real)
        with app.app_context():  # the admin adds the same OPD meanwhile, in its own session
            services.add_opd(as_user(world.users["admin"].id), action_id, opd_id, "support", "Ikut mendukung")
            db.session.remove()
        return real(opd_id, field)

    monkeypatch.setattr(services, "active_opd", another_request_first)
    response = client.post(
        f"/actions/{action_id}/opds", data={"opd_id": world.opds["DP3AP2KB"], "role": "support", "reason": "Mendukung"}
    )
    assert response.status_code == 409
    assert "perubahan yang sama pada saat yang sama" in response.get_data(as_text=True)
    with app.app_context():
        opds = db.session.scalars(sa.select(Assignment.opd_id).where(Assignment.action_id == action_id)).all()
        assert sorted(opds) == sorted([world.opds["DINKES"], world.opds["DP3AP2KB"]])
