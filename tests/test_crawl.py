"""The crawler (tests/crawler.py) over the demo data: every demo role and an anonymous visitor follow every link
and pager from the home page and submit every form, with valid and hostile values; no response may be a 500.

Its small tests show that it reaches the follow-ups list's second page and that a 500 anywhere fails it.
"""

import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask, abort, render_template_string, request

from core.extensions import db
from tests.crawler import Crawler, Identity
from tests.notifications.conftest import Collector, free_port

DEMO_PASSWORD = "kawal-demo"
# The README's demo accounts, in the order they crawl: the admin last, because its forms (deactivate,
# reset a password) can end the others' sessions.
DEMO_ACCOUNTS = [
    "viewer@example.org",
    "staf.dinkes@example.org",
    "kepala.dinkes@example.org",
    "kepala.dp3ap2kb@example.org",
    "kepala.disdukcapil@example.org",
    "sekretariat@example.org",
    "admin@example.org",
]
OWN_ACCOUNT_FORMS = {"accounts.user_edit", "accounts.user_set_active", "accounts.user_reset_password"}
CRAWL_ENDING_LAST = {"accounts.password", "accounts.language"}
# A safety net, not the bound: the crawl ends when every route and form is done (45-60 s a backend on an idle
# machine). A crawl cut short by a busy machine still fails on any 500, and says it was cut.
SECONDS = 120.0


def skip_form(identity: Identity, endpoint: str, args: dict) -> bool:
    """Forms that would end the crawl of this identity: logging out, or the admin changing its own account."""
    if "logout" in endpoint:
        return True
    return endpoint in OWN_ACCOUNT_FORMS and args.get("user_id") == identity.user_id


def demo_app(make_app, tmp_path):
    """An app with CSRF on (tokens come from the pages), files under tmp_path, and the demo data loaded."""
    from demo import data

    app = make_app(WTF_CSRF_ENABLED=True, ATTACHMENT_DIR=str(tmp_path / "attachments"))
    with app.app_context():
        data.load()
        db.session.remove()
    return app


def kill_some_mail(app, count: int = 3) -> None:
    """Plan the reminders and let an SMTP server refuse the first few, so the delivery log has dead rows to
    re-queue."""
    from notifications import dispatcher, planner

    collector = Collector()
    collector.replies = ["550 5.1.1 Mailbox unavailable"] * count
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        with app.app_context():
            planner.plan()
            dispatcher.dispatch(limit=count)
            db.session.remove()
    finally:
        controller.stop()


def acknowledge_start(app) -> str:
    """The path of an email's acknowledge link, for the anonymous visitor (mail is where it finds one)."""
    from accounts.models import Opd
    from actions.models import Assignment
    from notifications import links

    with app.app_context():
        assignment = db.session.scalars(
            sa.select(Assignment).join(Assignment.opd).where(Assignment.status == "assigned", Opd.head_id.is_not(None))
        ).first()
        url = links.acknowledge_url(assignment.id, assignment.opd.head_id)
        db.session.remove()
    return urlsplit(url).path


def logged_in(app, crawler: Crawler, email: str) -> Identity:
    from accounts.models import User

    client = app.test_client()
    assert crawler.login(client, "/login", email, DEMO_PASSWORD), f"{email} could not log in"
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
    return Identity(email.split("@")[0], client, DEMO_PASSWORD, user_id)


def test_no_page_or_form_answers_500_for_any_demo_role(make_app, tmp_path, crawl_summary):
    app = demo_app(make_app, tmp_path)
    kill_some_mail(app)
    crawler = Crawler(app, skip=skip_form, last=lambda endpoint: endpoint in CRAWL_ENDING_LAST)
    # Everyone logs in first: a later crawl may reset or lock an account that an earlier one needs.
    identities = [logged_in(app, crawler, email) for email in DEMO_ACCOUNTS]
    crawler.crawl(Identity("anonymous", app.test_client()), "/", acknowledge_start(app), budget=SECONDS / 10)
    # Each identity may use its share of what is left, so a quick one leaves more time to the editors.
    deadline = time.monotonic() + SECONDS * 9 / 10
    for done, identity in enumerate(identities):
        # The dashboard's "awaiting verification" tile first: the tasks there are the only ones with "verify".
        crawler.crawl(
            identity, "/", "/actions?awaiting=1", budget=(deadline - time.monotonic()) / (len(identities) - done)
        )
    crawl_summary(f"crawler ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): {crawler.summary()}")
    assert not crawler.failures, crawler.report()
    assert "/actions?page=2" in crawler.visited
    # Floors that hold on the slowest machine, so a crawler that stopped logging in or reading forms fails.
    assert crawler.counts["pages"] >= 150 and crawler.counts["forms submitted"] >= 200, crawler.summary()
    if not crawler.cut:
        assert all("logout" in endpoint for endpoint in crawler.unsubmitted("POST")), crawler.unsubmitted("POST")


def test_the_crawler_follows_the_follow_ups_pager(make_app, tmp_path):
    app = demo_app(make_app, tmp_path)
    # Bounded by pages, not by time: the pager is the list's last link, reached after some twenty pages.
    crawler = Crawler(app, max_pages=40, query_variants=False, submit_forms=False, budget=600)
    secretariat = logged_in(app, crawler, "sekretariat@example.org")
    crawler.crawl(secretariat, "/actions")
    assert not crawler.cut
    assert "/actions?page=2" in crawler.visited


def tiny_app() -> Flask:
    """Three pages and a form, with a 500 behind the pager and one behind an overlong field."""
    app = Flask(__name__)

    @app.get("/")
    def home():
        return render_template_string(
            '<a href="/list">list</a> <a href="https://elsewhere.example/">away</a>'
            '<form method="post" action="/echo"><input name="title" maxlength="20"><button>Go</button></form>'
        )

    @app.get("/list")
    def items():
        page = request.args.get("page", 1, type=int)
        if page == 2:
            raise ZeroDivisionError("the second page divides by zero")
        return render_template_string('<p>page {{ page }}</p><a href="/list?page=2" rel="next">next</a>', page=page)

    @app.post("/echo")
    def echo():
        title = request.form.get("title", "")
        if len(title) > 1000:
            raise ValueError("a title this long was never expected")
        if not title:
            abort(422)
        return title

    return app


def test_the_crawler_fails_on_a_500_behind_a_pager_or_a_form():
    crawler = Crawler(tiny_app(), query_variants=False)
    crawler.crawl(Identity("anonymous", tiny_app().test_client()))
    assert "/list?page=2" in crawler.visited
    assert "https://elsewhere.example/" not in crawler.visited
    errors = {(failure.method, failure.url, failure.error.split(" (")[0]) for failure in crawler.failures}
    assert ("GET", "/list?page=2", "ZeroDivisionError: the second page divides by zero") in errors
    assert ("POST", "/echo", "ValueError: a title this long was never expected") in errors
    assert crawler.statuses[200] >= 3 and crawler.statuses[422] >= 1


@pytest.mark.parametrize("variant", ["page=2", "endpoint=x", "max date", "overlong"])
def test_the_query_variants_reach_a_page_that_only_breaks_on_them(variant):
    app = Flask(__name__)

    @app.get("/")
    def home():
        if request.args.get("endpoint") or request.args.get("page") == "2" or "9999" in request.query_string.decode():
            raise KeyError(variant)
        if any(len(value) > 5000 for value in request.args.values()):
            raise KeyError(variant)
        return '<form method="get"><input name="due_from" type="date"></form>'

    crawler = Crawler(app)
    crawler.crawl(Identity("anonymous", app.test_client()))
    assert any(failure.variant == f"anonymous:{variant}" for failure in crawler.failures), crawler.failures
