"""The transition table: every allowed and every forbidden move, and who may make it."""

import pytest

from actions import services
from actions.models import OPEN, Status
from core.errors import InvalidTransition, NotAllowed
from core.extensions import db
from core.permissions import Permission
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user

ALL = list(Status)
# Who makes a move that needs each permission: an OPD user of the task's own OPD, or the secretariat.
ACTOR_FOR = {
    Permission.ACKNOWLEDGE: "opd_head",
    Permission.REPORT_PROGRESS: "opd_staff",
    Permission.SUBMIT: "opd_head",
    Permission.VERIFY: "secretariat",
}


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_every_pair_of_statuses(appctx, world, source, target):
    assignment = dinkes_assignment(make_action(world))
    assignment.status = source  # arrange the start directly: transition() is what is under test
    db.session.commit()
    permission = services.TRANSITIONS[source].get(target)
    actor = as_user(world.users[ACTOR_FOR.get(permission, "secretariat")].id)
    if permission is None:
        with pytest.raises(InvalidTransition):
            services.transition(actor, assignment, target)
    else:
        event = services.transition(actor, assignment, target, note="catatan")
        db.session.commit()
        assert assignment.status == target
        assert (event.from_status, event.to_status, event.note) == (source, target, "catatan")


def test_the_table_covers_every_status_and_finished_ones_are_final(appctx):
    assert set(services.TRANSITIONS) == set(Status)
    for finished in (Status.DONE, Status.CANNOT_FOLLOW_UP):
        assert services.TRANSITIONS[finished] == {}
    # A cancelled task only comes back by giving it to its OPD again (add_opd); every open one can be reassigned.
    assert services.TRANSITIONS[Status.CANCELLED] == {Status.ASSIGNED: Permission.EDIT_FORUMS}
    for status in OPEN:
        assert services.TRANSITIONS[status][Status.ASSIGNED] == Permission.EDIT_FORUMS


@pytest.mark.parametrize(
    "source, target, role",
    [
        (Status.ASSIGNED, Status.ACKNOWLEDGED, "opd_staff"),  # staff report, only the head acknowledges
        (Status.ASSIGNED, Status.ACKNOWLEDGED, "secretariat"),
        (Status.ASSIGNED, Status.ACKNOWLEDGED, "other_head"),  # another OPD's head
        (Status.IN_PROGRESS, Status.SUBMITTED, "opd_staff"),
        (Status.IN_PROGRESS, Status.SUBMITTED, "other_head"),
        (Status.SUBMITTED, Status.DONE, "opd_head"),  # an OPD never verifies its own work
        (Status.SUBMITTED, Status.RETURNED, "viewer"),
        (Status.ACKNOWLEDGED, Status.CANCELLED, "opd_head"),
    ],
)
def test_an_allowed_move_by_the_wrong_person_is_refused(appctx, world, source, target, role):
    assignment = dinkes_assignment(make_action(world))
    assignment.status = source
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.transition(as_user(world.users[role].id), assignment, target)
    assert db.session.get(type(assignment), assignment.id).status == source
