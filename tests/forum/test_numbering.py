"""The Berita Acara's number: the secretariat's, from its government's format, per government and year, unique,
and never the database id."""

from datetime import UTC, datetime

import pytest

from accounts import services as accounts
from core.errors import Invalid
from core.extensions import db
from core.permissions import SYSTEM
from forum import numbering
from forum import services as forums
from forum.models import Forum
from tests.conftest import as_user, login, update_government
from tests.forum.helpers import FGD, make_forum

FORMAT = "000.1.5/{seq:03}/BA-Bappeda/{roman_month}/{year}"


def _forum(government_id: int, starts_at=FGD["starts_at"]):
    return forums.create_forum(SYSTEM, government_id=government_id, **(FGD | {"starts_at": starts_at, "ends_at": None}))


def test_the_next_number_runs_per_government_and_per_year(app, tree):
    with app.app_context():
        kota, kab = tree.govs["kota"], tree.govs["kab"]
        update_government(kota, numbering_format=FORMAT)
        for _ in range(3):
            _forum(kota)  # forums without a number take none of the sequence
        first = numbering.give_number(SYSTEM, _forum(kota).id)
        second = numbering.give_number(SYSTEM, _forum(kota).id)
        assert (first.record_number, second.record_number) == (
            "000.1.5/001/BA-Bappeda/XII/2025",
            "000.1.5/002/BA-Bappeda/XII/2025",
        )
        assert numbering.give_number(SYSTEM, _forum(kab).id).record_number == "1/BA/2025"  # its own, default format
        next_year = _forum(kota, datetime(2026, 1, 8, 2, tzinfo=UTC))
        assert numbering.proposed_number(next_year) == "000.1.5/001/BA-Bappeda/I/2026"
        again = numbering.give_number(SYSTEM, first.id)  # a second click keeps the number given
        assert again.record_number == "000.1.5/001/BA-Bappeda/XII/2025"


def test_the_number_is_never_the_database_id(app, world):
    with app.app_context():
        for _ in range(4):
            make_forum(world)
        forum = numbering.give_number(SYSTEM, make_forum(world).id)
        assert forum.id == 5 and forum.record_number == "1/BA/2025"
        assert f"{forum.id:03d}" not in forum.record_number


def test_a_number_typed_by_hand_counts_and_two_forums_never_share_one(app, world):
    with app.app_context():
        secretariat = as_user(world.users["secretariat"].id)
        typed = numbering.set_number(secretariat, make_forum(world).id, " 7/BA/2025 ")
        assert (typed.record_number, typed.record_seq, typed.record_year) == ("7/BA/2025", 7, 2025)
        assert numbering.give_number(secretariat, make_forum(world).id).record_number == "8/BA/2025"
        other = make_forum(world)
        with pytest.raises(Invalid) as refused:
            numbering.set_number(secretariat, other.id, "8/BA/2025")
        assert refused.value.field == "record_number"
        free_text = numbering.set_number(secretariat, other.id, "ND-Bappeda/khusus")
        assert free_text.record_seq is None  # outside the format: it takes no running number


def test_a_typed_number_of_another_month_is_passed_over_not_a_dead_end(app, tree):
    """A July number typed on a November forum is not counted (its month is not the forum's): the July forum's
    next number passes over it instead of failing five times with 'many numbers at the same moment'."""
    with app.app_context():
        kota = tree.govs["kota"]
        update_government(kota, numbering_format=FORMAT)
        july = _forum(kota, datetime(2025, 7, 10, 2, tzinfo=UTC))
        numbering.give_number(SYSTEM, july.id)  # 001/.../VII/2025
        numbering.set_number(SYSTEM, _forum(kota).id, "000.1.5/002/BA-Bappeda/VII/2025")  # typed on a December forum
        again = _forum(kota, datetime(2025, 7, 11, 2, tzinfo=UTC))
        assert numbering.proposed_number(again) == "000.1.5/003/BA-Bappeda/VII/2025"
        assert numbering.give_number(SYSTEM, again.id).record_number == "000.1.5/003/BA-Bappeda/VII/2025"


def test_of_two_requests_at_once_the_second_takes_the_next_number(app, world, monkeypatch):
    """The race: both counted the same next number; the unique constraint refuses the second at commit, which
    counts again."""
    with app.app_context():
        first = numbering.give_number(SYSTEM, make_forum(world).id)
        stale = iter([1])
        counted = numbering._next_seq
        monkeypatch.setattr(numbering, "_next_seq", lambda *args: next(stale, None) or counted(*args))
        second = numbering.give_number(SYSTEM, make_forum(world).id)
        assert (first.record_number, second.record_number) == ("1/BA/2025", "2/BA/2025")


def test_the_forum_page_proposes_the_next_number_and_one_click_keeps_it(app, world):
    with app.app_context():
        forum_id = make_forum(world).id
    client = app.test_client()
    login(client, world.users["secretariat"].id)
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "Belum ada; nomor berikutnya 1/BA/2025." in page and "Beri nomor berikutnya" in page
    assert client.post(f"/forums/{forum_id}/number", data={"next": "1"}).status_code == 302
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "1/BA/2025" in page and "Beri nomor berikutnya" not in page
    viewer = app.test_client()
    login(viewer, world.users["viewer"].id)
    assert "Ketik nomor" not in viewer.get(f"/forums/{forum_id}").get_data(as_text=True)


def test_a_number_already_taken_is_refused_beside_the_field_keeping_what_was_typed(app, world):
    with app.app_context():
        numbering.give_number(SYSTEM, make_forum(world).id)
        forum_id = make_forum(world).id
    client = app.test_client()
    login(client, world.users["secretariat"].id)
    response = client.post(f"/forums/{forum_id}/number", data={"record_number": "1/BA/2025"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Forum lain dari pemerintah ini sudah memakai nomor ini." in text and 'value="1/BA/2025"' in text
    with app.app_context():
        assert db.session.get(Forum, forum_id).record_number is None


def test_the_government_form_refuses_an_unknown_placeholder(app, tree):
    with app.app_context():
        as_user(tree.world.users["admin"].id).manages_instance = True
        db.session.commit()
    client = app.test_client()
    login(client, tree.world.users["admin"].id)
    data = {
        "code": "KAB-SERANG",
        "name": "Pemerintah Kabupaten Serang",
        "kind": "kabupaten",
        "parent_id": tree.govs["prov"],
        "time_zone": "Asia/Jakarta",
        "active": "y",
        "numbering_format": "{seq}/BA/{tahun}",
    }
    response = client.post(f"/admin/governments/{tree.govs['kab']}", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Isian {tahun} tidak dikenal" in text and "{seq}/BA/{tahun}" in text
    assert (
        client.post(f"/admin/governments/{tree.govs['kab']}", data=data | {"numbering_format": FORMAT}).status_code
        == 302
    )
    with app.app_context():
        assert accounts.get_government(tree.govs["kab"]).numbering_format == FORMAT
