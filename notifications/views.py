"""Reminder pages: the one-click acknowledgement, the delivery log, the preview, the settings, and in
development a viewer of the emails the local SMTP sink caught."""

from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import Invalid, InvalidTransition
from core.forms import ConfirmForm, attach_error, form_status
from core.permissions import Permission
from core.views import page_number, permission_required, url_with
from notifications import content, endpoints, services
from notifications.forms import LeaveForm, LinkAcknowledgeForm, SettingsForm, TestEmailForm, WebhookForm
from notifications.models import MAIL_KIND_LABELS, MAIL_STATUS_LABELS

bp = Blueprint("notifications", __name__)


def _private(response, status: int = 200):
    """Link pages are never cached, and never tell the next site where the visitor came from."""
    response = current_app.make_response((response, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/a/<token>", methods=["GET", "HEAD", "POST"])
def acknowledge_link(token: str):
    """GET and HEAD only show the task (mail scanners fetch links); a POST acknowledges. Nobody is logged in."""
    form = LinkAcknowledgeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            check = services.check_link(token)
            return _private(render_template("notifications/acknowledge.html", check=check, form=form), 422)
        try:
            check, changed = services.acknowledge_by_link(token, form.pic_name.data)
        except InvalidTransition as error:  # e.g. Conflict: another request changed the task first; nothing saved
            check = services.LinkCheck(str(error.message))
            return _private(render_template("notifications/acknowledge.html", check=check, form=form), 409)
        if check.problem:
            return _private(render_template("notifications/acknowledge.html", check=check, form=form), 410)
        return _private(render_template("notifications/acknowledged.html", check=check, changed=changed))
    check = services.check_link(token)
    status = 200 if check.problem is None else 410
    return _private(render_template("notifications/acknowledge.html", check=check, form=form), status)


@bp.get("/admin/delivery")
@permission_required(Permission.DELIVERY_LOG)
def delivery_log():
    filters = services.DeliveryFilters(
        status=request.args.get("status") if request.args.get("status") in MAIL_STATUS_LABELS else None,
        kind=request.args.get("kind") if request.args.get("kind") in MAIL_KIND_LABELS else None,
        search=request.args.get("q") or None,
        refused=request.args.get("refused") == "1",
    )
    pagination = services.delivery_log(current_user, filters, page=page_number())
    return render_template(
        "notifications/delivery.html", pagination=pagination, filters=filters, confirm_form=ConfirmForm()
    )


@bp.post("/admin/delivery/<int:message_id>/requeue")
@permission_required(Permission.DELIVERY_LOG)
def requeue(message_id: int):
    if ConfirmForm().validate_on_submit():
        try:
            services.requeue(current_user, message_id)
        except Invalid as error:
            flash(str(error.message), "error")
        else:
            flash(_("The email will be sent again."), "success")
    return redirect(url_with("notifications.delivery_log", request.args))


@bp.get("/admin/reminders/preview")
@permission_required(Permission.DELIVERY_LOG)
def preview():
    result, rows, next_run = services.preview(current_user)
    return render_template(
        "notifications/preview.html", result=result, rows=rows, next_run=next_run, reason_labels=content.GROUP_LABELS
    )


def _picked_government() -> int | None:
    """The government whose settings the page is for: `?government=` (the instance admin's picker), else the
    user's own. The service refuses another government's."""
    return request.args.get("government", type=int)


def _settings_url(**values) -> str:
    government_id = _picked_government()
    return url_for("notifications.settings", **({"government": government_id} if government_id else {}), **values)


def _render_settings(status=200, form=None, leave_form=None, test_form=None):
    government_id = services.settings_government(current_user, _picked_government())
    row = services.get_settings(current_user, government_id)
    choices = services.settings_governments(current_user)
    return render_template(
        "notifications/settings.html",
        form=form or SettingsForm(obj=row, formdata=None),
        leave_form=leave_form or LeaveForm(formdata=None),
        test_form=test_form or TestEmailForm(formdata=None),
        leave_days=services.collective_leave_days(current_user, government_id),
        confirm_form=ConfirmForm(),
        government_id=government_id,
        government_choices=choices,
        picked={"government": government_id} if choices else {},  # kept in the forms' addresses
    ), status


@bp.get("/admin/settings")
@permission_required(Permission.ADMINISTER)
def settings():
    return _render_settings()


@bp.post("/admin/settings")
@permission_required(Permission.ADMINISTER)
def settings_save():
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            services.update_settings(
                current_user,
                _picked_government(),
                **{name: getattr(form, name).data for name in services.SETTINGS_FIELDS},
            )
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Reminder settings saved."), "success")
            return redirect(_settings_url())
    return _render_settings(form_status(form), form=form)


@bp.post("/admin/settings/leave")
@permission_required(Permission.ADMINISTER)
def leave_add():
    form = LeaveForm()
    if form.validate_on_submit():
        try:
            services.add_collective_leave(current_user, form.day.data, form.name.data, _picked_government())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Collective leave day added."), "success")
            return redirect(_settings_url(_anchor="leave"))
    return _render_settings(form_status(form), leave_form=form)


@bp.post("/admin/settings/leave/<int:leave_id>/delete")
@permission_required(Permission.ADMINISTER)
def leave_delete(leave_id: int):
    if ConfirmForm().validate_on_submit():
        services.remove_collective_leave(current_user, leave_id)
        flash(_("Collective leave day removed."), "success")
    return redirect(_settings_url(_anchor="leave"))


@bp.post("/admin/settings/test-email")
@permission_required(Permission.ADMINISTER)
def test_email():
    form = TestEmailForm()
    if form.validate_on_submit():
        services.queue_test_email(current_user, form.address.data.strip().lower())
        flash(_("Test email queued; it appears in the delivery log."), "success")
        return redirect(url_for("notifications.delivery_log", kind="test"))
    return _render_settings(form_status(form), test_form=form)


# --- webhooks ---------------------------------------------------------------------------------------------


def _render_webhooks(form=None, status=200, secret=None):
    return render_template(
        "notifications/webhooks.html",
        endpoints=endpoints.endpoints(current_user),
        form=form or WebhookForm(formdata=None),
        secret=secret,
        confirm_form=ConfirmForm(),
    ), status


@bp.get("/admin/webhooks")
@permission_required(Permission.ADMINISTER)
def webhooks():
    return _render_webhooks()


@bp.post("/admin/webhooks")
@permission_required(Permission.ADMINISTER)
def webhook_add():
    """A new endpoint's secret is shown on the page answering the form, once; it is never shown again."""
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            endpoint, secret = endpoints.create_endpoint(
                current_user, form.url.data, form.events.data, form.allowed_host.data, form.secret.data
            )
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Webhook endpoint registered. Copy its secret now: it is not shown again."), "success")
            return _render_webhooks(secret={"endpoint": endpoint, "value": secret})
    return _render_webhooks(form, form_status(form))


def _render_webhook(webhook_id: int, form=None, status=200):
    endpoint = endpoints.get_endpoint(current_user, webhook_id)
    if form is None:
        form = WebhookForm(obj=endpoint, formdata=None)
        form.secret.data = None  # shown once, when made; never on the page again
    return render_template(
        "notifications/webhook.html",
        endpoint=endpoint,
        form=form,
        deliveries=endpoints.recent_deliveries(current_user, webhook_id),
        confirm_form=ConfirmForm(),
    ), status


@bp.get("/admin/webhooks/<int:webhook_id>")
@permission_required(Permission.ADMINISTER)
def webhook_view(webhook_id: int):
    return _render_webhook(webhook_id)


@bp.post("/admin/webhooks/<int:webhook_id>")
@permission_required(Permission.ADMINISTER)
def webhook_save(webhook_id: int):
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            endpoints.update_endpoint(
                current_user,
                webhook_id,
                form.url.data,
                form.events.data,
                form.allowed_host.data,
                form.active.data,
                form.secret.data,
            )
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Webhook endpoint saved."), "success")
            return redirect(url_for("notifications.webhook_view", webhook_id=webhook_id))
    return _render_webhook(webhook_id, form, form_status(form))


@bp.post("/admin/webhooks/<int:webhook_id>/delete")
@permission_required(Permission.ADMINISTER)
def webhook_delete(webhook_id: int):
    if ConfirmForm().validate_on_submit():
        endpoints.delete_endpoint(current_user, webhook_id)
        flash(_("Webhook endpoint deleted."), "success")
    return redirect(url_for("notifications.webhooks"))


@bp.post("/admin/webhooks/<int:webhook_id>/ping")
@permission_required(Permission.ADMINISTER)
def webhook_ping(webhook_id: int):
    if ConfirmForm().validate_on_submit():
        try:
            endpoints.send_ping(current_user, webhook_id)
        except Invalid as error:
            flash(str(error.message), "error")
        else:
            flash(_("Test delivery queued; it appears below once sent."), "success")
    return redirect(url_for("notifications.webhook_view", webhook_id=webhook_id))


# --- development only ----------------------------------------------------------------------------------


def _sink() -> Path:
    folder = current_app.config.get("MAIL_SINK_DIR")
    if not folder:
        abort(404)
    return Path(folder)


# The caught mail holds every head's acknowledgement links: only those who may read the delivery log see it.
@bp.get("/dev/mail")
@permission_required(Permission.DELIVERY_LOG)
def dev_mail():
    files = sorted(_sink().glob("*.eml"), reverse=True)[:200]
    parser = BytesParser(policy=email_policy.default)
    mails = [(f.name, parser.parsebytes(f.read_bytes(), headersonly=True)) for f in files]
    visible = services.visible_caught_mail(current_user, [str(mail["Message-ID"] or "") for _, mail in mails])
    mails = [(name, mail) for name, mail in mails if str(mail["Message-ID"] or "") in visible]
    return render_template("notifications/dev_mail.html", mails=mails)


def _caught(name: str):
    """One caught email the user may read, else 404."""
    path = _sink() / Path(name).name
    if not path.is_file():
        abort(404)
    mail = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
    message_id = str(mail["Message-ID"] or "")
    if message_id not in services.visible_caught_mail(current_user, [message_id]):
        abort(404)
    return path, mail


@bp.get("/dev/mail/<name>")
@permission_required(Permission.DELIVERY_LOG)
def dev_mail_view(name: str):
    path, mail = _caught(name)
    text = mail.get_body(preferencelist=("plain",))
    return render_template(
        "notifications/dev_mail_view.html", mail=mail, name=path.name, text=text.get_content() if text else ""
    )


@bp.get("/dev/mail/<name>/html")
@permission_required(Permission.DELIVERY_LOG)
def dev_mail_html(name: str):
    """The HTML part alone, sandboxed: it may run nothing and load nothing."""
    html = _caught(name)[1].get_body(preferencelist=("html",))
    if html is None:
        abort(404)
    response = current_app.make_response(html.get_content())
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response


def assignment_page_context(actor, assignment) -> dict:
    """For the assignment page: which emails carried this task, to whom, and when."""
    return {"reminders": services.reminders_of(actor, assignment.id)}
