"""The role × operation matrix of the API: every operation of the OpenAPI document, every role of `world` and of
the governments of `tree`, on the things of the user's own government, a sibling's, a parent's and a child's, and
an id that does not exist. An operation may do only what the page that does the same allows the same user on the
same ids; a read answers 404 exactly where the page refuses (403 or 404).

The oracle is the pages themselves, asked with the user's session, never a copy of the rules: EXPECTED maps each
operation to the page (or the page's own service) that does the same, and an operation missing from it fails the
test. A list is checked through its items: each row it gives (whatever the filters name) must be one the user may
open through the item operation, which is itself checked against its page."""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.datastructures import FileStorage

from core.extensions import db
from tests.api.conftest import ApiClient, make_token
from tests.conftest import as_user, login
from tests.forum.helpers import FGD, participant

GOVERNMENTS = ("kota", "kab", "prov")
MISSING = 2**31 - 1  # an id that names nothing
DUE = date(2025, 12, 16) + timedelta(days=5)
READ_REFUSED = {403, 404}


@dataclass(frozen=True)
class Page:
    """The page that does what the operation does: its endpoint and method, and its URL's arguments from the
    operation's path parameters (by default the same names)."""

    endpoint: str
    method: str = "GET"
    args: dict[str, str] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)  # a parameter filled by another kind of thing
    # A change's request, valid, so that only a permission can refuse it (a 422 before the service proves nothing):
    # JSON, or multipart/form-data when `files` names its file fields (each gets a small PDF).
    # "@name" in a body is that thing of the task's government ("@bappeda_id": its Bappeda).
    body: dict = field(default_factory=dict)
    files: tuple[str, ...] = ()
    status: str = "in_progress"  # a change is tried on a fresh task of each government in this status

    def refuses(self, app, user_id: int, ids: dict) -> int | None:
        """The page's refusal (403 or 404) of this user on these ids, or None where it lets them through."""
        with app.test_request_context():
            url = url_for(self.endpoint, **{self.args.get(name, name): value for name, value in ids.items()})
        client = app.test_client()
        login(client, user_id)
        response = client.open(url, method=self.method)
        assert response.status_code < 500, f"{self.method} {url}: {response.status_code}"
        assert response.status_code not in (301, 302, 303) or "/login" not in response.headers["Location"], url
        return response.status_code if response.status_code in READ_REFUSED else None


@dataclass(frozen=True)
class PageService:
    """A page that takes the thing as a filter rather than in its address (the dashboard's government picker):
    the function of the page's own service that accepts or refuses it, called as the user."""

    name: str
    refuses_as: Callable[[object, dict], bool]
    samples: dict[str, str] = field(default_factory=dict)

    def refuses(self, app, user_id: int, ids: dict) -> int | None:
        """404 where the page's service refuses (the government is not one the user may see), else None."""
        with app.app_context():
            refused = self.refuses_as(as_user(user_id), ids)
            db.session.remove()
        return 404 if refused else None


@dataclass(frozen=True)
class ListOf:
    """A list: each row it gives must be one the item operation (`GET {path}/{id}`) opens for the same user."""


@dataclass
class PageAnswers:
    """The pages' answers; a read's, which the attempts do not change, asked once per user and ids."""

    app: object
    reads: dict = field(default_factory=dict)

    def refuses(self, oracle, user_id: int, ids: dict, method: str = "GET") -> int | None:
        if method != "GET":
            return oracle.refuses(self.app, user_id, ids)
        key = (id(oracle), user_id, tuple(sorted(ids.items())))
        if key not in self.reads:
            self.reads[key] = oracle.refuses(self.app, user_id, ids)
        return self.reads[key]


def _government_refused(user, ids) -> bool:
    from core.errors import Invalid
    from reports import services

    try:
        services.government_filter(user, ids["government_id"])
    except Invalid:
        return True
    return False


# "METHOD path" of every operation → what the pages do the same with.
EXPECTED = {
    "GET /api/v1/governments": ListOf(),
    "GET /api/v1/governments/{government_id}": PageService("reports.services.government_filter", _government_refused),
    "GET /api/v1/opds": ListOf(),
    "GET /api/v1/opds/{opd_id}": Page("reports.opd_page"),
    "GET /api/v1/forums": ListOf(),
    "GET /api/v1/forums/{forum_id}": Page("forum.forum_view"),
    "GET /api/v1/forums/{forum_id}/participants": Page("forum.forum_view"),
    "GET /api/v1/forums/{forum_id}/recommendations": Page("forum.forum_view"),
    "GET /api/v1/decrees": ListOf(),
    "GET /api/v1/decrees/{action_id}": Page("actions.decree_view", samples={"action_id": "decree_id"}),
    "GET /api/v1/dashboard": Page("reports.dashboard", args={"government_id": "government"}),
    "GET /api/v1/compliance": Page("reports.compliance", args={"government_id": "government"}),
    "GET /api/v1/actions": ListOf(),
    "GET /api/v1/actions/{action_id}": Page("actions.action_view"),
    "GET /api/v1/assignments": ListOf(),
    "GET /api/v1/assignments/{assignment_id}": Page("actions.assignment_view"),
    "GET /api/v1/assignments/{assignment_id}/timeline": Page("actions.assignment_view"),
    "GET /api/v1/evidence/{evidence_id}": Page("actions.evidence_download"),
    "POST /api/v1/assignments/{assignment_id}/acknowledge": Page(
        "actions.assignment_acknowledge", "POST", body={"pic_name": "Pelaksana"}, status="assigned"
    ),
    "POST /api/v1/assignments/{assignment_id}/progress": Page(
        "actions.assignment_progress", "POST", body={"percent": "20", "note": "Berjalan"}, files=("files",)
    ),
    "POST /api/v1/assignments/{assignment_id}/pic": Page(
        "actions.assignment_pic", "POST", body={"pic_name": "Pelaksana Baru"}
    ),
    "POST /api/v1/assignments/{assignment_id}/submit": Page("actions.assignment_submit", "POST", body={}),
    "POST /api/v1/assignments/{assignment_id}/cannot": Page(
        "actions.assignment_cannot", "POST", body={"category": "budget", "reason": "Anggaran tidak tersedia."}
    ),
    "POST /api/v1/assignments/{assignment_id}/verify": Page(
        "actions.assignment_verify", "POST", body={"accept": False, "note": "Lengkapi buktinya."}, status="submitted"
    ),
    "POST /api/v1/assignments/{assignment_id}/cannot-decision": Page(
        "actions.assignment_cannot_decision",
        "POST",
        body={"approve": False, "note": "Tetap ditindaklanjuti."},
        status="cannot_requested",
    ),
    "POST /api/v1/assignments/{assignment_id}/cancel": Page(
        "actions.assignment_cancel", "POST", body={"reason": "Tidak relevan lagi."}
    ),
    "POST /api/v1/assignments/{assignment_id}/due-date": Page(
        "actions.assignment_due_date", "POST", body={"due_date": "2026-01-30", "reason": "Menunggu anggaran."}
    ),
    "POST /api/v1/assignments/{assignment_id}/reassign": Page(
        "actions.assignment_reassign", "POST", body={"opd_id": "@bappeda_id", "reason": "Bukan kewenangannya."}
    ),
}


def oracle_of(operation: str):
    return EXPECTED[operation]


def operations(app) -> list[tuple[str, str, dict]]:
    """(method, path, operation) of every operation the OpenAPI document describes."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _pdf(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n"), filename=name)


def _users(tree) -> dict[str, tuple[str, int]]:
    """Every user to try, by a label, with their government: world's roles (kota) and tree's (kab, prov)."""
    users = {name: ("kota", user.id) for name, user in tree.world.users.items()}
    users |= {name: (name.split("_")[0], user_id) for name, user_id in tree.users.items()}
    return users


def _things(tree, key: str) -> dict[str, int]:
    """One of each thing of a government, made as its own secretariat and head would: a forum with a participant
    and a recommendation, a follow-up given to its Dinkes (acknowledged, with progress and evidence), a decree."""
    from actions import services as actions
    from forum import services as forums

    world = tree.world.users
    secretariat = as_user(world["secretariat"].id if key == "kota" else tree.users[f"{key}_secretariat"])
    head = as_user(world["opd_head"].id if key == "kota" else tree.users[f"{key}_head"])
    dinkes = tree.opds[f"{key}:DINKES"]
    forum = forums.create_forum(
        secretariat, **{**FGD, "title": f"Rapat {key}", "organiser_opd_id": tree.opds[f"{key}:BAPPEDA"]}
    )
    person = forums.add_participant(secretariat, forum.id, **participant(tree.world, opd=None, opd_id=dinkes))
    recommendation = forums.add_recommendation(secretariat, forum.id, text=f"Rekomendasi {key}")
    due = DUE
    action = actions.create_action(
        secretariat, recommendation.id, kind="task", title=f"Tugas {key}", due_date=due, lead_opd_id=dinkes
    )
    assignment = next(a for a in action.assignments if a.opd_id == dinkes)
    actions.acknowledge(head, assignment.id, pic_name="Pelaksana")
    report = actions.report_progress(head, assignment.id, percent=10, note="Catatan", files=[_pdf("bukti.pdf")])
    decree = actions.create_action(
        secretariat, recommendation.id, kind="decree", title=f"SK {key}", due_date=due, lead_opd_id=dinkes
    )
    return {
        "government_id": tree.govs[key],
        "opd_id": dinkes,
        "bappeda_id": tree.opds[f"{key}:BAPPEDA"],
        "forum_id": forum.id,
        "participant_id": person.id,
        "recommendation_id": recommendation.id,
        "action_id": action.id,
        "decree_id": decree.id,
        "assignment_id": assignment.id,
        "evidence_id": report.evidence[0].id,
    }


def fresh_task(tree, key: str, status: str) -> int:
    """A new task of the government's Dinkes, brought to `status` by its own people, as the pages would."""
    from actions import services as actions
    from forum.models import Recommendation

    world = tree.world.users
    secretariat = as_user(world["secretariat"].id if key == "kota" else tree.users[f"{key}_secretariat"])
    head = as_user(world["opd_head"].id if key == "kota" else tree.users[f"{key}_head"])
    dinkes = tree.opds[f"{key}:DINKES"]
    recommendation = db.session.scalar(sa.select(Recommendation.id).where(Recommendation.text == f"Rekomendasi {key}"))
    action = actions.create_action(
        secretariat, recommendation, kind="task", title=f"Tugas {status} {key}", due_date=DUE, lead_opd_id=dinkes
    )
    assignment = next(a for a in action.assignments if a.opd_id == dinkes).id
    if status != "assigned":
        actions.acknowledge(head, assignment, pic_name="Pelaksana")
        actions.report_progress(head, assignment, percent=50, note="Berjalan", files=[_pdf("bukti.pdf")])
    if status == "submitted":
        actions.submit(head, assignment, note="Selesai")
    if status == "cannot_requested":
        actions.request_cannot(head, assignment, category="budget", reason="Anggaran tidak tersedia.")
    return assignment


@dataclass
class Tally:
    attempts: int = 0
    refused: int = 0
    done: int = 0
    beyond: int = 0  # done through the API where the page refuses
    wrong: list[str] = field(default_factory=list)

    def judge(self, where: str, status: int, page_refuses: int | None, *, read: bool) -> None:
        """One attempt: a read is refused exactly where the page refuses, and as it does (404 for what the user may
        not see, 403 for what the role may not do); a change is done (2xx) only where the page does not refuse."""
        self.attempts += 1
        done = 200 <= status < 300 or status == 304
        self.refused += not done
        self.done += done
        if status >= 500:
            self.wrong.append(f"{where}: {status}")
        elif done and page_refuses:
            self.beyond += 1
            self.wrong.append(f"{where}: {status} where the page refuses with {page_refuses}")
        elif read and page_refuses != (status if status in READ_REFUSED else None):
            self.wrong.append(f"{where}: {status}, the page {page_refuses or 'allows'}")


def _path_with(path: str, ids: dict) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", str(value))
    return path


def _id_query_parameters(operation: dict, samples: dict) -> list[str]:
    return [
        parameter["name"]
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query" and parameter.get("name") in samples
    ]


@pytest.fixture
def estate(app, tree):
    with app.app_context():
        things = {key: _things(tree, key) for key in GOVERNMENTS}
        db.session.remove()
    return things


def test_every_operation_is_in_the_matrix(app):
    described = {f"{method} {path}" for method, path, _operation in operations(app)}
    assert described - set(EXPECTED) == set(), "add the new operations to EXPECTED, with the page that does the same"
    assert set(EXPECTED) - described == set(), "EXPECTED names operations the document no longer describes"


def test_the_api_allows_nothing_the_pages_refuse(app, tree, estate, backend, crawl_summary):
    users = _users(tree)
    pages = PageAnswers(app)
    clients = {name: ApiClient(app, make_token(app, user_id)[1]) for name, (_gov, user_id) in users.items()}
    tally = Tally()
    items = {(method, path): op for method, path, op in operations(app)}
    never_done = []
    for method, path, operation in operations(app):
        oracle = oracle_of(f"{method} {path}")
        things = estate if method == "GET" else _fresh_tasks(app, tree, estate, oracle.status)
        done_before = tally.done
        for name, (_gov, user_id) in users.items():
            api = clients[name]
            if isinstance(oracle, ListOf):
                _check_list(pages, api, name, user_id, path, operation, items, estate, tally)
                continue
            for key, ids, query in _attempts(path, operation, oracle, things):
                url = _path_with(path, ids)
                body = _request_body(oracle, method, things.get(key, {}))
                response = api.client.open(url, method=method, query_string=query, headers=api._headers({}), **body)
                page_refuses = pages.refuses(oracle, user_id, ids | query, method)
                where = f"{method} {url}?{urlencode(query)} as {name}"
                tally.judge(where, response.status_code, page_refuses, read=method == "GET")
        if method != "GET" and tally.done == done_before:
            never_done.append(f"{method} {path}")
    crawl_summary(
        f"api matrix ({backend.name}): {tally.attempts} attempts, {tally.refused} refused, "
        f"{tally.beyond} allowed beyond the pages, {len(tally.wrong) - tally.beyond} other differences"
    )
    assert tally.wrong == [], "\n".join(tally.wrong)
    # A change nobody could make proves nothing (a wrong body is a 422 before any permission): fix its body.
    assert never_done == []
    assert tally.attempts >= len(operations(app)) * len(users)


def _request_body(oracle, method: str, things: dict) -> dict:
    """The keyword arguments of the test client's request that carry the operation's body, if it takes one."""
    if method == "GET":
        return {}
    body = {
        name: things.get(value[1:], MISSING) if isinstance(value, str) and value.startswith("@") else value
        for name, value in getattr(oracle, "body", {}).items()
    }
    files = getattr(oracle, "files", ())
    if files:
        return {"data": {**body, **{name: _pdf(f"{name}.pdf") for name in files}}}
    return {"json": body}


def _fresh_tasks(app, tree, estate, status: str) -> dict:
    """The governments' things, with a new task of each in `status` for a change to be tried on."""
    with app.app_context():
        things = {key: {**estate[key], "assignment_id": fresh_task(tree, key, status)} for key in GOVERNMENTS}
        db.session.remove()
    return things


def _attempts(path: str, operation: dict, oracle, estate) -> list[tuple[str | None, dict, dict]]:
    """(path ids, query) to try: each government's thing and a missing id in the path; an operation without one
    takes, in each id filter it has, each government's thing (and once none)."""
    params = re.findall(r"\{(\w+)\}", path)
    if params:
        kinds = {param: oracle.samples.get(param, param) for param in params}
        missing = {kind for kind in kinds.values() if kind not in estate["kota"]}
        assert not missing, f"{path}: add a sample of {missing} to _things"
        return [(key, {param: estate[key][kind] for param, kind in kinds.items()}, {}) for key in GOVERNMENTS] + [
            (None, {param: MISSING for param in params}, {})
        ]
    filters = _id_query_parameters(operation, estate["kota"])
    return [(None, {}, {})] + [(key, {}, {param: estate[key][param]}) for param in filters for key in GOVERNMENTS]


def _check_list(pages, api, name, user_id, path, operation, items, estate, tally):
    """The list, unfiltered and with each id filter naming each government's thing: every row must open through
    the item operation, whose answer is itself checked against the page."""
    item_path = next(
        (p for (m, p) in items if m == "GET" and p.startswith(path + "/{") and p.count("/") == path.count("/") + 1),
        None,
    )
    assert item_path is not None, f"{path}: a list with no item operation needs its own page in EXPECTED"
    item_param = item_path[len(path) + 2 : -1]
    filters = [{}] + [
        {param: estate[key][param]} for param in _id_query_parameters(operation, estate["kota"]) for key in GOVERNMENTS
    ]
    oracle = oracle_of(f"GET {item_path}")
    for query in filters:
        response = api.get(path, query_string={**query, "page_size": 200})
        tally.attempts += 1
        where = f"GET {path}?{query} as {name}"
        if response.status_code != 200:
            tally.refused += 1
            if response.status_code >= 500:
                tally.wrong.append(f"{where}: {response.status_code}")
            continue
        for row in response.get_json():
            row_id = row.get(item_param, row["id"])  # a decree is opened by its follow-up's id
            if pages.refuses(oracle, user_id, {item_param: row_id}):
                tally.wrong.append(f"{where} gives {item_param}={row_id}, which the page refuses")


def test_every_page_the_matrix_names_exists(app):
    pages = {oracle.endpoint for oracle in EXPECTED.values() if isinstance(oracle, Page)}
    assert pages - set(app.view_functions) == set()
