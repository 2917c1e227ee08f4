"""create_app(): the one place that knows every package."""

import email.policy
import logging
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, config_from_environment, instance_secret_key


def create_app(config_class: type[Config] | None = None, overrides: dict | None = None, *, api: bool = True) -> Flask:
    """Build a Kawal application; nothing is created at import time. The reminder jobs build it without the JSON API
    (`api=False`, jobs.py): their emails link to the pages, and the API's libraries would cost each job's process
    its memory."""
    from core.requests import KawalRequest

    app = Flask(__name__, instance_relative_config=True)
    app.request_class = KawalRequest
    app.config.from_object(config_class or config_from_environment())
    app.config.update(overrides or {})
    configure(app)
    register_proxies(app)
    register_extensions(app)
    register_blueprints(app, api=api)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app, api=api)
    configure_logger(app)
    return app


def configure(app: Flask) -> None:
    """Fill in what the environment left open, and refuse what cannot work."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        if app.config["ENV_NAME"] == "production":
            # A silent SQLite file under instance/ would take real work and lose it with the machine.
            raise RuntimeError("DATABASE_URL must be set in production (postgresql://…).")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'kawal.db'}"
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # The web server and the reminder worker share the file: wait for the other's write instead of failing.
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
    else:
        options.setdefault("pool_size", app.config["DB_POOL_SIZE"])
        options.setdefault("max_overflow", app.config["DB_MAX_OVERFLOW"])
        options.setdefault("pool_timeout", app.config["DB_POOL_TIMEOUT"])
        # PostgreSQL's JIT compiles any statement estimated above jit_above_cost on every execution: tens of
        # milliseconds a page for statements that run in one or two (My tasks at 100,000 tasks: 256 ms against 64;
        # 25 times slower at 1,000,000). A web application's short statements never gain from it.
        options["connect_args"] = {"options": "-c jit=off", **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("MAIL_USE_TLS") and app.config.get("MAIL_USE_SSL"):
        raise RuntimeError("MAIL_USE_TLS and MAIL_USE_SSL cannot both be set: choose STARTTLS or implicit TLS.")
    check_sender(app.config.get("MAIL_DEFAULT_SENDER"))
    if not app.config.get("MAIL_MESSAGE_ID_DOMAIN"):
        app.config["MAIL_MESSAGE_ID_DOMAIN"] = urlsplit(app.config["KAWAL_BASE_URL"]).hostname or "kawal.local"
    if not app.config.get("SECRET_KEY"):
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError("SECRET_KEY must be set in production.")
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    if (
        app.config["ENV_NAME"] == "production"
        and app.config["WEB_CONCURRENCY"] > 1
        and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
        and not app.config["RATELIMIT_ALLOW_PER_WORKER"]
    ):
        raise RuntimeError(
            f"With {app.config['WEB_CONCURRENCY']} web workers (WEB_CONCURRENCY) each would count failed logins on "
            "its own: set RATELIMIT_STORAGE_URI to a shared store, e.g. redis://127.0.0.1:6379/0, or WEB_CONCURRENCY=1."
        )


def check_sender(sender) -> None:
    """Refuse a From that is not one address: a display name with a comma and no quotes ("Bappeda Kota Tangerang,
    Sekretariat <kawal@…>") reads as two addresses, one of them without a domain, and every email would carry it."""
    parsed = email.policy.default.header_factory("From", str(sender or ""))
    if len(parsed.addresses) != 1 or not parsed.addresses[0].domain or parsed.defects:
        raise RuntimeError(
            f'MAIL_DEFAULT_SENDER must be one address, e.g. "Bappeda, Sekretariat" <kawal@example.go.id> (quote a '
            f"name with a comma), not {sender!r}."
        )


def register_proxies(app: Flask) -> None:
    """Read the client's address from X-Forwarded-For as far back as the trusted proxies wrote it."""
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])


def register_extensions(app: Flask) -> None:
    import sqlalchemy as sa

    from core import (
        attachments,
        clock,
        conditional,
        data_version,
        formatting,
        i18n,
        markdown,
        migrations,
        security,
        static,
        weblinks,
    )
    from core.db import register_sqlite_functions
    from core.extensions import babel, csrf, db, limiter, login_manager, mail

    db.init_app(app)
    migrations.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    i18n.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    attachments.init_app(app)
    clock.init_app(app)
    data_version.init_app(app)
    conditional.init_app(app)
    formatting.init_app(app)
    markdown.init_app(app)
    security.init_app(app)
    static.init_app(app)
    weblinks.init_app(app)

    @login_manager.user_loader
    def load_user(session_id: str):
        from accounts.services import user_by_session_id

        user, version = user_by_session_id(session_id)
        if user is not None:
            data_version.remember(version)
        return user

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # SQLite enforces foreign keys only when asked, on every connection; it learns our median there too.
            @sa.event.listens_for(db.engine, "connect")
            def _sqlite_foreign_keys(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()
                register_sqlite_functions(dbapi_connection)

        @sa.event.listens_for(db.engine, "handle_error")
        def _a_failed_ping_is_a_dead_connection(context):
            """Whatever makes the pre-ping fail, the pooled connection is not usable: count it as a disconnect, so
            the pool opens a new one instead of the request failing. psycopg's ping of a backend killed while it
            answers (a PostgreSQL restart at that moment) ends in a ProgrammingError, which SQLAlchemy does not
            count as one on its own."""
            if context.is_pre_ping:
                context.is_disconnect = True


def select_locale() -> str:
    """The user's language, or the one chosen on the login page; Indonesian by default."""
    if not has_request_context():
        return app_default_locale()
    if request.path.startswith(API_PREFIX) and "api_token" not in g:
        # The API keeps no session: before a resource reads its token (an address no resource answers), that
        # token's user's language; without a working token, the client's Accept-Language.
        from api.base import token_locale

        return token_locale() or request.accept_languages.best_match(["id", "en"]) or "id"
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return session.get("locale", "id")


def app_default_locale() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"] if has_app_context() else "id"


def register_blueprints(app: Flask, *, api: bool = True) -> None:
    from accounts.views import bp as accounts_bp
    from actions import queries as action_queries
    from actions.views import bp as actions_bp
    from actions.views import forum_page_context
    from core.permissions import ROLES_WITH_OPD
    from core.views import IdConverter, id_url, select_options, url_with
    from forum.views import bp as forum_bp
    from notifications import subscribers
    from notifications.views import assignment_page_context
    from notifications.views import bp as notifications_bp
    from reports.views import bp as reports_bp
    from reports.views import download_links

    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(accounts_bp)
    app.register_blueprint(forum_bp)
    app.register_blueprint(actions_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(reports_bp)
    if api:
        import api as rest

        rest.init_app(app)
    app.jinja_env.globals["download_links"] = download_links
    app.jinja_env.globals["select_options"] = select_options
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["id_url"] = id_url
    # Each page shows what later packages add, without importing them: forum/ knows nothing of actions/,
    # actions/ nothing of notifications/. The providers return extra template context.
    app.extensions["forum_page_providers"] = [forum_page_context]
    app.extensions["assignment_page_providers"] = [assignment_page_context]
    # A forum concerns a government that got a task from it, besides its owner and those that attended.
    app.extensions["forum_concerns"] = [action_queries.forums_with_tasks_for]
    subscribers.subscribe(app)

    @app.get("/health")
    def health():
        """For the load balancer and the benchmark: the process answers. No database, no session, no template."""
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}

    @app.get("/")
    def home():
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login"))
        if current_user.role in ROLES_WITH_OPD:
            return redirect(url_for("actions.my_tasks"))
        return redirect(url_for("reports.dashboard"))


def rollback() -> None:
    """Roll the request's transaction back, if its connection still can."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.extensions import db

    with suppress(SQLAlchemyError):  # a connection that is gone cannot roll back; the pool replaces it
        db.session.rollback()


def user_for_error_page() -> None:
    """The error page shows the user's menu in the user's language, both read from the database. When the
    database cannot answer (it may be what failed), the page is shown as to a visitor: in the language
    chosen on the login page, or the default, and never failing again on the same database."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.extensions import login_manager

    try:
        user = current_user._get_current_object()
        if user.is_authenticated:
            user.locale  # noqa: B018 (after a rollback the row is expired: this reloads it)
    except SQLAlchemyError:
        rollback()
        g._login_user = login_manager.anonymous_user()


def register_errorhandlers(app: Flask) -> None:
    from core.errors import DomainError

    def render_error(status: int, message):
        """Kawal's error page, or JSON for a client that asks for it; `message` is translated here."""
        if request.path.startswith(API_PREFIX):
            return api_problem(status, message)
        user_for_error_page()
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=str(message)), status
        return render_template("errors/error.html", status=status, message=str(message)), status

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        rollback()
        return render_error(error.status_code, error.message)

    register_conflict_handlers(app, domain_error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if request.endpoint in LINK_PAGES and request.method == "POST":
            # An emailed link's page sent again from another browser, or after its session ended: the link itself
            # is the authority, so show its page as it stands now (done, used, or ready to confirm once more).
            flash(str(_l("This page had expired, so nothing was saved. Here it is as it stands now.")), "warning")
            return redirect(request.full_path.rstrip("?"), 303)
        return render_error(400, _l("The form has expired. Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith(API_PREFIX):
            from api.base import http_problem

            return http_problem(error)  # with the API's wording, and a 405's Allow header
        messages = {
            400: _l("The request could not be understood."),
            403: _l("You are not allowed to see this page."),
            404: _l("This page does not exist."),
            405: _l("This address does not accept that kind of request."),
            413: _l("The upload is too large."),
            429: _l("Too many attempts. Wait a few minutes and try again."),
        }
        response = make_response(render_error(error.code or 500, messages.get(error.code, error.description or "")))
        # RFC 9110: a 405 names the methods the address takes.
        response.headers.extend((key, value) for key, value in error.get_headers() if key == "Allow")
        return response

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        rollback()
        app.logger.exception("Unhandled error")
        return render_error(500, _l("Something went wrong on our side. The error has been logged."))


API_PREFIX = "/api/"


def api_problem(status: int, message):
    """An address under the API that no resource answers (or not with that method): a problem, like the API's own
    errors, rather than a page."""
    from api.problems import problem

    return problem(status, message)


# The pages of emailed links (the one-click acknowledgement, setting a password): a stale form there is answered with
# the link's page as it is now, not an error page.
LINK_PAGES = {"notifications.acknowledge_link", "accounts.set_password"}


def register_conflict_handlers(app: Flask, domain_error) -> None:
    """Two requests that raced for the same rows: the loser is refused like any other move (409), never a 500."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError

    from core.errors import Conflict

    @app.errorhandler(StaleDataError)
    def stale_data(error: StaleDataError):
        """A row changed by another request since it was read, found at a flush before the service's commit
        (actions.events.commit turns the usual case into Conflict)."""
        return domain_error(Conflict())

    @app.errorhandler(IntegrityError)
    def same_change_twice(error: IntegrityError):
        """Two requests that add the same row at once (an OPD to a follow-up, a meeting's carry-over outcome): the
        database's unique constraint refuses the second, which is told so; nothing of it is saved."""
        app.logger.warning("Refused by a database constraint: %s", error.orig)
        return domain_error(
            Conflict(_l("Someone made the same change at the same moment; nothing was saved. Reload the page."))
        )


def register_template_helpers(app: Flask) -> None:
    from markupsafe import Markup

    from accounts import governments
    from accounts.models import GOVERNMENT_KIND_LABELS, OPD_KIND_LABELS
    from actions import models as action_models
    from core import audit, clock, data_version
    from core.fragments import FragmentCache, with_csrf_token, without_csrf_token
    from core.permissions import ROLE_LABELS, Permission, can
    from forum import models as forum_models
    from notifications import models as notification_models

    # Labels are globals, so that imported macros see them too.
    app.jinja_env.globals.update(
        role_labels=ROLE_LABELS,
        opd_kind_labels=OPD_KIND_LABELS,
        government_kind_labels=GOVERNMENT_KIND_LABELS,
        forum_kind_labels=forum_models.FORUM_KIND_LABELS,
        forum_mode_labels=forum_models.FORUM_MODE_LABELS,
        forum_status_labels=forum_models.FORUM_STATUS_LABELS,
        category_labels=forum_models.PARTICIPANT_CATEGORY_LABELS,
        participant_role_labels=forum_models.PARTICIPANT_ROLE_LABELS,
        participant_table_headings=forum_models.PARTICIPANT_TABLE_HEADINGS,
        attendance_labels=forum_models.ATTENDANCE_LABELS,
        status_labels=action_models.STATUS_LABELS,
        action_kind_labels=action_models.ACTION_KIND_LABELS,
        assignment_role_labels=action_models.ASSIGNMENT_ROLE_LABELS,
        cannot_reason_labels=action_models.CANNOT_REASON_LABELS,
        carry_outcome_labels=action_models.CARRY_OUTCOME_LABELS,
        decree_stage_labels=action_models.DECREE_STAGE_LABELS,
        team_role_labels=action_models.TEAM_ROLE_LABELS,
        bpk_labels=action_models.BPK_LABELS,
        task_list_headings=action_models.TASK_LIST_HEADINGS,
        carry_over_labels=action_models.CARRY_OVER_LABELS,
        field_labels=audit.FIELD_LABELS,
        mail_status_labels=notification_models.MAIL_STATUS_LABELS,
        mail_kind_labels=notification_models.MAIL_KIND_LABELS,
        cancel_reason_labels=notification_models.CANCEL_REASON_LABELS,
    )

    def opd_name(opd) -> str:
        """{{ opd|opd_name }}: the OPD's code, with its government's short name when that is not the viewer's."""
        if opd is None:
            return ""
        return governments.opd_name(opd.code, opd.government_id, current_user)

    app.jinja_env.filters["opd_name"] = opd_name

    def zone_of_request() -> str | None:
        """Times on a page are in the viewer's government's zone: read from the user Flask-Login already loaded
        for this request, never loading it here (an error page, a link page)."""
        user = g.get("_login_user")
        if user is None or not user.is_authenticated:
            return None
        node = governments.node(user.government_id)
        return node.time_zone if node is not None else None

    app.extensions[clock.ZONE_OF_REQUEST] = zone_of_request

    def pemda_name() -> str:
        """The government named in the page header: the signed-in user's, else (sign-in, emails) the setting's."""
        if has_request_context() and current_user.is_authenticated:
            found = governments.node(current_user.government_id)
            if found is not None:
                return found.name
        return app.config["KAWAL_PEMDA_NAME"]

    menus = FragmentCache(size=64)

    @app.template_global()
    def main_menu() -> Markup:
        """The signed-in user's main menu, rendered once for everyone of one role alike (with an OPD or not, the
        instance admin or not) in one language and under one address prefix: those are all that it shows."""
        user = current_user
        key = (user.role, user.active, bool(user.opd_id), user.manages_instance, select_locale(), request.script_root)
        return menus.get(key, lambda: Markup(render_template("_main_menu.html")))

    @app.template_global()
    def language_form_next() -> str:
        """Where the language form sends the user back: the page it was sent from, a GET's."""
        return request.full_path if request.method == "GET" else ""

    @app.template_global()
    def user_menu() -> Markup:
        """The signed-in user's own menu (name, role, OPD, language, account links, logging out), rendered once per
        user, language and page address while the data stays as it is, kept as the parts around its forms' CSRF
        token and joined with this session's."""
        key = (current_user.id, select_locale(), request.script_root, language_form_next())
        kept = data_version.cached("user menu", key, lambda: without_csrf_token(render_template("_user_menu.html")))
        return with_csrf_token(kept)

    @app.context_processor
    def helpers():
        return {
            "can": lambda permission: can(current_user, Permission(permission)),
            # Pickers, filters and columns of governments show only when this Kawal holds several.
            "several_governments": governments.several,
            "pemda_name": pemda_name(),
            "mail_sink": bool(app.config.get("MAIL_SINK_DIR")),
            "current_locale": select_locale(),
        }


def register_commands(app: Flask, *, api: bool = True) -> None:
    from accounts.cli import bp as users_cli
    from demo.cli import bp as seed_cli
    from notifications.cli import bp as reminders_cli

    app.register_blueprint(users_cli)
    app.register_blueprint(seed_cli)
    app.register_blueprint(reminders_cli)
    if api:
        from api.cli import bp as api_cli

        app.register_blueprint(api_cli)


def configure_logger(app: Flask) -> None:
    from core.security import install_log_filter

    install_log_filter()
    if not app.debug and not app.testing:
        app.logger.setLevel(logging.INFO)
