"""Forums through the API: what each role and government sees, the list's filters, the participants and the
recommendations with their follow-ups, a fixed number of queries, and bad filters as problems."""

from datetime import UTC, datetime, timedelta

import pytest

from core.extensions import db
from core.permissions import SYSTEM
from forum import services as forums
from tests.actions.helpers import make_action
from tests.api.helpers import queries_of, read_client
from tests.conftest import as_user
from tests.forum.helpers import FGD, make_forum, participant


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [forum["title"] for forum in response.get_json()]


def test_a_forum_reads_with_its_fields_enums_by_value_and_times_with_their_offset(app, world, api_as):
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        series = forums.create_series(secretariat, title="Penyusunan PPT Kespro 2026")
        forum = make_forum(
            world,
            series_id=series.id,
            mode="hybrid",
            online_link="https://zoom.us/j/1",
            period_start=2025,
            period_end=2029,
        )
        forums.set_minutes(secretariat, forum.id, "Notulen rapat")
        forum_id, series_id = forum.id, series.id
    body = api_as("viewer").get(f"/api/v1/forums/{forum_id}").get_json()
    assert body["id"] == forum_id and body["title"] == FGD["title"]
    assert (body["kind"], body["status"], body["mode"]) == ("fgd", "scheduled", "hybrid")
    assert body["series"] == {"id": series_id, "title": "Penyusunan PPT Kespro 2026"}
    assert body["starts_at"] == "2025-12-16T02:00:00+00:00"
    assert body["platform"] == "Zoom Meeting" and body["organiser_opd_id"] == world.opds["BAPPEDA"]
    assert (body["period_start"], body["period_end"], body["minutes"]) == (2025, 2029, "Notulen rapat")
    assert datetime.fromisoformat(body["updated_at"]).utcoffset() == timedelta(0)


def test_the_list_filters_as_the_forum_list_does(app, world, api_as):
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        series = forums.create_series(secretariat, title="Seri")
        make_forum(world, title="FGD Kespro", series_id=series.id)
        held = make_forum(
            world,
            title="Rakor Stunting",
            kind="rakor",
            venue="Aula Dinkes",
            starts_at=datetime(2025, 11, 3, 2, tzinfo=UTC),
            ends_at=None,
        )
        forums.change_status(secretariat, held.id, "held")
        make_forum(
            world,
            title="Lokakarya Renstra",
            kind="lokakarya",
            period_start=2025,
            period_end=2029,
            starts_at=datetime(2025, 10, 1, 2, tzinfo=UTC),
            ends_at=None,
        )
        series_id = series.id
    viewer = api_as("viewer")
    assert _titles(viewer.get("/api/v1/forums")) == ["FGD Kespro", "Rakor Stunting", "Lokakarya Renstra"]
    assert _titles(viewer.get("/api/v1/forums?kind=rakor")) == ["Rakor Stunting"]
    assert _titles(viewer.get("/api/v1/forums?status=held")) == ["Rakor Stunting"]
    assert _titles(viewer.get("/api/v1/forums?q=aula")) == ["Rakor Stunting"]
    assert _titles(viewer.get(f"/api/v1/forums?series_id={series_id}")) == ["FGD Kespro"]
    assert _titles(viewer.get("/api/v1/forums?period_start=2025&period_end=2029")) == ["Lokakarya Renstra"]
    assert _titles(viewer.get("/api/v1/forums?held_from=2025-11-01&held_to=2025-11-30")) == ["Rakor Stunting"]
    assert _titles(viewer.get(f"/api/v1/forums?government_id={world_government(app)}&kind=fgd")) == ["FGD Kespro"]
    assert _titles(viewer.get("/api/v1/forums?updated_since=2099-01-01T00:00:00%2B07:00")) == []
    assert len(_titles(viewer.get("/api/v1/forums?updated_since=2000-01-01T00:00:00Z"))) == 3
    # The calendar's ends, which UTC cannot hold with these offsets, are held at the end rather than failing.
    assert len(_titles(viewer.get("/api/v1/forums?updated_since=0001-01-01T00:00:00%2B14:00"))) == 3
    assert _titles(viewer.get("/api/v1/forums?updated_since=9999-12-31T23:59:59-12:00")) == []


def world_government(app) -> int:
    from accounts import governments

    with app.app_context():
        return governments.default_government_id()


@pytest.mark.parametrize(
    "query, field",
    [
        ("kind=rapat", "kind"),
        ("status=done", "status"),
        ("held_from=16-12-2025", "held_from"),
        ("updated_since=2025-12-01T00:00:00", "updated_since"),  # a moment without its offset
        ("period_start=1999", "period_start"),
        ("series_id=0", "series_id"),
    ],
)
def test_a_bad_filter_is_a_422_problem_naming_the_field(app, world, api_as, query, field):
    response = api_as("viewer").get(f"/api/v1/forums?{query}")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]


def test_participants_and_recommendations_with_themes_and_their_follow_ups(app, world, api_as):
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        action = make_action(world)
        forum_id = action.recommendation.forum_id
        forums.add_participants(
            secretariat,
            forum_id,
            [
                participant(world, role="narasumber"),
                participant(world, name="dr. Ani", opd=None, institution="IDI", category="profesi", attendance="izin"),
            ],
        )
        second = forums.add_recommendation(
            secretariat, forum_id, text="Perkuat rujukan", themes=["Kesehatan Jiwa", "rujukan"]
        )
        action_id, first_id, second_id = action.id, action.recommendation_id, second.id
    head = api_as("opd_head")
    people = head.get(f"/api/v1/forums/{forum_id}/participants").get_json()
    assert [(p["name"], p["institution"], p["category"], p["role"], p["attendance"]) for p in people] == [
        ("Dewi Lestari", "Dinas Kesehatan", "opd", "narasumber", "hadir"),
        ("dr. Ani", "IDI", "profesi", "peserta", "izin"),
    ]
    assert people[0]["opd_id"] == world.opds["DINKES"] and people[1]["opd_id"] is None
    recommendations = head.get(f"/api/v1/forums/{forum_id}/recommendations").get_json()
    assert [(r["id"], r["number"], r["themes"], r["action_ids"]) for r in recommendations] == [
        (first_id, 1, [], [action_id]),
        (second_id, 2, ["kesehatan jiwa", "rujukan"], []),
    ]


def test_a_sibling_governments_forum_is_404_everywhere_as_on_the_page(app, tree, client_as):
    with app.app_context():
        forum = forums.create_forum(SYSTEM, government_id=tree.govs["kab"], **{**FGD, "title": "FGD Kab"})
        forums.add_recommendation(SYSTEM, forum.id, text="Rekomendasi")
        forum_id = forum.id
    sibling = read_client(app, tree.world.users["secretariat"].id)  # Kota Tangerang's
    for path in ("", "/participants", "/recommendations"):
        response = sibling.get(f"/api/v1/forums/{forum_id}{path}")
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert _titles(sibling.get("/api/v1/forums")) == []
    assert client_as("secretariat").get(f"/forums/{forum_id}").status_code == 404  # the page says the same
    for owner_or_parent in ("kab_secretariat", "kab_viewer", "prov_viewer"):
        reader = read_client(app, tree.users[owner_or_parent])
        assert reader.get(f"/api/v1/forums/{forum_id}").status_code == 200
        assert _titles(reader.get("/api/v1/forums")) == ["FGD Kab"]


def test_a_sibling_that_attended_sees_the_forum_but_only_its_own_follow_ups(app, tree):
    with app.app_context():
        forum = forums.create_forum(SYSTEM, government_id=tree.govs["prov"], **{**FGD, "title": "Rakor Prov"})
        forums.add_participants(
            SYSTEM,
            forum.id,
            [
                participant(tree.world, name=f"P {key}", opd=None, opd_id=tree.opds[key])
                for key in ("kab:DINKES", "kota:DINKES")
            ],
        )
        recommendation = forums.add_recommendation(SYSTEM, forum.id, text="Rekomendasi")
        from actions import services as actions
        from tests.actions.helpers import TODAY

        province = as_user(tree.users["prov_secretariat"])
        kab_only = actions.create_action(
            province,
            recommendation.id,
            kind="task",
            title="Tugas Kab",
            due_date=TODAY,
            lead_opd_id=tree.opds["kab:DINKES"],
            support_opd_ids=[],
        )
        kota_only = actions.create_action(
            province,
            recommendation.id,
            kind="task",
            title="Tugas Kota",
            due_date=TODAY,
            lead_opd_id=tree.opds["kota:DINKES"],
            support_opd_ids=[],
        )
        forum_id, kab_id, kota_id = forum.id, kab_only.id, kota_only.id
    [kab_view] = read_client(app, tree.users["kab_head"]).get(f"/api/v1/forums/{forum_id}/recommendations").get_json()
    assert kab_view["action_ids"] == [kab_id]
    [prov_view] = (
        read_client(app, tree.users["prov_viewer"]).get(f"/api/v1/forums/{forum_id}/recommendations").get_json()
    )
    assert prov_view["action_ids"] == [kab_id, kota_id]


def test_each_forum_read_takes_the_same_number_of_queries_whatever_the_size(app, world, api_as):
    client = api_as("viewer")

    def grow(forums_count: int, people: int):
        with app.app_context():
            secretariat = as_user(world.users["secretariat"].id)
            forum = None
            for number in range(forums_count):
                forum = make_forum(world, title=f"Forum {number}-{forums_count}")
            forums.add_participants(
                secretariat, forum.id, [participant(world, name=f"Orang {n}") for n in range(people)]
            )
            for n in range(people):
                forums.add_recommendation(secretariat, forum.id, text=f"Rekomendasi {n}", themes=[f"tema {n}"])
            forum_id = forum.id
            db.session.remove()
        return forum_id

    def counts(forum_id) -> list[int]:
        paths = [
            "/api/v1/forums",
            *(f"/api/v1/forums/{forum_id}{tail}" for tail in ("", "/participants", "/recommendations")),
        ]
        return queries_of(app, client, paths)

    assert client.get("/api/v1/forums").status_code == 200  # the token's first use is recorded once
    few = counts(grow(2, 2))
    many = counts(grow(18, 20))
    assert few == many


@pytest.mark.parametrize("role", ["admin", "secretariat", "opd_head", "opd_staff", "viewer", "other_head"])
def test_every_role_reads_the_forums_of_its_government_as_the_list_page_does(app, world, api_as, role):
    with app.app_context():
        forum_id = make_forum(world).id
        expected = [f.id for f in forums.list_forums(as_user(world.users[role].id), forums.ForumFilters()).items]
    client = api_as(role, scope="read")
    assert [f["id"] for f in client.get("/api/v1/forums").get_json()] == expected == [forum_id]
    assert client.get(f"/api/v1/forums/{forum_id}").status_code == 200


def test_a_forum_answers_304_to_its_own_etag_until_it_changes(app, world, api_as):
    with app.app_context():
        forum_id = make_forum(world).id
    viewer = api_as("viewer")
    etag = viewer.get(f"/api/v1/forums/{forum_id}").headers["ETag"]
    assert viewer.get(f"/api/v1/forums/{forum_id}", headers={"If-None-Match": etag}).status_code == 304
    with app.app_context():
        forums.set_minutes(as_user(world.users["secretariat"].id), forum_id, "Notulen baru")
    assert viewer.get(f"/api/v1/forums/{forum_id}", headers={"If-None-Match": etag}).status_code == 200
