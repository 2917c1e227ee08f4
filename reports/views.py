"""The dashboard, compliance per OPD, the OPD page, and the downloads: Excel, PDF and calendar feeds."""

from collections.abc import Mapping

from babel.dates import format_date
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from accounts import governments, reach
from accounts import services as accounts
from actions import queries, reviews
from actions import services as actions
from actions.filters import filters_from_request
from actions.models import BPK_LABELS
from core import clock, data_version
from core.errors import Invalid, InvalidTransition, NotFound
from core.formatting import to_local_date
from core.forms import ConfirmForm, attach_error
from core.i18n import locale_name
from core.permissions import Permission, can
from core.views import absolute_url, date_arg, id_arg, options_html, url_with
from forum import services as forums
from forum.models import FORUM_KIND_LABELS
from notifications import reach as mail_reach
from notifications import services as notifications
from reports import charts, services
from reports.forms import ReviewForm

bp = Blueprint("reports", __name__)
# The charts' macros (templates/reports/_charts.html) draw what these compute.
for _chart in (charts.bar_chart, charts.stacked_chart, charts.line_chart):
    bp.add_app_template_global(_chart)


def _exports():
    """reports.exports, imported on the first download: openpyxl, fpdf2 and icalendar add about 50 MB to a web
    worker, and one that only serves pages never needs them."""
    from reports import exports

    return exports


def report_filters(*, page: bool = True) -> services.ReportFilters:
    """The report filters of the query string; a government the user may not see is dropped, and a page says so
    (a download cannot: its message would wait in the session for some later page)."""
    args = request.args
    try:
        government_id = services.government_filter(current_user, id_arg("government"))
    except Invalid as refused:
        if page:
            flash(str(refused), "error")
        government_id = None
    return services.ReportFilters(
        date_from=date_arg("from"),
        date_to=date_arg("to"),
        series_id=id_arg("series"),
        forum_kind=args.get("kind") if args.get("kind") in FORUM_KIND_LABELS else None,
        theme=args.get("theme") or None,
        government_id=government_id,
    )


def _choices():
    """The report filters' choices as built <option>s (a province's thousands of series): the same for everyone
    of one reach and government while the data stays as it is, so built once for them, per language."""

    def build():
        return {
            "series": options_html(forums.all_series(current_user)),
            "themes": options_html((name, name) for name in forums.theme_names()),
            "government_choices": options_html(governments.government_choices(current_user)),
        }

    key = (governments.reach(current_user), current_user.government_id, locale_name())
    return data_version.cached("report choices", key, build)


def opd_labeller(viewer):
    """An OPD as this viewer reads it in a download ("DINKES", or "DINKES · Kab. Serang" from another government),
    the same as the pages' `opd_name` filter."""
    return lambda opd: governments.opd_name(opd.code, opd.government_id, viewer)


@bp.get("/dashboard")
@login_required
def dashboard():
    filters = report_filters()
    # The figures' HTML is the same for every reader with the same reach, filters, query string and language,
    # until the next write: kept rendered, it is neither computed nor drawn again.
    today = clock.today_local()
    key = (
        services.dashboard_key(current_user, filters, today),
        tuple(sorted(request.args.items(multi=True))),
        str(get_locale()),
        request.script_root,  # the links' prefix
    )
    return render_template(
        "reports/dashboard.html",
        figures_html=data_version.cached("dashboard-html", key, lambda: _figures_html(filters)),
        headless=services.dashboard_figures(current_user, filters, today).headless,
        filters=filters,
        **_reach_alert(filters),
        refused_days=notifications.REFUSED_ALERT_DAYS,
        **_choices(),
    )


def _figures_html(filters: services.ReportFilters) -> Markup:
    figures = services.dashboard(current_user, filters)
    bpk_parts = [(str(BPK_LABELS[category]), number) for category, number in figures.bpk.items()]
    forum_rows = [(title, done, total) for _id, title, done, total in figures.per_forum]
    html = render_template(
        "reports/_dashboard_figures.html",
        d=figures,
        list_args=filters.list_args(),
        month_start=figures.today.replace(day=1),
        bpk_parts=bpk_parts,
        forum_rows=forum_rows,
        forums_charted=services.FORUMS_CHARTED,
    )
    return Markup(html)


# --- the review meeting's presentation ------------------------------------------------------------------


@bp.get("/dashboard/present")
@login_required
def present():
    """The dashboard's late tasks on a screen, one slide per OPD (?opd=), for a review meeting."""
    return _present_page()


@bp.post("/dashboard/present/tasks/<int:assignment_id>")
@login_required
def present_review(assignment_id: int):
    """Record what the OPD said of a task, in its timeline and the minutes of the meeting (?forum=); back to the
    same slide, or the slide again with the errors and what was typed."""
    assignment = actions.assignment_for(current_user, assignment_id, Permission.EDIT_FORUMS)
    form = ReviewForm(prefix=_review_prefix(assignment.id))
    if form.validate_on_submit():
        try:
            written = reviews.record_review(
                current_user, assignment, id_arg("forum"), said=form.said.data, due_date=form.due_date.data
            )
        except Invalid as error:
            attach_error(form, error)
        except InvalidTransition as error:
            # A meeting closed, or a task finished, since the slide was shown: said above what was typed, kept.
            attach_error(form, Invalid(error.message))
        else:
            if written:
                flash(_("Recorded in the task's history and in the minutes."), "success")
            else:
                flash(_("This was already recorded; nothing changed."), "success")
            return redirect(url_with("reports.present", request.args, opd=assignment.opd_id))
    return _present_page(failed=(assignment, form), opd_id=assignment.opd_id), 422


# The ranking slide lists this many OPDs in large type, above the fold at 1920×1080; the others follow by name.
RANKED_ON_SLIDE = 10


def _review_prefix(assignment_id: int) -> str:
    return f"t{assignment_id}"


def _present_page(failed: tuple | None = None, opd_id: int | None = None):
    """The presentation, on the slide of ?opd= (or the ranking); for who writes the minutes, the review meetings
    to choose from (?forum=, by default one held today) and a form per task they may change. A form `failed`
    (the assignment and its form) is shown again with its errors; when its task is on no slide any more (moved
    or finished meanwhile), above the slides, so that what was typed is never lost."""
    filters = report_filters()
    deck = services.presentation(current_user, filters)
    slides = [row.opd_id for row in deck.ranking]
    opd_id = opd_id or id_arg("opd")
    current = opd_id if opd_id in slides else None
    review_forums, forum, forms = [], None, {}
    if can(current_user, Permission.EDIT_FORUMS):
        review_forums = forums.review_forums(current_user)
        forum = _review_forum(review_forums, deck.today)
    if forum is not None:
        recordable = [a for tasks in deck.tasks.values() for a in tasks if actions.may_change(current_user, a)]
        forms = {a.id: ReviewForm(prefix=_review_prefix(a.id), formdata=None) for a in recordable}
    unsaved = None
    if failed is not None:
        forms[failed[0].id] = failed[1]  # shown again with its errors and what was typed
        if not any(failed[0] in tasks for tasks in deck.tasks.values()):
            unsaved = failed[0]
    forum_id = forum.id if forum else None

    def slide_url(opd: int | None = None) -> str:
        return url_with("reports.present", request.args, opd=opd, forum=forum_id)

    def review_url(assignment_id: int) -> str:
        return url_with("reports.present_review", request.args, assignment_id=assignment_id, opd=None, forum=forum_id)

    return render_template(
        "reports/present.html",
        deck=deck,
        steps=[(row, *services.neighbours(deck.ranking, i)) for i, row in enumerate(deck.ranking)],
        presented_tasks=services.PRESENTED_TASKS,
        ranked=deck.ranking[:RANKED_ON_SLIDE],
        more=deck.ranking[RANKED_ON_SLIDE:],
        current=current,
        review_forums=review_forums,
        forum=forum,
        forms=forms,
        unsaved=unsaved,
        slide_url=slide_url,
        review_url=review_url,
        exit_url=url_with("reports.dashboard", request.args, opd=None, forum=None),
    )


def _review_forum(choices: list, today):
    """The meeting being held: the one chosen (?forum=) among the actor's government's open forums, else the
    first held today; a forum not among them is said, and none is chosen."""
    chosen = id_arg("forum")
    if chosen is not None:
        forum = next((f for f in choices if f.id == chosen), None)
        if forum is None:
            flash(_("That meeting is not an open forum of your government; choose the review meeting below."), "error")
        return forum
    return next((f for f in choices if to_local_date(f.starts_at) == today), None)


def _reach_alert(filters: services.ReportFilters) -> dict:
    """For those who keep the delivery log, one section: the OPDs Kawal's email does not reach now, then the other
    addresses a mail server refused lately while the rest of the email went out (an inbox in Cc, say)."""
    if not can(current_user, Permission.DELIVERY_LOG):
        return {"unreachable": [], "refused": []}
    recent = mail_reach.recent_refusals()  # the outbox asked once for both lists
    unreachable = services.unreachable_opds(current_user, filters, recent)
    listed = {u.address for u in unreachable}
    refused = notifications.refused_addresses(current_user, filters.government_id, recent)
    refused = [r for r in refused if r.address not in listed]
    return {"unreachable": unreachable, "refused": refused}


@bp.get("/reports/compliance")
@login_required
def compliance():
    filters = report_filters()
    sort = request.args.get("sort", "overdue")
    rows = services.compliance(current_user, filters, sort=sort)
    return render_template("reports/compliance.html", rows=rows, filters=filters, sort=sort, **_choices())


@bp.get("/reports/opds/<int:opd_id>")
@login_required
def opd_page(opd_id: int):
    opd = services.report_opd(current_user, opd_id)
    [row] = services.compliance(current_user, services.ReportFilters(), opd_id=opd.id) or [None]
    open_tasks = queries.all_assignments(current_user, queries.AssignmentFilters(opd_id=opd.id), limit=200)
    month_rows = [
        (format_date(month, "MMM yy", locale=str(get_locale())), due, done)
        for month, due, done in services.monthly(current_user, opd.id)
    ]
    return render_template(
        "reports/opd.html",
        opd=opd,
        silent=not reach.reachable(opd),
        may_fix=accounts.may_edit_opd(current_user, opd),
        row=row,
        month_rows=month_rows,
        open_tasks=[a for a in open_tasks if a.is_open],
        today=clock.today_local(),
    )


def _download(content: bytes, mimetype: str, name: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/reports/followups.xlsx")
@login_required
def followups_xlsx():
    """The follow-up matrix of the follow-ups list's current filters."""
    exports = _exports()
    assignments = queries.all_assignments(current_user, filters_from_request())
    ids = [a.id for a in assignments]
    evidence, progress = services.evidence_and_progress(ids)
    today = clock.today_local()
    content = exports.followup_matrix(assignments, today, evidence, progress, opd_labeller(current_user))
    label = "terlambat" if request.args.get("overdue") == "1" else "semua"
    return _download(
        content, exports.XLSX, exports.filename("tindak-lanjut", today.isoformat(), label, extension="xlsx")
    )


@bp.get("/reports/compliance.xlsx")
@login_required
def compliance_xlsx():
    exports = _exports()
    rows = services.compliance(current_user, report_filters(page=False), sort=request.args.get("sort", "overdue"))
    name = exports.filename("kepatuhan-opd", clock.today_local().isoformat(), extension="xlsx")
    return _download(exports.compliance_sheet(rows, opd_labeller(current_user)), exports.XLSX, name)


@bp.get("/forums/<int:forum_id>/<any('berita-acara', notulen, 'daftar-hadir'):document>.pdf")
@login_required
def forum_pdf(forum_id: int, document: str):
    exports = _exports()
    forum = forums.get_forum(current_user, forum_id, full=True)
    name = exports.filename(document, clock.to_local(forum.starts_at).date().isoformat(), forum.title, extension="pdf")
    letterhead = services.letterhead(forum.government_id)
    if document == "berita-acara":
        content = exports.berita_acara(forum, letterhead, forum.record_number, services.organiser_name(forum))
    elif document == "notulen":
        content = exports.notulen(forum, letterhead, services.organiser_name(forum))
    else:
        content = exports.daftar_hadir(forum, letterhead)
    return _download(content, "application/pdf", name)


@bp.get("/forums/<int:forum_id>/laporan-hasil-rapat.pdf")
@login_required
def meeting_report_pdf(forum_id: int):
    """The Laporan Hasil Rapat of a meeting another government held, for the reader's government's leadership;
    the owner's people get its Berita Acara instead."""
    forum = forums.get_forum(current_user, forum_id, full=True)
    if current_user.government_id == forum.government_id:
        return redirect(url_for("reports.forum_pdf", forum_id=forum.id, document="berita-acara"))
    report = services.meeting_report(current_user, forum)
    if report is None:
        raise NotFound(_("Your government neither attended this meeting nor got a task from it."))
    exports = _exports()
    today = clock.today_local()
    name = exports.filename("laporan-hasil-rapat", today.isoformat(), forum.title, extension="pdf")
    content = exports.laporan_hasil_rapat(
        forum,
        services.letterhead(report.government_id),
        report,
        services.organiser_name(forum),
        today,
        opd_labeller(current_user),
    )
    return _download(content, "application/pdf", name)


@bp.get("/reports/rekapitulasi.pdf")
@login_required
def rekapitulasi_pdf():
    exports = _exports()
    filters = filters_from_request()
    assignments = queries.all_assignments(current_user, filters, limit=5000)
    if filters.forum_id:
        forum = forums.get_forum(current_user, filters.forum_id)
        title, owner = forum.title, services.summary_government(current_user, forum)
    else:
        title, owner = _("All follow-ups of the chosen filters"), current_user.government_id
    today = clock.today_local()
    name = exports.filename("rekapitulasi-tindak-lanjut", today.isoformat(), title, extension="pdf")
    content = exports.rekapitulasi(title, assignments, today, services.letterhead(owner), opd_labeller(current_user))
    return _download(content, "application/pdf", name)


# --- calendar feeds ------------------------------------------------------------------------------------


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
def calendar_settings():
    if request.method == "POST":
        if ConfirmForm().validate_on_submit():
            accounts.calendar_token(current_user, renew=True)
            flash(_("A new calendar address was made; the old one no longer works."), "success")
        return redirect(url_for("reports.calendar_settings"))
    token = accounts.calendar_token(current_user)
    feed = absolute_url("reports.calendar_feed", token=token)
    return render_template("reports/calendar.html", feed=feed, confirm_form=ConfirmForm())


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """A secret, revocable feed for phone calendars: the OPD's deadlines (all of them for the secretariat), and
    the forums of the coming months."""
    exports = _exports()
    user = accounts.user_by_calendar_token(token)
    if user is None:
        return Response(_("This calendar address is not valid."), status=404, mimetype="text/plain")
    deadlines, recent_forums = services.calendar_events(user)
    name = f"Kawal – {user.opd.code if user.opd else governments.node(user.government_id).name}"

    def link(kind, object_id):
        endpoint = "actions.assignment_view" if kind == "assignment" else "forum.forum_view"
        key = "assignment_id" if kind == "assignment" else "forum_id"
        return absolute_url(endpoint, **{key: object_id})

    response = Response(
        exports.calendar(name, deadlines, recent_forums, link, opd_labeller(user)), mimetype="text/calendar"
    )
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def download_links(page: str, args: Mapping | None = None, /, **values) -> list[tuple[str, str]]:
    """Downloads offered on other packages' pages, which do not know this package: registered as a template
    global by app.py. `args` are the list's query arguments, carried over without its page number."""
    if page == "followups":
        return [
            (_("Excel (.xlsx)"), url_with("reports.followups_xlsx", args or {}, page=None)),
            (_("Summary (PDF)"), url_with("reports.rekapitulasi_pdf", args or {}, page=None)),
        ]
    if page == "forum":
        forum = values["forum"]
        if services.meeting_report(current_user, forum) is not None:
            record = (_("Meeting report (PDF)"), url_for("reports.meeting_report_pdf", forum_id=forum.id))
        else:
            record = (
                _("Official record (PDF)"),
                url_for("reports.forum_pdf", forum_id=forum.id, document="berita-acara"),
            )
        return [
            record,
            (_("Minutes (PDF)"), url_for("reports.forum_pdf", forum_id=forum.id, document="notulen")),
            (_("Attendance list (PDF)"), url_for("reports.forum_pdf", forum_id=forum.id, document="daftar-hadir")),
            (_("Follow-up summary (PDF)"), url_for("reports.rekapitulasi_pdf", forum=forum.id)),
        ]
    return []
