"""Follow-ups travel to the next meeting of their series until a meeting resolves them."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from actions import carry_over, decrees, queries, services
from actions.models import ActionKind, AssignmentEvent, HistoryKind, Status
from core.audit import AuditEvent
from core.errors import InvalidTransition, NotFound
from core.extensions import db
from forum import services as forums
from tests.actions.helpers import TODAY, make_action
from tests.conftest import as_user
from tests.forum.helpers import FGD, make_forum


@pytest.fixture
def series_forums(appctx, world):
    secretariat = as_user(world.users["secretariat"].id)
    series = forums.create_series(secretariat, title="Penyusunan Dokumen PPT Kespro 2026")
    first = make_forum(world, series_id=series.id)
    second = make_forum(
        world, series_id=series.id, title="FGD kedua", starts_at=FGD["starts_at"] + timedelta(days=30), ends_at=None
    )
    third = make_forum(
        world, series_id=series.id, title="FGD ketiga", starts_at=FGD["starts_at"] + timedelta(days=60), ends_at=None
    )
    return first, second, third


def _titles(world, forum):
    return [item.action.title for item in carry_over.carry_over_items(as_user(world.users["viewer"].id), forum)]


def test_next_meeting_items_and_open_tasks_appear_on_later_forums_of_the_series(appctx, world, series_forums):
    first, second, third = series_forums
    make_action(
        world,
        forum=first,
        kind="next_meeting",
        lead="BAPPEDA",
        support=("DINKES",),
        title="Pembentukan tim melalui SK dibahas kembali",
    )
    make_action(world, forum=first, title="Sosialisasi PPT Kespro")
    unrelated = make_forum(world, title="Forum lain", starts_at=FGD["starts_at"] + timedelta(days=30), ends_at=None)
    assert _titles(world, second) == ["Pembentukan tim melalui SK dibahas kembali", "Sosialisasi PPT Kespro"]
    assert _titles(world, first) == []
    assert _titles(world, unrelated) == []


def test_a_finished_task_does_not_travel_but_a_next_meeting_item_does(appctx, world, series_forums):
    first, second, _ = series_forums
    task = make_action(world, forum=first, support=(), title="Sudah selesai")
    services.cancel_action(as_user(world.users["secretariat"].id), task.id, "Tidak relevan")
    assert _titles(world, second) == []


def test_deciding_turns_it_into_a_decree_and_resolves_it(appctx, world, series_forums):
    first, second, third = series_forums
    item = make_action(
        world, forum=first, kind="next_meeting", lead="BAPPEDA", support=("DINKES",), title="Pembentukan tim melalui SK"
    )
    secretariat = as_user(world.users["secretariat"].id)
    carry_over.record_carry_over(secretariat, second.id, item.id, outcome="discussed", note="Menunggu kesepakatan")
    assert _titles(world, third) == ["Pembentukan tim melalui SK"]  # discussed: still open for the next one
    new_due = TODAY + timedelta(days=45)
    carry_over.record_carry_over(
        secretariat, second.id, item.id, outcome="decided_decree", note="Dipimpin Bappeda", due_date=new_due
    )
    action = queries.get_action(secretariat, item.id)
    assert action.kind == ActionKind.DECREE
    assert decrees.get_decree(secretariat, item.id).lead_opd.code == "BAPPEDA"
    assert {a.due_date for a in action.assignments} == {new_due}
    # Still shown where it was decided, with the outcome; gone from later meetings.
    [shown] = carry_over.carry_over_items(secretariat, second)
    assert shown.outcome.outcome == "decided_decree"
    assert _titles(world, third) == []


def test_closing_cancels_its_open_tasks(appctx, world, series_forums):
    first, second, _ = series_forums
    item = make_action(world, forum=first, kind="next_meeting", lead="BAPPEDA", support=("DINKES",))
    carry_over.record_carry_over(
        as_user(world.users["secretariat"].id), second.id, item.id, outcome="closed", note=None
    )
    assert {a.status for a in item.assignments} == {Status.CANCELLED}


def _carry_audits(action_id):
    return db.session.scalars(
        sa.select(AuditEvent.changes)
        .where(AuditEvent.verb == "carry_over", AuditEvent.entity_id == action_id)
        .order_by(AuditEvent.id)
    ).all()


def test_deciding_leaves_a_trace_of_the_kind_and_due_date_it_changed(appctx, world, series_forums):
    first, second, _ = series_forums
    item = make_action(world, forum=first, kind="next_meeting", lead="BAPPEDA", support=("DINKES",))
    old_due = item.due_date
    secretariat = as_user(world.users["secretariat"].id)
    carry_over.record_carry_over(secretariat, second.id, item.id, outcome="discussed", note=None)
    new_due = TODAY + timedelta(days=45)
    carry_over.record_carry_over(
        secretariat, second.id, item.id, outcome="decided_task", note="Disepakati", due_date=new_due
    )
    assert [c["outcome"] for c in _carry_audits(item.id)] == [[None, "discussed"], ["discussed", "decided_task"]]
    last = _carry_audits(item.id)[-1]
    assert last["kind"] == ["next_meeting", "task"]
    assert last["due_date"] == [old_due.isoformat(), new_due.isoformat()]
    for assignment in item.assignments:
        edits = db.session.scalars(
            sa.select(AssignmentEvent).where(
                AssignmentEvent.assignment_id == assignment.id, AssignmentEvent.kind == HistoryKind.EDIT
            )
        ).all()
        changes = {"kind": ["next_meeting", "task"], "due_date": [old_due.isoformat(), new_due.isoformat()]}
        carried = {"carried_over": {"outcome": "decided_task", "forum": second.title}}
        assert [(e.data, e.note) for e in edits] == [({**changes, **carried}, "Disepakati")]


def test_a_follow_up_closed_at_a_meeting_stays_there_with_its_outcome(appctx, world, series_forums):
    first, second, third = series_forums
    item = make_action(world, forum=first, title="Ditutup di FGD kedua")
    carry_over.record_carry_over(
        as_user(world.users["secretariat"].id), second.id, item.id, outcome="closed", note="Tidak relevan lagi"
    )
    [shown] = carry_over.carry_over_items(as_user(world.users["viewer"].id), second)
    assert (shown.action.id, shown.outcome.outcome, shown.outcome.note) == (item.id, "closed", "Tidak relevan lagi")
    assert _titles(world, third) == []


def test_only_items_on_the_agenda_can_be_recorded(appctx, world, series_forums):
    first, second, _ = series_forums
    item = make_action(world, forum=second, kind="next_meeting")
    with pytest.raises(NotFound):
        carry_over.record_carry_over(
            as_user(world.users["secretariat"].id), first.id, item.id, outcome="closed", note=None
        )


def test_a_cancelled_follow_up_takes_no_decision(appctx, world, series_forums):
    first, second, _ = series_forums
    item = make_action(world, forum=first, kind="next_meeting", lead="BAPPEDA", support=("DINKES",))
    secretariat = as_user(world.users["secretariat"].id)
    carry_over.record_carry_over(secretariat, second.id, item.id, outcome="discussed", note=None)
    services.cancel_action(secretariat, item.id, "Tidak relevan lagi")
    with pytest.raises(InvalidTransition, match="dibatalkan"):
        carry_over.record_carry_over(
            secretariat, second.id, item.id, outcome="decided_decree", note=None, due_date=TODAY + timedelta(days=30)
        )
    assert item.kind == ActionKind.NEXT_MEETING


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_meetings_decision_on_a_task_is_said_in_the_readers_language(app, appctx, world, series_forums, locale):
    """The history keeps the meeting's title and the outcome, not a sentence in the recorder's language: the same
    row reads "Ditutup pada ..." to an Indonesian reader and "Closed at ..." to an English one, and an edit names
    its fields by their labels."""
    from flask import session

    from actions.models import Assignment

    first, second, _ = series_forums
    closed = make_action(world, forum=first, kind="next_meeting", lead="BAPPEDA", support=())
    decided = make_action(world, forum=first, kind="next_meeting", lead="BAPPEDA", support=())
    secretariat = as_user(world.users["secretariat"].id)
    with app.test_request_context():
        session["locale"] = "en"  # recorded by an English-speaking secretariat
        carry_over.record_carry_over(secretariat, second.id, closed.id, outcome="closed", note=None)
        carry_over.record_carry_over(secretariat, second.id, decided.id, outcome="decided_task", note=None)
    last = {
        action.id: db.session.scalars(
            sa.select(AssignmentEvent)
            .join(Assignment)
            .where(Assignment.action_id == action.id)
            .order_by(AssignmentEvent.id.desc())
        ).first()
        for action in (closed, decided)
    }
    with app.test_request_context():
        session["locale"] = locale
        texts = [last[closed.id].carry_over_text, last[decided.id].carry_over_text]
        fields = last[decided.id].changed_fields
    assert all(event.note is None for event in last.values())
    if locale == "id":
        assert texts == [f"Ditutup pada {second.title}.", f"Diputuskan pada {second.title}."]
        assert fields == "Jenis" and "carried_over" not in fields
    else:
        assert texts == [f"Closed at {second.title}.", f"Decided at {second.title}."]
