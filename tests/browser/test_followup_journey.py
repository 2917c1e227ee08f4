"""A follow-up from recommendation to verified work, in Chromium on a phone-sized screen."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from forum import services as forums
from tests.browser.test_forum_journey import login
from tests.conftest import as_user
from tests.forum.helpers import make_forum

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n% laporan pelatihan keswa\n"


@pytest.fixture
def recommendation(app, world):
    with app.app_context():
        forum = make_forum(world, title="Forum Renstra Dinkes dan DP3AP2KB")
        forums.add_recommendation(
            as_user(world.users["secretariat"].id), forum.id, text="Penguatan layanan kesehatan jiwa di Puskesmas."
        )
        return forum.id


def report_done(page, percent, note, evidence):
    """On an assignment page: report progress with one PDF as evidence, then report the task as done."""
    page.fill("#percent", str(percent))
    page.fill("#progress-note", note)
    page.set_input_files("#files", files=[{"name": evidence, "mimeType": "application/pdf", "buffer": PDF}])
    page.click("text=Kirim laporan")
    expect(page.locator(".flash")).to_contain_text("Kemajuan dilaporkan.")
    page.click("#submit button[type=submit]")
    expect(page.locator("#assignment-status")).to_contain_text("Dilaporkan selesai")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def logout(page):
    page.click(".usermenu summary")
    page.click("text=Keluar")
    expect(page.locator("#email")).to_be_visible()


def test_assign_acknowledge_report_return_resubmit_accept(live_server, page, recommendation):
    base = live_server
    login(page, base, "secretariat@example.org")
    page.goto(f"{base}/forums/{recommendation}")
    page.click("text=Tambah tindak lanjut")
    page.fill("#title", "Layanan keswa tersedia di setiap Puskesmas")
    page.fill("#due_date", "2026-01-31")
    page.select_option("#lead_opd_id", label="DINKES – Dinas Kesehatan")
    page.get_by_label("DP3AP2KB – Dinas Pemberdayaan Perempuan dan Perlindungan Anak").check()
    page.click("button[type=submit].primary")
    expect(page.locator("#recommendations")).to_contain_text("Layanan keswa tersedia di setiap Puskesmas")
    expect(page.locator("#recommendations")).to_contain_text("DP3AP2KB")
    logout(page)

    login(page, base, "opd.head@example.org")
    expect(page).to_have_url(f"{base}/tasks")
    page.click("text=Layanan keswa tersedia di setiap Puskesmas")
    page.fill("#pic_name", "dr. Maya Anggraini")
    page.click("button.big")  # "Terima tugas"
    expect(page.locator(".flash")).to_contain_text("Tugas diterima.")
    report_done(page, 50, "Pelatihan keswa untuk 12 Puskesmas selesai.", "laporan-pelatihan.pdf")
    logout(page)

    login(page, base, "secretariat@example.org")
    page.goto(f"{base}/actions?status=submitted")
    page.click("text=Layanan keswa tersedia di setiap Puskesmas")
    page.fill("#verify textarea[name=note]", "Lampirkan daftar hadir pelatihan.")
    page.click("#verify button[value=no]")
    expect(page.locator("#assignment-status")).to_contain_text("Perlu perbaikan")
    assignment_url = page.url
    logout(page)

    login(page, base, "opd.head@example.org")
    expect(page.locator(".task-list h2").first).to_have_text("Layanan keswa tersedia di setiap Puskesmas")
    expect(page.locator("#badge-returned")).to_have_text("1 perlu perbaikan")
    page.goto(assignment_url)
    expect(page.locator("#return-note")).to_contain_text("Lampirkan daftar hadir pelatihan.")
    page.click("#submit button[type=submit]")
    expect(page.locator("#return-note")).to_have_count(0)
    expect(page.locator("#assignment-status")).to_contain_text("Dilaporkan selesai")
    logout(page)

    login(page, base, "secretariat@example.org")
    page.goto(assignment_url)
    page.click("#verify button[value=yes]")
    expect(page.locator("#assignment-status")).to_contain_text("Sesuai rekomendasi")
    timeline = page.locator("#timeline")
    for text in [
        "Menunggu konfirmasi",
        "Diterima",
        "dr. Maya Anggraini",
        "Kemajuan 50%",
        "laporan-pelatihan.pdf",
        "Dilaporkan selesai",
        "Perlu perbaikan",
        "Lampirkan daftar hadir pelatihan.",
        "Sesuai rekomendasi",
    ]:
        expect(timeline).to_contain_text(text)
    with page.expect_download() as download:
        page.click("#timeline a:has-text('laporan-pelatihan.pdf')")
    assert Path(download.value.path()).read_bytes() == PDF
