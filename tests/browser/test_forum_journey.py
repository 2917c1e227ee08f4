"""A secretariat officer logs the FGD of 16 December 2025 from the seed report, in Chromium."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def login(page, base, email):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.locator(".usermenu summary")).to_be_visible()


def add_participant(page, name, opd=None, institution=None, category="opd"):
    page.click("text=Tambah peserta")
    page.fill("#name", name)
    if opd:
        page.select_option("#opd_id", label=opd)
    if institution:
        page.fill("#institution", institution)
    page.select_option("#category", category)
    page.click("button[type=submit].primary")
    expect(page.locator("#participants")).to_contain_text(name)


def add_recommendation(page, text, themes):
    page.click("text=Tambah rekomendasi")
    page.fill("#text", text)
    page.fill("#themes", themes)
    page.click("button[type=submit].primary")
    expect(page.locator("#recommendations")).to_contain_text(text)


def test_secretariat_logs_and_closes_the_fgd_then_reads_it_in_english(live_server, page):
    base = live_server
    login(page, base, "secretariat@example.org")
    page.goto(f"{base}/forums")
    page.click("text=Forum baru")
    page.select_option("#kind", "fgd")
    page.fill("#title", "FGD Pembahasan PPT Kespro")
    page.fill("#starts_at", "2025-12-16T09:00")
    page.fill("#ends_at", "2025-12-16T12:00")
    page.fill("#venue", "Ruang Rapat Bappeda Kota Tangerang")
    page.fill("#agenda", "1. Paparan PPT Kespro\n2. Diskusi pembentukan tim SK")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("FGD Pembahasan PPT Kespro")
    expect(page.locator(".facts")).to_contain_text("Selasa, 16 Desember 2025, pukul 09.00 WIB")

    add_participant(
        page, "Lelih Herawati, S.KM, M.Kes", institution="Bappeda Provinsi Banten", category="pemerintah_provinsi"
    )
    add_participant(page, "Dewi Lestari", opd="DINKES – Dinas Kesehatan")
    add_participant(page, "Fitri Handayani", opd="DP3AP2KB – Dinas Pemberdayaan Perempuan dan Perlindungan Anak")
    expect(page.locator("#attendance-summary")).to_contain_text("3 dari 3 hadir")

    add_recommendation(page, "PPT Kespro masih perlu lebih disosialisasikan kepada pimpinan OPD.", "sosialisasi")
    add_recommendation(
        page, "Pembentukan tim melalui SK dibahas kembali pada pertemuan selanjutnya.", "pembentukan tim sk"
    )
    expect(page.locator("#recommendation-2")).to_contain_text("Pembentukan tim melalui SK")

    page.click("text=Tandai terlaksana")
    expect(page.locator(".forum-head .badge")).to_have_text("Terlaksana")
    page.click("text=Tutup forum")  # the confirm() dialog is accepted by the fixture
    expect(page.locator("#locked-notice")).to_be_visible()
    expect(page.locator("text=Tambah peserta")).to_have_count(0)
    expect(page.locator("text=Tambah rekomendasi")).to_have_count(0)

    # The page fits a 375 px phone screen: nothing forces sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.click(".usermenu summary")
    page.click("button[value=en]")
    expect(page.locator("#locked-notice")).to_contain_text("This forum is closed")
    expect(page.locator(".facts")).to_contain_text("Tuesday, 16 December 2025 at 09:00 WIB")
    expect(page.locator("#participants h2")).to_have_text("Participants")
