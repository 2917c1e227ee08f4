"""Team decrees (SK) and their members: those of the follow-ups the user may see, as on the decrees page
(`actions.decrees`)."""

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user

from actions import decrees
from actions.models import Decree, DecreeStage, TeamRole
from api.base import ApiBlueprint, paged
from api.schemas import Schema

bp = ApiBlueprint("decrees", __name__, description="Team decrees (SK) made as follow-ups, with their members.")


class DecreeMemberSchema(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    team_role = ma.fields.Enum(
        TeamRole, by_value=True, required=True, metadata={"description": "Their place in the team."}
    )
    opd_id = ma.fields.Integer(allow_none=True, metadata={"description": "The OPD they sit for, if any."})
    position = ma.fields.String(allow_none=True, metadata={"description": "Their position (jabatan)."})


class DecreeSchema(Schema):
    action_id = ma.fields.Integer(
        required=True, metadata={"description": "The follow-up that carries the decree; the decree's address."}
    )
    id = ma.fields.Integer(required=True)
    forum_id = ma.fields.Integer(
        attribute="action.recommendation.forum_id",
        required=True,
        metadata={"description": "The forum whose recommendation asked for it."},
    )
    recommendation_id = ma.fields.Integer(attribute="action.recommendation_id", required=True)
    subject = ma.fields.String(required=True, metadata={"description": "What the team is formed for."})
    number = ma.fields.String(allow_none=True, metadata={"description": "The SK's number, once drafted or signed."})
    stage = ma.fields.Enum(DecreeStage, by_value=True, required=True)
    signed_on = ma.fields.Date(allow_none=True)
    signer = ma.fields.String(allow_none=True)
    valid_from = ma.fields.Date(allow_none=True)
    valid_until = ma.fields.Date(allow_none=True)
    lead_opd_id = ma.fields.Integer(allow_none=True, metadata={"description": "The OPD that leads the team."})
    has_document = ma.fields.Function(
        lambda decree: decree.document_id is not None,
        required=True,
        metadata={"type": "boolean", "description": "Whether the signed SK is uploaded."},
    )


class DecreeWithMembersSchema(DecreeSchema):
    members = ma.fields.List(ma.fields.Nested(DecreeMemberSchema), required=True)


class DecreeQuery(Schema):
    stage = ma.fields.Enum(DecreeStage, by_value=True, metadata={"description": "Only the decrees at this stage."})


@bp.route("/decrees")
class Decrees(MethodView):
    @bp.etag
    @bp.arguments(DecreeQuery, location="query")
    @bp.response(200, DecreeSchema(many=True))
    @bp.paginate()
    def get(self, args, pagination_parameters):
        """The decrees of the follow-ups the user may see, soonest expiry first (those without one last)."""
        query = decrees.decrees_query(current_user)
        if "stage" in args:
            query = query.where(Decree.stage == args["stage"])
        return paged(query, pagination_parameters)


@bp.route("/decrees/<int:action_id>")
class DecreeItem(MethodView):
    @bp.etag
    @bp.response(200, DecreeWithMembersSchema)
    def get(self, action_id):
        """The decree of a follow-up the user may see, with its team."""
        return decrees.get_decree(current_user, action_id)
