"""The dashboard's and the compliance table's figures on a known fixture, and their query counts."""

from datetime import UTC, date, datetime, timedelta

import pytest

from actions.models import Action, Assignment, BpkCategory, Status
from core.extensions import db
from forum import services as forums
from reports import services
from tests.conftest import QueryCounter, as_user
from tests.forum.helpers import make_forum

TODAY = date(2025, 12, 16)  # Tuesday; the fixed clock's local date
ASSIGNED = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)


def arrange(world, rows):
    """rows: (opd code, status, due in days, days to acknowledge or None, completed days after due or None)."""
    forum = make_forum(world)
    recommendation = forums.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Keswa")
    for i, (code, status, due_in, ack_days, completed_after_due) in enumerate(rows):
        due = TODAY + timedelta(days=due_in)
        action = Action(recommendation=recommendation, title=f"Tugas {i}", due_date=due)
        assignment = Assignment(
            action=action, opd_id=world.opds[code], status=status, due_date=due, assigned_at=ASSIGNED
        )
        if ack_days is not None:
            assignment.acknowledged_at = ASSIGNED + timedelta(days=ack_days)
        if completed_after_due is not None:
            assignment.completed_at = datetime.combine(
                due + timedelta(days=completed_after_due), datetime.min.time(), UTC
            )
        db.session.add(assignment)
    db.session.commit()
    return forum


KNOWN = [
    ("DINKES", Status.DONE, -10, 1, -2),  # done 2 days early
    ("DINKES", Status.DONE, -20, 3, 4),  # done 4 days late
    ("DINKES", Status.IN_PROGRESS, -5, 2, None),  # 5 days late, open
    ("DINKES", Status.SUBMITTED, -1, 5, None),  # awaiting verification: not counted as overdue
    ("DINKES", Status.ASSIGNED, 3, None, None),  # unacknowledged since 1 December
    ("DP3AP2KB", Status.ASSIGNED, -40, None, None),  # 40 days late, never acknowledged
    ("DP3AP2KB", Status.CANNOT_FOLLOW_UP, -3, 1, None),
    ("DP3AP2KB", Status.CANCELLED, -3, None, None),  # left out of everything
]


def test_tiles_and_charts(appctx, world):
    arrange(world, KNOWN)
    d = services.dashboard(as_user(world.users["viewer"].id), services.ReportFilters())
    assert (d.tiles.open, d.tiles.overdue, d.tiles.stale, d.tiles.awaiting) == (4, 2, 2, 1)
    assert dict((code, (open_, late)) for code, open_, late in d.per_opd) == {"DINKES": (3, 1), "DP3AP2KB": (1, 1)}
    assert d.bpk == {
        BpkCategory.SESUAI: 2,
        BpkCategory.BELUM_SESUAI: 2,
        BpkCategory.BELUM_DITINDAKLANJUTI: 2,
        BpkCategory.TIDAK_DAPAT: 1,
    }
    assert dict(d.ages) == {"0–7": 1, "8–30": 0, "31–90": 1, ">90": 0}
    assert [a.opd_name for a in d.most_overdue] == ["DP3AP2KB", "DINKES"]
    assert [a.due_date for a in d.upcoming] == [TODAY + timedelta(days=3)]
    [(forum_id, title, done, total)] = d.per_forum
    assert (done, total) == (2, 7)


def test_compliance_counts_medians_and_rate(appctx, world):
    arrange(world, KNOWN)
    rows = {r.code: r for r in services.compliance(as_user(world.users["viewer"].id), services.ReportFilters())}
    dinkes = rows["DINKES"]
    assert (dinkes.total, dinkes.done, dinkes.in_progress, dinkes.overdue, dinkes.unacknowledged) == (5, 2, 2, 1, 1)
    assert dinkes.median_ack_days == 2.5  # 1, 2, 3, 5
    assert dinkes.median_late_days == 4.5  # done 4 days late; 5 days late and still open
    assert dinkes.rate == pytest.approx(2 / 4)  # four past their deadline, two done
    dp3 = rows["DP3AP2KB"]
    assert (dp3.total, dp3.overdue, dp3.median_late_days, dp3.rate) == (2, 1, 40, 0)
    with_sort = services.compliance(as_user(world.users["viewer"].id), services.ReportFilters(), sort="rate")
    assert [r.code for r in with_sort] == ["DP3AP2KB", "DINKES"]


def test_filters_narrow_every_figure(appctx, world):
    arrange(world, KNOWN)
    empty = services.dashboard(as_user(world.users["viewer"].id), services.ReportFilters(forum_kind="lokakarya"))
    assert (empty.tiles.open, empty.per_opd, empty.per_forum) == (0, [], [])
    dated = services.ReportFilters(date_from=date(2025, 12, 16), date_to=date(2025, 12, 16))
    assert services.dashboard(as_user(world.users["viewer"].id), dated).tiles.open == 4


def test_the_indonesian_rate_is_written_with_a_comma(appctx, client_as, world):
    arrange(world, KNOWN)
    page = client_as("viewer").get("/reports/compliance").get_data(as_text=True)
    assert "50,0%" in page and "0,0%" in page


@pytest.mark.parametrize("url", ["/dashboard", "/reports/compliance", "/reports/opds/{dinkes}"])
def test_report_pages_run_a_fixed_number_of_queries(app, world, client_as, url):
    url = url.format(dinkes=world.opds["DINKES"])
    client = client_as("secretariat")

    def queries():
        with app.app_context(), QueryCounter(db.engine) as counter:
            assert client.get(url).status_code == 200
        return counter.count

    with app.app_context():
        arrange(world, KNOWN)
    few = queries()
    with app.app_context():
        arrange(world, KNOWN * 30)
    assert queries() == few
