import re

import pytest
import sqlalchemy as sa

from core.extensions import db
from forum import services
from forum.models import Forum, ForumStatus
from tests.conftest import QueryCounter, as_user
from tests.forum.helpers import make_forum, participant

NEW_FORUM = {
    "kind": "fgd",
    "title": "FGD Pembahasan PPT Kespro",
    "series_id": "",
    "starts_at": "2025-12-16T09:00",
    "ends_at": "2025-12-16T12:00",
    "venue": "Ruang Rapat Bappeda",
    "mode": "luring",
    "organiser_opd_id": "",
    "chair": "Kepala Bidang Sosmasek",
}


def _forum_id(app, world, **overrides):
    with app.app_context():
        return make_forum(world, **overrides).id


def test_create_forum_stores_local_time_as_utc(app, client_as):
    client = client_as("secretariat")
    response = client.post("/forums/new", data=NEW_FORUM)
    assert response.status_code == 302
    with app.app_context():
        forum = db.session.scalar(sa.select(Forum))
        assert forum.starts_at.isoformat() == "2025-12-16T02:00:00+00:00"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Selasa, 16 Desember 2025, pukul 09.00 WIB" in page


def test_a_bad_forum_form_is_reshown_with_what_was_typed(client_as):
    client = client_as("secretariat")
    response = client.post("/forums/new", data={**NEW_FORUM, "starts_at": "kemarin", "period_start": "dua ribu"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="FGD Pembahasan PPT Kespro"' in page
    assert 'value="Kepala Bidang Sosmasek"' in page


def test_a_forum_at_the_ends_of_the_calendar_is_refused_with_the_input_kept(client_as):
    client = client_as("secretariat")
    for starts_at in ("0001-01-01T00:00", "9999-12-31T23:59"):
        response = client.post("/forums/new", data={**NEW_FORUM, "starts_at": starts_at})
        assert response.status_code == 422, starts_at
        page = response.get_data(as_text=True)
        assert "Masukkan tanggal antara tahun 1900 dan 2100." in page
        assert f'value="{starts_at}"' in page


def test_a_forum_ending_before_it_starts_is_refused_by_the_service(client_as):
    response = client_as("secretariat").post("/forums/new", data={**NEW_FORUM, "ends_at": "2025-12-16T08:00"})
    assert response.status_code == 422
    assert "Waktu selesai lebih awal dari waktu mulai." in response.get_data(as_text=True)


def test_edit_forum_and_minutes(app, world, client_as):
    forum_id = _forum_id(app, world)
    client = client_as("secretariat")
    assert 'value="2025-12-16T09:00"' in client.get(f"/forums/{forum_id}/edit").get_data(as_text=True)
    assert client.post(f"/forums/{forum_id}/edit", data={**NEW_FORUM, "venue": "Aula Bappeda"}).status_code == 302
    minutes = {"minutes": "**Kesimpulan** rapat", "seen": _seen_minutes(client, forum_id)}
    assert client.post(f"/forums/{forum_id}/minutes", data=minutes).status_code == 302
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "Aula Bappeda" in page
    assert "<strong>Kesimpulan</strong>" in page


def _seen_minutes(client, forum_id) -> str:
    """The fingerprint the minutes form carries of the minutes it opened."""
    page = client.get(f"/forums/{forum_id}/minutes").get_data(as_text=True)
    return re.search(r'name="seen" type="hidden" value="([^"]*)"', page).group(1)


def test_a_minutes_form_opened_before_a_line_was_appended_keeps_both_texts(app, world, client_as):
    """A review meeting appends a line while the form is open in another tab: saving refuses to erase it, shows
    the minutes as they are now and keeps the writer's text; saving again from that page goes through."""
    forum_id = _forum_id(app, world)
    client = client_as("secretariat")
    opened = _seen_minutes(client, forum_id)
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        forum = services.get_open_forum(secretariat, forum_id)
        services.append_to_minutes(secretariat, forum, "Rapat evaluasi: tenggat diundur.")
        db.session.commit()
    response = client.post(f"/forums/{forum_id}/minutes", data={"minutes": "Kesimpulan <b>saya</b>", "seen": opened})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Notulen telah diubah orang lain sejak Anda membukanya" in page
    assert re.search(r'id="minutes-now-text">Rapat evaluasi: tenggat diundur.</div>', page)
    assert re.search(r"<textarea[^>]*>\s*Kesimpulan &lt;b&gt;saya&lt;/b&gt;</textarea>", page)
    with app.app_context():
        assert db.session.get(Forum, forum_id).minutes == "Rapat evaluasi: tenggat diundur."
    again = re.search(r'name="seen" type="hidden" value="([^"]*)"', page).group(1)
    kept = "Rapat evaluasi: tenggat diundur.\nKesimpulan saya"
    assert client.post(f"/forums/{forum_id}/minutes", data={"minutes": kept, "seen": again}).status_code == 302
    with app.app_context():
        assert db.session.get(Forum, forum_id).minutes == kept


def test_minutes_and_recommendations_with_script_render_inert(app, world, client_as):
    forum_id = _forum_id(app, world)
    client = client_as("secretariat")
    minutes = {"minutes": "<script>alert('notulen')</script>", "seen": _seen_minutes(client, forum_id)}
    assert client.post(f"/forums/{forum_id}/minutes", data=minutes).status_code == 302
    client.post(
        f"/forums/{forum_id}/recommendations/new",
        data={"text": "<script>alert('rekomendasi')</script>", "themes": "<img src=x onerror=alert(1)>"},
    )
    page = client_as("viewer").get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;rekomendasi&#39;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(" in page


def test_participant_form_happy_and_bad_paths(app, world, client_as):
    forum_id = _forum_id(app, world)
    client = client_as("secretariat")
    data = {
        "name": "Dewi Lestari",
        "opd_id": world.opds["DINKES"],
        "category": "opd",
        "role": "peserta",
        "attendance": "hadir",
    }
    assert client.post(f"/forums/{forum_id}/participants/new", data=data).status_code == 302
    bad = {**data, "opd_id": "", "institution": "", "email": "bukan email", "name": "Tetap Ada"}
    response = client.post(f"/forums/{forum_id}/participants/new", data=bad)
    assert response.status_code == 422
    assert 'value="Tetap Ada"' in response.get_data(as_text=True)
    response = client.post(f"/forums/{forum_id}/participants/new", data={**data, "attendance": "menghilang"})
    assert response.status_code == 422


def test_participant_edit_and_remove(app, world, client_as):
    forum_id = _forum_id(app, world)
    with app.app_context():
        person_id = services.add_participant(as_user(world.users["secretariat"].id), forum_id, **participant(world)).id
    client = client_as("secretariat")
    data = {
        "name": "Dewi L.",
        "opd_id": world.opds["DINKES"],
        "category": "opd",
        "role": "notulis",
        "attendance": "izin",
    }
    assert client.post(f"/forums/{forum_id}/participants/{person_id}/edit", data=data).status_code == 302
    assert "Dewi L." in client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert client.post(f"/forums/{forum_id}/participants/{person_id}/delete").status_code == 302
    assert "Dewi L." not in client.get(f"/forums/{forum_id}").get_data(as_text=True)


def test_a_participant_of_another_forum_is_not_found(app, world, client_as):
    first, second = _forum_id(app, world), _forum_id(app, world, title="Lain")
    with app.app_context():
        person_id = services.add_participant(as_user(world.users["secretariat"].id), first, **participant(world)).id
    client = client_as("secretariat")
    assert client.get(f"/forums/{second}/participants/{person_id}/edit").status_code == 404
    assert client.post(f"/forums/{second}/participants/{person_id}/delete").status_code == 404


def test_recommendation_form_happy_and_bad_paths(app, world, client_as):
    forum_id = _forum_id(app, world)
    client = client_as("secretariat")
    response = client.post(
        f"/forums/{forum_id}/recommendations/new",
        data={"text": "Penguatan layanan keswa di Puskesmas", "themes": "Kesehatan Jiwa, layanan dasar"},
    )
    assert response.status_code == 302
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "kesehatan jiwa" in page
    response = client.post(f"/forums/{forum_id}/recommendations/new", data={"text": "", "themes": "tetap, di sini"})
    assert response.status_code == 422
    assert 'value="tetap, di sini"' in response.get_data(as_text=True)
    suggestions = client.get(f"/forums/{forum_id}/recommendations/new").get_data(as_text=True)
    assert 'data-theme="kesehatan jiwa"' in suggestions


def test_editing_a_recommendation_without_its_themes_field_keeps_the_themes(app, world, client_as):
    with app.app_context():
        forum = make_forum(world)
        recommendation = services.add_recommendation(
            as_user(world.users["secretariat"].id), forum.id, text="Keswa", themes=["kesehatan jiwa", "sarana visum"]
        )
        url = f"/forums/{forum.id}/recommendations/{recommendation.id}/edit"
        recommendation_id = recommendation.id
    client = client_as("secretariat")
    assert 'value="kesehatan jiwa, sarana visum"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"text": "Layanan keswa di setiap Puskesmas"})  # no "themes" at all
    assert response.status_code == 302
    with app.app_context():
        saved = services.get_recommendation(as_user(world.users["secretariat"].id), forum.id, recommendation_id)
        assert saved.text == "Layanan keswa di setiap Puskesmas"
        assert sorted(t.name for t in saved.themes) == ["kesehatan jiwa", "sarana visum"]
    assert client.post(url, data={"text": "Keswa", "themes": ""}).status_code == 302  # an empty field clears them
    with app.app_context():
        assert (
            services.get_recommendation(as_user(world.users["secretariat"].id), forum.id, recommendation_id).themes
            == []
        )


def test_status_buttons_close_and_lock_the_page(app, world, client_as):
    forum_id = _forum_id(app, world)
    client = client_as("secretariat")
    client.post(f"/forums/{forum_id}/status", data={"status": "held"})
    client.post(f"/forums/{forum_id}/status", data={"status": "closed"})
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert 'id="locked-notice"' in page
    assert "Tambah peserta" not in page
    assert client.get(f"/forums/{forum_id}/minutes").status_code == 409
    assert client.post(f"/forums/{forum_id}/minutes", data={"minutes": "x"}).status_code == 409


def test_a_forbidden_or_unknown_status_is_a_clear_message(app, world, client_as):
    forum_id = _forum_id(app, world)
    client = client_as("secretariat")
    assert client.post(f"/forums/{forum_id}/status", data={"status": "closed"}).status_code == 409
    response = client.post(f"/forums/{forum_id}/status", data={"status": "dibakar"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Pilih status." in response.get_data(as_text=True)


def test_reopen_without_reason_is_refused_with_a_message(app, world, client_as):
    forum_id = _forum_id(app, world)
    client = client_as("secretariat")
    client.post(f"/forums/{forum_id}/status", data={"status": "held"})
    client.post(f"/forums/{forum_id}/status", data={"status": "closed"})
    response = client.post(f"/forums/{forum_id}/status", data={"status": "held", "note": ""}, follow_redirects=True)
    assert "Sebutkan alasan forum dibuka kembali." in response.get_data(as_text=True)
    client.post(f"/forums/{forum_id}/status", data={"status": "held", "note": "Salah ketik"})
    with app.app_context():
        assert db.session.get(Forum, forum_id).status == ForumStatus.HELD
    history = client.get(f"/forums/{forum_id}/history").get_data(as_text=True)
    assert "membuka kembali" in history
    assert "Salah ketik" in history


def test_the_history_names_who_acted_or_the_system(app, world, client_as):
    from core.permissions import SYSTEM

    forum_id = _forum_id(app, world)
    with app.app_context():
        services.change_status(SYSTEM, forum_id, "held")
    page = client_as("secretariat").get(f"/forums/{forum_id}/history").get_data(as_text=True)
    names = re.findall(r"<strong>([^<]*)</strong>", page)
    assert names == ["Sistem", "Test secretariat"]  # newest first: the system's change, then the creation


def test_forum_list_paginates_and_keeps_filters(app, world, client_as):
    with app.app_context():
        for i in range(25):
            make_forum(world, title=f"FGD ke-{i:02d}")
    client = client_as("viewer")
    first = client.get("/forums?q=fgd").get_data(as_text=True)
    assert "Halaman 1 dari 2" in first
    assert "/forums?q=fgd&amp;page=2" in first
    second = client.get("/forums?q=fgd&page=2").get_data(as_text=True)
    assert second.count('class="card forum-card"') == 5
    assert client.get("/forums?page=-3&kind=bukan&opd=x").status_code == 200


def test_series_pages(app, client_as):
    client = client_as("secretariat")
    response = client.post("/series/new", data={"title": "Penyusunan Dokumen PPT Kespro 2026"})
    assert response.status_code == 302
    series_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Penyusunan Dokumen PPT Kespro 2026" in series_page
    assert client.post("/series/new", data={"title": ""}).status_code == 422


def test_the_forum_page_runs_a_fixed_number_of_queries(app, world, client_as):
    forum_id = _forum_id(app, world)
    client = client_as("viewer")

    def queries():
        with app.app_context(), QueryCounter(db.engine) as counter:
            assert client.get(f"/forums/{forum_id}").status_code == 200
        return counter.count

    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        services.add_participants(secretariat, forum_id, [participant(world, name=f"P{i}") for i in range(3)])
        for i in range(2):
            services.add_recommendation(secretariat, forum_id, text=f"R{i}", themes=[f"tema {i}"])
    few = queries()
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        services.add_participants(secretariat, forum_id, [participant(world, name=f"Q{i}") for i in range(40)])
        for i in range(15):
            services.add_recommendation(secretariat, forum_id, text=f"S{i}", themes=[f"tema {i}", "bersama"])
    assert queries() == few


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "query",
    [
        f"period=-{HUGE}",
        f"period={HUGE}",
        f"period={HUGE}-{HUGE}",
        "period=--",
        "period=20x5",
        f"page={HUGE}",
        f"page=-{HUGE}",
        "page=0",
        f"opd={HUGE}",
        f"opd=-{HUGE}",
        f"series={HUGE}",
    ],
)
def test_huge_and_negative_numbers_in_the_forum_list_are_ignored(app, world, client_as, query):
    with app.app_context():
        make_forum(world, title="FGD PPT Kespro")
    response = client_as("viewer").get(f"/forums?{query}")
    assert response.status_code == 200, query
    assert "FGD PPT Kespro" in response.get_data(as_text=True)  # a filter that names nothing narrows nothing


def test_the_period_filter_of_the_forum_list_still_narrows_and_stays_chosen(app, world, client_as):
    with app.app_context():
        make_forum(world, title="Forum Renstra Dinkes", kind="forum_renstra", period_start=2025, period_end=2029)
        make_forum(world, title="FGD PPT Kespro")
    page = client_as("viewer").get("/forums?period=2025-2029").get_data(as_text=True)
    assert "Forum Renstra Dinkes" in page and "FGD PPT Kespro" not in page
    assert '<option value="2025-2029" selected>' in page


# /actions?page= is defect 1 of issue 10, tested with the follow-ups list.
@pytest.mark.parametrize(
    "url",
    [
        f"/tasks?page={HUGE}",
        f"/tasks?page=-{HUGE}",
        f"/admin/users?page={HUGE}",
        f"/admin/delivery?page=-{HUGE}",
        f"/forums/new?series={HUGE}",
        f"/actions?opd={HUGE}",
        f"/actions?forum=-{HUGE}",
        f"/actions?series={HUGE}",
        f"/dashboard?series={HUGE}",
    ],
)
def test_huge_and_negative_numbers_in_other_lists_answer(client_as, url):
    assert client_as("admin").get(url).status_code == 200, url


def test_an_online_link_takes_http_and_https_only_and_is_completed(app, client_as):
    client = client_as("secretariat")
    hostile = "javascript://example.com/%0aalert(document.cookie)"
    response = client.post("/forums/new", data={**NEW_FORUM, "mode": "daring", "online_link": hostile})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Tautan harus diawali http:// atau https://." in page
    assert 'value="javascript://example.com/%0aalert(document.cookie)"' in page  # kept, to be corrected
    response = client.post("/forums/new", data={**NEW_FORUM, "mode": "daring", "online_link": "zoom.us/j/123"})
    assert response.status_code == 302
    forum_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="https://zoom.us/j/123"' in forum_page


def test_a_stored_script_link_is_shown_as_text_not_as_a_link(app, world, client_as):
    with app.app_context():
        forum = make_forum(world, mode="daring")
        forum.online_link = "javascript://example.com/%0aalert(1)"  # saved before links were checked
        db.session.commit()
        forum_id = forum.id
    page = client_as("viewer").get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "javascript://example.com/%0aalert(1)" in page
    assert 'href="javascript' not in page
