"""Pasting a list of conclusions on a forum: the preview, each item editable with its themes, saving all or
nothing, numbered after the existing ones; who may; and hostile input never a 500."""

import re

import pytest
import sqlalchemy as sa

from core.audit import AuditEvent
from core.errors import Invalid, InvalidItems, NotAllowed
from core.extensions import db
from forum import services
from forum.models import Recommendation
from tests.conftest import as_user, login
from tests.forum.helpers import FGD, make_forum

PASTED = """Kesimpulan:
1. Layanan kesehatan jiwa tersedia di setiap
   Puskesmas;
2) Koordinasi lintas sektor Puskesmas, Kelurahan,
DP3AP2KB dan Disdukcapil; dan
(3) Percepatan sarana visum dan tenaga psikolog.
"""


def _forum_with_one(app, world):
    """A forum that already has recommendation 1; its id."""
    with app.app_context():
        forum = make_forum(world)
        services.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Yang sudah ada")
        return forum.id


def _preview(client, forum_id, text=PASTED):
    return client.post(f"/forums/{forum_id}/recommendations/paste", data={"text": text, "preview": "1"})


def _fields(page):
    """The preview's form fields as a POST would send them back."""
    data = {
        name: value
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
        if name != "text"
    }
    for name, value in re.findall(r'<textarea[^>]*name="(items-\d+-text)"[^>]*>\s*([^<]*)</textarea>', page):
        data[name] = value.strip()
    return data


def _texts(app, forum_id):
    with app.app_context():
        rows = db.session.execute(
            sa.select(Recommendation.number, Recommendation.text)
            .where(Recommendation.forum_id == forum_id)
            .order_by(Recommendation.number)
        )
        return [tuple(row) for row in rows]


def test_the_forum_page_offers_paste_a_list_to_its_editors_only(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    assert f"/forums/{forum_id}/recommendations/paste" in client_as("secretariat").get(f"/forums/{forum_id}").text
    assert "/recommendations/paste" not in client_as("viewer").get(f"/forums/{forum_id}").text


def test_a_forum_without_recommendations_and_its_minutes_point_to_the_paste(app, world, client_as):
    """Where the conclusions stand (the minutes) and where they are missing (no recommendation yet), the editor is
    told how they become recommendations; a reader is not."""
    with app.app_context():
        forum_id = make_forum(world).id
    page = client_as("secretariat").get(f"/forums/{forum_id}").text
    assert "Tempel kesimpulan sebagaimana tercantum dalam notulen atau laporan." in page
    assert "Tempel kesimpulan" not in client_as("viewer").get(f"/forums/{forum_id}").text
    assert '"Tempel daftar" di halaman forum' in client_as("secretariat").get(f"/forums/{forum_id}/minutes").text


def test_a_pasted_list_previews_numbered_after_the_existing_ones_and_saves_all(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    client = client_as("secretariat")
    response = _preview(client, forum_id)
    assert response.status_code == 200
    page = response.text
    assert "Rekomendasi 2" in page and "Rekomendasi 4" in page and "Rekomendasi 5" not in page
    assert "Layanan kesehatan jiwa tersedia di setiap Puskesmas</textarea>" in page
    assert "Kesimpulan:" not in page  # the heading is no item
    assert _texts(app, forum_id) == [(1, "Yang sudah ada")]  # a preview saves nothing
    data = _fields(page) | {"items-0-themes": "Kesehatan Jiwa", "items-2-themes": "sarana visum, tenaga psikolog"}
    data["items-1-text"] = "Koordinasi lintas sektor"  # edited in the preview
    response = client.post(f"/forums/{forum_id}/recommendations/paste", data={**data, "save": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/forums/{forum_id}#recommendations")
    assert _texts(app, forum_id) == [
        (1, "Yang sudah ada"),
        (2, "Layanan kesehatan jiwa tersedia di setiap Puskesmas"),
        (3, "Koordinasi lintas sektor"),
        (4, "Percepatan sarana visum dan tenaga psikolog."),
    ]
    with app.app_context():
        saved = db.session.scalars(sa.select(Recommendation).where(Recommendation.number == 4)).one()
        assert [t.name for t in saved.themes] == ["sarana visum", "tenaga psikolog"]
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.scope == f"forum:{forum_id}", AuditEvent.verb == "create")
            .order_by(AuditEvent.id)
        )
        created = [e.changes["number"][1] for e in events if e.entity_type == "recommendation"]
        assert created == [1, 2, 3, 4]  # each one in the history, as one added alone
    assert "3 rekomendasi ditambahkan." in client.get(f"/forums/{forum_id}").text


def test_removing_an_item_renumbers_the_rest_and_keeps_every_text_typed(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    client = client_as("secretariat")
    data = _fields(_preview(client, forum_id).text) | {"items-2-text": "Diubah di pratinjau"}
    response = client.post(f"/forums/{forum_id}/recommendations/paste", data={**data, "drop": "0"})
    assert response.status_code == 200
    page = response.text
    assert "Layanan kesehatan jiwa" not in page
    assert "Rekomendasi 3" in page and "Rekomendasi 4" not in page
    assert "Diubah di pratinjau</textarea>" in page
    response = client.post(f"/forums/{forum_id}/recommendations/paste", data={**_fields(page), "save": "1"})
    assert response.status_code == 302
    assert [text for _, text in _texts(app, forum_id)][1:] == [
        "Koordinasi lintas sektor Puskesmas, Kelurahan, DP3AP2KB dan Disdukcapil",
        "Diubah di pratinjau",
    ]


def test_one_empty_item_saves_nothing_and_shows_its_problem_beside_it(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    client = client_as("secretariat")
    data = _fields(_preview(client, forum_id).text) | {"items-1-text": "   ", "items-0-themes": "tetap di sini"}
    response = client.post(f"/forums/{forum_id}/recommendations/paste", data={**data, "save": "1"})
    assert response.status_code == 422
    page = response.text
    assert _texts(app, forum_id) == [(1, "Yang sudah ada")]
    item = page[page.index('id="item-1"') : page.index('id="item-2"')]
    assert 'class="error"' in item
    assert 'value="tetap di sini"' in page and "Percepatan sarana visum" in page


def test_a_list_pasted_again_is_flagged_item_by_item_and_saves_nothing_twice(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    client = client_as("secretariat")
    data = _fields(_preview(client, forum_id).text)
    assert client.post(f"/forums/{forum_id}/recommendations/paste", data={**data, "save": "1"}).status_code == 302
    # The same list pasted again a day later, one of its items twice, and one new item.
    again = PASTED + "4. Percepatan sarana visum dan tenaga psikolog\n5. yang sudah ada.\n6. Sesuatu yang baru.\n"
    page = _preview(client, forum_id, again).text
    assert page.count("Rekomendasi 2 sudah menyatakan ini.") == 1
    assert page.count("Rekomendasi 4 sudah menyatakan ini.") == 2  # a repeat within the paste, case and dot aside
    assert "Rekomendasi 1 sudah menyatakan ini." in page
    response = client.post(f"/forums/{forum_id}/recommendations/paste", data={**_fields(page), "save": "1"})
    assert response.status_code == 422 and "Rekomendasi 3 sudah menyatakan ini." in response.text
    assert len(_texts(app, forum_id)) == 4


def test_the_service_refuses_every_item_when_one_is_invalid(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    with pytest.raises(InvalidItems) as error:
        services.add_recommendations(secretariat, forum.id, [{"text": "Baik"}, {"text": " "}, {"text": "Juga"}])
    assert list(error.value.problems) == [1]
    assert db.session.scalar(sa.select(sa.func.count(Recommendation.id))) == 0
    with pytest.raises(NotAllowed):
        services.add_recommendations(as_user(world.users["opd_head"].id), forum.id, [{"text": "Baik"}])


def test_a_second_save_of_the_same_preview_adds_nothing_twice(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    client = client_as("secretariat")
    data = {**_fields(_preview(client, forum_id).text), "save": "1"}
    assert client.post(f"/forums/{forum_id}/recommendations/paste", data=data).status_code == 302
    again = client.post(f"/forums/{forum_id}/recommendations/paste", data=data)
    assert again.status_code == 422
    assert "berubah sejak pratinjau" in again.text
    assert len(_texts(app, forum_id)) == 4
    assert "Rekomendasi 5" in again.text  # the preview now numbers after the ones saved


def test_the_service_numbers_after_the_existing_and_refuses_a_changed_list(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    seen = services.recommendations_fingerprint(forum.id)
    services.add_recommendation(secretariat, forum.id, text="Di antara")
    with pytest.raises(Invalid):
        services.add_recommendations(secretariat, forum.id, [{"text": "A"}], seen=seen)
    added = services.add_recommendations(
        secretariat, forum.id, [{"text": "A"}, {"text": "B"}], seen=services.recommendations_fingerprint(forum.id)
    )
    assert [r.number for r in added] == [2, 3]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Tidak ada butir daftar"),
        ("  \n\n  ", "Tidak ada butir daftar"),
        ("\n".join(f"{n}. Butir ke-{n}" for n in range(1, 501)), "paling banyak 100"),
        ("x" * 60000, "50000"),
    ],
)
def test_an_empty_or_huge_paste_is_refused_with_a_message_and_kept(app, world, client_as, text, message):
    forum_id = _forum_with_one(app, world)
    response = _preview(client_as("secretariat"), forum_id, text)
    assert response.status_code == 422
    assert message in response.text
    if text.strip() and len(text) < 50000:
        assert "Butir ke-500" in response.text  # what was pasted is shown again


def test_hostile_input_never_answers_500(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    client = client_as("secretariat")
    url = f"/forums/{forum_id}/recommendations/paste"
    attempts = [
        {"text": "1. a\x00b\n2. " + "kata " * 2000, "preview": "1"},
        {"text": "\x00\x01\x02", "preview": "1"},
        {"items-²-text": "x", "items-0-text": "y", "save": "1"},
        {"items-99999999999-text": "x", "save": "1"},
        {"drop": "bukan angka", "items-0-text": "tetap"},
        {"save": "1", "seen": "x" * 5000},
        {f"items-{n}-text": "x" for n in range(500)} | {"save": "1"},
        {"items-0-text": "y" * 6000, "save": "1"},
    ]
    for data in attempts:
        status = client.post(url, data=data).status_code
        assert status in (200, 422), (list(data)[:3], status)
    assert len(_texts(app, forum_id)) == 1
    too_many = client.post(url, data={f"items-{n}-text": "x" for n in range(500)} | {"save": "1"})
    assert "Paling banyak 100" in too_many.text


def test_the_paste_page_speaks_english_to_an_english_reader(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    client = client_as("secretariat")
    client.post("/language", data={"locale": "en"})
    page = _preview(client, forum_id).text
    assert "Recommendation 2" in page and "Save all 3 recommendations" in page


def test_a_sibling_gets_404_the_parent_and_a_head_403(app, tree):
    with app.app_context():
        forum = services.create_forum(as_user(tree.users["kab_secretariat"]), **FGD)
        url = f"/forums/{forum.id}/recommendations/paste"
    for user_id, status in [
        (tree.world.users["secretariat"].id, 404),  # Kota Tangerang, a sibling
        (tree.users["prov_secretariat"], 403),  # the parent reads, never changes
        (tree.users["kab_head"], 403),
    ]:
        client = app.test_client()
        login(client, user_id)
        assert client.get(url).status_code == status
        assert client.post(url, data={"text": "1. Diambil alih", "preview": "1"}).status_code == status
    kab = app.test_client()
    login(kab, tree.users["kab_secretariat"])
    assert kab.get(url).status_code == 200


def test_a_closed_forum_takes_no_pasted_list(app, world, client_as):
    forum_id = _forum_with_one(app, world)
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        services.change_status(secretariat, forum_id, "held")
        services.change_status(secretariat, forum_id, "closed")
    response = _preview(client_as("secretariat"), forum_id)
    assert response.status_code == 409
    assert _texts(app, forum_id) == [(1, "Yang sudah ada")]
