"""Follow-ups (tindak lanjut): what a recommendation asked of OPDs, and the ids and statuses of its tasks, those the
user may see (a sibling government's tasks from a forum both attended stay out)."""

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user

from actions import queries
from actions.models import ActionKind, AssignmentRole, Status
from api.base import ApiBlueprint, paged
from api.schemas import Moment, QueryId, Schema

bp = ApiBlueprint("followups", __name__, description="Follow-ups of recommendations, each given to one or more OPDs.")


class ActionAssignmentSchema(Schema):
    id = ma.fields.Integer(required=True)
    opd_id = ma.fields.Integer(required=True)
    role = ma.fields.Enum(AssignmentRole, by_value=True, required=True)
    status = ma.fields.Enum(Status, by_value=True, required=True)
    due_date = ma.fields.Date(required=True)


class ActionSchema(Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    kind = ma.fields.Enum(ActionKind, by_value=True, required=True)
    due_date = ma.fields.Date(required=True)
    recommendation_id = ma.fields.Integer(required=True)
    forum_id = ma.fields.Integer(required=True, attribute="recommendation.forum_id")
    cancelled_at = Moment(allow_none=True)
    cancel_reason = ma.fields.String(allow_none=True)
    created_at = Moment(required=True)
    assignments = ma.fields.List(ma.fields.Nested(ActionAssignmentSchema), required=True)


class ActionQuery(Schema):
    forum_id = QueryId(metadata={"description": "Only this forum's follow-ups."})


@bp.route("/actions")
class Actions(MethodView):
    @bp.etag
    @bp.arguments(ActionQuery, location="query")
    @bp.response(200, ActionSchema(many=True))
    @bp.paginate()
    def get(self, args, pagination_parameters):
        """The follow-ups the user may see, oldest first, each with the tasks of it the user may see."""
        return paged(queries.visible_actions(current_user, forum_id=args.get("forum_id")), pagination_parameters)


@bp.route("/actions/<int:action_id>")
class ActionItem(MethodView):
    @bp.etag
    @bp.response(200, ActionSchema)
    def get(self, action_id):
        """One follow-up, with the tasks of it the user may see."""
        return queries.get_action(current_user, action_id)
