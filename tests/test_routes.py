"""The role × route matrix: every route, every role, every method.

A route missing from EXPECTED fails the test, so a new route cannot ship without saying who may use it.
"""

import pytest

from core.permissions import SYSTEM
from tests.conftest import as_user, login

# opd_head and opd_staff belong to DINKES, which owns the sample task; other_head heads DP3AP2KB.
EVERYONE = {"admin", "secretariat", "opd_head", "opd_staff", "viewer", "other_head"}
EDITORS = {"admin", "secretariat"}
VERIFIERS = {"admin", "secretariat"}
ADMIN = {"admin"}
OWN_HEAD = {"opd_head"}
OWN_OPD = {"opd_head", "opd_staff"}
PUBLIC = {
    "static",
    "home",
    "health",
    "accounts.login",
    "accounts.language",
    "accounts.set_password",  # the signed link is the key
    "notifications.acknowledge_link",
    "reports.calendar_feed",
}

EXPECTED = {
    "accounts.logout": EVERYONE,
    "accounts.password": EVERYONE,
    "accounts.logout_everywhere": EVERYONE,
    "accounts.tokens": EVERYONE,
    "accounts.token_revoke": EVERYONE,  # one's own tokens only: another's is not found
    "accounts.users": ADMIN,
    "accounts.user_new": ADMIN,
    "accounts.user_edit": ADMIN,
    "accounts.user_reset_password": ADMIN,
    "accounts.user_set_active": ADMIN,
    "accounts.opds": ADMIN,
    "accounts.opd_new": ADMIN,
    "accounts.opd_edit": ADMIN,
    "accounts.user_send_password_link": ADMIN,
    "accounts.onboarding_import": ADMIN,
    "accounts.onboarding_confirm": ADMIN,
    "accounts.onboarding_template": ADMIN,
    # The governments themselves are the instance admin's (tests/accounts/test_administration.py): the world's
    # admin administers its own government only.
    "accounts.governments": set(),
    "accounts.government_new": set(),
    "accounts.government_edit": set(),
    "forum.series_list": EVERYONE,
    "forum.series_view": EVERYONE,
    "forum.series_new": EDITORS,
    "forum.series_edit": EDITORS,
    "forum.forum_list": EVERYONE,
    "forum.forum_new": EDITORS,
    "forum.forum_view": EVERYONE,
    "forum.forum_edit": EDITORS,
    "forum.forum_minutes": EDITORS,
    "forum.forum_number": EDITORS,
    "forum.forum_status": EDITORS,
    "forum.forum_history": EDITORS,
    "forum.participant_new": EDITORS,
    "forum.participant_edit": EDITORS,
    "forum.participant_delete": EDITORS,
    "forum.participant_import": EDITORS,
    "forum.participant_import_confirm": EDITORS,
    "forum.participant_import_columns": EDITORS,
    "forum.participant_import_template": EDITORS,
    "forum.recommendation_new": EDITORS,
    "forum.recommendation_edit": EDITORS,
    "forum.recommendation_delete": EDITORS,
    "forum.recommendation_move": EDITORS,
    "forum.recommendation_paste": EDITORS,
    "actions.my_tasks": EVERYONE,
    "actions.action_list": EVERYONE,
    "actions.action_new": EDITORS,
    "actions.action_view": EVERYONE,
    "actions.action_edit": EDITORS,
    "actions.action_add_opd": EDITORS,
    "actions.action_cancel": VERIFIERS,
    "actions.assignment_view": EVERYONE,
    "actions.assignment_acknowledge": OWN_HEAD,
    "actions.assignment_pic": OWN_HEAD,
    "actions.assignment_progress": OWN_OPD,
    "actions.assignment_submit": OWN_HEAD,
    "actions.assignment_cannot": OWN_HEAD,
    "actions.assignment_verify": VERIFIERS,
    "actions.assignment_cannot_decision": VERIFIERS,
    "actions.assignment_cancel": VERIFIERS,
    "actions.assignment_due_date": EDITORS,
    "actions.assignment_reassign": EDITORS,
    "actions.evidence_download": {"admin", "secretariat", "opd_head", "opd_staff"},
    "actions.decree_list": EVERYONE,
    "actions.decree_view": EVERYONE,
    "actions.decree_save": EDITORS,
    "actions.decree_stage": EDITORS,
    "actions.decree_member_add": EDITORS,
    "actions.decree_member_delete": EDITORS,
    "actions.decree_member_paste": EDITORS,
    "actions.carry_over": EDITORS,
    "notifications.delivery_log": VERIFIERS,
    "notifications.requeue": VERIFIERS,
    "notifications.preview": VERIFIERS,
    "forum.document_settings": ADMIN,
    "notifications.settings": ADMIN,
    "notifications.settings_save": ADMIN,
    "notifications.leave_add": ADMIN,
    "notifications.leave_delete": ADMIN,
    "notifications.test_email": ADMIN,
    "notifications.webhooks": ADMIN,
    "notifications.webhook_add": ADMIN,
    "notifications.webhook_view": ADMIN,
    "notifications.webhook_save": ADMIN,
    "notifications.webhook_delete": ADMIN,
    "notifications.webhook_ping": ADMIN,
    "notifications.dev_mail": VERIFIERS,
    "notifications.dev_mail_view": VERIFIERS,
    "notifications.dev_mail_html": VERIFIERS,
    "reports.dashboard": EVERYONE,
    "reports.present": EVERYONE,
    "reports.present_review": EDITORS,
    "reports.compliance": EVERYONE,
    "reports.opd_page": EVERYONE,
    "reports.followups_xlsx": EVERYONE,
    "reports.compliance_xlsx": EVERYONE,
    "reports.forum_pdf": EVERYONE,
    "reports.meeting_report_pdf": EVERYONE,  # the owner is sent to its Berita Acara
    "reports.rekapitulasi_pdf": EVERYONE,
    "reports.calendar_settings": EVERYONE,
}


@pytest.fixture
def sample_ids(app, world):
    """One of each thing a URL can name; the user named is a spare account, so POSTs harm no tester."""
    import io

    from werkzeug.datastructures import FileStorage

    from accounts import services as accounts
    from actions import decrees
    from actions import services as actions
    from forum import services as forums
    from tests.actions.helpers import dinkes_assignment, make_action
    from tests.forum.helpers import make_forum, participant

    with app.app_context():
        forum = make_forum(world)
        secretariat = as_user(world.users["secretariat"].id)
        person = forums.add_participant(secretariat, forum.id, **participant(world))
        recommendation = forums.add_recommendation(secretariat, forum.id, text="Keswa di Puskesmas")
        series = forums.create_series(secretariat, title="PPT Kespro 2026")
        spare = accounts.create_user(
            SYSTEM, password="sandi-cadangan", email="cadangan@example.org", name="C", role="viewer"
        )
        action = make_action(world, forum=forum, kind="decree", lead="DINKES", support=())
        assignment = dinkes_assignment(action)
        head = as_user(world.users["opd_head"].id)
        actions.acknowledge(head, assignment.id)
        pdf = FileStorage(io.BytesIO(b"%PDF-1.4\n"), filename="bukti.pdf")
        report = actions.report_progress(head, assignment.id, percent=10, note="x", files=[pdf])
        member = decrees.add_decree_member(
            secretariat, action.id, name="Anggota", opd_id=None, position=None, team_role="anggota"
        )
        from datetime import date

        from notifications import services as notifications

        leave = notifications.add_collective_leave(SYSTEM, date(2025, 12, 26), "Cuti bersama Natal")
        mail = notifications.queue_test_email(SYSTEM, "uji@example.org")
        from notifications import endpoints

        webhook, _ = endpoints.create_endpoint(
            SYSTEM, "http://127.0.0.1:5149/hook", ["assignment.created"], allowed_host="127.0.0.1"
        )
        from accounts import tokens

        token, _secret = tokens.create_token(spare, name="Cadangan", scope="read", days=30)
        return {
            "webhook_id": webhook.id,
            "message_id": mail.id,
            "leave_id": leave.id,
            "name": "contoh.eml",
            "token": "bukan-token",
            "document": "notulen",
            "action_id": action.id,
            "assignment_id": assignment.id,
            "evidence_id": report.evidence[0].id,
            "member_id": member.id,
            "forum_id": forum.id,
            "participant_id": person.id,
            "recommendation_id": recommendation.id,
            "series_id": series.id,
            "user_id": spare.id,
            "token_id": token.id,
            "opd_id": world.opds["PKM-CIBODAS"],
            "government_id": accounts.get_user(world.users["admin"].id).government_id,
        }


def _page_rules(app):
    """Every rule but the API's: a token, not a session, opens those, and tests/api/test_matrix.py holds their
    role × operation matrix (a session cookie gets 401 from every one, tests/api/test_basics.py)."""
    return [rule for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/")]


def _routes(app):
    for rule in _page_rules(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in _page_rules(app)}
    assert endpoints - PUBLIC - set(EXPECTED) == set(), "add the new routes to EXPECTED"
    assert set(EXPECTED) - endpoints == set(), "EXPECTED names routes that no longer exist"


@pytest.mark.parametrize("role", [None, "admin", "secretariat", "opd_head", "opd_staff", "viewer", "other_head"])
def test_role_route_matrix(app, world, sample_ids, role):
    checked = 0
    for rule, method in _routes(app):
        if rule.endpoint in PUBLIC:
            continue
        url = rule.build(sample_ids, append_unknown=False)[1]
        client = app.test_client()
        if role:
            login(client, world.users[role].id)
        response = client.open(url, method=method)
        where = f"{method} {url} as {role}"
        if role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], where
        elif role in EXPECTED[rule.endpoint]:
            assert response.status_code not in (401, 403) and response.status_code < 500, where
        else:
            assert response.status_code == 403, where
        checked += 1
    assert checked >= len(EXPECTED)


# Roles of other governments (the `tree` fixture) and the role of the world's they match in EXPECTED: a sibling's
# or the parent's head is, for the world's task, a head of another OPD.
KIND = {"secretariat": "secretariat", "head": "other_head", "admin": "admin", "viewer": "viewer"}
# What the parent government may do with the things of a government below it: read them, as the matching role of
# that government would; it edits none of them, and manages none of its accounts, OPDs or settings.
PARENT_READS = {
    "forum.series_view",
    "forum.forum_view",
    "forum.forum_history",
    "actions.action_view",
    "actions.assignment_view",
    "actions.evidence_download",
    "actions.decree_view",
    "reports.opd_page",
    "reports.forum_pdf",
}
NOT_ENTITIES = {"name", "document"}  # a dev mail's file name, a PDF's kind: no government's thing


def _names_a_thing(rule) -> bool:
    return bool(rule.arguments - NOT_ENTITIES)


@pytest.mark.parametrize("role", [f"{gov}_{kind}" for gov in ("kab", "prov") for kind in KIND])
def test_role_route_matrix_across_governments(app, tree, sample_ids, role):
    """The sample things are the kota's. Its sibling kabupaten is refused every route that names one of them; its
    parent province reads them (as the matching role would) and is refused every change."""
    gov, kind = role.split("_")
    sample_ids = {**sample_ids, "government_id": tree.govs["kota"]}
    client = app.test_client()
    login(client, tree.users[role])
    checked, wrong = 0, []
    for rule, method in _routes(app):
        if rule.endpoint in PUBLIC or not _names_a_thing(rule):
            continue
        url = rule.build(sample_ids, append_unknown=False)[1]
        status = client.open(url, method=method).status_code
        reads = gov == "prov" and method == "GET" and rule.endpoint in PARENT_READS
        # An empty POST may be turned back as an invalid form before the thing is looked up (a redirect, which
        # shows nothing); tests/test_isolation.py posts the owner's own valid values and wants 403 or 404.
        refusals = (403, 404, 302, 303) if method == "POST" else (403, 404)
        if status != 200 if reads and KIND[kind] in EXPECTED[rule.endpoint] else status not in refusals:
            wrong.append(f"{method} {url} ({rule.endpoint}) as {role}: {status}")
        checked += 1
    assert checked >= 50
    assert wrong == [], "\n".join(wrong)  # all of them at once: they show which rule is missing


@pytest.mark.parametrize(
    "url",
    [
        "/forums/99999999999999999999",
        "/forums/2147483648/edit",
        "/series/0",
        "/admin/users/99999999999",
        "/forums?page=99999999&opd=99999999999999999999",
        "/forums/1/participants/99999999999/edit",
    ],
)
def test_absurd_ids_are_not_found_never_a_crash(client_as, url):
    assert client_as("admin").get(url).status_code in (200, 404)
