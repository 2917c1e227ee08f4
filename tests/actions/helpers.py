"""Building follow-ups for tests."""

from datetime import date, timedelta

from actions import services
from forum import services as forums
from tests.conftest import as_user
from tests.forum.helpers import make_forum, participant

TODAY = date(2025, 12, 16)  # the fixed clock's local date


def make_action(world, *, lead="DINKES", support=("DP3AP2KB",), kind="task", due_in=14, forum=None, **values):
    """A forum with one recommendation and a follow-up on it; call inside an app context."""
    secretariat = as_user(world.users["secretariat"].id)
    forum = forum or make_forum(world)
    recommendation = forums.add_recommendation(secretariat, forum.id, text="Layanan keswa di setiap Puskesmas")
    return services.create_action(
        secretariat,
        recommendation.id,
        kind=kind,
        title=values.pop("title", "Layanan keswa tersedia di setiap Puskesmas"),
        due_date=TODAY + timedelta(days=due_in),
        lead_opd_id=world.opds[lead] if lead else None,
        support_opd_ids=[world.opds[code] for code in support],
        **values,
    )


def dinkes_assignment(action):
    return next(a for a in action.assignments if a.opd.code == "DINKES")


def link_report(world, assignment_id, role="opd_head", percent=50):
    return services.report_progress(
        as_user(world.users[role].id),
        assignment_id,
        percent=percent,
        note="Laporan",
        links=["https://example.org/bukti"],
    )


__all__ = ["make_action", "dinkes_assignment", "link_report", "participant", "TODAY"]
