"""Decrees (SK) through the API: the list as the decrees page lists them, one with its team, a sibling
government's as 404, the stage filter, and a fixed number of queries."""

from datetime import timedelta

import pytest

from actions import decrees
from actions import services as actions
from core.extensions import db
from core.permissions import SYSTEM
from forum import services as forums
from tests.actions.helpers import TODAY, make_action
from tests.actions.test_decrees import DETAILS
from tests.api.helpers import queries_of, read_client
from tests.conftest import as_user
from tests.forum.helpers import FGD


def _decree(world, title="SK Tim PPT Kespro", **details):
    action = make_action(world, kind="decree", lead="BAPPEDA", support=("DINKES",), title=title)
    if details:
        secretariat = as_user(world.users["secretariat"].id)
        decrees.update_decree(secretariat, action.id, **details | {"lead_opd_id": world.opds["BAPPEDA"]})
    return action


def test_a_decree_reads_with_its_team_and_the_list_as_the_page_orders_it(app, world, api_as):
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        later = _decree(world, title="SK Tim Stunting", **DETAILS)
        sooner = _decree(world, title="SK Tim Keswa", **(DETAILS | {"valid_until": TODAY + timedelta(days=30)}))
        undated = _decree(world)
        decrees.add_decree_member(
            secretariat,
            later.id,
            name="dr. Ani",
            opd_id=world.opds["DINKES"],
            position="Kepala Dinas",
            team_role="ketua",
        )
        decrees.add_decree_member(secretariat, later.id, name="Budi", opd_id=None, position=None, team_role="anggota")
        ids = [sooner.id, later.id, undated.id]
        expected = [a.id for a in decrees.list_decrees(as_user(world.users["opd_staff"].id))]
        forum_id, recommendation_id = later.recommendation.forum_id, later.recommendation_id
    staff = api_as("opd_staff")
    listed = staff.get("/api/v1/decrees")
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "3"
    assert [d["action_id"] for d in listed.get_json()] == ids == [d for d in expected]
    one = staff.get(f"/api/v1/decrees/{ids[1]}").get_json()
    assert (one["subject"], one["number"], one["stage"], one["valid_until"]) == (
        DETAILS["subject"],
        "800/Kep.12/2026",
        "proposed",
        (TODAY + timedelta(days=365)).isoformat(),
    )
    assert (one["forum_id"], one["recommendation_id"], one["lead_opd_id"]) == (
        forum_id,
        recommendation_id,
        world.opds["BAPPEDA"],
    )
    assert one["has_document"] is False
    assert [(m["name"], m["team_role"], m["opd_id"], m["position"]) for m in one["members"]] == [
        ("dr. Ani", "ketua", world.opds["DINKES"], "Kepala Dinas"),
        ("Budi", "anggota", None, None),
    ]
    assert "members" not in listed.get_json()[0]


def test_the_stage_filter_and_a_bad_stage(app, world, api_as):
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        drafted = _decree(world, title="SK A", **DETAILS)
        decrees.set_decree_stage(secretariat, drafted.id, "drafted")
        _decree(world, title="SK B")
        drafted_id = drafted.id
    viewer = api_as("viewer")
    assert [d["action_id"] for d in viewer.get("/api/v1/decrees?stage=drafted").get_json()] == [drafted_id]
    bad = viewer.get("/api/v1/decrees?stage=approved")
    assert bad.status_code == 422 and list(bad.get_json()["errors"]) == ["stage"]


def test_a_follow_up_without_a_decree_is_404(app, world, api_as):
    with app.app_context():
        task = make_action(world).id
    response = api_as("viewer").get(f"/api/v1/decrees/{task}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_sibling_governments_decree_is_404_and_left_out_of_the_list(app, tree, client_as):
    with app.app_context():
        forum = forums.create_forum(SYSTEM, government_id=tree.govs["kab"], **{**FGD, "title": "FGD Kab"})
        recommendation = forums.add_recommendation(SYSTEM, forum.id, text="Bentuk tim")
        kabupaten = as_user(tree.users["kab_secretariat"])
        action = actions.create_action(
            kabupaten,
            recommendation.id,
            kind="decree",
            title="SK Tim Kab",
            due_date=TODAY,
            lead_opd_id=tree.opds["kab:DINKES"],
            support_opd_ids=[],
        )
        action_id = action.id
    sibling = read_client(app, tree.world.users["secretariat"].id)
    assert sibling.get(f"/api/v1/decrees/{action_id}").status_code == 404
    assert sibling.get("/api/v1/decrees").get_json() == []
    assert client_as("secretariat").get(f"/actions/{action_id}/decree").status_code == 404  # as the page
    for reader in ("kab_head", "prov_viewer"):
        client = read_client(app, tree.users[reader])
        assert client.get(f"/api/v1/decrees/{action_id}").status_code == 200
        assert [d["action_id"] for d in client.get("/api/v1/decrees").get_json()] == [action_id]


def test_the_decree_reads_take_the_same_number_of_queries_whatever_the_size(app, world, api_as):
    client = api_as("viewer")
    assert client.get("/api/v1/decrees").status_code == 200  # the token's first use is recorded once

    def grow(count: int) -> int:
        with app.app_context():
            secretariat = as_user(world.users["secretariat"].id)
            for number in range(count):
                action = _decree(world, title=f"SK {count}-{number}")
            for number in range(count):
                decrees.add_decree_member(
                    secretariat,
                    action.id,
                    name=f"Anggota {number}",
                    opd_id=world.opds["DINKES"],
                    position=None,
                    team_role="anggota",
                )
            action_id = action.id
            db.session.remove()
        return action_id

    def counts(action_id: int) -> list[int]:
        return queries_of(app, client, ["/api/v1/decrees", f"/api/v1/decrees/{action_id}"])

    assert counts(grow(2)) == counts(grow(18))


@pytest.mark.parametrize("role", ["admin", "secretariat", "opd_head", "opd_staff", "viewer", "other_head"])
def test_every_role_lists_the_decrees_its_page_lists(app, world, api_as, role):
    with app.app_context():
        action_id = _decree(world, **DETAILS).id
        expected = [decree.action_id for decree in decrees.list_decrees(as_user(world.users[role].id))]
    client = api_as(role, scope="read")
    assert [d["action_id"] for d in client.get("/api/v1/decrees").get_json()] == expected == [action_id]
    assert client.get(f"/api/v1/decrees/{action_id}").status_code == 200
