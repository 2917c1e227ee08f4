"""Pages of follow-ups: creating and editing actions, "my tasks", the all-actions list, the assignment page with
its timeline, evidence downloads, decrees, and the carry-over panel of the forum page."""

from typing import NamedTuple

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from accounts import governments, reach
from accounts import services as accounts
from actions import decrees, opd_paste, queries, services
from actions.carry_over import carry_over_items, record_carry_over
from actions.evidence import evidence_file, may_download
from actions.filters import filters_from_request
from actions.forms import (
    SIGNERS,
    AcknowledgeForm,
    ActionEditForm,
    ActionForm,
    AddOpdForm,
    CannotForm,
    CarryOverForm,
    DecisionForm,
    DecreeForm,
    DueDateForm,
    MemberForm,
    MemberPasteForm,
    PicForm,
    ProgressForm,
    ReasonForm,
    ReassignForm,
    StageForm,
    SubmitForm,
)
from actions.models import CARRY_OUTCOME_LABELS, STATUS_LABELS, Assignment, Status
from core import clock, data_version
from core.conditional import conditional
from core.errors import Invalid
from core.formatting import translated
from core.forms import ConfirmForm, attach_error, form_status
from core.fragments import FragmentCache
from core.i18n import locale_name
from core.permissions import Permission, can, require
from core.views import attachment_download, id_url, options_html, page_number, permission_required
from forum import services as forums

bp = Blueprint("actions", __name__)


def _assignment_page(assignment_id: int):
    return redirect(url_for("actions.assignment_view", assignment_id=assignment_id))


# --- the forum page's follow-up panels (forum/ knows nothing of this; app.py plugs it in) ---------------


def forum_page_context(actor, forum) -> dict:
    """Actions under each recommendation, and the earlier meetings' follow-ups on this meeting's agenda."""
    return {
        "panels": {"recommendation": "actions/_recommendation_actions.html", "carry_over": "actions/_carry_over.html"},
        "followups": queries.forum_followups(actor, forum.id),
        "followups_url": url_for("actions.action_list", forum=forum.id),
        "carry_items": carry_over_items(actor, forum),
        "carry_form": CarryOverForm(),
        "carry_outcomes": [(outcome.value, str(label)) for outcome, label in CARRY_OUTCOME_LABELS.items()],
        "today": clock.today_local(),
    }


# --- lists ---------------------------------------------------------------------------------------------


@bp.get("/tasks")
@login_required
@conditional(data_version.current)
def my_tasks():
    return render_template("actions/my_tasks.html", tasks=_tasks(current_user))


def _tasks(actor) -> Markup:
    """My tasks' heading, counts, cards and pager, rendered once for this user while the data stays as it is: per
    language, day and address (the page). Everything else they show (the OPDs the user acts for, the user's own
    OPD) is data, so a change of it moves the data version on."""

    def render():
        pagination, counts = queries.my_tasks(actor, page=page_number(), per_page=current_app.config["TASKS_PAGE_SIZE"])
        return Markup(render_template("actions/_my_tasks.html", pagination=pagination, counts=counts, today=today))

    require(actor, Permission.READ)  # each time, as the list's results
    today = clock.today_local()
    key = (actor.id, locale_name(), today, request.script_root, request.full_path)
    return data_version.cached("my tasks", key, render)


@bp.app_template_global()
def task_card(card: queries.TaskCard, today, several: bool) -> Markup:
    """A card of "My tasks", rendered once for everyone who sees it alike: kept by the card's row (every column it
    shows), the day, the language and the address prefix. A Plt. head's cards name each OPD as that viewer reads
    it, so they are rendered each time."""
    locale = locale_name()

    def render() -> Markup:
        macro, labels, task_url = _card_parts(locale)
        return macro(card, today, labels, task_url, several, current_user.opd_id)

    if several:
        return render()
    return current_app.extensions[TASK_CARDS].get((card, today, locale, request.script_root), render)


def _card_parts(locale: str) -> tuple:
    """The card macro, the status labels in this language and the cards' address pattern: found once a request
    for the cards not kept yet."""
    parts = g.get("_task_card_parts")
    if parts is None or parts[0] != locale:
        macro = current_app.jinja_env.get_template("actions/_macros.html").module.task_card
        parts = g._task_card_parts = (
            locale,
            macro,
            translated(STATUS_LABELS),
            id_url("actions.assignment_view", "assignment_id"),
        )
    return parts[1:]


TASK_CARDS = "kawal.task_cards"
# Some 2,000 cards of a few hundred bytes each: a couple of megabytes a worker at most.
bp.record_once(lambda state: state.app.extensions.setdefault(TASK_CARDS, FragmentCache(size=2048)))


@bp.get("/actions")
@login_required
@conditional(data_version.current)
def action_list():
    choices = _filter_choices(current_user)
    headless = choices["headless"] if can(current_user, Permission.DELIVERY_LOG) else []
    return render_template(
        "actions/list.html", headless=headless, results=_results(current_user, filters_from_request(), choices)
    )


def _results(actor, filters, choices: dict) -> Markup:
    """The list's filters, count, rows and pager, rendered once for everyone of one reach and government (whose
    OPDs are named bare) while the data stays as it is: per language, day and address (the filters, the page)."""

    def render():
        pagination = queries.list_assignments(
            actor, filters, page=page_number(), per_page=current_app.config["PAGE_SIZE"]
        )
        return Markup(
            render_template(
                "actions/_list_results.html",
                filters=filters,
                pagination=pagination,
                today=today,
                task_url=id_url("actions.assignment_view", "assignment_id"),
                forum_url=id_url("forum.forum_view", "forum_id"),
                **choices,
            )
        )

    require(actor, Permission.READ)  # each time: a remembered page was rendered for someone else
    today = clock.today_local()
    key = (governments.reach(actor), actor.government_id, locale_name(), today, request.script_root, request.full_path)
    return data_version.cached("followups results", key, render)


class _Headless(NamedTuple):
    id: int
    code: str
    email: str | None


def _filter_choices(actor) -> dict:
    """The follow-ups list's filter choices as built <option>s (some 1,000 of them), and the OPDs without a head
    (shown to whoever may read the delivery log): the same for everyone of one reach and government while the data
    stays as it is, so built once for them."""

    def build():
        return {
            "opds": options_html(forums.filter_opds(actor)),
            "series": options_html(forums.all_series(actor)),
            "themes": options_html((name, name) for name in forums.theme_names()),
            "government_choices": options_html(governments.government_choices(actor)),
            "headless": [_Headless(opd.id, opd.code, opd.email) for opd in queries.headless_opds(actor)],
        }

    key = (governments.reach(actor), actor.government_id, locale_name())
    return data_version.cached("followups choices", key, build)


# --- actions -------------------------------------------------------------------------------------------


@bp.route("/forums/<int:forum_id>/recommendations/<int:recommendation_id>/actions/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def action_new(forum_id: int, recommendation_id: int):
    forum = forums.get_editable_forum(current_user, forum_id)  # a closed forum still takes follow-ups
    recommendation = forums.get_recommendation(current_user, forum_id, recommendation_id)
    form = ActionForm(forum=forum)
    fan = queries.fan_out(forum)
    pasted = None
    if request.method == "GET":
        form.title.data = recommendation.text[:300]
    if form.is_submitted() and form.preview.data:  # only ticks what the paste names; nothing is saved
        pasted = _tick_pasted(form, forum)
    elif form.validate_on_submit():
        pasted = _tick_pasted(form, forum) if form.paste_unchecked() else None
        if pasted and any(line.problem for line in pasted):
            form.form_errors.append(
                _(
                    "Some pasted lines name no OPD this follow-up can go to; they are marked below. Correct them, or "
                    "create the follow-up again to leave them out."
                )
            )
        else:
            try:
                action = services.create_action(current_user, recommendation.id, **form.values())
            except Invalid as error:
                attach_error(form, error)
            else:
                flash(_("Follow-up created and given to %(n)d OPDs.", n=len(action.assignments)), "success")
                _warn_silent([a.opd_id for a in action.assignments])
                if form.all_present.data and fan.left_out:
                    flash(_left_out_message(fan.left_out), "warning")
                return redirect(
                    url_for("forum.forum_view", forum_id=forum_id, _anchor=f"recommendation-{recommendation.number}")
                )
    return render_template(
        "actions/action_form.html",
        form=form,
        recommendation=recommendation,
        present=fan.given,
        left_out=_left_out_message(fan.left_out) if fan.left_out else None,
        pasted=pasted,
        several=len(form.opd_groups) > 1,
    ), form_status(form)


def _tick_pasted(form: ActionForm, forum) -> list | None:
    """Match the pasted OPDs, tick those found in the checklist and remember that this text has been checked."""
    if not form.support_paste.validate(form):
        return None
    lines = opd_paste.match_pasted_opds(current_user, forum, form.support_paste.data)
    ticked = list(form.support_opd_ids.data or [])
    ticked += [line.opd.id for line in lines if line.opd is not None and line.opd.id not in ticked]
    form.support_opd_ids.data = ticked
    form.paste_checked.data = opd_paste.digest(form.support_paste.data)  # sent again, it is not checked twice
    return lines


def _left_out_message(opds) -> str:
    names = ", ".join(governments.opd_name(o.code, o.government_id, current_user) for o in opds)
    return _("Not given to the attending OPDs of governments this forum cannot give tasks to: %(opds)s.", opds=names)


def _warn_silent(opd_ids) -> None:
    """After a task is given: which of these OPDs Kawal cannot email (accounts.reach), each a link to its edit page
    for whoever may set its head or inbox; the others are told who can."""
    silent = reach.unreachable(opd_ids=opd_ids)
    if silent:
        flash(_silent_message(silent), "warning")


def _silent_message(silent) -> Markup:
    """The names of these OPDs, linked for whoever may fix them, in a message of the catalogue (names escaped)."""
    names, fixable = [], 0
    for opd in silent:
        name = governments.opd_name(opd.code, opd.government_id, current_user)
        if accounts.may_edit_opd(current_user, opd):
            names.append(Markup('<a href="{}">{}</a>').format(url_for("accounts.opd_edit", opd_id=opd.id), name))
            fixable += 1
        else:
            names.append(escape(name))
    opds, n = Markup(", ").join(names), len(silent)
    if fixable == n:
        return Markup(
            ngettext(
                "%(num)d OPD will receive no email: %(opds)s. Open it to set an active head or an official email.",
                "%(num)d OPDs will receive no email: %(opds)s. Open each to set an active head or an official email.",
                n,
                opds=opds,
            )
        )
    return Markup(
        ngettext(
            "%(num)d OPD will receive no email: %(opds)s. The administrator of its government can set an active head "
            "or an official email.",
            "%(num)d OPDs will receive no email: %(opds)s. The administrator of each one's government can set an "
            "active head or an official email.",
            n,
            opds=opds,
        )
    )


def _render_action(action, status: int = 200, add_form=None, cancel_form=None):
    """The follow-up page; a form that failed is passed in so that its input and errors are shown again."""
    forum = action.recommendation.forum
    return render_template(
        "actions/action_view.html",
        action=action,
        add_form=add_form or AddOpdForm(forum=forum, formdata=None),
        cancel_form=cancel_form or ReasonForm(formdata=None),
        may_change=forums.may_edit(current_user, forum),
        may_cancel=services.may_cancel_action(current_user, action),
        today=clock.today_local(),
    ), status


@bp.get("/actions/<int:action_id>")
@login_required
def action_view(action_id: int):
    return _render_action(queries.get_action(current_user, action_id))


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def action_edit(action_id: int):
    action = services.action_for(current_user, action_id, Permission.EDIT_FORUMS)
    if action.cancelled_at is not None:  # the service refuses the edit; the form is not offered either
        flash(_("This follow-up is cancelled."), "error")
        return redirect(url_for("actions.action_view", action_id=action_id))
    form = ActionEditForm(obj=action)
    if form.validate_on_submit():
        try:
            services.update_action(
                current_user,
                action.id,
                title=form.title.data,
                description=form.description.data,
                due_date=form.due_date.data,
                reason=form.reason.data,
            )
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Follow-up saved."), "success")
            return redirect(url_for("actions.action_view", action_id=action.id))
    return render_template("actions/action_edit.html", form=form, action=action), form_status(form)


@bp.post("/actions/<int:action_id>/opds")
@permission_required(Permission.EDIT_FORUMS)
def action_add_opd(action_id: int):
    action = services.action_for(current_user, action_id, Permission.EDIT_FORUMS)
    form = AddOpdForm(forum=action.recommendation.forum)
    if form.validate_on_submit():
        try:
            assignment = services.add_opd(current_user, action_id, form.opd_id.data, form.role.data, form.reason.data)
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("%(code)s now has this follow-up.", code=assignment.opd.code), "success")
            _warn_silent([assignment.opd_id])
            return redirect(url_for("actions.action_view", action_id=action_id))
    return _render_action(action, 422, add_form=form)


@bp.post("/actions/<int:action_id>/cancel")
@permission_required(Permission.VERIFY)
def action_cancel(action_id: int):
    services.action_for(current_user, action_id, Permission.VERIFY)  # refused before the form is read
    form = ReasonForm()
    if form.validate_on_submit():
        services.cancel_action(current_user, action_id, form.reason.data)
        flash(_("Follow-up cancelled."), "success")
        return redirect(url_for("actions.action_view", action_id=action_id))
    return _render_action(queries.get_action(current_user, action_id), 422, cancel_form=form)


# --- the assignment page -------------------------------------------------------------------------------

ASSIGNMENT_FORMS = {
    "acknowledge_form": AcknowledgeForm,
    "pic_form": PicForm,
    "progress_form": ProgressForm,
    "submit_form": SubmitForm,
    "cannot_form": CannotForm,
    "verify_form": DecisionForm,
    "cannot_decision_form": DecisionForm,
    "cancel_form": ReasonForm,
    "due_form": DueDateForm,
    "reassign_form": ReassignForm,
}


def _assignment_form(name: str, assignment: Assignment, **kwargs):
    """One of the assignment page's forms; reassigning offers only the OPDs the task's forum may give tasks to."""
    if name == "reassign_form":
        kwargs["forum"] = assignment.action.recommendation.forum
    return ASSIGNMENT_FORMS[name](**kwargs)


def _render_assignment(assignment, status: int = 200, **forms):
    """The assignment page (of an id, or of the assignment already loaded); a form that failed is passed in so
    that its input and errors are shown again."""
    if not isinstance(assignment, Assignment):
        assignment = queries.get_assignment(current_user, assignment)
    context = {name: forms.get(name) or _assignment_form(name, assignment, formdata=None) for name in ASSIGNMENT_FORMS}
    if not forms.get("pic_form"):
        context["pic_form"].pic_name.data = assignment.pic_name
    # Later packages add to this page without actions/ knowing them (see app.py).
    for provider in current_app.extensions.get("assignment_page_providers", []):
        context.update(provider(current_user, assignment))
    return render_template(
        "actions/assignment.html",
        assignment=assignment,
        events=queries.timeline(current_user, assignment.id),
        return_note=queries.return_note(current_user, assignment),
        may=lambda to: services.may(current_user, assignment, Status(to)),
        may_report=services.may_report(current_user, assignment),
        may_set_pic=services.may_set_pic(current_user, assignment),
        may_download=may_download(current_user, assignment),
        can_edit=services.may_change(current_user, assignment),
        today=clock.today_local(),
        **context,
    ), status


@bp.get("/assignments/<int:assignment_id>")
@login_required
def assignment_view(assignment_id: int):
    return _render_assignment(assignment_id)


def _handle(assignment_id: int, permission: Permission, form_name: str, run, success: str, warn=None):
    """Load the assignment once, refusing whoever may not do this before the form is read; validate the form, run
    the service on the loaded assignment, and redirect; or show the page again with the errors. `warn(form)`, when
    given, flashes what the change leaves to watch, after the success as every other form says it."""
    assignment = services.assignment_for(current_user, assignment_id, permission)
    form = _assignment_form(form_name, assignment)
    if form.validate_on_submit():
        try:
            result = run(assignment, form)
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(result if isinstance(result, str) else success, "success")
            if warn is not None:
                warn(form)
            return _assignment_page(assignment_id)
    return _render_assignment(assignment, 422, **{form_name: form})


@bp.post("/assignments/<int:assignment_id>/acknowledge")
@login_required
def assignment_acknowledge(assignment_id: int):
    def run(assignment, form):
        done = services.acknowledge(current_user, assignment, pic_name=form.pic_name.data, note=form.note.data)
        return _("Task acknowledged.") if done else _("This task was already acknowledged; nothing changed.")

    return _handle(assignment_id, Permission.ACKNOWLEDGE, "acknowledge_form", run, "")


@bp.post("/assignments/<int:assignment_id>/pic")
@login_required
def assignment_pic(assignment_id: int):
    def run(assignment, form):
        services.set_pic(current_user, assignment, form.pic_name.data)

    return _handle(assignment_id, Permission.ACKNOWLEDGE, "pic_form", run, _("Person in charge saved."))


@bp.post("/assignments/<int:assignment_id>/progress")
@login_required
def assignment_progress(assignment_id: int):
    def run(assignment, form):
        services.report_progress(
            current_user,
            assignment,
            percent=form.percent.data,
            note=form.note.data,
            files=form.files.data or [],
            links=form.link_list(),
        )

    return _handle(assignment_id, Permission.REPORT_PROGRESS, "progress_form", run, _("Progress reported."))


@bp.post("/assignments/<int:assignment_id>/submit")
@login_required
def assignment_submit(assignment_id: int):
    def run(assignment, form):
        services.submit(current_user, assignment, form.note.data)

    return _handle(
        assignment_id, Permission.SUBMIT, "submit_form", run, _("Reported as done. The secretariat will verify it.")
    )


@bp.post("/assignments/<int:assignment_id>/cannot")
@login_required
def assignment_cannot(assignment_id: int):
    def run(assignment, form):
        services.request_cannot(current_user, assignment, category=form.category.data, reason=form.reason.data)

    return _handle(assignment_id, Permission.SUBMIT, "cannot_form", run, _("Request sent to the secretariat."))


@bp.post("/assignments/<int:assignment_id>/verify")
@login_required
def assignment_verify(assignment_id: int):
    def run(assignment, form):
        accept = form.decision.data == "yes"
        services.verify(current_user, assignment, accept=accept, note=form.note.data)
        return _("Accepted as done.") if accept else _("Returned to the OPD for rework.")

    return _handle(assignment_id, Permission.VERIFY, "verify_form", run, "")


@bp.post("/assignments/<int:assignment_id>/cannot-decision")
@login_required
def assignment_cannot_decision(assignment_id: int):
    def run(assignment, form):
        approve = form.decision.data == "yes"
        services.decide_cannot(current_user, assignment, approve=approve, note=form.note.data)
        return _("Approved: cannot be followed up.") if approve else _("Rejected: the task goes back to work.")

    return _handle(assignment_id, Permission.VERIFY, "cannot_decision_form", run, "")


@bp.post("/assignments/<int:assignment_id>/cancel")
@login_required
def assignment_cancel(assignment_id: int):
    def run(assignment, form):
        services.cancel_assignment(current_user, assignment, form.reason.data)

    return _handle(assignment_id, Permission.VERIFY, "cancel_form", run, _("Task cancelled."))


@bp.post("/assignments/<int:assignment_id>/due-date")
@login_required
def assignment_due_date(assignment_id: int):
    def run(assignment, form):
        services.change_due_date(current_user, assignment, form.due_date.data, form.reason.data)

    return _handle(assignment_id, Permission.EDIT_FORUMS, "due_form", run, _("Due date changed."))


@bp.post("/assignments/<int:assignment_id>/reassign")
@login_required
def assignment_reassign(assignment_id: int):
    def run(assignment, form):
        services.reassign(current_user, assignment, form.opd_id.data, form.reason.data)

    def warn(form):
        _warn_silent([form.opd_id.data])

    moved = _("Task moved to another OPD.")
    return _handle(assignment_id, Permission.EDIT_FORUMS, "reassign_form", run, moved, warn)


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence_download(evidence_id: int):
    return attachment_download(evidence_file(current_user, evidence_id))


# --- decrees -------------------------------------------------------------------------------------------


@bp.get("/decrees")
@login_required
def decree_list():
    return render_template(
        "actions/decrees.html", decrees=decrees.list_decrees(current_user), today=clock.today_local()
    )


def _render_decree(action_id: int, status: int = 200, form=None, member_form=None):
    decree = decrees.get_decree(current_user, action_id)
    return render_template(
        "actions/decree.html",
        decree=decree,
        may_edit=decrees.may_edit_decree(current_user, decree),
        action=queries.get_action(current_user, action_id),
        form=form or DecreeForm(obj=decree, formdata=None, forum=decree.action.recommendation.forum),
        member_form=member_form or MemberForm(formdata=None),
        signers=SIGNERS,
        today=clock.today_local(),
    ), status


@bp.get("/actions/<int:action_id>/decree")
@login_required
def decree_view(action_id: int):
    return _render_decree(action_id)


@bp.post("/actions/<int:action_id>/decree")
@permission_required(Permission.EDIT_FORUMS)
def decree_save(action_id: int):
    services.action_for(current_user, action_id, Permission.EDIT_FORUMS)  # refused before the form is read
    form = DecreeForm()
    if form.validate_on_submit():
        try:
            decrees.update_decree(current_user, action_id, document=form.document.data, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Decree saved."), "success")
            return redirect(url_for("actions.decree_view", action_id=action_id))
    return _render_decree(action_id, 422, form=form)


@bp.post("/actions/<int:action_id>/decree/stage")
@permission_required(Permission.EDIT_FORUMS)
def decree_stage(action_id: int):
    form = StageForm()
    try:
        if not form.validate_on_submit():
            raise Invalid(_("Choose a stage."))
        decrees.set_decree_stage(current_user, action_id, form.stage.data)
    except (Invalid, ValueError) as error:
        flash(str(getattr(error, "message", "")) or _("Choose a stage."), "error")
    else:
        flash(_("Decree stage changed."), "success")
    return redirect(url_for("actions.decree_view", action_id=action_id))


@bp.post("/actions/<int:action_id>/decree/members")
@permission_required(Permission.EDIT_FORUMS)
def decree_member_add(action_id: int):
    services.action_for(current_user, action_id, Permission.EDIT_FORUMS)  # refused before the form is read
    form = MemberForm()
    if form.validate_on_submit():
        try:
            decrees.add_decree_member(
                current_user,
                action_id,
                name=form.name.data,
                opd_id=form.opd_id.data,
                position=form.position.data,
                team_role=form.team_role.data,
            )
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Member added."), "success")
            return redirect(url_for("actions.decree_view", action_id=action_id, _anchor="members"))
    return _render_decree(action_id, 422, member_form=form)


@bp.route("/actions/<int:action_id>/decree/members/paste", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def decree_member_paste(action_id: int):
    """Paste a team's rows from a spreadsheet, see what each becomes and what cannot be matched, then save all."""
    services.action_for(current_user, action_id, Permission.EDIT_FORUMS)  # refused before the form is read
    decree = decrees.get_decree(current_user, action_id)
    form = MemberPasteForm()
    rows, status = None, 200
    if form.validate_on_submit():
        if "save" in request.form:
            try:
                added = decrees.add_decree_members(current_user, action_id, form.text.data, seen=form.seen.data or "")
            except Invalid as error:
                form.form_errors.append(str(error.message))
            else:
                flash(ngettext("%(num)d member added.", "%(num)d members added.", len(added)), "success")
                return redirect(url_for("actions.decree_view", action_id=action_id, _anchor="members"))
        try:
            rows = decrees.check_member_rows(decree, form.text.data)
        except Invalid as error:
            attach_error(form, error)
        form.seen.data = decrees.members_fingerprint(decree)
    if form.errors or form.form_errors or (rows and not all(row.ok for row in rows)):
        status = 422
    return render_template(
        "actions/decree_paste.html", decree=decree, action=decree.action, form=form, rows=rows
    ), status


@bp.post("/actions/<int:action_id>/decree/members/<int:member_id>/delete")
@permission_required(Permission.EDIT_FORUMS)
def decree_member_delete(action_id: int, member_id: int):
    if ConfirmForm().validate_on_submit():
        decrees.remove_decree_member(current_user, action_id, member_id)
        flash(_("Member removed."), "success")
    return redirect(url_for("actions.decree_view", action_id=action_id, _anchor="members"))


# --- carry-over ----------------------------------------------------------------------------------------


@bp.post("/forums/<int:forum_id>/carry-over/<int:action_id>")
@permission_required(Permission.EDIT_FORUMS)
def carry_over(forum_id: int, action_id: int):
    forums.get_editable_forum(current_user, forum_id)  # another government's forum is refused before the form is read
    form = CarryOverForm()
    if form.validate_on_submit():
        try:
            record_carry_over(
                current_user,
                forum_id,
                action_id,
                outcome=form.outcome.data,
                note=form.note.data,
                due_date=form.due_date.data,
            )
        except Invalid as error:
            flash(str(error.message), "error")
        else:
            flash(_("Outcome recorded."), "success")
    else:
        flash(_("Choose an outcome; a due date must be a date."), "error")
    return redirect(url_for("forum.forum_view", forum_id=forum_id, _anchor="carry-over"))
