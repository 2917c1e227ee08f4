"""Isolation between governments, proven (issue 12, point 9): two sibling governments under a parent, with data in
each, and every attempt of one sibling's roles to read or change the other's things refused.

The `tree` fixture's Kabupaten Serang and Kota Tangerang are the siblings, Provinsi Banten their parent. Each sibling
gets a forum of its own, a series, an OPD only it has (with a head), a follow-up with an acknowledged task, a progress
report with an evidence file, a decree with a member, a cuti bersama day, reminder mail (new-task rows, digests, a
test email) and a calendar token; the province logs a forum that both attended and fans its follow-up out to both.
Every word of a sibling's own data carries its mark ("Zamrud" for the kota, "Safir" for the kabupaten), so a page
that shows any of it is caught by one search.

Then, as each role of one sibling (secretariat, head, admin, viewer), every route of the URL map that takes an id is
asked with the other's ids, by GET and by POST with a valid CSRF token and the values of the owner's own form: each
answer must refuse (403, 404 or the login page), none be a 500, none show the other's mark or people, and nothing of
the database may change. Every list, aggregate, export and the calendar feed is read too, and must hold none of it.
The parent sees both siblings' forums and tasks and edits neither's; the shared forum shows each sibling its own task.
"""

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict

from core.extensions import db
from core.permissions import Role
from tests.conftest import PASSWORD, as_user, login
from tests.crawler import Crawler, Identity, parse_page
from tests.forum.helpers import FGD, participant
from tests.test_crawl import shown

TODAY = date(2025, 12, 16)
MARKS = {"kota": "Zamrud", "kab": "Safir"}  # a word in nothing but that government's own data
SIBLING = {"kota": "kab", "kab": "kota"}
ROLES = ("secretariat", "head", "admin", "viewer")
NOT_AN_ENTITY = {"static", "notifications.dev_mail_view", "notifications.dev_mail_html"}  # files of the dev mailer
DOWNLOADS = {"reports.forum_pdf", "actions.evidence_download"}  # files, with no forms in them
# Columns that a refused request may still touch: the session bookkeeping of the one who asked.
VOLATILE = {"last_seen_at", "last_login_at"}


@dataclass
class Side:
    """One sibling government's things, as ids."""

    key: str
    gov: int
    mark: str
    users: dict[str, int]
    emails: list[str]
    ids: dict[str, object] = field(default_factory=dict)
    shared: dict[str, object] = field(default_factory=dict)  # its task on the forum both attended
    token: str = ""

    def secrets(self) -> list[str]:
        """What no page of the sibling may show: the mark, and the emails of this government's people."""
        return [self.mark, self.mark.lower(), self.mark.upper(), *self.emails]


def _pdf(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n"), filename=name)


def follow_up(secretariat, recommendation_id: int, title: str, due_in: int, *, kind: str = "task", **values):
    from actions import services as actions

    values = {"lead_opd_id": None, **values}
    return actions.create_action(
        secretariat, recommendation_id, kind=kind, title=title, due_date=TODAY + timedelta(days=due_in), **values
    )


def _side_users(tree, key: str) -> dict[str, int]:
    if key == "kota":
        world = tree.world.users
        names = {"secretariat": "secretariat", "head": "opd_head", "admin": "admin", "viewer": "viewer"}
        return {role: world[name].id for role, name in names.items()}
    return {role: tree.users[f"{key}_{role}"] for role in ROLES}


def _build_side(tree, key: str) -> Side:
    """A sibling's own forum, series, OPD, follow-ups, progress, decree, leave, mail, calendar token, API token
    and webhook."""
    from accounts import services as accounts
    from actions import decrees
    from actions import services as actions
    from forum import services as forums
    from notifications import services as notifications

    mark = MARKS[key]
    users = _side_users(tree, key)
    secretariat, head, admin = (as_user(users[role]) for role in ("secretariat", "head", "admin"))
    opd = accounts.create_opd(admin, code=mark.upper(), name=f"Dinas {mark}", kind="dinas")
    opd_head = accounts.create_user(
        admin,
        password=PASSWORD,
        email=f"kepala.{mark.lower()}@example.org",
        name=f"Kepala {mark}",
        role=Role.OPD_HEAD,
        opd_id=opd.id,
    )
    dinkes = tree.opds[f"{key}:DINKES"]
    forum = forums.create_forum(
        secretariat, **{**FGD, "title": f"Rapat Internal {mark}", "organiser_opd_id": tree.opds[f"{key}:BAPPEDA"]}
    )
    person = forums.add_participant(
        secretariat, forum.id, **participant(tree.world, name=f"Peserta {mark}", opd=None, opd_id=opd.id)
    )
    recommendation = forums.add_recommendation(secretariat, forum.id, text=f"Rekomendasi {mark}")
    series = forums.create_series(secretariat, title=f"Seri {mark}")
    action = follow_up(secretariat, recommendation.id, f"Tugas {mark}", 2, lead_opd_id=dinkes, support_opd_ids=[opd.id])
    assignment = next(a for a in action.assignments if a.opd_id == dinkes)
    actions.acknowledge(head, assignment.id, pic_name=f"Pelaksana {mark}")
    report = actions.report_progress(
        head, assignment.id, percent=10, note=f"Catatan {mark}", files=[_pdf(f"bukti-{mark.lower()}.pdf")]
    )
    decree = follow_up(secretariat, recommendation.id, f"SK Tim {mark}", 20, kind="decree", lead_opd_id=dinkes)
    member = decrees.add_decree_member(
        secretariat, decree.id, name=f"Anggota {mark}", opd_id=None, position=None, team_role="anggota"
    )
    leave = notifications.add_collective_leave(admin, date(2025, 12, 26), f"Cuti {mark}")
    mail = notifications.queue_test_email(admin, f"uji.{mark.lower()}@example.org")
    from accounts.models import User

    emails = list(db.session.scalars(sa.select(User.email).where(User.government_id == tree.govs[key])))
    side = Side(key, tree.govs[key], mark, users, sorted({*emails, opd_head.email}))
    side.ids = {
        "forum_id": forum.id,
        "participant_id": person.id,
        "recommendation_id": recommendation.id,
        "series_id": series.id,
        "action_id": action.id,
        "decree_action_id": decree.id,
        "assignment_id": assignment.id,
        "evidence_id": report.evidence[0].id,
        "member_id": member.id,
        "leave_id": leave.id,
        "message_id": mail.id,
        "user_id": opd_head.id,
        "opd_id": opd.id,
        "document": "notulen",
    }
    side.token = accounts.calendar_token(as_user(users["head"]))
    from accounts import tokens

    token, _secret = tokens.create_token(as_user(users["head"]), name=f"Token {mark}", scope="read", days=30)
    side.ids["token_id"] = token.id
    from notifications import endpoints

    webhook, _secret = endpoints.create_endpoint(
        admin, f"http://127.0.0.1:5119/{mark}", ["assignment.created"], allowed_host="127.0.0.1"
    )
    side.ids["webhook_id"] = webhook.id
    return side


def _build_shared(tree, sides: dict[str, Side]) -> int:
    """The province's FGD, attended by both siblings' Dinkes; its follow-up goes to every OPD present."""
    from actions import services as actions
    from forum import services as forums

    secretariat = as_user(tree.users["prov_secretariat"])
    forum = forums.create_forum(
        secretariat, **{**FGD, "title": "FGD Bersama Banten", "organiser_opd_id": tree.opds["prov:BAPPEDA"]}
    )
    for key in sides:
        values = participant(tree.world, name=f"Peserta undangan {key}", opd=None, opd_id=tree.opds[f"{key}:DINKES"])
        forums.add_participant(secretariat, forum.id, **values)
    recommendation = forums.add_recommendation(secretariat, forum.id, text="Informasikan kepada kepala OPD")
    action = follow_up(secretariat, recommendation.id, "Informasikan hasil FGD kepada kepala OPD", 7, all_present=True)
    for key, side in sides.items():
        assignment = next(a for a in action.assignments if a.opd_id == tree.opds[f"{key}:DINKES"])
        head = as_user(side.users["head"])
        actions.acknowledge(head, assignment.id, pic_name="Pelaksana")
        report = actions.report_progress(
            head, assignment.id, percent=30, note=f"Laporan bersama {side.mark}", files=[_pdf("bukti-bersama.pdf")]
        )
        side.shared = {"assignment_id": assignment.id, "evidence_id": report.evidence[0].id}
    return forum.id


@pytest.fixture
def estate(app, tree):
    """Both siblings' data, the shared forum and the reminders planned (new-task mail, digests, test emails)."""
    from notifications import planner

    with app.app_context():
        sides = {key: _build_side(tree, key) for key in ("kota", "kab")}
        shared_forum = _build_shared(tree, sides)
        planner.plan()  # the digests of the tasks due in two days
        db.session.remove()
    return SimpleNamespace(sides=sides, shared_forum=shared_forum, tree=tree)


@pytest.fixture
def csrf_app(make_app, estate):
    return make_app(WTF_CSRF_ENABLED=True)


# --- reading what came back ------------------------------------------------------------------------------------


def readable(response) -> str:
    """The text of a response: a page, a sheet's cells, a PDF's words, a feed."""
    body = response.get_data()
    mimetype = response.mimetype or ""
    if "spreadsheet" in mimetype:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(value) for sheet in book for row in sheet.iter_rows(values_only=True) for value in row if value
        )
    if mimetype == "application/pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
        except PdfReadError:  # an uploaded file, not one Kawal made: its bytes as they are
            return body.decode("latin-1")
    return body.decode("utf-8", "replace")


def leaked(response, endpoint: str | None, other: Side) -> list[str]:
    """The other sibling's words that a response shows."""
    if response.status_code >= 300:
        return []
    text = shown(endpoint, readable(response))  # an OPD picker may name any government's OPDs
    return [secret for secret in other.secrets() if secret in text]


def refused(response) -> bool:
    if response.status_code in (403, 404):
        return True
    return response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")


def snapshot(app) -> dict[str, list]:
    """Every row of every table (but the columns a refused request may touch), to prove nothing changed."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            columns = [column for column in table.columns if column.name not in VOLATILE]
            rows[table.name] = sorted(map(tuple, db.session.execute(sa.select(*columns))), key=repr)
        db.session.remove()
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


# --- the attempts ----------------------------------------------------------------------------------------------


class Attempts:
    """Counts the attempts and keeps the ones let through, the 500s and the leaks, for one report at the end."""

    def __init__(self):
        self.made = 0
        self.allowed: list[str] = []
        self.errors: list[str] = []
        self.leaks: list[str] = []

    def check(self, response, where: str, endpoint: str | None, other: Side, *, must_refuse: bool) -> None:
        self.made += 1
        if response.status_code >= 500:
            self.errors.append(f"{where}: {response.status_code}")
        elif must_refuse and not refused(response):
            self.allowed.append(f"{where}: {response.status_code}")
        words = leaked(response, endpoint, other)
        if words:
            self.leaks.append(f"{where}: shows {words}")

    def report(self) -> str:
        lines = [
            f"{self.made} attempts, {len(self.allowed)} allowed, {len(self.errors)} errors, {len(self.leaks)} leaks"
        ]
        for title, items in (("allowed", self.allowed), ("500", self.errors), ("leaks", self.leaks)):
            lines += [f"  {title}: {item}" for item in items]
        return "\n".join(lines)


def client_for(app, user_id: int):
    client = app.test_client()
    login(client, user_id)
    return client


def csrf_token(client) -> str:
    """The session's CSRF token, from a page that writes nothing (the calendar page makes a feed token)."""
    page = client.get("/account/password").get_data(as_text=True)
    _links, forms = parse_page("/account/password", page)
    return next(f.value for form in forms for f in form.fields if f.name == "csrf_token")


def id_routes(app):
    """(endpoint, method, rule) for every route that names one thing by id; a secret token in the address (the
    email's acknowledge link, the calendar feed) is its own permission, and the feed is read on its own below.
    The API's are left to tests/api/ (a session opens none of them: 401, which this test would count as allowed)."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue
        if not rule.arguments or rule.endpoint in NOT_AN_ENTITY or rule.arguments <= {"token"}:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule.endpoint, method, rule


def list_routes(app):
    """Every GET route without arguments: lists, aggregates, exports, settings, the delivery log."""
    for rule in app.url_map.iter_rules():
        if not rule.arguments and "GET" in rule.methods and rule.endpoint not in {"static", "health"}:
            yield rule.endpoint, rule.rule


def urls_of(rule, side: Side, *, shared: bool = True) -> list[str]:
    """The rule built with the side's ids; an assignment's and evidence's routes also with its shared task (unless
    not `shared`: the shared forum is the province's, whose secretariat rightly verifies its tasks)."""
    args = {**side.ids, "government_id": side.gov}
    if "decree" in rule.endpoint:
        args["action_id"] = side.ids["decree_action_id"]
    missing = rule.arguments - set(args)
    assert not missing, f"{rule.endpoint} names {missing}: give Side.ids one of the side's own"
    urls = [rule.build(args, append_unknown=False)[1]]
    if shared and rule.arguments & {"assignment_id", "evidence_id"}:
        urls.append(rule.build({**args, **side.shared}, append_unknown=False)[1])
    if rule.endpoint == "reports.forum_pdf":
        urls += [rule.build({**args, "document": d}, append_unknown=False)[1] for d in ("berita-acara", "daftar-hadir")]
    return urls


def owner_role(endpoint: str) -> str:
    """Who of the owner's people sees an id page's forms: the head its tasks, the admin its accounts."""
    if endpoint == "actions.assignment_view":
        return "head"
    return "admin" if endpoint.startswith("accounts.") else "secretariat"


def owners_forms(app, side: Side) -> dict[str, list]:
    """The forms the side's own people see on its pages, by the path they post to, with valid values."""
    crawler = Crawler(app, query_variants=False, hostile=False)
    identities = {
        role: Identity(role, client_for(app, side.users[role]), PASSWORD, side.users[role])
        for role in ("secretariat", "head", "admin")
    }
    forms: dict[str, list] = {}
    for endpoint, method, rule in id_routes(app):
        if method != "GET" or endpoint in DOWNLOADS:
            continue
        identity = identities[owner_role(endpoint)]
        for url in urls_of(rule, side):
            response = identity.client.get(url)
            if response.mimetype != "text/html" or response.status_code != 200:
                continue
            for form in parse_page(url, response.get_data(as_text=True))[1]:
                if form.method == "POST":
                    forms.setdefault(urlsplit(form.action).path, crawler.valid_values(form, identity))
    return forms


def attack(app, attacker_ids: dict[str, int], victim: Side, forms: dict[str, list], attempts: Attempts, label: str):
    """Every id route with the victim's ids, by GET and POST, as each of the attacker's roles."""
    for role, user_id in attacker_ids.items():
        client = client_for(app, user_id)
        token = csrf_token(client)
        for endpoint, method, rule in id_routes(app):
            for url in urls_of(rule, victim):
                where = f"{method} {url} ({endpoint}) as {label} {role}"
                if method == "GET":
                    response = client.get(url)
                else:
                    values = [(k, v) for k, v in forms.get(urlsplit(url).path, []) if k != "csrf_token"]
                    data = MultiDict([("csrf_token", token), *Crawler._files(values)])
                    response = client.post(url, data=data)
                attempts.check(response, where, endpoint, victim, must_refuse=True)


def read_lists(app, reader_ids: dict[str, int], other: Side, attempts: Attempts, label: str, queries=("",)):
    """Every list, aggregate, export and settings page, plain and filtered by the other's ids: none shows it.
    A file (a sheet, a PDF) is read plain and with the first filter only: it costs ten pages."""
    for role, user_id in reader_ids.items():
        client = client_for(app, user_id)
        for endpoint, path in list_routes(app):
            for query in queries if not path.endswith((".xlsx", ".pdf")) else queries[:2]:
                response = client.get(path + query)
                attempts.check(response, f"GET {path}{query} as {label} {role}", endpoint, other, must_refuse=False)


def filters_naming(side: Side) -> tuple[str, ...]:
    ids = side.ids
    return (
        "",
        f"?opd={ids['opd_id']}&government={side.gov}",
        f"?forum={ids['forum_id']}&series={ids['series_id']}&page=1",
    )


@pytest.mark.parametrize("direction", ["kab->kota", "kota->kab"])
def test_a_sibling_reaches_nothing_of_the_other(csrf_app, estate, direction, crawl_summary):
    attacker_key, victim_key = direction.split("->")
    attacker, victim = estate.sides[attacker_key], estate.sides[victim_key]
    forms = owners_forms(csrf_app, victim)
    assert len(forms) >= 15, sorted(forms)  # the owner's own forms were found, so the POSTs carry real values
    before = snapshot(csrf_app)
    attempts = Attempts()
    attack(csrf_app, attacker.users, victim, forms, attempts, attacker_key)
    after = snapshot(csrf_app)
    read_lists(csrf_app, attacker.users, victim, attempts, attacker_key, filters_naming(victim))
    # The attacker's own calendar feed holds only what it may see; the victim's settings stay the victim's.
    feed = csrf_app.test_client().get(f"/calendar/{attacker.token}.ics")
    attempts.check(feed, f"GET own calendar feed as {attacker_key} head", None, victim, must_refuse=False)
    assert feed.status_code == 200
    backend = csrf_app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    crawl_summary(
        f"isolation ({backend}, {attacker_key} → {victim_key}): {attempts.made} attempts, "
        f"{len(attempts.allowed)} allowed, {len(attempts.leaks)} showing the other's data"
    )
    assert attempts.made >= 400
    changed = changed_tables(before, after)
    assert not (attempts.allowed or attempts.errors or attempts.leaks or changed), (
        f"{attempts.report()}\ntables a refused request changed: {changed}"
    )


def _kab_admins_form(csrf_app, estate, path: str, endpoint: str):
    """The kabupaten admin's client and the valid values of the form its page posts back to itself; the page shows
    nothing of the kota's."""
    kab, kota = estate.sides["kab"], estate.sides["kota"]
    client = client_for(csrf_app, kab.users["admin"])
    page = client.get(path)
    assert page.status_code == 200
    assert leaked(page, endpoint, kota) == []
    _links, forms = parse_page(path, page.get_data(as_text=True))
    crawler = Crawler(csrf_app, query_variants=False, hostile=False)
    identity = Identity("kab admin", client, PASSWORD, kab.users["admin"])
    save = next(f for f in forms if f.method == "POST" and urlsplit(f.action).path == path)
    return client, MultiDict(crawler.valid_values(save, identity))


def test_the_siblings_settings_stay_their_own(csrf_app, estate):
    """The kabupaten's admin saves its reminder policy and cuti bersama; the kota's stay as they were."""
    kab, kota = estate.sides["kab"], estate.sides["kota"]
    client, values = _kab_admins_form(csrf_app, estate, "/admin/settings", "notifications.settings")
    values["send_time"] = "06:15"
    assert client.post("/admin/settings", data=values).status_code in (200, 302, 303)
    leave = [("csrf_token", csrf_token(client)), ("day", "2025-12-29"), ("name", "Cuti Kabupaten")]
    assert client.post("/admin/settings/leave", data=MultiDict(leave)).status_code in (200, 302, 303)
    with csrf_app.app_context():
        from core.calendar import CollectiveLeave
        from notifications.models import ReminderSettings

        send_times = dict(
            db.session.execute(sa.select(ReminderSettings.government_id, ReminderSettings.send_time)).tuples().all()
        )
        days = {
            key: set(
                db.session.scalars(sa.select(CollectiveLeave.name).where(CollectiveLeave.government_id == side.gov))
            )
            for key, side in estate.sides.items()
        }
        db.session.remove()
    assert days == {"kota": {"Cuti Zamrud"}, "kab": {"Cuti Safir", "Cuti Kabupaten"}}
    assert send_times.get(kab.gov) == "06:15" and send_times.get(kota.gov) != "06:15", send_times


def test_the_siblings_document_settings_stay_their_own(csrf_app, estate):
    """The kabupaten's admin saves its numbering format and the head who signs; the kota's stay as they were, and
    naming the kota's government in the address is refused."""
    kota = estate.sides["kota"]
    client, values = _kab_admins_form(csrf_app, estate, "/admin/documents", "forum.document_settings")
    values["numbering_format"] = "{seq}/BA/Kab/{year}"
    values["signer_name"] = "Kepala Kabupaten"
    values["signer_nip"] = "19700101 199503 1 001"  # the crawler's text for a field is no NIP
    values.pop("logo", None)
    assert client.post("/admin/documents", data=values).status_code == 302
    assert client.post(f"/admin/documents?government={kota.gov}", data=values).status_code == 403
    with csrf_app.app_context():
        from accounts.models import Government

        rows = {
            key: db.session.execute(
                sa.select(Government.numbering_format, Government.signer_name).where(Government.id == side.gov)
            ).one()
            for key, side in estate.sides.items()
        }
        db.session.remove()
    assert tuple(rows["kab"]) == ("{seq}/BA/Kab/{year}", "Kepala Kabupaten")
    assert rows["kota"].numbering_format != "{seq}/BA/Kab/{year}" and rows["kota"].signer_name != "Kepala Kabupaten"


def test_the_shared_forum_shows_each_sibling_its_own_task(csrf_app, estate):
    for key, side in estate.sides.items():
        other = estate.sides[SIBLING[key]]
        for role in ("secretariat", "head", "viewer"):
            client = client_for(csrf_app, side.users[role])
            page = client.get(f"/forums/{estate.shared_forum}")
            assert page.status_code == 200, (key, role)
            assert "FGD Bersama Banten" in page.get_data(as_text=True)
            assert leaked(page, "forum.forum_view", other) == [], (key, role)
            tasks = client.get("/actions").get_data(as_text=True)
            assert "Informasikan hasil FGD kepada kepala OPD" in tasks, (key, role)
            assert other.mark not in tasks
        head = client_for(csrf_app, side.users["head"])
        own = head.get(f"/assignments/{side.shared['assignment_id']}")
        assert own.status_code == 200 and f"Laporan bersama {side.mark}" in own.get_data(as_text=True)
        assert head.get(f"/evidence/{side.shared['evidence_id']}").status_code == 200
        assert refused(head.get(f"/assignments/{other.shared['assignment_id']}"))
        assert refused(head.get(f"/evidence/{other.shared['evidence_id']}"))


PARENT_READS = ("forum.forum_view", "actions.action_view", "actions.assignment_view", "forum.series_view")
# What editing a forum of the government below, or deciding on its tasks, takes: all refused to the parent, which
# sees but does not edit (the government that assigned a task verifies it).
PARENT_EDITS = {
    "forum.forum_edit",
    "forum.forum_minutes",
    "forum.forum_status",
    "forum.participant_new",
    "forum.participant_edit",
    "forum.participant_delete",
    "forum.participant_import",
    "forum.participant_import_confirm",
    "forum.participant_import_columns",
    "forum.participant_import_template",
    "forum.recommendation_new",
    "forum.recommendation_edit",
    "forum.recommendation_delete",
    "forum.recommendation_move",
    "forum.series_edit",
    "actions.action_new",
    "actions.action_edit",
    "actions.action_cancel",
    "actions.action_add_opd",
    "actions.decree_save",
    "actions.decree_stage",
    "actions.decree_member_add",
    "actions.decree_member_delete",
    "actions.carry_over",
    "actions.assignment_verify",
    "actions.assignment_cannot_decision",
    "actions.assignment_cancel",
    "actions.assignment_due_date",
    "actions.assignment_reassign",
}


def test_the_parent_sees_both_siblings_and_edits_neither(csrf_app, estate, crawl_summary):
    tree = estate.tree
    parent = {role: tree.users[f"prov_{role}"] for role in ROLES}
    attempts, changed = Attempts(), {}
    for key, side in estate.sides.items():
        forms = owners_forms(csrf_app, side)
        secretariat = client_for(csrf_app, parent["secretariat"])
        for endpoint, method, rule in id_routes(csrf_app):
            if endpoint in PARENT_READS and method == "GET":
                url = urls_of(rule, side)[0]
                page = secretariat.get(url)
                assert page.status_code == 200 and side.mark in page.get_data(as_text=True), (url, page.status_code)
        lists = "\n".join(secretariat.get(path).get_data(as_text=True) for path in ("/forums", "/actions"))
        assert f"Rapat Internal {side.mark}" in lists and f"Tugas {side.mark}" in lists, key
        before = snapshot(csrf_app)
        for role in ("secretariat", "admin"):  # the roles that edit at all; the matrix covers the others
            user_id = parent[role]
            client = client_for(csrf_app, user_id)
            token = csrf_token(client)
            for endpoint, method, rule in id_routes(csrf_app):
                if endpoint not in PARENT_EDITS:
                    continue
                for url in urls_of(rule, side, shared=False):
                    if method == "GET":
                        response = client.get(url)
                    else:
                        values = [(k, v) for k, v in forms.get(urlsplit(url).path, []) if k != "csrf_token"]
                        response = client.post(url, data=MultiDict([("csrf_token", token), *Crawler._files(values)]))
                    attempts.made += 1
                    if response.status_code >= 500:
                        attempts.errors.append(f"{method} {url} ({endpoint}) as prov {role}: {response.status_code}")
                    elif method == "POST" and not refused(response):
                        attempts.allowed.append(f"{method} {url} ({endpoint}) as prov {role}: {response.status_code}")
        changed[key] = changed_tables(before, snapshot(csrf_app))
    backend = csrf_app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    crawl_summary(f"isolation ({backend}, prov edits below): {attempts.made} attempts, {len(attempts.allowed)} allowed")
    assert not (attempts.allowed or attempts.errors) and changed == {"kota": [], "kab": []}, (
        f"{attempts.report()}\ntables the province changed: {changed}"
    )
