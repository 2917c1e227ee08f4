"""The follow-ups list's filters as the query string gives them: one reading for the list, the dashboard's
drill-downs and the exports."""

from flask import request

from actions import queries
from actions.models import STATUS_LABELS
from core.views import date_arg, id_arg
from forum.models import FORUM_KIND_LABELS


def filters_from_request() -> queries.AssignmentFilters:
    """The follow-ups list's filters from the query string; anything malformed is ignored."""
    args = request.args
    return queries.AssignmentFilters(
        opd_id=id_arg("opd"),
        government_id=id_arg("government"),
        status=args.get("status") if args.get("status") in STATUS_LABELS else None,
        overdue=args.get("overdue") == "1",
        stale=args.get("stale") == "1",
        awaiting=args.get("awaiting") == "1",
        done_since=date_arg("done_since"),
        forum_id=id_arg("forum"),
        series_id=id_arg("series"),
        forum_kind=args.get("kind") if args.get("kind") in FORUM_KIND_LABELS else None,
        held_from=date_arg("held_from"),
        held_to=date_arg("held_to"),
        theme=args.get("theme") or None,
        due_from=date_arg("due_from"),
        due_to=date_arg("due_to"),
    )
