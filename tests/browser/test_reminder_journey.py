"""From the reminder email to an acknowledged task: the email read out of a real SMTP server, its link opened in
Chromium on a phone."""

import re

import pytest
from playwright.sync_api import expect

from notifications import dispatcher, planner
from tests.actions.helpers import make_action
from tests.browser.test_forum_journey import login
from tests.notifications.conftest import smtp  # noqa: F401  (the SMTP server fixture)
from tests.notifications.helpers import at

pytestmark = pytest.mark.browser


def acknowledge_from(page, email, title):
    """Open the acknowledge button of an email on the phone (tap 1) and accept the task (tap 2)."""
    html = email.get_body(("html",)).get_content()
    page.goto(re.search(r'href="([^"]+/a/[^"]+)"', html).group(1))
    expect(page.locator("h1")).to_have_text(title)
    page.click("button.big")  # "Terima tugas"
    expect(page.locator("#link-done h1")).to_have_text("Tugas diterima.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.fixture
def live_overrides(smtp):  # noqa: F811
    return {"MAIL_PORT": smtp.port}


def test_acknowledge_from_the_digest_in_two_taps(live_app, page, world, smtp):  # noqa: F811
    app = live_app
    base = app.config["KAWAL_BASE_URL"]
    with app.app_context():
        make_action(world, support=(), due_in=30, title="Sosialisasi PPT Kespro kepada pimpinan OPD")
        dispatcher.dispatch()  # the new-task email
        at(app, 2025, 12, 18, 7, 30)  # Thursday: two working days without acknowledgement
        assert planner.plan().items == 1
        assert dispatcher.dispatch().sent == 1
    digest = smtp.messages[-1]
    assert digest["To"] == "opd.head@example.org"
    assert digest["Subject"] == "[Kawal] DINKES: 1 belum dikonfirmasi"
    acknowledge_from(page, digest, "Sosialisasi PPT Kespro kepada pimpinan OPD")

    login(page, base, "secretariat@example.org")
    page.goto(f"{base}/admin/delivery?status=sent")
    expect(page.locator("table")).to_contain_text("[Kawal] DINKES: 1 belum dikonfirmasi")
    expect(page.locator("table")).to_contain_text("opd.head@example.org")
    page.click("table a:has-text('#1')")
    expect(page.locator("#assignment-status")).to_contain_text("Diterima")
    expect(page.locator("#reminders")).to_contain_text("Pengingat harian")
    expect(page.locator("#reminders")).to_contain_text("Terkirim")
