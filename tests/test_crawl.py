"""The crawler (tests/crawler.py) over the demo data: every demo role and an anonymous visitor follow every link
and pager from the home page and submit every form, with valid and hostile values; no response may be a 500.
The accounts of Kabupaten Serang and of Provinsi Banten crawl too, and no page reached as one government may show
a sibling's forum titles, OPDs or people (the forums both attended, and their OPDs, excepted).

Its small tests show that it reaches the follow-ups list's second page and that a 500 anywhere fails it.
"""

import re
import time
from collections import Counter
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
# The other governments' demo accounts (Kabupaten Serang, the kota's sibling; Provinsi Banten, their parent): they
# crawl fewer pages, since their pages are the same routes as the kota's, read for what they must not show.
GOVERNMENT_ACCOUNTS = [
    "kepala.dinkes.serang@example.org",
    "sekretariat.serang@example.org",
    "kepala.dinkes.banten@example.org",
    "sekretariat.banten@example.org",
]
GOVERNMENT_PAGES = 60
# Pages whose pickers offer the OPDs of every government (a forum's organiser, a participant's agency): their
# <select> lists are not what the page shows of another government.
PICKS_ANY_OPD = {
    "forum.forum_new",
    "forum.forum_edit",
    "forum.participant_new",
    "forum.participant_edit",
    "forum.participant_import",
    "forum.participant_import_confirm",
    "forum.participant_import_columns",
}
DEMO_ACCOUNTS = [
    "viewer@example.org",
    "staf.dinkes@example.org",
    "kepala.dinkes@example.org",
    "kepala.dp3ap2kb@example.org",
    "kepala.disdukcapil@example.org",
    "sekretariat@example.org",
    *GOVERNMENT_ACCOUNTS,
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
        words = not_for(user_id)
        db.session.remove()
    return Identity(email.split("@")[0], client, DEMO_PASSWORD, user_id, words)


def not_for(user_id: int) -> tuple[str, ...]:
    """What a user's pages must not show of the governments beside its own (neither above nor below it): the
    titles of their forums that no OPD of the user's governments attended or was given a task from, their OPDs
    (as "CODE · Kab. Serang") seen in none of the forums the user may see, and their people's emails.
    Read from the rows themselves, not through Kawal's own scoping, which is what is under test."""
    from accounts import governments
    from accounts.models import Opd, User
    from actions.models import Action, Assignment
    from forum.models import Forum, Participant, Recommendation

    user = db.session.get(User, user_id)
    if user.manages_instance or user.government_id is None:
        return ()
    mine = governments.below(user.government_id)
    beside = set(governments.tree()) - mine - set(governments.above(user.government_id))
    if not beside:
        return ()
    attended = (
        sa.select(Participant.forum_id).join(Opd, Participant.opd_id == Opd.id).where(Opd.government_id.in_(mine))
    )
    tasked = (
        sa.select(Recommendation.forum_id)
        .join(Action, Action.recommendation_id == Recommendation.id)
        .join(Assignment, Assignment.action_id == Action.id)
        .join(Opd, Assignment.opd_id == Opd.id)
        .where(Opd.government_id.in_(mine))
    )
    visible = sa.or_(Forum.government_id.in_(mine), Forum.id.in_(attended), Forum.id.in_(tasked))
    titles = db.session.scalars(sa.select(Forum.title).where(Forum.government_id.in_(beside), ~visible))
    met = sa.union(
        sa.select(Participant.opd_id).join(Forum).where(visible, Participant.opd_id.is_not(None)),
        sa.select(Forum.organiser_opd_id).where(visible, Forum.organiser_opd_id.is_not(None)),
    )
    opds = db.session.execute(
        sa.select(Opd.code, Opd.government_id).where(Opd.government_id.in_(beside), ~Opd.id.in_(met))
    )
    emails = db.session.scalars(
        sa.select(User.email).where(User.government_id.in_(beside), User.manages_instance.is_(False))
    )
    named = [f"{code} · {governments.short_name(government_id)}" for code, government_id in opds]
    return (*titles, *named, *emails)


def shown(endpoint: str | None, html: str) -> str:
    """A page's text as far as must_not_show goes: without the pickers that may name any government's OPDs."""
    if endpoint in PICKS_ANY_OPD:
        return re.sub(r"<select\b.*?</select>", "", html, flags=re.S | re.I)
    return html


# POST routes no link or form of the demo leads to: each needs a file the crawler does not make, or a token only an
# email holds. Their own tests send them: tests/accounts/test_onboarding.py, tests/accounts/test_set_password.py,
# tests/forum/test_import_columns.py.
BEHIND_A_FILE_OR_AN_EMAIL = {
    "accounts.onboarding_confirm",  # after a preview of a valid sheet
    "accounts.set_password",  # the emailed link's token
    "forum.participant_import_columns",  # after an upload with a column Kawal does not know
    # A webhook endpoint's own forms, once an admin registered one with a URL it can reach: the demo registers none
    # (it has no receiver), and the crawler's form values are no such URL. They are driven, hostile input included,
    # by tests/notifications/test_webhook_views.py::test_editing_pinging_and_deleting and the tests after it.
    "notifications.webhook_save",
    "notifications.webhook_ping",
    "notifications.webhook_delete",
}


def test_no_page_or_form_answers_500_for_any_demo_role(make_app, tmp_path, crawl_summary):
    app = demo_app(make_app, tmp_path)
    kill_some_mail(app)
    crawler = Crawler(app, skip=skip_form, last=lambda endpoint: endpoint in CRAWL_ENDING_LAST, shown=shown)
    # Everyone logs in first: a later crawl may reset or lock an account that an earlier one needs.
    identities = [logged_in(app, crawler, email) for email in DEMO_ACCOUNTS]
    crawler.crawl(Identity("anonymous", app.test_client()), "/", acknowledge_start(app), budget=SECONDS / 10)
    # Each identity may use its share of what is left, so a quick one leaves more time to the editors.
    deadline = time.monotonic() + SECONDS * 9 / 10
    for done, identity in enumerate(identities):
        # The dashboard's "awaiting verification" tile first: the tasks there are the only ones with "verify".
        crawler.crawl(
            identity,
            "/",
            "/actions?awaiting=1",
            budget=(deadline - time.monotonic()) / (len(identities) - done),
            max_pages=GOVERNMENT_PAGES if identity.label + "@example.org" in GOVERNMENT_ACCOUNTS else None,
        )
    crawl_summary(f"crawler ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): {crawler.summary()}")
    assert not crawler.failures, crawler.report()
    # A word counts if it is still not the identity's at the end: the crawl's own forms may have made another
    # government's OPD attend a forum the identity sees, after which its pages may name it.
    with app.app_context():
        final = {identity.label: not_for(identity.user_id) for identity in identities}
        db.session.remove()
    leaks = [
        leak for leak in crawler.leaks if any(repr(word) in leak.error for word in final[leak.variant.split(":")[0]])
    ]
    assert not leaks, "\n".join(map(str, leaks[:30]))
    # The sibling's crawl had something to look for: the kota's own forums and OPDs are not the kabupaten's.
    assert any(identity.must_not_show for identity in identities if "serang" in identity.label)
    assert "/actions?page=2" in crawler.visited
    # Floors that hold on the slowest machine, so a crawler that stopped logging in or reading forms fails.
    assert crawler.counts["pages"] >= 150 and crawler.counts["forms submitted"] >= 200, crawler.summary()
    if not crawler.cut:
        missed = {e for e in crawler.unsubmitted("POST") if "logout" not in e} - BEHIND_A_FILE_OR_AN_EMAIL
        assert not missed, missed


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


def test_the_crawler_sends_each_distinct_hostile_request_of_a_form_once():
    app = Flask(__name__)
    received = Counter()

    @app.get("/")
    def home():
        return '<form method="post" action="/close"><button name="go" value="1">Close</button></form>'

    @app.post("/close")
    def close():
        received[request.full_path, request.get_data()] += 1
        return "ok"

    crawler = Crawler(app, query_variants=False)
    crawler.crawl(Identity("anonymous", app.test_client()))
    # "missing fields" and "missing go" send the same nothing; the valid values, and "min date" and "max date"
    # (the form has no date to change), send go=1: once as the valid submission, once among the hostile ones.
    assert received["/close?", b""] == 1
    assert received["/close?", b"go=1"] == 2
    assert crawler.counts["hostile repeats not sent"] == 2
    assert len(received) >= 8  # the rest still go: empty, overlong, NUL, huge, negative, repeated, reserved...


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


def test_the_crawler_finds_a_word_an_identity_must_not_see_behind_a_link_or_a_form():
    app = Flask(__name__)

    @app.get("/")
    def home():
        return render_template_string(
            '<a href="/forums">forums</a><select name="opd"><option>DINKES · Kota Tangerang</option></select>'
            '<form method="post" action="/search"><input name="q"><button>Go</button></form>'
        )

    @app.get("/forums")
    def forums():
        return "<p>Lokakarya PIP</p>" if request.args.get("page") else '<a href="/forums?page=2">next</a>'

    @app.post("/search")
    def search():
        return "<p>kepala.dinkes.serang@example.org</p>"

    words = ("Lokakarya PIP", "kepala.dinkes.serang@example.org", "DINKES · Kota Tangerang")
    crawler = Crawler(app, query_variants=False, hostile=False, shown=lambda endpoint, html: html.split("<select")[0])
    crawler.crawl(Identity("kota", app.test_client(), must_not_show=words))
    leaks = {(leak.method, leak.url, leak.error) for leak in crawler.leaks}
    assert leaks == {
        ("GET", "/forums?page=2", "shows ['Lokakarya PIP']"),
        ("POST", "/search", "shows ['kepala.dinkes.serang@example.org']"),
    }
    assert "2 pages showing what they must not" in crawler.summary()


def test_what_a_sibling_must_not_see_is_the_others_own(app, tree):
    """not_for, on the `tree`: the kabupaten must not see the kota's OPDs and people, nor its forum that no OPD of
    the kabupaten attended; the forum both attended, and the kota's OPDs in it (its Dinkes, its organiser), it may. The province sees all."""
    from accounts import governments
    from forum import services as forums
    from tests.conftest import as_user
    from tests.forum.helpers import make_forum, participant

    with app.app_context():
        own = make_forum(tree.world, title="Forum Renstra Kota")
        shared = make_forum(tree.world, title="FGD Bersama")
        forums.add_participant(as_user(tree.world.users["secretariat"].id), shared.id, **participant(tree.world))
        kab = tree.opds["kab:DINKES"]
        forums.add_participant(
            as_user(tree.world.users["secretariat"].id), shared.id, **participant(tree.world, opd=None, opd_id=kab)
        )
        kota = governments.short_name(tree.govs["kota"])
        words = set(not_for(tree.users["kab_secretariat"]))
        assert {own.title, f"DISDUKCAPIL · {kota}", f"DP3AP2KB · {kota}", "opd.head@example.org"} <= words
        assert shared.title not in words and f"DINKES · {kota}" not in words and f"BAPPEDA · {kota}" not in words
        assert not any("kab" in word for word in words)
        assert not_for(tree.users["prov_secretariat"]) == ()
        db.session.remove()
