"""Reading follow-ups through the API: the list with the follow-ups page's filters, `mine` and `updated_since`, one
task with what the user may do now, its timeline with reports and evidence, the follow-ups, the evidence files,
the same number of queries whatever the size, and another government's tasks out of sight."""

import io
from datetime import timedelta

from actions import services
from core.extensions import db
from tests.actions.helpers import TODAY, make_action
from tests.api.conftest import ApiClient, make_token
from tests.api.followups import PDF, dinkes_task
from tests.conftest import NOW, QueryCounter, as_user


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return [row["id"] for row in response.get_json()]


def test_one_task_says_its_status_due_date_context_and_what_the_user_may_do(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    body = api_as("opd_head").get(f"/api/v1/assignments/{assignment_id}").get_json()
    assert body["status"] == "assigned" and body["status_label"] == "Menunggu konfirmasi"
    assert body["due_date"] == (TODAY + timedelta(days=14)).isoformat()
    assert body["overdue"] is False and body["days_late"] == 0
    assert body["opd_id"] == world.opds["DINKES"] and body["opd_code"] == "DINKES" and body["role"] == "lead"
    assert body["assigned_at"] == "2025-12-16T02:00:00+00:00"
    assert body["acknowledged_at"] is None
    assert body["allowed"] == ["acknowledge"]
    with app.app_context():
        assignment = services.get_assignment(as_user(world.users["admin"].id), assignment_id)
        assert body["action_id"] == assignment.action_id
        assert body["recommendation_id"] == assignment.action.recommendation_id
        assert body["forum_id"] == assignment.action.recommendation.forum_id
    assert api_as("secretariat").get(f"/api/v1/assignments/{assignment_id}").get_json()["allowed"] == [
        "cancel",
        "due_date",
        "reassign",
    ]
    assert api_as("viewer").get(f"/api/v1/assignments/{assignment_id}").get_json()["allowed"] == []
    assert api_as("other_head").get(f"/api/v1/assignments/{assignment_id}").get_json()["allowed"] == []


def test_an_overdue_task_says_how_many_days_late(app, world, api_as, clock):
    assignment_id = dinkes_task(app, world, due_in=3)
    clock.set(NOW + timedelta(days=5))
    body = api_as("opd_head").get(f"/api/v1/assignments/{assignment_id}").get_json()
    assert body["overdue"] is True and body["days_late"] == 2


def test_the_list_filters_as_the_follow_ups_page_does(app, world, api_as, clock):
    soon = dinkes_task(app, world, due_in=3, support=("DP3AP2KB",))
    later = dinkes_task(app, world, due_in=30)
    acknowledged = dinkes_task(app, world, "acknowledged", due_in=10)
    with app.app_context():
        soon_support = next(
            a.id
            for a in services.get_assignment(as_user(world.users["admin"].id), soon).action.assignments
            if a.id != soon
        )
    secretariat = api_as("secretariat")
    both = sorted([soon, soon_support])  # due the same day: by id
    assert _ids(secretariat.get("/api/v1/assignments")) == [*both, acknowledged, later]
    assert _ids(secretariat.get(f"/api/v1/assignments?opd_id={world.opds['DP3AP2KB']}")) == [soon_support]
    assert _ids(secretariat.get("/api/v1/assignments?status=acknowledged")) == [acknowledged]
    due_to = (TODAY + timedelta(days=10)).isoformat()
    assert _ids(secretariat.get(f"/api/v1/assignments?due_to={due_to}")) == [*both, acknowledged]
    due_from = (TODAY + timedelta(days=4)).isoformat()
    assert _ids(secretariat.get(f"/api/v1/assignments?due_from={due_from}&due_to={due_to}")) == [acknowledged]
    with app.app_context():
        forum_id = services.get_assignment(as_user(world.users["admin"].id), later).action.recommendation.forum_id
    assert _ids(secretariat.get(f"/api/v1/assignments?forum_id={forum_id}")) == [later]
    clock.set(NOW + timedelta(days=5))
    assert _ids(secretariat.get("/api/v1/assignments?overdue=true")) == both
    assert _ids(secretariat.get("/api/v1/assignments?overdue=true&opd_id=" + str(world.opds["DINKES"]))) == [soon]


def test_mine_is_the_tasks_of_the_opds_the_user_acts_for(app, world, api_as):
    dinkes = dinkes_task(app, world, support=("DP3AP2KB",))
    other = api_as("other_head")
    mine = _ids(other.get("/api/v1/assignments?mine=true"))
    assert len(mine) == 1 and dinkes not in mine
    assert set(_ids(other.get("/api/v1/assignments"))) == {dinkes, *mine}  # the city's tasks, seen by everyone
    assert _ids(api_as("opd_head").get("/api/v1/assignments?mine=true")) == [dinkes]
    assert _ids(api_as("viewer").get("/api/v1/assignments?mine=true")) == []


def test_updated_since_gives_the_tasks_changed_since_in_the_order_of_their_change(app, world, api_as, clock):
    first = dinkes_task(app, world, due_in=20)
    second = dinkes_task(app, world, due_in=5)
    clock.set(NOW + timedelta(hours=2))
    since = "2025-12-16T10:00:00+07:00"  # 03:00 UTC, after both were made
    secretariat = api_as("secretariat")
    assert _ids(secretariat.get("/api/v1/assignments", query_string={"updated_since": since})) == []
    with app.app_context():
        head = as_user(world.users["opd_head"].id)
        services.acknowledge(head, first)
        clock.set(NOW + timedelta(hours=3))
        services.acknowledge(head, second)
        clock.set(NOW + timedelta(hours=4))
        services.set_pic(head, first, "Dewi")
    changed = secretariat.get("/api/v1/assignments", query_string={"updated_since": since})
    assert _ids(changed) == [second, first]  # by the last change, not by due date
    rows = changed.get_json()
    assert rows[1]["updated_at"] == "2025-12-16T06:00:00+00:00"
    assert _ids(secretariat.get("/api/v1/assignments", query_string={"updated_since": rows[1]["updated_at"]})) == [
        first
    ]
    assert _ids(secretariat.get("/api/v1/assignments")) == [second, first]


def test_a_bad_filter_is_a_problem_naming_the_field_in_indonesian(app, world, api_as):
    head = api_as("opd_head")
    wrong = head.get("/api/v1/assignments?status=finished")
    assert wrong.status_code == 422 and wrong.mimetype == "application/problem+json"
    [message] = wrong.get_json()["errors"]["status"]
    assert message.startswith("Harus salah satu dari") and "acknowledged" in message
    naive = head.get("/api/v1/assignments", query_string={"updated_since": "2025-12-16T09:00:00"}).get_json()
    assert naive["errors"] == {
        "updated_since": ["Bukan waktu yang valid dengan zona waktu (mis. 2026-12-02T09:30:00+07:00)."]
    }
    assert list(head.get("/api/v1/assignments?due_from=16-12-2025").get_json()["errors"]) == ["due_from"]
    assert list(head.get("/api/v1/assignments?opd_id=0").get_json()["errors"]) == ["opd_id"]
    assert list(head.get("/api/v1/assignments?mine=perhaps").get_json()["errors"]) == ["mine"]
    reversed_range = head.get("/api/v1/assignments?due_from=2026-01-10&due_to=2026-01-01").get_json()
    assert reversed_range["errors"] == {"due_to": ["Tanggal akhir lebih awal dari tanggal awal."]}


def test_an_english_user_reads_the_problem_in_english(app, world, api_as):
    with app.app_context():
        as_user(world.users["opd_head"].id).locale = "en"
        db.session.commit()
    body = api_as("opd_head").get("/api/v1/assignments?status=finished").get_json()
    assert body["errors"]["status"][0].startswith("Must be one of")


def _list_queries(app, client, url) -> int:
    with app.app_context(), QueryCounter(db.engine) as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, response


def test_the_list_takes_the_same_queries_for_2_tasks_as_for_20(app, world, api_as):
    secretariat, head = api_as("secretariat"), api_as("opd_head")
    mine = "/api/v1/assignments?mine=true&overdue=false&updated_since=2025-01-01T00:00:00Z"
    dinkes_task(app, world)
    dinkes_task(app, world)
    for client in (secretariat, head):  # a token's first use writes its last use, once
        client.get("/api/v1/assignments")
    two, response = _list_queries(app, secretariat, "/api/v1/assignments")
    assert response.headers["X-Total-Count"] == "2"
    mine_two, response = _list_queries(app, head, mine)
    assert len(response.get_json()) == 2
    for _ in range(18):
        dinkes_task(app, world)
    secretariat.get("/api/v1/assignments")  # the first read after a write reads the government tree, then kept
    twenty, response = _list_queries(app, secretariat, "/api/v1/assignments")
    assert response.headers["X-Total-Count"] == "20" and len(response.get_json()) == 20
    assert twenty == two
    mine_twenty, response = _list_queries(app, head, mine)
    assert len(response.get_json()) == 20 and mine_twenty == mine_two


def test_the_timeline_lists_moves_reports_and_evidence_in_the_same_queries_whatever_their_number(
    app, world, api_as, clock
):
    assignment_id = dinkes_task(app, world, "acknowledged")
    head = api_as("opd_head")
    sent = head.post(
        f"/api/v1/assignments/{assignment_id}/progress",
        data={"percent": "40", "note": "Pelatihan", "files": (io.BytesIO(PDF), "daftar-hadir.pdf")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 200, sent.get_json()
    one, response = _list_queries(app, head, f"/api/v1/assignments/{assignment_id}/timeline")
    rows = response.get_json()
    assert [(row["kind"], row["from_status"], row["to_status"]) for row in rows] == [
        ("status", None, "assigned"),
        ("status", "assigned", "acknowledged"),
        ("status", "acknowledged", "in_progress"),
        ("progress", None, None),
    ]
    report = rows[-1]["report"]
    assert rows[-1]["actor_id"] == world.users["opd_head"].id and rows[-1]["actor_name"] == "Test opd_head"
    assert rows[-1]["note"] == "Pelatihan" and rows[-1]["data"] == {"percent": 40}
    assert report["percent"] == 40 and rows[-1]["at"] == "2025-12-16T02:00:00+00:00"
    [evidence] = report["evidence"]
    assert evidence["file_name"] == "daftar-hadir.pdf" and evidence["download"] == f"/api/v1/evidence/{evidence['id']}"
    for percent in (50, 60, 70, 80):
        with app.app_context():
            services.report_progress(
                as_user(world.users["opd_head"].id),
                assignment_id,
                percent=percent,
                note="Lagi",
                links=["https://example.org/a", "https://example.org/b"],
            )
    many, response = _list_queries(app, head, f"/api/v1/assignments/{assignment_id}/timeline")
    assert len(response.get_json()) == 8 and many == one
    assert response.get_json()[-1]["report"]["evidence"][1]["url"] == "https://example.org/b"


def test_evidence_downloads_as_on_the_page(app, world, api_as):
    assignment_id = dinkes_task(app, world, "acknowledged")
    head = api_as("opd_head")
    head.post(
        f"/api/v1/assignments/{assignment_id}/progress",
        data={"percent": "40", "files": (io.BytesIO(PDF), "bukti.pdf")},
        content_type="multipart/form-data",
    )
    [row] = [r for r in head.get(f"/api/v1/assignments/{assignment_id}/timeline").get_json() if r["report"]]
    url = row["report"]["evidence"][0]["download"]
    for role in ("opd_head", "opd_staff", "secretariat"):
        got = api_as(role).get(url)
        assert got.status_code == 200 and got.data == PDF, role
        assert (
            got.headers["Content-Disposition"].startswith("attachment")
            and "bukti.pdf" in got.headers["Content-Disposition"]
        )
    assert api_as("other_head").get(url).status_code == 403
    assert api_as("viewer").get(url).status_code == 403
    assert api_as("secretariat").get("/api/v1/evidence/999").status_code == 404


def test_a_sibling_governments_task_is_404_and_out_of_the_lists(app, world, tree, api_as):
    assignment_id = dinkes_task(app, world)
    _token, secret = make_token(app, tree.users["kab_head"])
    kab = ApiClient(app, secret)
    for url in (
        f"/api/v1/assignments/{assignment_id}",
        f"/api/v1/assignments/{assignment_id}/timeline",
    ):
        response = kab.get(url)
        assert response.status_code == 404 and response.mimetype == "application/problem+json", url
    assert _ids(kab.get("/api/v1/assignments")) == []
    assert _ids(kab.get("/api/v1/actions")) == []
    _token, secret = make_token(app, tree.users["prov_secretariat"])
    province = ApiClient(app, secret)  # the province sees below it
    assert _ids(province.get("/api/v1/assignments")) == [assignment_id]
    assert province.get(f"/api/v1/assignments/{assignment_id}").get_json()["allowed"] == []


def test_the_follow_ups_with_their_tasks(app, world, api_as):
    with app.app_context():
        action = make_action(world, support=("DP3AP2KB",))
        action_id, forum_id = action.id, action.recommendation.forum_id
        tasks = {a.opd_id: a.id for a in action.assignments}
    other = dinkes_task(app, world)
    viewer = api_as("viewer")
    rows = viewer.get("/api/v1/actions").get_json()
    assert [row["id"] for row in rows][0] == action_id and len(rows) == 2
    body = viewer.get(f"/api/v1/actions/{action_id}").get_json()
    assert body["title"] == "Layanan keswa tersedia di setiap Puskesmas" and body["kind"] == "task"
    assert body["forum_id"] == forum_id and body["due_date"] == (TODAY + timedelta(days=14)).isoformat()
    assert {(a["id"], a["opd_id"], a["role"], a["status"]) for a in body["assignments"]} == {
        (tasks[world.opds["DINKES"]], world.opds["DINKES"], "lead", "assigned"),
        (tasks[world.opds["DP3AP2KB"]], world.opds["DP3AP2KB"], "support", "assigned"),
    }
    assert _ids(viewer.get(f"/api/v1/actions?forum_id={forum_id}")) == [action_id]
    assert other not in tasks.values()
    assert viewer.get("/api/v1/actions/999").status_code == 404
    etag = viewer.get(f"/api/v1/actions/{action_id}").headers["ETag"]
    assert viewer.get(f"/api/v1/actions/{action_id}", headers={"If-None-Match": etag}).status_code == 304


def test_a_read_of_a_task_answers_304_until_it_changes(app, world, api_as):
    assignment_id = dinkes_task(app, world)
    head = api_as("opd_head")
    etag = head.get(f"/api/v1/assignments/{assignment_id}").headers["ETag"]
    assert head.get(f"/api/v1/assignments/{assignment_id}", headers={"If-None-Match": etag}).status_code == 304
    head.post(f"/api/v1/assignments/{assignment_id}/acknowledge", json={})
    assert head.get(f"/api/v1/assignments/{assignment_id}", headers={"If-None-Match": etag}).status_code == 200


def test_the_document_describes_every_operation_on_tasks_and_the_upload_as_one_multipart_body(app, world, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    task = "/api/v1/assignments/{assignment_id}"
    moves = ("acknowledge", "pic", "progress", "submit", "cannot", "verify", "cannot-decision", "cancel")
    expected = {
        ("get", "/api/v1/assignments"),
        ("get", task),
        ("get", f"{task}/timeline"),
        ("get", "/api/v1/evidence/{evidence_id}"),
        ("get", "/api/v1/actions"),
        ("get", "/api/v1/actions/{action_id}"),
        *(("post", f"{task}/{move}") for move in (*moves, "due-date", "reassign")),
    }
    described = {(method, path) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert expected <= described and len(expected) == 16
    upload = spec["paths"][f"{task}/progress"]["post"]
    assert "parameters" not in upload or all(p["in"] != "formData" for p in upload["parameters"])
    [(media, body)] = upload["requestBody"]["content"].items()
    schema = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert media == "multipart/form-data" and schema["required"] == ["percent"]
    assert schema["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    listed = spec["paths"]["/api/v1/assignments"]["get"]["parameters"]
    assert {"status", "overdue", "mine", "updated_since", "due_from", "due_to", "opd_id"} <= {
        p.get("name") for p in listed
    }
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "POST /api/v1/assignments/{assignment_id}/progress" in page


def test_the_follow_ups_list_takes_the_same_queries_for_2_as_for_20(app, world, api_as):
    viewer = api_as("viewer")
    viewer.get("/api/v1/actions")  # a token's first use writes its last use, once
    for _ in range(2):
        dinkes_task(app, world, support=("DP3AP2KB", "DISDUKCAPIL"))
    two, response = _list_queries(app, viewer, "/api/v1/actions")
    assert response.headers["X-Total-Count"] == "2"
    for _ in range(18):
        dinkes_task(app, world, support=("DP3AP2KB",))
    twenty, response = _list_queries(app, viewer, "/api/v1/actions")
    assert response.headers["X-Total-Count"] == "20" and twenty == two
    assert sum(len(row["assignments"]) for row in response.get_json()) == 2 * 3 + 18 * 2
