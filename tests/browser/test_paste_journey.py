"""The secretariat pastes the FGD PPT Kespro's follow-ups as the report lists them, and the decree's team as a
spreadsheet copies it, in Chromium on a phone-sized screen."""

import pytest
from playwright.sync_api import expect

from forum import services as forums
from tests.actions.helpers import make_action
from tests.browser.test_forum_journey import login
from tests.conftest import as_user

pytestmark = pytest.mark.browser

FOLLOW_UPS = """Rencana tindaklanjut hasil FGD PPT Kespro kali ini antara lain;
- PPT Kespro masih perlu lebih disosialisasikan. Seluruh peserta diminta untuk menyampaikan informasi ini kepada
pimpinan masing-masing OPD.
- Pembentukan tim melalui SK direncanakan akan dibahas kembali pada pertemuan selanjutnya.
"""
TEAM = "Nama\tOPD\tJabatan\tKedudukan dalam tim\nKepala Bappeda\tBAPPEDA\tKepala Badan\tKetua\ndr. Ani\tDINKES\tKadis\tAnggota"


def test_pasting_the_follow_ups_and_the_team(live_app, live_server, world, page):
    with live_app.app_context():
        action = make_action(world, kind="decree", lead="BAPPEDA", support=(), title="SK Tim PPT Kespro")
        forum_id, action_id = action.recommendation.forum_id, action.id
        forums.add_recommendation(as_user(world.users["secretariat"].id), forum_id, text="X", themes=["sosialisasi"])
    login(page, live_server, "secretariat@example.org")
    page.goto(f"{live_server}/forums/{forum_id}")
    page.click("text=Tempel daftar")
    page.fill("#text", FOLLOW_UPS)
    page.click("button[name=preview]")
    expect(page.locator("legend")).to_have_text(["Rekomendasi 3", "Rekomendasi 4"])
    page.locator("#item-1 [data-theme=sosialisasi]").click()  # the chip fills its own item's themes
    expect(page.locator("#items-1-themes")).to_have_value("sosialisasi")
    expect(page.locator("#items-0-themes")).to_have_value("")
    page.press("#items-0-themes", "Enter")  # Enter saves; it never removes an item
    expect(page.locator("#recommendations")).to_contain_text("Pembentukan tim melalui SK direncanakan")
    expect(page.locator(".flash")).to_contain_text("2 rekomendasi ditambahkan.")

    page.goto(f"{live_server}/actions/{action_id}/decree")
    page.click("#paste-members summary")
    page.fill("#paste-text", TEAM)
    page.click("#paste-members button[name=preview]")
    expect(page.locator("#preview")).to_contain_text("2 anggota siap ditambahkan.")
    page.click("button[name=save]")
    expect(page.locator("#members")).to_contain_text("dr. Ani")
    expect(page.locator("#members")).to_contain_text("Kepala Bappeda")


def test_a_theme_of_one_long_word_fits_a_phone(live_app, live_server, world, page):
    # A theme is cut at 80 characters; typed without spaces (a pasted link, a run of hashtags) it is one word,
    # and its chip on the forum page and in the paste preview must wrap rather than push the page sideways.
    theme = "pembentukantimpptkespromelaluiskkepalabappedadandinaskesehatankotatangerang2026"
    with live_app.app_context():
        action = make_action(world, kind="task", lead="BAPPEDA", support=(), title="Sosialisasi")
        forum_id = action.recommendation.forum_id
        forums.add_recommendation(as_user(world.users["secretariat"].id), forum_id, text="X", themes=[theme])
    login(page, live_server, "secretariat@example.org")
    page.goto(f"{live_server}/forums/{forum_id}")
    expect(page.locator(".chip", has_text=theme).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto(f"{live_server}/forums/{forum_id}/recommendations/paste")
    page.fill("#text", "1. Satu\n2. Dua")
    page.click("button[name=preview]")
    expect(page.locator(f"#item-0 [data-theme={theme}]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
