"""The dashboard's figures and the compliance table per OPD: the same numbers as the pages, from the same services
(`reports.services`), under the same filters."""

import marshmallow as ma
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from actions.models import BpkCategory
from api.base import ApiBlueprint
from api.schemas import QueryId, Schema
from core.errors import Invalid
from forum.models import ForumKind
from reports import services as reports

bp = ApiBlueprint("figures", __name__, description="The dashboard's figures and the compliance table per OPD.")


class ReportQuery(Schema):
    """The dashboard's filters, named as the API names them elsewhere."""

    held_from = ma.fields.Date(metadata={"description": "Only the tasks of meetings held on this day or later."})
    held_to = ma.fields.Date(metadata={"description": "Only the tasks of meetings held on this day or earlier."})
    series_id = QueryId(metadata={"description": "Only the tasks of this series' meetings."})
    forum_kind = ma.fields.Enum(ForumKind, by_value=True, metadata={"description": "Only this kind of meeting's."})
    theme = ma.fields.String(
        validate=ma.validate.Length(min=1, max=80),
        metadata={"description": "Only the tasks of recommendations with this theme."},
    )
    government_id = QueryId(
        metadata={"description": "Only the tasks of this government's OPDs; one whose reports the user may see."}
    )


class ComplianceQuery(ReportQuery):
    sort = ma.fields.String(
        load_default="overdue",
        validate=ma.validate.OneOf(sorted(reports.SORT_KEYS)),
        metadata={"description": "The column the rows are sorted by, as on the page (then by code)."},
    )


def report_filters(args: dict) -> reports.ReportFilters:
    """The filters of a query; a government the user may not see is a field error (the page drops it and says so)."""
    try:
        government_id = reports.government_filter(current_user, args.get("government_id"))
    except Invalid as refused:
        raise Invalid(_l("That government is not one whose reports you may see."), field="government_id") from refused
    return reports.ReportFilters(
        date_from=args.get("held_from"),
        date_to=args.get("held_to"),
        series_id=args.get("series_id"),
        forum_kind=args["forum_kind"].value if "forum_kind" in args else None,
        theme=args.get("theme"),
        government_id=government_id,
    )


class FiguresSchema(Schema):
    total = ma.fields.Integer(required=True, metadata={"description": "Tasks, the cancelled left out."})
    done = ma.fields.Integer(required=True)
    in_progress = ma.fields.Integer(
        required=True, metadata={"description": "Acknowledged and under way, submitted, returned or asked to close."}
    )
    overdue = ma.fields.Integer(required=True, metadata={"description": "With the OPD and past their due date."})
    unacknowledged = ma.fields.Integer(required=True, metadata={"description": "Given and not yet acknowledged."})
    due = ma.fields.Integer(required=True, metadata={"description": "Whose due date has passed."})
    done_of_due = ma.fields.Integer(required=True, metadata={"description": "Of those, done."})
    rate = ma.fields.Float(
        allow_none=True, metadata={"description": "Follow-up rate: done_of_due / due, from 0 to 1; null when due is 0."}
    )
    median_late_days = ma.fields.Float(
        allow_none=True, metadata={"description": "Of the late tasks, the median days past the due date."}
    )


class ComplianceSchema(FiguresSchema):
    opd_id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    government_id = ma.fields.Integer(required=True)
    median_ack_days = ma.fields.Float(
        allow_none=True, metadata={"description": "Median days from assignment to acknowledgement."}
    )


class GovernmentFiguresSchema(FiguresSchema):
    government_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"description": 'Its short name ("Kab. Serang").'})
    depth = ma.fields.Integer(required=True, metadata={"description": "How far below the user's government."})


class TilesSchema(Schema):
    open = ma.fields.Integer(required=True, metadata={"description": "Tasks not yet finished."})
    overdue = ma.fields.Integer(required=True, metadata={"description": "With the OPD and past their due date."})
    stale = ma.fields.Integer(
        required=True, metadata={"description": "Given and not acknowledged after two working days."}
    )
    awaiting = ma.fields.Integer(
        required=True, metadata={"description": "Submitted, or asked to close, awaiting the secretariat."}
    )
    done_this_month = ma.fields.Integer(required=True)


class OpdLateSchema(Schema):
    opd = ma.fields.String(
        required=True, metadata={"description": 'The OPD as the user reads it ("DINKES · Kab. Serang" from another).'}
    )
    open = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)


class AgeSchema(Schema):
    days = ma.fields.String(required=True, metadata={"description": 'Days overdue: "0–7", "8–30", "31–90", ">90".'})
    overdue = ma.fields.Integer(required=True)


class ForumProgressSchema(Schema):
    forum_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    done = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


BpkSchema = Schema.from_dict(
    {category.value: ma.fields.Integer(required=True) for category in BpkCategory}, name="BpkSchema"
)


class DashboardSchema(Schema):
    today = ma.fields.Date(required=True, metadata={"description": "The Pemda's local day the figures are of."})
    tiles = ma.fields.Nested(TilesSchema, required=True)
    bpk = ma.fields.Nested(BpkSchema, required=True, metadata={"description": "Tasks per BPK follow-up category."})
    ages = ma.fields.List(ma.fields.Nested(AgeSchema), required=True)
    per_opd = ma.fields.List(
        ma.fields.Nested(OpdLateSchema),
        required=True,
        metadata={"description": "The OPDs most behind: most overdue, then most open (at most 15)."},
    )
    per_forum = ma.fields.List(
        ma.fields.Nested(ForumProgressSchema),
        required=True,
        metadata={"description": "The latest forums with tasks, newest first (at most 12)."},
    )
    upcoming_ids = ma.fields.List(
        ma.fields.Integer(), required=True, metadata={"description": "Assignments due in the next 14 days."}
    )
    most_overdue_ids = ma.fields.List(
        ma.fields.Integer(), required=True, metadata={"description": "The ten assignments longest overdue."}
    )
    headless_opd_ids = ma.fields.List(
        ma.fields.Integer(), required=True, metadata={"description": "Active OPDs without an active head."}
    )
    rollup = ma.fields.List(
        ma.fields.Nested(GovernmentFiguresSchema),
        required=True,
        metadata={"description": "Per government of the user's reach, when it holds several; else empty."},
    )


def dashboard_body(figures: reports.Dashboard) -> dict:
    """The dashboard as the API says it: ids where the page shows rows, the BPK categories by value."""
    return {
        "today": figures.today,
        "tiles": figures.tiles,
        "bpk": {category.value: number for category, number in figures.bpk.items()},
        "ages": [{"days": label, "overdue": number} for label, number in figures.ages],
        "per_opd": [{"opd": opd, "open": open_, "overdue": late} for opd, open_, late in figures.per_opd],
        "per_forum": [
            {"forum_id": forum_id, "title": title, "done": done, "total": total}
            for forum_id, title, done, total in figures.per_forum
        ],
        "upcoming_ids": [assignment.id for assignment in figures.upcoming],
        "most_overdue_ids": [assignment.id for assignment in figures.most_overdue],
        "headless_opd_ids": [opd.id for opd in figures.headless],
        "rollup": figures.rollup,
    }


@bp.route("/dashboard")
class DashboardFigures(MethodView):
    @bp.etag
    @bp.arguments(ReportQuery, location="query")
    @bp.response(200, DashboardSchema)
    def get(self, args):
        """The dashboard's figures for the user, under the dashboard's filters."""
        return dashboard_body(reports.dashboard(current_user, report_filters(args)))


@bp.route("/compliance")
class ComplianceTable(MethodView):
    @bp.etag
    @bp.arguments(ComplianceQuery, location="query")
    @bp.response(200, ComplianceSchema(many=True))
    def get(self, args):
        """The compliance table: one row per OPD with tasks the user may see, sorted as asked."""
        return reports.compliance(current_user, report_filters(args), sort=args["sort"])
