"""Forums, with their participants and recommendations: those the user may see on the forum pages
(`forum.services.visible_forums`), filtered as the forum list filters them."""

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user

from actions import queries as actions
from api.base import ApiBlueprint, paged
from api.schemas import Moment, QueryId, Schema
from forum import services as forums
from forum.models import (
    FIRST_PLANNING_YEAR,
    LAST_PLANNING_YEAR,
    Attendance,
    ForumKind,
    ForumMode,
    ForumStatus,
    ParticipantCategory,
    ParticipantRole,
)

bp = ApiBlueprint("forums", __name__, description="Forums (meetings), their participants and recommendations.")

PlanningYear = ma.validate.Range(min=FIRST_PLANNING_YEAR, max=LAST_PLANNING_YEAR)


class SeriesSchema(Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)


class ForumSchema(Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    kind = ma.fields.Enum(ForumKind, by_value=True, required=True)
    status = ma.fields.Enum(ForumStatus, by_value=True, required=True)
    government_id = ma.fields.Integer(
        required=True, metadata={"description": "The government whose secretariat logs the forum and edits it."}
    )
    series = ma.fields.Nested(
        SeriesSchema, allow_none=True, metadata={"description": "The process of several meetings it belongs to."}
    )
    starts_at = Moment(required=True, metadata={"description": "When it is (or was) held."})
    ends_at = Moment(allow_none=True)
    venue = ma.fields.String(allow_none=True)
    mode = ma.fields.Enum(ForumMode, by_value=True, required=True, metadata={"description": "In person or online."})
    online_link = ma.fields.String(allow_none=True)
    platform = ma.fields.String(
        allow_none=True,
        attribute="online_platform",
        metadata={"description": 'What it was held through ("Zoom Meeting"), as typed or read from the link.'},
    )
    organiser_opd_id = ma.fields.Integer(allow_none=True, metadata={"description": "The OPD that organised it."})
    host = ma.fields.String(
        allow_none=True, metadata={"description": "Another government that held it, which our officers attended."}
    )
    chair = ma.fields.String(allow_none=True)
    minute_taker = ma.fields.String(allow_none=True)
    record_number = ma.fields.String(
        allow_none=True, metadata={"description": "The number of its Berita Acara, the secretariat's own."}
    )
    period_start = ma.fields.Integer(allow_none=True, metadata={"description": "First year of the planning period."})
    period_end = ma.fields.Integer(allow_none=True, metadata={"description": "Last year of the planning period."})
    agenda = ma.fields.String(allow_none=True)
    minutes = ma.fields.String(allow_none=True, metadata={"description": "The minutes (notulen), as text."})
    created_at = Moment(required=True)
    updated_at = Moment(required=True)


class ForumQuery(Schema):
    kind = ma.fields.Enum(ForumKind, by_value=True)
    status = ma.fields.Enum(ForumStatus, by_value=True)
    series_id = QueryId(metadata={"description": "Only the forums of this series."})
    government_id = QueryId(metadata={"description": "Only the forums this government logs."})
    organiser_opd_id = QueryId(metadata={"description": "Only the forums this OPD organised."})
    period_start = ma.fields.Integer(validate=PlanningYear, metadata={"description": "Planning period from."})
    period_end = ma.fields.Integer(validate=PlanningYear, metadata={"description": "Planning period to."})
    held_from = ma.fields.Date(metadata={"description": "Held on this day or later (the Pemda's local day)."})
    held_to = ma.fields.Date(metadata={"description": "Held on this day or earlier."})
    updated_since = Moment(metadata={"description": "Changed at or after this moment, for synchronisation."})
    q = ma.fields.String(
        data_key="q",
        attribute="search",
        validate=ma.validate.Length(max=200),
        metadata={"description": "Text in the title, the venue or the host."},
    )


class ParticipantSchema(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    position = ma.fields.String(allow_none=True, metadata={"description": "Their position (jabatan)."})
    opd_id = ma.fields.Integer(allow_none=True, metadata={"description": "Their OPD, when they came for one."})
    institution = ma.fields.String(
        required=True,
        attribute="institution_name",
        metadata={"description": "The OPD's name, or the institution as typed (DPRD, BPJS Kesehatan...)."},
    )
    category = ma.fields.Enum(
        ParticipantCategory, by_value=True, required=True, metadata={"description": "Which part of society (unsur)."}
    )
    role = ma.fields.Enum(ParticipantRole, by_value=True, required=True)
    attendance = ma.fields.Enum(Attendance, by_value=True, required=True)


class RecommendationSchema(Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.Integer(required=True, metadata={"description": "Its number within the forum, from 1."})
    text = ma.fields.String(required=True)
    planning_ref = ma.fields.String(
        allow_none=True, metadata={"description": "The planning document it feeds (Renstra, RKPD...)."}
    )
    themes = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "Its themes, lower-case."})
    action_ids = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        metadata={"description": "The follow-ups (actions) made from it that the user may see."},
    )


@bp.route("/forums")
class Forums(MethodView):
    @bp.etag
    @bp.arguments(ForumQuery, location="query")
    @bp.response(200, ForumSchema(many=True))
    @bp.paginate()
    def get(self, args, pagination_parameters):
        """The forums the user may see, newest first, filtered as the forum list is."""
        filters = forums.ForumFilters(**args)
        return paged(forums.forums_query(current_user, filters), pagination_parameters)


@bp.route("/forums/<int:forum_id>")
class ForumItem(MethodView):
    @bp.etag
    @bp.response(200, ForumSchema)
    def get(self, forum_id):
        """One forum the user may see."""
        return forums.get_forum(current_user, forum_id)


@bp.route("/forums/<int:forum_id>/participants")
class Participants(MethodView):
    @bp.etag
    @bp.response(200, ParticipantSchema(many=True))
    def get(self, forum_id):
        """The forum's attendance list (daftar hadir), in the order it was made."""
        return forums.get_forum(current_user, forum_id, full=True).participants


@bp.route("/forums/<int:forum_id>/recommendations")
class Recommendations(MethodView):
    @bp.etag
    @bp.response(200, RecommendationSchema(many=True))
    def get(self, forum_id):
        """The forum's recommendations by number, each with its themes and the follow-ups made from it."""
        forum = forums.get_forum(current_user, forum_id, full=True)
        followups = actions.forum_followups(current_user, forum.id)
        return [
            {
                "id": r.id,
                "number": r.number,
                "text": r.text,
                "planning_ref": r.planning_ref,
                "themes": [theme.name for theme in r.themes],
                "action_ids": [action.id for action in followups.get(r.id, [])],
            }
            for r in forum.recommendations
        ]
