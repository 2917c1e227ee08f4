"""Assignments (one follow-up given to one OPD): the follow-ups list with its filters and a sync client's
`updated_since`, one task with what the user may do to it now, its timeline, its evidence files, and every move of
its status as an operation of its own. Each operation loads the task as its page does
(`actions.services.assignment_for`) and calls the same service with the token's user, so the transition table and
its permissions decide here as there."""

import marshmallow as ma
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from actions import queries, services
from actions.evidence import evidence_file
from actions.models import (
    ASSIGNMENT_ROLE_LABELS,
    STATUS_LABELS,
    Assignment,
    AssignmentRole,
    CannotReason,
    HistoryKind,
    Status,
)
from api.base import ApiBlueprint, paged
from api.schemas import File, Id, Moment, QueryId, Schema
from core import clock
from core.permissions import Permission
from core.views import attachment_download
from forum.models import FORUM_KIND_LABELS

bp = ApiBlueprint(
    "assignments",
    __name__,
    description="Follow-up tasks given to OPDs: the list, one task, its timeline and evidence, and its moves.",
)

P = Permission
NOTE = ma.validate.Length(max=500)  # the pages' note and reason fields (actions/forms.py)
LONG_NOTE = ma.validate.Length(max=5000)


def reason_field(max_length: int = 500) -> ma.fields.String:
    """A required reason: the service refuses a blank one with its own message, so the document only says so."""
    return ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=max_length),
        metadata={"pattern": r"\S", "description": "Why; not blank."},
    )


def _label(labels: dict, value) -> str:
    return str(labels[value])


# --- what is answered ----------------------------------------------------------------------------------


class AssignmentSchema(Schema):
    id = ma.fields.Integer(required=True)
    action_id = ma.fields.Integer(required=True)
    recommendation_id = ma.fields.Integer(required=True, attribute="action.recommendation_id")
    forum_id = ma.fields.Integer(required=True, attribute="action.recommendation.forum_id")
    title = ma.fields.String(required=True, attribute="action.title", metadata={"description": "The follow-up's."})
    opd_id = ma.fields.Integer(required=True)
    opd_code = ma.fields.String(required=True, attribute="opd.code")
    opd_government_id = ma.fields.Integer(required=True, attribute="opd.government_id")
    role = ma.fields.Enum(AssignmentRole, by_value=True, required=True)
    role_label = ma.fields.Method("_role_label", required=True, metadata={"type": "string"})
    status = ma.fields.Enum(Status, by_value=True, required=True)
    status_label = ma.fields.Method("_status_label", required=True, metadata={"type": "string"})
    due_date = ma.fields.Date(required=True)
    overdue = ma.fields.Method("_overdue", required=True, metadata={"type": "boolean"})
    days_late = ma.fields.Method(
        "_days_late",
        required=True,
        metadata={"type": "integer", "description": "Days past the due date while the next move is the OPD's."},
    )
    percent = ma.fields.Integer(required=True)
    pic_name = ma.fields.String(allow_none=True, metadata={"description": "The person in charge (PIC)."})
    assigned_at = Moment(required=True)
    acknowledged_at = Moment(allow_none=True)
    acknowledged_by_id = ma.fields.Integer(allow_none=True)
    submitted_at = Moment(allow_none=True)
    verified_at = Moment(allow_none=True)
    verified_by_id = ma.fields.Integer(allow_none=True)
    completed_at = Moment(allow_none=True)
    updated_at = Moment(required=True, metadata={"description": "The last change: `updated_since` compares it."})
    version = ma.fields.Integer(required=True, metadata={"description": "Bumped by every change of the task."})

    def _role_label(self, assignment: Assignment) -> str:
        return _label(ASSIGNMENT_ROLE_LABELS, assignment.role)

    def _status_label(self, assignment: Assignment) -> str:
        return _label(STATUS_LABELS, assignment.status)

    def _overdue(self, assignment: Assignment) -> bool:
        return assignment.days_late(clock.today_local()) > 0

    def _days_late(self, assignment: Assignment) -> int:
        return assignment.days_late(clock.today_local())


OPERATIONS = (
    "acknowledge",
    "pic",
    "progress",
    "submit",
    "cannot",
    "verify",
    "return",
    "decide_cannot",
    "cancel",
    "due_date",
    "reassign",
)


class AssignmentDetailSchema(AssignmentSchema):
    allowed = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(OPERATIONS)),
        required=True,
        metadata={"description": "The operations this user may do on the task now, as its page offers them."},
    )


def allowed(assignment: Assignment) -> list[str]:
    """The operations the user may do now, asked of the same functions that decide the page's buttons."""
    may = {
        "acknowledge": services.may(current_user, assignment, Status.ACKNOWLEDGED),
        "pic": services.may_set_pic(current_user, assignment),
        "progress": services.may_report(current_user, assignment),
        "submit": services.may(current_user, assignment, Status.SUBMITTED),
        "cannot": services.may(current_user, assignment, Status.CANNOT_REQUESTED),
        "verify": services.may(current_user, assignment, Status.DONE),
        "return": services.may(current_user, assignment, Status.RETURNED),
        "decide_cannot": services.may(current_user, assignment, Status.CANNOT_FOLLOW_UP),
        "cancel": services.may(current_user, assignment, Status.CANCELLED),
        "due_date": services.may_change(current_user, assignment),
        "reassign": services.may_change(current_user, assignment),
    }
    return [name for name in OPERATIONS if may[name]]


class Detail:
    """A task as one read answers it: the assignment's fields, and what the user may do to it now."""

    def __init__(self, assignment: Assignment):
        self.assignment, self.allowed = assignment, allowed(assignment)

    def __getattr__(self, name):
        return getattr(self.assignment, name)


def detail(assignment: Assignment) -> Detail:
    return Detail(assignment)


class EvidenceSchema(Schema):
    id = ma.fields.Integer(required=True)
    file_name = ma.fields.String(allow_none=True, attribute="attachment.original_name")
    content_type = ma.fields.String(allow_none=True, attribute="attachment.content_type")
    size = ma.fields.Integer(allow_none=True, attribute="attachment.size")
    url = ma.fields.String(allow_none=True, metadata={"description": "A link given as evidence (no file)."})
    download = ma.fields.Method(
        "_download",
        allow_none=True,
        metadata={"type": "string", "nullable": True, "description": "The file's address, GET /api/v1/evidence/<id>."},
    )

    def _download(self, evidence) -> str | None:
        return f"/api/v1/evidence/{evidence.id}" if evidence.attachment is not None else None


class ReportSchema(Schema):
    id = ma.fields.Integer(required=True)
    percent = ma.fields.Integer(required=True)
    note = ma.fields.String(allow_none=True)
    at = Moment(required=True)
    evidence = ma.fields.List(ma.fields.Nested(EvidenceSchema), required=True)


class TimelineEntrySchema(Schema):
    id = ma.fields.Integer(required=True)
    at = Moment(required=True)
    kind = ma.fields.Enum(HistoryKind, by_value=True, required=True)
    from_status = ma.fields.Enum(Status, by_value=True, allow_none=True)
    to_status = ma.fields.Enum(Status, by_value=True, allow_none=True)
    note = ma.fields.String(allow_none=True)
    data = ma.fields.Dict(required=True, metadata={"description": "What the change was (a due date's from and to…)."})
    actor_id = ma.fields.Integer(allow_none=True)
    actor_name = ma.fields.String(allow_none=True, attribute="actor.name")
    report = ma.fields.Nested(ReportSchema, allow_none=True)


# --- what is asked -------------------------------------------------------------------------------------


class AssignmentQuery(Schema):
    """The follow-ups list's filters (actions.queries.AssignmentFilters), with `mine` and `updated_since`."""

    status = ma.fields.Enum(Status, by_value=True)
    overdue = ma.fields.Boolean(metadata={"description": "Past the due date while the next move is the OPD's."})
    stale = ma.fields.Boolean(metadata={"description": "Unacknowledged for more than 2 working days."})
    awaiting = ma.fields.Boolean(metadata={"description": "Waiting for the secretariat (reported done, or cannot)."})
    opd_id = QueryId()
    government_id = QueryId(metadata={"description": "Tasks of this government's OPDs."})
    forum_id = QueryId()
    series_id = QueryId()
    forum_kind = ma.fields.String(validate=ma.validate.OneOf([str(kind) for kind in FORUM_KIND_LABELS]))
    held_from = ma.fields.Date(metadata={"description": "The meeting was held on or after this date."})
    held_to = ma.fields.Date()
    theme = ma.fields.String(validate=ma.validate.Length(max=100))
    due_from = ma.fields.Date(metadata={"description": "Due on or after this date."})
    due_to = ma.fields.Date(metadata={"description": "Due on or before this date."})
    done_since = ma.fields.Date(metadata={"description": "Verified done on or after this date."})
    mine = ma.fields.Boolean(metadata={"description": "Only the tasks of the OPDs the user acts for (My tasks)."})
    updated_since = Moment(
        metadata={"description": "Only tasks changed at or after this moment, ordered by that change, then id."}
    )

    @ma.validates_schema
    def _ranges(self, data, **kwargs):
        for start, end in (("due_from", "due_to"), ("held_from", "held_to")):
            if start in data and end in data and data[start] > data[end]:
                raise ma.ValidationError(str(_l("The end date is before the start date.")), end)


class AcknowledgeBody(Schema):
    pic_name = ma.fields.String(validate=ma.validate.Length(max=200))
    note = ma.fields.String(validate=NOTE)


class NoteBody(Schema):
    note = ma.fields.String(validate=NOTE)


class ProgressBody(Schema):
    percent = ma.fields.Integer(required=True, strict=False, validate=ma.validate.Range(min=0, max=100))
    note = ma.fields.String(validate=LONG_NOTE)
    links = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=1000)), metadata={"description": "Evidence links."}
    )
    files = ma.fields.List(File(), metadata={"description": "Evidence files: pdf, jpg, png, docx, xlsx."})


class VerifyBody(Schema):
    accept = ma.fields.Boolean(required=True, metadata={"description": "true: done as recommended; false: return."})
    note = ma.fields.String(validate=ma.validate.Length(max=2000), metadata={"description": "Required to return."})


class PicBody(Schema):
    pic_name = ma.fields.String(required=True, validate=ma.validate.Length(max=200))


class CannotBody(Schema):
    category = ma.fields.Enum(CannotReason, by_value=True, required=True)
    reason = reason_field(2000)


class CannotDecisionBody(Schema):
    approve = ma.fields.Boolean(
        required=True, metadata={"description": "true: it cannot be followed up; false: back to work."}
    )
    note = ma.fields.String(validate=ma.validate.Length(max=2000), metadata={"description": "Required to reject."})


class ReassignBody(Schema):
    opd_id = Id(required=True, metadata={"description": "The OPD the task moves to; it acknowledges afresh."})
    reason = reason_field()


class ReasonBody(Schema):
    reason = reason_field()


class DueDateBody(Schema):
    due_date = ma.fields.Date(required=True)
    reason = reason_field()


# --- reads ---------------------------------------------------------------------------------------------

FILTERS = tuple(queries.AssignmentFilters.__dataclass_fields__)


@bp.route("/assignments")
class Assignments(MethodView):
    @bp.etag
    @bp.arguments(AssignmentQuery, location="query")
    @bp.response(200, AssignmentSchema(many=True))
    @bp.paginate()
    def get(self, args, pagination_parameters):
        """The tasks the user may see, as the follow-ups list filters them, soonest due first (with
        `updated_since`: least recently changed first)."""
        filters = queries.AssignmentFilters(**{name: args[name] for name in FILTERS if name in args})
        query = queries.filtered_assignments(
            current_user, filters, mine=args.get("mine", False), updated_since=args.get("updated_since")
        )
        return paged(query, pagination_parameters)


@bp.route("/assignments/<int:assignment_id>")
class AssignmentItem(MethodView):
    @bp.etag
    @bp.response(200, AssignmentDetailSchema)
    def get(self, assignment_id):
        """One task, with the operations the user may do on it now."""
        return detail(queries.get_assignment(current_user, assignment_id))


@bp.route("/assignments/<int:assignment_id>/timeline")
class AssignmentTimeline(MethodView):
    @bp.etag
    @bp.response(200, TimelineEntrySchema(many=True))
    def get(self, assignment_id):
        """The task's history, oldest first: each move, report (with its evidence), due date change and edit."""
        queries.get_assignment(current_user, assignment_id)  # another government's task is 404, not an empty list
        return queries.timeline(current_user, assignment_id)


@bp.route("/evidence/<int:evidence_id>")
class EvidenceFile(MethodView):
    @bp.response(200, description="The file, as it was uploaded.", content_type="application/octet-stream")
    def get(self, evidence_id):
        """One evidence file: the secretariat downloads every one, an OPD's users those of the OPDs they act for."""
        return attachment_download(evidence_file(current_user, evidence_id))


# --- moves ---------------------------------------------------------------------------------------------


def _moved(assignment_id: int, permission: Permission, run) -> dict:
    """Load the task as its page does, refusing whoever may not do this; run the page's service on it, and answer
    the task as it is after."""
    assignment = services.assignment_for(current_user, assignment_id, permission)
    run(assignment)
    return detail(queries.get_assignment(current_user, assignment_id))


@bp.route("/assignments/<int:assignment_id>/acknowledge", methods=["POST"])
@bp.arguments(AcknowledgeBody, required=False)
@bp.response(200, AssignmentDetailSchema)
def acknowledge(body, assignment_id):
    """Accept the task for the OPD (its head), naming the person in charge; acknowledging twice changes nothing."""

    def run(assignment):
        services.acknowledge(current_user, assignment, pic_name=body.get("pic_name"), note=body.get("note"))

    return _moved(assignment_id, P.ACKNOWLEDGE, run)


@bp.route("/assignments/<int:assignment_id>/progress", methods=["POST"])
@bp.arguments(ProgressBody, location="multipart")
@bp.response(200, AssignmentDetailSchema)
def progress(body, assignment_id):
    """Report progress as multipart/form-data: `percent`, `note`, `links` (repeated) and evidence `files`
    (repeated), with the page's checks of each file's size, type and name. All of it is saved, or none."""

    def run(assignment):
        services.report_progress(
            current_user,
            assignment,
            percent=body["percent"],
            note=body.get("note"),
            files=body.get("files", []),
            links=body.get("links", []),
        )

    return _moved(assignment_id, P.REPORT_PROGRESS, run)


@bp.route("/assignments/<int:assignment_id>/submit", methods=["POST"])
@bp.arguments(NoteBody, required=False)
@bp.response(200, AssignmentDetailSchema)
def submit(body, assignment_id):
    """Report the task done, for the secretariat to verify; it needs evidence."""
    return _moved(assignment_id, P.SUBMIT, lambda a: services.submit(current_user, a, body.get("note")))


@bp.route("/assignments/<int:assignment_id>/verify", methods=["POST"])
@bp.arguments(VerifyBody)
@bp.response(200, AssignmentDetailSchema)
def verify(body, assignment_id):
    """The secretariat's decision on work reported done: accept it, or return it with a note for rework."""

    def run(assignment):
        services.verify(current_user, assignment, accept=body["accept"], note=body.get("note"))

    return _moved(assignment_id, P.VERIFY, run)


@bp.route("/assignments/<int:assignment_id>/cancel", methods=["POST"])
@bp.arguments(ReasonBody)
@bp.response(200, AssignmentDetailSchema)
def cancel(body, assignment_id):
    """Take the task away from the OPD, with the reason."""
    return _moved(assignment_id, P.VERIFY, lambda a: services.cancel_assignment(current_user, a, body["reason"]))


@bp.route("/assignments/<int:assignment_id>/due-date", methods=["POST"])
@bp.arguments(DueDateBody)
@bp.response(200, AssignmentDetailSchema)
def due_date(body, assignment_id):
    """Give this OPD its own due date, with the reason (the forum's secretariat)."""

    def run(assignment):
        services.change_due_date(current_user, assignment, body["due_date"], body["reason"])

    return _moved(assignment_id, P.EDIT_FORUMS, run)


@bp.route("/assignments/<int:assignment_id>/pic", methods=["POST"])
@bp.arguments(PicBody)
@bp.response(200, AssignmentDetailSchema)
def pic(body, assignment_id):
    """Name (or rename) the person in charge: the OPD's head, once the task is acknowledged."""
    return _moved(assignment_id, P.ACKNOWLEDGE, lambda a: services.set_pic(current_user, a, body["pic_name"]))


@bp.route("/assignments/<int:assignment_id>/cannot", methods=["POST"])
@bp.arguments(CannotBody)
@bp.response(200, AssignmentDetailSchema)
def cannot(body, assignment_id):
    """Ask the secretariat to accept that the task cannot be followed up, and why."""

    def run(assignment):
        services.request_cannot(current_user, assignment, category=body["category"], reason=body["reason"])

    return _moved(assignment_id, P.SUBMIT, run)


@bp.route("/assignments/<int:assignment_id>/cannot-decision", methods=["POST"])
@bp.arguments(CannotDecisionBody)
@bp.response(200, AssignmentDetailSchema)
def cannot_decision(body, assignment_id):
    """The secretariat's decision on a "cannot follow up" request: approve it, or reject it with a note."""

    def run(assignment):
        services.decide_cannot(current_user, assignment, approve=body["approve"], note=body.get("note"))

    return _moved(assignment_id, P.VERIFY, run)


@bp.route("/assignments/<int:assignment_id>/reassign", methods=["POST"])
@bp.arguments(ReassignBody)
@bp.response(200, AssignmentDetailSchema)
def reassign(body, assignment_id):
    """Move an open task to another OPD the forum may give tasks to, with the reason."""
    return _moved(
        assignment_id, P.EDIT_FORUMS, lambda a: services.reassign(current_user, a, body["opd_id"], body["reason"])
    )
