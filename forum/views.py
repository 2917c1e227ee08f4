"""Pages of the meeting log: series, forums, participants, the attendance import, minutes, recommendations."""

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from accounts import governments
from accounts import services as accounts
from accounts import tokens as api_tokens
from accounts.forms import DocumentSettingsForm
from core import clock, data_version
from core.errors import Invalid, InvalidItems
from core.forms import ConfirmForm, attach_error, form_status
from core.fragments import with_csrf_token, without_csrf_token
from core.i18n import locale_name
from core.paste import split_items
from core.permissions import Permission
from core.views import bounded_int, id_arg, page_number, permission_required, read_upload
from forum import attendance_import, numbering, services
from forum.forms import (
    ForumForm,
    ImportColumnsForm,
    ImportConfirmForm,
    ImportUploadForm,
    MinutesForm,
    ParticipantForm,
    RecommendationForm,
    RecommendationPasteForm,
    RecordNumberForm,
    SeriesForm,
    StatusForm,
    import_columns_form,
)
from forum.models import FIRST_PLANNING_YEAR, FORUM_KIND_LABELS, FORUM_STATUS_LABELS, LAST_PLANNING_YEAR

bp = Blueprint("forum", __name__)


def _forum_page(forum_id: int, anchor: str | None = None):
    return redirect(url_for("forum.forum_view", forum_id=forum_id, _anchor=anchor))


# --- series --------------------------------------------------------------------------------------------


@bp.get("/series")
@login_required
def series_list():
    return render_template("forum/series_list.html", rows=services.list_series(current_user))


@bp.get("/series/<int:series_id>")
@login_required
def series_view(series_id: int):
    series = services.get_series(current_user, series_id)
    forums = services.series_forums(current_user, series_id)
    may_edit = services.may_edit_series(current_user, series)
    return render_template("forum/series_view.html", series=series, forums=forums, may_edit=may_edit)


@bp.route("/series/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def series_new():
    form = SeriesForm()
    if form.validate_on_submit():
        series = services.create_series(current_user, title=form.title.data, description=form.description.data)
        flash(_("Series created."), "success")
        return redirect(url_for("forum.series_view", series_id=series.id))
    return render_template("forum/series_form.html", form=form, series=None), form_status(form)


@bp.route("/series/<int:series_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def series_edit(series_id: int):
    series = services.get_editable_series(current_user, series_id)
    form = SeriesForm(obj=series)
    if form.validate_on_submit():
        services.update_series(current_user, series.id, title=form.title.data, description=form.description.data)
        flash(_("Series saved."), "success")
        return redirect(url_for("forum.series_view", series_id=series.id))
    return render_template("forum/series_form.html", form=form, series=series), form_status(form)


# --- forums --------------------------------------------------------------------------------------------


@bp.get("/forums")
@login_required
def forum_list():
    args = request.args
    start, _, end = args.get("period", "").partition("-")
    filters = services.ForumFilters(
        kind=args.get("kind") if args.get("kind") in FORUM_KIND_LABELS else None,
        status=args.get("status") if args.get("status") in FORUM_STATUS_LABELS else None,
        period_start=bounded_int(start, low=FIRST_PLANNING_YEAR, high=LAST_PLANNING_YEAR),
        period_end=bounded_int(end, low=FIRST_PLANNING_YEAR, high=LAST_PLANNING_YEAR),
        organiser_opd_id=id_arg("opd"),
        search=args.get("q") or None,
    )
    pagination = services.list_forums(
        current_user, filters, page=page_number(), per_page=current_app.config["PAGE_SIZE"]
    )
    return render_template(
        "forum/forum_list.html",
        pagination=pagination,
        filters=filters,
        periods=services.planning_periods(current_user),
        opds=services.filter_opds(current_user),
    )


@bp.route("/forums/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def forum_new():
    form = ForumForm()
    if request.method == "GET" and id_arg("series"):
        form.series_id.data = id_arg("series")
    if form.validate_on_submit():
        try:
            forum = services.create_forum(current_user, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Forum created. Add its participants and recommendations."), "success")
            return _forum_page(forum.id)
    return render_template("forum/forum_form.html", form=form, forum=None), form_status(form)


@bp.get("/forums/<int:forum_id>")
@login_required
def forum_view(forum_id: int):
    forum = services.get_forum(current_user, forum_id)  # each time: a kept page was rendered for someone else
    owns = services.may_edit(current_user, forum)
    transitions = services.allowed_transitions(current_user, forum)
    # Below its title the page is the same for every reader who sees, names and may do the same (the reach, the
    # government, whose zone its times are in and whose OPDs are named bare, the role and what it allows here),
    # until the next write: kept rendered per language, day and address prefix, the CSRF token put in each time.
    key = (
        forum.id,
        governments.reach(current_user),
        current_user.government_id,
        current_user.role,
        owns,
        tuple(transitions),
        locale_name(),
        clock.today_local(),
        request.script_root,
    )
    content = data_version.cached("forum page", key, lambda: _forum_content(forum.id, owns, transitions))
    return render_template("forum/forum_view.html", forum=forum, content=with_csrf_token(content))


def _forum_content(forum_id: int, owns: bool, transitions: list) -> tuple[str, ...]:
    forum = services.get_forum(current_user, forum_id, full=True)
    # Packages built on the meeting log add to this page without forum/ knowing them: app.py registers
    # providers that take (user, forum) and return extra template context.
    extra = {}
    for provider in current_app.extensions.get("forum_page_providers", []):
        extra.update(provider(current_user, forum))
    html = render_template(
        "forum/_forum_content.html",
        **extra,
        forum=forum,
        summary=services.attendance_summary(forum.participants, current_user),
        transitions=transitions,
        owns_forum=owns,
        can_edit=owns and not forum.is_closed,
        proposed_number=numbering.proposed_number(forum) if owns and not forum.record_number else None,
        status_form=StatusForm(),
        confirm_form=ConfirmForm(),
    )
    return without_csrf_token(html)


@bp.route("/forums/<int:forum_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def forum_edit(forum_id: int):
    forum = services.get_open_forum(current_user, forum_id)
    form = ForumForm(obj=forum)
    if form.validate_on_submit():
        try:
            services.update_forum(current_user, forum.id, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Forum saved."), "success")
            return _forum_page(forum.id)
    return render_template("forum/forum_form.html", form=form, forum=forum), form_status(form)


@bp.route("/forums/<int:forum_id>/number", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def forum_number(forum_id: int):
    """The Berita Acara's number: "Give the next number" from the government's format, or one typed by hand."""
    forum = services.get_editable_forum(current_user, forum_id)
    form = RecordNumberForm(obj=forum)
    if form.validate_on_submit():
        try:
            if "next" in request.form:
                numbering.give_number(current_user, forum.id)
            else:
                numbering.set_number(current_user, forum.id, form.record_number.data)
        except Invalid as error:
            attach_error(form, error)
        else:
            if forum.record_number:
                flash(_("The Berita Acara's number is %(number)s.", number=forum.record_number), "success")
            else:
                flash(_("The forum has no number now."), "success")
            return _forum_page(forum.id)
    proposed = None if forum.record_number else numbering.proposed_number(forum)
    return render_template("forum/number_form.html", form=form, forum=forum, proposed=proposed), form_status(form)


@bp.route("/forums/<int:forum_id>/minutes", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def forum_minutes(forum_id: int):
    """The minutes form. It carries the fingerprint of the minutes it was opened on; when someone changed them
    meanwhile (a review meeting appending lines), the save is refused and the page shows the minutes as they are
    now above the writer's own text, kept in the field."""
    forum = services.get_open_forum(current_user, forum_id)
    form = MinutesForm(obj=forum)
    changed = None
    if not form.is_submitted():
        form.seen.data = services.minutes_fingerprint(forum.minutes)
    elif form.validate():
        try:
            services.set_minutes(current_user, forum.id, form.minutes.data, seen=form.seen.data or "")
        except Invalid as error:
            attach_error(form, error)
            changed = forum.minutes or ""
            form.seen.data = services.minutes_fingerprint(forum.minutes)  # saving again keeps what is shown
        else:
            flash(_("Minutes saved."), "success")
            return _forum_page(forum.id, "minutes")
    return render_template("forum/minutes_form.html", form=form, forum=forum, changed=changed), form_status(form)


@bp.post("/forums/<int:forum_id>/status")
@permission_required(Permission.EDIT_FORUMS)
def forum_status(forum_id: int):
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Choose a status."), "error")
        return _forum_page(forum_id)
    try:
        forum = services.change_status(current_user, forum_id, form.status.data, form.note.data)
    except Invalid as error:
        flash(str(error.message), "error")
        return _forum_page(forum_id)
    except ValueError:
        flash(_("Choose a status."), "error")
        return _forum_page(forum_id)
    flash(_("The forum is now: %(status)s.", status=FORUM_STATUS_LABELS[forum.status]), "success")
    return _forum_page(forum.id)


@bp.get("/forums/<int:forum_id>/history")
@permission_required(Permission.EDIT_FORUMS)
def forum_history(forum_id: int):
    forum = services.get_forum(current_user, forum_id)
    events = services.forum_history(current_user, forum_id)
    actors = accounts.users_by_id(event.actor_id for event in events)
    token_names = api_tokens.names_by_id(event.token_id for event in events)
    return render_template("forum/history.html", forum=forum, events=events, actors=actors, token_names=token_names)


# --- participants --------------------------------------------------------------------------------------


@bp.route("/forums/<int:forum_id>/participants/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def participant_new(forum_id: int):
    forum = services.get_open_forum(current_user, forum_id)
    form = ParticipantForm()
    if form.validate_on_submit():
        try:
            services.add_participant(current_user, forum.id, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("%(name)s added.", name=form.name.data), "success")
            if request.form.get("again"):
                return redirect(url_for("forum.participant_new", forum_id=forum.id))
            return _forum_page(forum.id, "participants")
    return render_template("forum/participant_form.html", form=form, forum=forum, participant=None), form_status(form)


@bp.route("/forums/<int:forum_id>/participants/<int:participant_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def participant_edit(forum_id: int, participant_id: int):
    forum = services.get_open_forum(current_user, forum_id)
    participant = services.get_participant(current_user, forum_id, participant_id)
    form = ParticipantForm(obj=participant)
    if form.validate_on_submit():
        try:
            services.update_participant(current_user, forum.id, participant.id, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("%(name)s saved.", name=participant.name), "success")
            return _forum_page(forum.id, "participants")
    return render_template("forum/participant_form.html", form=form, forum=forum, participant=participant), form_status(
        form
    )


@bp.post("/forums/<int:forum_id>/participants/<int:participant_id>/delete")
@permission_required(Permission.EDIT_FORUMS)
def participant_delete(forum_id: int, participant_id: int):
    if ConfirmForm().validate_on_submit():
        services.remove_participant(current_user, forum_id, participant_id)
        flash(_("Participant removed."), "success")
    return _forum_page(forum_id, "participants")


@bp.route("/forums/<int:forum_id>/participants/import", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def participant_import(forum_id: int):
    """Upload a daftar hadir: the preview, or first the mapping step when a column with data has an unknown
    header."""
    forum = services.get_open_forum(current_user, forum_id)
    form = ImportUploadForm()
    sheet = read_upload(form, _read_sheet)
    context = {}
    if sheet is not None:
        token = attendance_import.seal_sheet(forum.id, sheet)
        asked = attendance_import.asked(sheet)
        if asked:
            guesses = attendance_import.guesses(sheet)
            context = _columns_step(sheet, import_columns_form(asked, guesses, formdata=None, sheet=token))
        else:
            context = _preview(forum, sheet, attendance_import.empty_columns_ignored(sheet))
    return render_template("forum/import.html", form=form, forum=forum, **context), form_status(form)


def _read_sheet(filename: str, data: bytes):
    config = current_app.config
    return attendance_import.read_sheet(
        filename, data, max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"]
    )


def _columns_step(sheet, columns_form) -> dict:
    examples = {field.column: attendance_import.examples(sheet, field.column) for field in columns_form.columns()}
    return {"columns_form": columns_form, "examples": examples}


def _preview(forum, sheet, choices: dict[str, str]) -> dict:
    """The preview's context: the rows as they would be saved (problems first), the token to confirm them, and
    the columns not saved."""
    table, repeated = attendance_import.mapped_table(sheet, choices)
    table, example_line = attendance_import.without_example(table)
    table, rows, listed = services.without_listed_people(forum, table, services.check_import(forum, table))
    confirm_form = ImportConfirmForm()
    confirm_form.payload.data = attendance_import.seal(forum.id, table, rows)
    return {
        "rows": attendance_import.problems_first(rows),
        "confirm_form": confirm_form,
        "not_saved": attendance_import.not_saved(sheet, choices),
        "repeated": repeated,
        "listed": listed,
        "example_line": example_line,
        "zoom_without_institution": attendance_import.is_zoom_report(sheet)
        and any(row.problems_of("institution") and not row.raw.get("institution") for row in rows),
        "preview_columns": attendance_import.PREVIEW_COLUMNS,
        "column_labels": attendance_import.COLUMN_LABELS,
    }


@bp.post("/forums/<int:forum_id>/participants/import/columns")
@permission_required(Permission.EDIT_FORUMS)
def participant_import_columns(forum_id: int):
    """The mapping step's choices: shown again beside each column when one is wrong, else the preview (with the
    choices, to change them)."""
    forum = services.get_open_forum(current_user, forum_id)
    posted = ImportColumnsForm()
    try:
        sheet = attendance_import.unseal_sheet(forum.id, posted.sheet.data if posted.validate_on_submit() else "")
    except Invalid as error:
        flash(str(error.message), "error")
        return redirect(url_for("forum.participant_import", forum_id=forum.id))
    columns_form = import_columns_form(attendance_import.asked(sheet))
    choices = attendance_import.empty_columns_ignored(sheet) | columns_form.choices()
    errors = attendance_import.column_errors(sheet, choices)
    for field in columns_form:
        if getattr(field, "column", None) in errors:
            field.errors = [errors[field.column]]
    context = _columns_step(sheet, columns_form)
    if not errors:
        context |= _preview(forum, sheet, choices)
    upload_form = ImportUploadForm(formdata=None)
    return render_template("forum/import.html", form=upload_form, forum=forum, **context), 422 if errors else 200


@bp.get("/forums/<int:forum_id>/participants/import/template.xlsx")
@permission_required(Permission.EDIT_FORUMS)
def participant_import_template(forum_id: int):
    """An empty daftar hadir to fill in, in the reader's language, with drop-downs for unsur, role and
    attendance."""
    services.get_open_forum(current_user, forum_id)
    return Response(
        attendance_import.template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="daftar-hadir.xlsx"'},
    )


@bp.post("/forums/<int:forum_id>/participants/import/confirm")
@permission_required(Permission.EDIT_FORUMS)
def participant_import_confirm(forum_id: int):
    form = ImportConfirmForm()
    # A form that does not validate (no CSRF token, no payload) carries no token: the service refuses it
    # as it refuses a changed one.
    token = form.payload.data if form.validate_on_submit() else ""
    try:
        participants = services.import_participants(current_user, forum_id, token)
    except Invalid as error:
        flash(str(error.message), "error")
        return redirect(url_for("forum.participant_import", forum_id=forum_id))
    flash(_("%(n)d participants imported.", n=len(participants)), "success")
    return _forum_page(forum_id, "participants")


# --- recommendations -----------------------------------------------------------------------------------


@bp.route("/forums/<int:forum_id>/recommendations/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def recommendation_new(forum_id: int):
    forum = services.get_open_forum(current_user, forum_id)
    form = RecommendationForm()
    if form.validate_on_submit():
        try:
            recommendation = services.add_recommendation(current_user, forum.id, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Recommendation %(n)d added.", n=recommendation.number), "success")
            return _forum_page(forum.id, "recommendations")
    return render_template(
        "forum/recommendation_form.html", form=form, forum=forum, recommendation=None, themes=services.theme_names()
    ), form_status(form)


@bp.route("/forums/<int:forum_id>/recommendations/paste", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def recommendation_paste(forum_id: int):
    """Paste a list, see the recommendations it makes (each editable, with its themes), then save them all."""
    forum = services.get_open_forum(current_user, forum_id)
    form = RecommendationPasteForm()
    status = 200
    if form.is_submitted() and "save" in request.form:
        status = _save_pasted(forum, form)
        if status is None:
            return _forum_page(forum.id, "recommendations")
    elif form.is_submitted() and "drop" in request.form:
        _drop_item(form, request.form["drop"])
    elif form.validate_on_submit():
        status = _preview_paste(forum, form)
    elif form.is_submitted():
        status = 422
    return render_template(
        "forum/recommendation_paste.html",
        form=form,
        forum=forum,
        numbered=list(enumerate(form.items, start=services.next_recommendation_number(forum.id))),
        themes=services.theme_names(),
    ), status


def _preview_paste(forum, form) -> int:
    """Fill the preview's items from the pasted text; 422 when it holds none, or too many."""
    items = split_items(form.text.data)
    if not items:
        form.text.errors = [_("No list items were found in the text.")]
        return 422
    if len(items) > services.MAX_PASTED_ITEMS:
        form.text.errors = [
            _(
                "The text holds %(found)d items; at most %(n)d can be added at once.",
                found=len(items),
                n=services.MAX_PASTED_ITEMS,
            )
        ]
        return 422
    for item in items:
        form.items.append_entry({"text": item, "themes": ""})
    for position, problem in services.repeated_recommendations(forum.id, items).items():
        form.items[position].form.text.errors = [problem]  # to remove or change before saving
    form.seen.data = services.recommendations_fingerprint(forum.id)
    return 200


def _drop_item(form, position: str) -> None:
    """Take one item out of the preview (its Remove button); the others keep what was typed in them."""
    kept = [entry.data for index, entry in enumerate(form.items) if str(index) != position]
    while form.items.entries:
        form.items.pop_entry()
    for data in kept:
        form.items.append_entry(data)


def _save_pasted(forum, form) -> int | None:
    """Save every item of the preview, or none: None when saved, else the status of the preview shown again with
    each problem beside its item."""
    if not form.validate_on_submit():
        return 422
    try:
        added = services.add_recommendations(current_user, forum.id, form.values(), seen=form.seen.data or "")
    except InvalidItems as error:
        for position, problem in error.problems.items():
            form.items[position].form.text.errors = [problem]
        form.form_errors.append(str(error.message))
        return 422
    except Invalid as error:
        attach_error(form, error)
        form.seen.data = services.recommendations_fingerprint(forum.id)  # the numbers shown are now the true ones
        return 422
    flash(
        ngettext("%(num)d recommendation added.", "%(num)d recommendations added.", len(added)),
        "success",
    )
    return None


@bp.route("/forums/<int:forum_id>/recommendations/<int:recommendation_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FORUMS)
def recommendation_edit(forum_id: int, recommendation_id: int):
    forum = services.get_open_forum(current_user, forum_id)
    recommendation = services.get_recommendation(current_user, forum_id, recommendation_id)
    form = RecommendationForm(obj=recommendation)
    if form.validate_on_submit():
        try:
            services.update_recommendation(current_user, forum.id, recommendation.id, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Recommendation %(n)d saved.", n=recommendation.number), "success")
            return _forum_page(forum.id, "recommendations")
    return render_template(
        "forum/recommendation_form.html",
        form=form,
        forum=forum,
        recommendation=recommendation,
        themes=services.theme_names(),
    ), form_status(form)


@bp.post("/forums/<int:forum_id>/recommendations/<int:recommendation_id>/delete")
@permission_required(Permission.EDIT_FORUMS)
def recommendation_delete(forum_id: int, recommendation_id: int):
    if ConfirmForm().validate_on_submit():
        services.delete_recommendation(current_user, forum_id, recommendation_id)
        flash(_("Recommendation deleted; the rest are renumbered."), "success")
    return _forum_page(forum_id, "recommendations")


@bp.post("/forums/<int:forum_id>/recommendations/<int:recommendation_id>/move")
@permission_required(Permission.EDIT_FORUMS)
def recommendation_move(forum_id: int, recommendation_id: int):
    if ConfirmForm().validate_on_submit():
        services.move_recommendation(current_user, forum_id, recommendation_id, request.form.get("direction", ""))
    return _forum_page(forum_id, "recommendations")


# --- a government's document settings (its admin) -----------------------------------------------------------


def _picked_government() -> int | None:
    """`?government=` (the instance admin's picker), else the admin's own; the service refuses another's."""
    return request.args.get("government", type=int)


@bp.route("/admin/documents", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def document_settings():
    """The letterhead, the Berita Acara's numbering format and the signers of the admin's own government."""
    picked = _picked_government()
    government = accounts.document_government(current_user, picked)
    form = DocumentSettingsForm(obj=government)
    if form.validate_on_submit():
        try:
            accounts.update_document_settings(current_user, picked, logo_upload=form.logo.data, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Document settings of %(name)s saved.", name=government.name), "success")
            return redirect(url_for("forum.document_settings", **({"government": picked} if picked else {})))
    choices = accounts.document_governments(current_user)
    return render_template(
        "forum/document_settings.html",
        form=form,
        government=government,
        next_number=numbering.next_number(government.id, government.numbering_format, ZoneInfo(government.time_zone)),
        government_choices=choices,
        picked={"government": government.id} if choices else {},
    ), form_status(form)
