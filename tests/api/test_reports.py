"""The dashboard's figures and the compliance table through the API: the same numbers as the services give the
pages for the same user and filters, the filters, refused values as problems, and a fixed number of queries."""

from datetime import timedelta

import pytest

from actions import services as actions
from core.permissions import SYSTEM
from forum import services as forums
from reports import services as reports
from tests.actions.helpers import TODAY
from tests.api.helpers import queries_of, read_client
from tests.conftest import as_user
from tests.forum.helpers import FGD
from tests.reports.test_figures import KNOWN, arrange


def _service_dashboard(user_id: int, filters=None) -> dict:
    from api.reports import dashboard_body

    figures = reports.dashboard(as_user(user_id), filters or reports.ReportFilters())
    body = dashboard_body(figures)
    return {
        "today": body["today"].isoformat(),
        "tiles": vars(body["tiles"]),
        "bpk": body["bpk"],
        "ages": body["ages"],
        "per_opd": body["per_opd"],
        "per_forum": body["per_forum"],
        "upcoming_ids": body["upcoming_ids"],
        "most_overdue_ids": body["most_overdue_ids"],
        "headless_opd_ids": body["headless_opd_ids"],
        "rollup": [(g.government_id, g.total, g.overdue, g.rate) for g in figures.rollup],
    }


def _api_dashboard(body: dict) -> dict:
    return body | {"rollup": [(g["government_id"], g["total"], g["overdue"], g["rate"]) for g in body["rollup"]]}


def _service_compliance(user_id: int, filters=None, sort="overdue") -> list[tuple]:
    rows = reports.compliance(as_user(user_id), filters or reports.ReportFilters(), sort=sort)
    return [
        (r.opd_id, r.total, r.done, r.overdue, r.unacknowledged, r.rate, r.median_ack_days, r.median_late_days)
        for r in rows
    ]


def _api_compliance(rows: list[dict]) -> list[tuple]:
    return [
        (
            r["opd_id"],
            r["total"],
            r["done"],
            r["overdue"],
            r["unacknowledged"],
            r["rate"],
            r["median_ack_days"],
            r["median_late_days"],
        )
        for r in rows
    ]


def test_the_dashboard_gives_the_pages_numbers(app, world, api_as):
    with app.app_context():
        arrange(world, KNOWN)
        expected = _service_dashboard(world.users["viewer"].id)
    response = api_as("viewer").get("/api/v1/dashboard")
    assert response.status_code == 200
    body = response.get_json()
    assert _api_dashboard(body) == expected
    assert body["today"] == TODAY.isoformat()
    assert body["tiles"] == {"open": 4, "overdue": 2, "stale": 2, "awaiting": 1, "done_this_month": 1}
    assert body["bpk"] == {"sesuai": 2, "belum_sesuai": 2, "belum_ditindaklanjuti": 2, "tidak_dapat": 1}
    assert body["ages"][0] == {"days": "0–7", "overdue": 1}
    assert {row["opd"]: (row["open"], row["overdue"]) for row in body["per_opd"]} == {
        "DINKES": (3, 1),
        "DP3AP2KB": (1, 1),
    }
    assert [(f["done"], f["total"]) for f in body["per_forum"]] == [(2, 7)]


def test_the_compliance_table_gives_the_pages_rows_in_the_order_asked(app, world, api_as):
    with app.app_context():
        arrange(world, KNOWN)
        by_overdue = _service_compliance(world.users["viewer"].id)
        by_rate = _service_compliance(world.users["viewer"].id, sort="rate")
    viewer = api_as("viewer")
    rows = viewer.get("/api/v1/compliance").get_json()
    assert _api_compliance(rows) == by_overdue
    dinkes = next(r for r in rows if r["code"] == "DINKES")
    assert (dinkes["total"], dinkes["in_progress"], dinkes["due"], dinkes["done_of_due"], dinkes["rate"]) == (
        5,
        2,
        4,
        2,
        0.5,
    )
    assert dinkes["median_ack_days"] == 2.5 and dinkes["government_id"] is not None
    assert _api_compliance(viewer.get("/api/v1/compliance?sort=rate").get_json()) == by_rate
    assert [r["code"] for r in viewer.get("/api/v1/compliance?sort=rate").get_json()] == ["DP3AP2KB", "DINKES"]


def test_the_filters_narrow_as_on_the_page(app, world, api_as):
    with app.app_context():
        arrange(world, KNOWN)
        dated = reports.ReportFilters(date_from=TODAY, date_to=TODAY)
        expected = _service_dashboard(world.users["viewer"].id, dated)
    viewer = api_as("viewer")
    empty = viewer.get("/api/v1/dashboard?forum_kind=lokakarya").get_json()
    assert (empty["tiles"]["open"], empty["per_opd"], empty["per_forum"]) == (0, [], [])
    assert viewer.get("/api/v1/compliance?forum_kind=lokakarya").get_json() == []
    held = viewer.get(f"/api/v1/dashboard?held_from={TODAY}&held_to={TODAY}").get_json()
    assert _api_dashboard(held) == expected and held["tiles"]["open"] == 4
    before = viewer.get(f"/api/v1/dashboard?held_to={TODAY - timedelta(days=1)}").get_json()
    assert before["tiles"]["open"] == 0
    assert viewer.get("/api/v1/compliance?theme=stunting").get_json() == []


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/dashboard?held_from=kemarin", "held_from"),
        ("/api/v1/dashboard?forum_kind=rapat", "forum_kind"),
        ("/api/v1/dashboard?series_id=-1", "series_id"),
        ("/api/v1/compliance?sort=terbaik", "sort"),
        ("/api/v1/compliance?government_id=abc", "government_id"),
    ],
)
def test_a_bad_filter_is_a_422_problem_naming_the_field(app, world, api_as, path, field):
    response = api_as("viewer").get(path)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]


def _tasks_in_three_governments(tree):
    """A province forum with a task for each government's Dinkes."""
    forum = forums.create_forum(SYSTEM, government_id=tree.govs["prov"], **{**FGD, "title": "Rakor Prov"})
    recommendation = forums.add_recommendation(SYSTEM, forum.id, text="Rekomendasi")
    province = as_user(tree.users["prov_secretariat"])
    action = actions.create_action(
        province,
        recommendation.id,
        kind="task",
        title="Tugas",
        due_date=TODAY + timedelta(days=3),
        lead_opd_id=tree.opds["prov:DINKES"],
        support_opd_ids=[tree.opds["kab:DINKES"], tree.opds["kota:DINKES"]],
    )
    return action


def test_each_government_gets_its_own_numbers_and_a_sibling_government_is_refused(app, tree):
    with app.app_context():
        _tasks_in_three_governments(tree)
        readers = {key: tree.users[key] for key in ("prov_viewer", "kab_head", "kab_secretariat")}
        readers["kota_secretariat"] = tree.world.users["secretariat"].id
        expected = {key: (_service_dashboard(uid), _service_compliance(uid)) for key, uid in readers.items()}
    for key, user_id in readers.items():
        client = read_client(app, user_id)
        dashboard = client.get("/api/v1/dashboard").get_json()
        compliance = client.get("/api/v1/compliance").get_json()
        assert (_api_dashboard(dashboard), _api_compliance(compliance)) == expected[key], key
    kab = read_client(app, tree.users["kab_head"]).get("/api/v1/compliance").get_json()
    assert [r["opd_id"] for r in kab] == [tree.opds["kab:DINKES"]]
    province = read_client(app, tree.users["prov_viewer"])
    assert len(province.get("/api/v1/compliance").get_json()) == 3
    assert [g["government_id"] for g in province.get("/api/v1/dashboard").get_json()["rollup"]] == [
        tree.govs["prov"],
        tree.govs["kab"],
        tree.govs["kota"],
    ]
    narrowed = province.get(f"/api/v1/compliance?government_id={tree.govs['kab']}").get_json()
    assert [r["opd_id"] for r in narrowed] == [tree.opds["kab:DINKES"]]
    assert province.get(f"/api/v1/dashboard?government_id={tree.govs['kab']}").get_json()["rollup"] == []
    sibling = read_client(app, tree.users["kab_secretariat"])
    for path in ("/api/v1/dashboard", "/api/v1/compliance"):
        refused = sibling.get(f"{path}?government_id={tree.govs['kota']}")
        assert refused.status_code == 422
        assert refused.get_json()["errors"] == {
            "government_id": ["Pemerintah itu bukan salah satu yang laporannya boleh Anda lihat."]
        }


@pytest.mark.parametrize("path", ["/api/v1/dashboard", "/api/v1/compliance"])
def test_the_figures_take_the_same_number_of_queries_whatever_the_size(app, world, api_as, path):
    client = api_as("secretariat")
    assert client.get(path).status_code == 200  # the token's first use is recorded once

    def queries() -> list[int]:
        return queries_of(app, client, [path])

    with app.app_context():
        arrange(world, KNOWN[:2])
    few = queries()
    with app.app_context():
        arrange(
            world,
            [(code, status, due - index, ack, done) for index, (code, status, due, ack, done) in enumerate(KNOWN * 3)],
        )
    assert queries() == few


@pytest.mark.parametrize("role", ["admin", "secretariat", "opd_head", "opd_staff", "viewer", "other_head"])
def test_every_role_gets_the_numbers_its_pages_show(app, world, api_as, role):
    with app.app_context():
        arrange(world, KNOWN)
        user_id = world.users[role].id
        expected = (_service_dashboard(user_id), _service_compliance(user_id, sort="code"))
    client = api_as(role, scope="read")
    dashboard = client.get("/api/v1/dashboard").get_json()
    compliance = client.get("/api/v1/compliance?sort=code").get_json()
    assert (_api_dashboard(dashboard), _api_compliance(compliance)) == expected
    assert [row["code"] for row in compliance] == ["DINKES", "DP3AP2KB"]


def test_the_figures_answer_304_to_their_own_etag_until_a_number_changes(app, world, api_as):
    with app.app_context():
        arrange(world, KNOWN[:1])
    viewer = api_as("viewer")
    for path in ("/api/v1/dashboard", "/api/v1/compliance"):
        etag = viewer.get(path).headers["ETag"]
        assert viewer.get(path, headers={"If-None-Match": etag}).status_code == 304
    etag = viewer.get("/api/v1/compliance").headers["ETag"]
    with app.app_context():
        arrange(world, KNOWN[1:2])
    assert viewer.get("/api/v1/compliance", headers={"If-None-Match": etag}).status_code == 200


def test_the_document_types_every_figure_and_the_reference_page_lists_the_operations(app, world, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert set(schemas["Bpk"]["required"]) == {"sesuai", "belum_sesuai", "belum_ditindaklanjuti", "tidak_dapat"}
    for name in ("Dashboard", "Compliance", "Decree", "Forum", "Recommendation"):
        untyped = [
            f
            for f, prop in schemas[name]["properties"].items()
            if not {"type", "enum", "allOf", "anyOf", "$ref"} & set(prop)
        ]
        assert untyped == [], name
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for operation in ("/forums/{forum_id}/recommendations", "/decrees/{action_id}", "/dashboard", "/compliance"):
        assert f"GET /api/v1{operation}" in page
