"""Signing in and out, one's own account, and the administration of users and OPDs."""

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from accounts import onboarding, reach, services
from accounts import tokens as api_tokens
from accounts.forms import (
    GovernmentForm,
    ImportConfirmForm,
    ImportUploadForm,
    LanguageForm,
    LoginForm,
    OpdForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    TokenForm,
    UserForm,
)
from accounts.models import TIME_ZONE_LABELS, TOKEN_SCOPE_LABELS, TOKEN_STATE_LABELS
from core.errors import Invalid, NotAllowed
from core.extensions import limiter
from core.forms import ConfirmForm, attach_error, form_status
from core.permissions import Permission
from core.views import page_number, permission_required, read_upload, safe_redirect_target

bp = Blueprint("accounts", __name__)


def _login_account_key() -> str:
    """Rate-limit key for one account, whichever address the attempts come from."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def _login_account_address_key() -> str:
    """Rate-limit key for one account tried from one address."""
    return f"login-account-address:{get_remote_address()}:{_login_account_key()}"


def _failed_login(response) -> bool:
    """Only failed attempts use up the allowance; a successful login redirects."""
    return response.status_code != 302


def _login_limit(setting: str, key_func=None):
    """A ceiling on failed logins, read from config at request time; a successful login costs nothing."""
    return limiter.limit(
        lambda: current_app.config[setting], key_func=key_func, methods=["POST"], deduct_when=_failed_login
    )


@bp.route("/login", methods=["GET", "POST"])
@_login_limit("LOGIN_LIMIT_PER_ACCOUNT_AND_IP", _login_account_address_key)
@_login_limit("LOGIN_LIMIT_PER_IP")
@_login_limit("LOGIN_LIMIT_PER_ACCOUNT", _login_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            session.pop("locale", None)
            return redirect(safe_redirect_target(request.args.get("next")) or url_for("home"))
        form.form_errors.append(_("The email or password is wrong, or the account is inactive."))
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/logout")
@login_required
def logout():
    return _log_out(_("You have logged out."))


@bp.post("/account/sessions/end")
@login_required
def logout_everywhere():
    """For a lost phone or a shared computer: every session and remembered login of the account ends, this one too."""
    return _log_out(_("You have logged out on every device."))


def _log_out(message: str):
    services.log_out(current_user)
    logout_user()
    flash(message, "info")
    response = redirect(url_for("accounts.login"))
    # The lists a browser keeps to revalidate (core.conditional) go with the session, for a shared computer.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.set_locale(current_user, form.locale.data)
        else:
            session["locale"] = form.locale.data
    return redirect(safe_redirect_target(request.form.get("next")) or url_for("home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(current_user, form.current_password.data, form.password.data)
        except Invalid as error:
            attach_error(form, error)
        else:
            # Every other session has ended with the old password; this one goes on under the new version.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(current_user._get_current_object(), remember=remembered)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home"))
    return render_template("accounts/password.html", form=form), form_status(form)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """One's personal access tokens for the API: the list, and a new one, whose secret only this answer shows."""
    form = TokenForm()
    created = secret = None
    if form.validate_on_submit():
        try:
            created, secret = api_tokens.create_token(current_user, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            form = TokenForm(formdata=None)
    response = make_response(
        render_template(
            "accounts/tokens.html",
            form=form,
            tokens=api_tokens.user_tokens(current_user),
            created=created,
            secret=secret,
            api_url=url_for("governments.Opds", _external=True),
            scope_labels=TOKEN_SCOPE_LABELS,
            state_labels=TOKEN_STATE_LABELS,
        ),
        form_status(form),
    )
    # The secret must stay in no cache, not even the browser's back button.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    """Revoke one of one's own tokens (CSRFProtect has checked the form); another user's is not found."""
    token = api_tokens.revoke_token(current_user, token_id)
    flash(_("The token %(name)s is revoked; it no longer opens the API.", name=token.name), "success")
    return redirect(url_for("accounts.tokens"))


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """The page of the emailed link: a new account sets its first password, or anyone a new one."""
    try:
        user = services.user_by_password_token(token)
    except Invalid as error:
        return render_template("accounts/set_password.html", form=None, problem=error.message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password_with_link(token, form.password.data)
        except Invalid as error:
            attach_error(form, error)
        else:
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password is set. Log in with it."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/set_password.html", form=form, user=user, problem=None), form_status(form)


# --- users ---------------------------------------------------------------------------------------------


@bp.get("/admin/users")
@permission_required(Permission.ADMINISTER)
def users():
    search = request.args.get("q", "")
    pagination = services.list_users(current_user, search=search, page=page_number())
    return render_template("accounts/users.html", pagination=pagination, search=search)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def user_new():
    form = UserForm(actor=current_user)
    if form.validate_on_submit():
        try:
            user = services.create_user(current_user, password=form.password.data or None, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            if form.password.data:
                flash(_("Account %(email)s created.", email=user.email), "success")
            else:
                flash(
                    _("Account %(email)s created; a link to set the password was emailed.", email=user.email), "success"
                )
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=None), form_status(form)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def user_edit(user_id: int):
    user = services.get_user(user_id, current_user)
    form = UserForm(obj=user, user_id=user.id, actor=current_user)
    if form.validate_on_submit():
        try:
            services.update_user(current_user, user.id, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Account %(email)s saved.", email=user.email), "success")
            return redirect(url_for("accounts.users"))
    reset_form = PasswordResetForm()
    return render_template(
        "accounts/user_form.html", form=form, user=user, reset_form=reset_form, link_form=ConfirmForm()
    ), form_status(form)


@bp.post("/admin/users/<int:user_id>/password")
@permission_required(Permission.ADMINISTER)
def user_reset_password(user_id: int):
    user = services.get_user(user_id, current_user)
    form = PasswordResetForm()
    if form.validate_on_submit():
        services.reset_password(current_user, user.id, form.password.data)
        flash(_("A new password is set for %(email)s.", email=user.email), "success")
    else:
        flash(_("A password needs at least %(n)d characters.", n=services.MIN_PASSWORD_LENGTH), "error")
    return redirect(url_for("accounts.user_edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/active")
@permission_required(Permission.ADMINISTER)
def user_set_active(user_id: int):
    active = request.form.get("active") == "1"
    try:
        user = services.set_user_active(current_user, user_id, active)
    except Invalid as error:
        flash(str(error.message), "error")
    else:
        flash(
            _("Account %(email)s activated.", email=user.email)
            if active
            else _("Account %(email)s deactivated.", email=user.email),
            "success",
        )
    return redirect(url_for("accounts.users"))


@bp.post("/admin/users/<int:user_id>/password-link")
@permission_required(Permission.ADMINISTER)
def user_send_password_link(user_id: int):
    user = services.get_user(user_id, current_user)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.send_password_link(current_user, user.id)
        except Invalid as error:
            flash(str(error.message), "error")
        else:
            flash(_("A link to set the password was emailed to %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.user_edit", user_id=user.id))


# --- OPDs ----------------------------------------------------------------------------------------------


@bp.get("/admin/opds")
@permission_required(Permission.ADMINISTER)
def opds():
    search = request.args.get("q", "")
    return render_template("accounts/opds.html", opds=services.list_opds(current_user, search=search), search=search)


@bp.route("/admin/opds/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def opd_new():
    form = OpdForm(actor=current_user)
    if form.validate_on_submit():
        try:
            opd = services.create_opd(current_user, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("OPD %(code)s created.", code=opd.code), "success")
            return redirect(url_for("accounts.opds"))
    return render_template("accounts/opd_form.html", form=form, opd=None), form_status(form)


@bp.route("/admin/opds/<int:opd_id>", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def opd_edit(opd_id: int):
    opd = services.get_opd(opd_id, current_user)
    form = OpdForm(obj=opd, opd_id=opd.id, actor=current_user, government_id=opd.government_id)
    if form.validate_on_submit():
        try:
            services.update_opd(current_user, opd.id, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("OPD %(code)s saved.", code=opd.code), "success")
            return redirect(url_for("accounts.opds"))
    return render_template("accounts/opd_form.html", form=form, opd=opd, silent=not reach.reachable(opd)), form_status(
        form
    )


# --- governments (the instance admin) ----------------------------------------------------------------------


def _require_instance_admin() -> None:
    if not current_user.manages_instance:
        raise NotAllowed(_("Only the administrator of this Kawal manages governments."))


@bp.get("/admin/governments")
@permission_required(Permission.ADMINISTER)
def governments():
    return render_template(
        "accounts/governments.html",
        governments=services.list_governments(current_user),
        time_zone_labels=TIME_ZONE_LABELS,
    )


@bp.route("/admin/governments/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def government_new():
    _require_instance_admin()
    form = GovernmentForm()
    if form.validate_on_submit():
        try:
            government = services.create_government(current_user, logo_upload=form.logo.data, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Government %(code)s created.", code=government.code), "success")
            return redirect(url_for("accounts.governments"))
    return render_template("accounts/government_form.html", form=form, government=None), form_status(form)


@bp.route("/admin/governments/<int:government_id>", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def government_edit(government_id: int):
    _require_instance_admin()
    government = services.get_government(government_id)
    form = GovernmentForm(obj=government, government_id=government.id)
    if form.validate_on_submit():
        try:
            services.update_government(current_user, government.id, logo_upload=form.logo.data, **form.values())
        except Invalid as error:
            attach_error(form, error)
        else:
            flash(_("Government %(code)s saved.", code=government.code), "success")
            return redirect(url_for("accounts.governments"))
    return render_template("accounts/government_form.html", form=form, government=government), form_status(form)


# --- onboarding by spreadsheet -------------------------------------------------------------------------------


@bp.route("/admin/import", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def onboarding_import():
    """Upload a sheet of governments, OPDs and users; see every row's problems beside its cells before saving."""
    form = ImportUploadForm()
    rows = None
    confirm_form = ImportConfirmForm()
    table = read_upload(form, onboarding.read_table)
    if table is not None:
        rows = onboarding.check_rows(current_user, table)
        confirm_form.payload.data = onboarding.seal(current_user, table)
    return render_template(
        "accounts/onboarding.html",
        form=form,
        rows=rows,
        confirm_form=confirm_form,
        layout=onboarding.LAYOUT,
        type_labels=onboarding.ROW_TYPE_LABELS,
        action_labels=onboarding.SAVING_LABELS,
    ), form_status(form)


@bp.post("/admin/import/confirm")
@permission_required(Permission.ADMINISTER)
def onboarding_confirm():
    form = ImportConfirmForm()
    token = form.payload.data if form.validate_on_submit() else ""
    try:
        result = onboarding.save(current_user, token)
    except Invalid as error:
        flash(str(error.message), "error")
        return redirect(url_for("accounts.onboarding_import"))
    flash(
        _(
            "Saved: %(governments)d governments, %(opds)d OPDs and %(users)d users created; %(changed)d changed.",
            governments=result.created[onboarding.GOVERNMENT],
            opds=result.created[onboarding.OPD],
            users=result.created[onboarding.USER],
            changed=sum(result.updated.values()),
        ),
        "success",
    )
    return redirect(url_for("accounts.opds"))


@bp.get("/admin/import/template.xlsx")
@permission_required(Permission.ADMINISTER)
def onboarding_template():
    return Response(
        onboarding.template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="kawal-onboarding.xlsx"'},
    )
