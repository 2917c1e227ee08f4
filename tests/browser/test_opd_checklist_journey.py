"""The follow-up form's supporting OPDs in Chromium on a phone: searched as one types and ticked with the keyboard."""

import pytest
from playwright.sync_api import expect

from forum import services as forums
from tests.browser.test_forum_journey import login
from tests.conftest import as_user
from tests.forum.helpers import make_forum

pytestmark = pytest.mark.browser


@pytest.fixture
def new_follow_up(app, world):
    with app.app_context():
        forum = make_forum(world, title="FGD PPT Kespro")
        recommendation = forums.add_recommendation(
            as_user(world.users["secretariat"].id), forum.id, text="Penguatan layanan kesehatan jiwa di Puskesmas."
        )
        return f"/forums/{forum.id}/recommendations/{recommendation.id}/actions/new"


def test_search_the_checklist_and_tick_supporters_with_the_keyboard_only(live_server, page, world, new_follow_up):
    login(page, live_server, "secretariat@example.org")
    page.goto(live_server + new_follow_up)
    search = page.get_by_label("Cari OPD")
    expect(search).to_be_visible()
    count = page.locator("#opd-count")
    expect(count).to_have_text("0 OPD dipilih")

    search.focus()
    page.keyboard.type("kesehatan")
    dinkes = page.get_by_label("DINKES – Dinas Kesehatan")
    expect(dinkes).to_be_visible()
    expect(page.get_by_label("DP3AP2KB – Dinas Pemberdayaan Perempuan dan Perlindungan Anak")).to_be_hidden()
    page.keyboard.press("Enter")  # filters only: the form is not sent
    expect(search).to_be_focused()
    page.keyboard.press("Tab")
    expect(dinkes).to_be_focused()
    page.keyboard.press("Space")
    expect(dinkes).to_be_checked()
    expect(count).to_have_text("1 OPD dipilih")

    search.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("dp3a")
    supporter = page.get_by_label("DP3AP2KB – Dinas Pemberdayaan Perempuan dan Perlindungan Anak")
    expect(dinkes).to_be_hidden()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(supporter).to_be_checked()
    expect(count).to_have_text("2 OPD dipilih")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    expect(page.get_by_label("Semua OPD Kota Tangerang (5)")).to_be_visible()  # the whole list is back
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.select_option("#lead_opd_id", label="DINKES – Dinas Kesehatan")  # the lead, already ticked: counted once
    expect(count).to_have_text("2 OPD dipilih")
    page.fill("#due_date", "2026-01-31")
    page.locator("#title").focus()
    page.keyboard.press("Enter")  # creates the follow-up, as before the paste box's button came first on the form
    expect(page.locator(".flash")).to_contain_text("diberikan kepada 2 OPD")
    expect(page.locator("#recommendations")).to_contain_text("DP3AP2KB")


def test_pasted_rows_from_a_spreadsheet_are_ticked_and_the_unmatched_row_is_marked(live_server, page, new_follow_up):
    login(page, live_server, "secretariat@example.org")
    page.goto(live_server + new_follow_up)
    page.click("text=Tempel daftar OPD")
    rows = "No\tNama\tInstansi\n1\tDewi\tDinas Kesehatan\n2\tBudi\tDinas Pariwisata\n3\tSari\tbappeda"
    page.fill("#support_paste", rows)
    page.click("text=Periksa dan centang")
    expect(page.get_by_label("DINKES – Dinas Kesehatan")).to_be_checked()
    expect(page.get_by_label("BAPPEDA – Badan Perencanaan Pembangunan Daerah")).to_be_checked()
    expect(page.locator("#opd-count")).to_have_text("2 OPD dipilih")
    expect(page.locator(".paste-problem")).to_contain_text("Dinas Pariwisata")
    expect(page.locator("#support_paste")).to_have_value(rows)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
