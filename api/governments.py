"""Governments and their OPDs: those of the user's reach (its own government and every one below it), as the
report and filter pages offer them."""

import marshmallow as ma
import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from accounts import governments
from accounts.models import Government, GovernmentKind, Opd, OpdKind
from api.base import ApiBlueprint, paged
from api.schemas import QueryId, Schema
from core.errors import NotFound
from core.extensions import db
from core.permissions import sees

bp = ApiBlueprint("governments", __name__, description="Governments and their OPDs (agencies).")


class GovernmentSchema(Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    short_name = ma.fields.String(required=True)
    kind = ma.fields.Enum(GovernmentKind, by_value=True, required=True)
    parent_id = ma.fields.Integer(allow_none=True)


class OpdSchema(Schema):
    id = ma.fields.Integer(required=True)
    government_id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.Enum(OpdKind, by_value=True, required=True)
    parent_id = ma.fields.Integer(allow_none=True)
    email = ma.fields.String(allow_none=True, metadata={"description": "The OPD's official inbox."})
    head_id = ma.fields.Integer(allow_none=True, metadata={"description": "The user who heads it (Plt. included)."})
    active = ma.fields.Boolean(required=True)


class OpdQuery(Schema):
    government_id = QueryId(metadata={"description": "Only this government's OPDs."})
    active = ma.fields.Boolean(metadata={"description": "Only active (true) or inactive (false) OPDs."})


def _reach_condition(column):
    reach = governments.reach(current_user)
    return sa.true() if reach is None else column.in_(sorted(reach))


def _seen(row, government_column: str, missing):
    """The row, if the user sees its government in full; NotFound otherwise, as for a row that does not exist."""
    if row is None or not sees(governments.reach(current_user), getattr(row, government_column)):
        raise NotFound(missing)
    return row


@bp.route("/governments")
class Governments(MethodView):
    @bp.etag
    @bp.response(200, GovernmentSchema(many=True))
    @bp.paginate()
    def get(self, pagination_parameters):
        """The governments whose work the user sees in full."""
        query = sa.select(Government).where(_reach_condition(Government.id)).order_by(Government.id)
        return paged(query, pagination_parameters)


@bp.route("/governments/<int:government_id>")
class GovernmentItem(MethodView):
    @bp.etag
    @bp.response(200, GovernmentSchema)
    def get(self, government_id):
        """One government of the user's reach."""
        return _seen(db.session.get(Government, government_id), "id", _l("No such government."))


@bp.route("/opds")
class Opds(MethodView):
    @bp.etag
    @bp.arguments(OpdQuery, location="query")
    @bp.response(200, OpdSchema(many=True))
    @bp.paginate()
    def get(self, args, pagination_parameters):
        """The OPDs of the governments the user sees in full, by government then code."""
        query = sa.select(Opd).where(_reach_condition(Opd.government_id))
        if "government_id" in args:
            query = query.where(Opd.government_id == args["government_id"])
        if "active" in args:
            query = query.where(Opd.active.is_(args["active"]))
        return paged(query.order_by(Opd.government_id, Opd.code, Opd.id), pagination_parameters)


@bp.route("/opds/<int:opd_id>")
class OpdItem(MethodView):
    @bp.etag
    @bp.response(200, OpdSchema)
    def get(self, opd_id):
        """One OPD of a government the user sees in full."""
        return _seen(db.session.get(Opd, opd_id), "government_id", _l("No such OPD."))
